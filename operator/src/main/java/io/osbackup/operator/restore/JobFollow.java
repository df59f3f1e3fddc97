package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.RestoreReport;
import io.osbackup.operator.reconcile.JobOutcome;
import io.osbackup.operator.restore.RestoreJobPlan.AgentJob;
import io.osbackup.operator.restore.RestoreObserver.JobSeen;
import java.util.List;
import java.util.Optional;

/**
 * How the status entry of a restore Job moves on from what was seen of the Job, with no Kubernetes
 * in sight: Pending → Running once it is created, Failed when its pod does not start (the Job goes:
 * nothing ran, so nothing was written), Succeeded or Failed by its report once it ended.
 */
final class JobFollow {

  private JobFollow() {}

  /**
   * Changes {@code job} (not ended) by what was {@code seen} of it at {@code now}; returns what to
   * do: create the Job when it does not exist yet, delete one whose pod does not start.
   */
  static List<RestoreAction> next(
      RestoreJob job, JobSeen seen, AgentJob agent, S3Location s3, String now) {
    if (!seen.exists() && job.getPhase() == TaskPhase.Pending) {
      job.setPhase(TaskPhase.Running);
      job.setStartTime(now);
      return List.of(new RestoreAction.CreateJob(agent, s3));
    }
    JobOutcome outcome = seen.outcome();
    if (outcome != null && !outcome.ended()) {
      job.setPhase(TaskPhase.Running);
      if (job.getStartTime() == null) {
        job.setStartTime(now);
      }
      if (seen.notStarting().isPresent()) {
        // Nothing ran, so nothing was written: the Job goes, and the request says why in the
        // kubelet's words.
        job.setPhase(TaskPhase.Failed);
        job.setMessage("PodNotStarting: " + seen.notStarting().get());
        return List.of(new RestoreAction.DeleteJob(job.getName()));
      }
      return List.of();
    }
    Optional<RestoreReport> report = seen.report();
    if (report.isPresent()
        && report.get().succeeded()
        && (outcome == null || outcome.succeeded())) {
      job.setPhase(TaskPhase.Succeeded);
    } else {
      job.setPhase(TaskPhase.Failed);
      job.setMessage(
          report
              .filter(r -> !r.succeeded())
              .map(r -> (r.reason() == null ? "" : r.reason() + ": ") + r.message())
              .orElseGet(
                  () ->
                      outcome == null
                          ? "Job " + job.getName() + " is gone and left no report"
                          : "Job "
                              + job.getName()
                              + " failed: "
                              + seen.terminationMessage()
                                  .orElse(
                                      outcome.message() == null
                                          ? outcome.reason()
                                          : outcome.message())));
    }
    return List.of();
  }
}
