package io.osbackup.operator.run;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupReport;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.plan.BackupJobs;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The decision of a running BackupRun, pure: from the tasks in its status and the {@link
 * TaskObservation}, start the Jobs the parallelism cap allows, take in the Jobs that ended (their
 * reports become artifacts, their failures become the run's), and stop Jobs whose pod cannot start.
 * It changes the status it is given and returns the Jobs to create and delete.
 */
final class TaskDecision {

  /** What the running step decided. */
  record Result(Outcome outcome, List<Job> create, List<String> delete) {}

  /** Files Jobs started at once when the plan names no cap. */
  static final int DEFAULT_MAX_PARALLEL = 5;

  private TaskDecision() {}

  static Result decide(RunRecord record, TaskObservation seen, Timings timings, String agentImage) {
    BackupRunStatus status = record.status();
    int maxParallel =
        status.getPlan().getMaxParallelNodes() == null
            ? DEFAULT_MAX_PARALLEL
            : status.getPlan().getMaxParallelNodes();
    long runningFiles =
        status.getTasks().stream()
            .filter(t -> isFiles(t) && t.getPhase() == TaskPhase.Running)
            .count();
    List<Job> create = new ArrayList<>();
    List<String> delete = new ArrayList<>();
    for (RunTask task : status.getTasks()) {
      TaskObservation.Seen job =
          seen.jobs().getOrDefault(task.getJob(), TaskObservation.Seen.absent());
      if (task.getPhase() == TaskPhase.Pending) {
        if (isFiles(task) && runningFiles >= maxParallel) {
          continue;
        }
        if (!job.exists()) {
          create.add(BackupJobs.jobFor(record.run(), task, agentImage));
        }
        task.setPhase(TaskPhase.Running);
        task.setStartTime(record.now());
        if (isFiles(task)) {
          runningFiles++;
        }
      } else if (task.getPhase() == TaskPhase.Running) {
        if (!job.exists() || job.ended()) {
          boolean jobSucceeded = !job.exists() || job.outcome().succeeded();
          if (jobSucceeded && job.reportError() != null) {
            // a finished artifact is only accepted with its report: look again later
            status.setMessage("waiting for the store or the API, will retry: " + job.reportError());
            return new Result(record.changed().lookAgainAfter(timings.recheck()), create, delete);
          }
          finish(record, task, job);
          if (isFiles(task)) {
            runningFiles--;
          }
        } else if (record.age(task.getStartTime()).compareTo(timings.podStart()) > 0
            && job.notStarting().isPresent()) {
          // An image that cannot be pulled or a volume that cannot be mounted would otherwise hold
          // a slot until activeDeadlineSeconds, hours later, and then blame the deadline.
          String why = job.notStarting().get();
          delete.add(task.getJob());
          task.setPhase(TaskPhase.Failed);
          task.setMessage(why);
          task.setCompletionTime(record.now());
          record.fail(task.getTarget(), task.getNode(), "PodNotStarting", why);
          if (isFiles(task)) {
            runningFiles--;
          }
        }
      }
    }
    record.progress();
    Outcome outcome = record.changed();
    return new Result(
        allEnded(status) ? outcome : outcome.lookAgainAfter(timings.poll()), create, delete);
  }

  static boolean allEnded(BackupRunStatus status) {
    return status.getTasks().stream().allMatch(t -> t.getPhase().isFinal());
  }

  private static boolean isFiles(RunTask task) {
    return "files".equals(task.getKind());
  }

  /**
   * Takes in a Job that ended or is gone. A Job that is gone (deleted by its TTL while the operator
   * was down, or by hand) may well have succeeded: its report in the bucket says so.
   */
  private static void finish(RunRecord record, RunTask task, TaskObservation.Seen job) {
    BackupRunStatus status = record.status();
    boolean jobSucceeded = !job.exists() || job.outcome().succeeded();
    Optional<BackupReport> report = job.reportError() != null ? Optional.empty() : job.report();
    task.setCompletionTime(record.now());
    if (jobSucceeded && report.isPresent() && report.get().succeeded()) {
      task.setPhase(TaskPhase.Succeeded);
      task.setMessage(null);
      List<String> warnings = report.get().warnings();
      if (warnings != null && !warnings.isEmpty()) {
        task.setWarnings(warnings);
        record.warn(
            "ArtifactWarnings",
            task.getTarget()
                + (task.getNode() == null ? "" : " on " + task.getNode())
                + ": "
                + String.join("; ", warnings));
      }
      for (BackupReport.Artifact a : report.get().artifacts()) {
        ArtifactStatus artifact = new ArtifactStatus();
        artifact.setTarget(task.getTarget());
        artifact.setDatabase(a.database());
        artifact.setNode(task.getNode());
        artifact.setKey(a.key());
        artifact.setSize(a.size());
        artifact.setSha256(a.sha256());
        artifact.setFiles(a.files());
        artifact.setAccounts(a.accounts());
        status.getArtifacts().add(artifact);
      }
      return;
    }
    String reportKey = BackupLayout.report(status.getFolder(), task.getJob());
    String reason;
    String message;
    if (!job.exists()) {
      reason = "JobDeleted";
      message = "Job " + task.getJob() + " is gone and left no successful report at " + reportKey;
    } else if (job.outcome().succeeded()) {
      reason = "ReportMissing";
      message =
          "Job "
              + task.getJob()
              + " completed but its report "
              + reportKey
              + " is missing or says it failed";
    } else {
      reason = "DeadlineExceeded".equals(job.outcome().reason()) ? "DeadlineExceeded" : "JobFailed";
      Optional<String> lost = job.nodeLost();
      if (lost.isPresent() && !"DeadlineExceeded".equals(reason)) {
        reason = "NodeLost";
      }
      String detail =
          lost.isPresent() && "NodeLost".equals(reason)
              ? lost.get()
              : report
                  .filter(r -> !r.succeeded() && r.message() != null)
                  .map(BackupReport::message)
                  .or(job::terminationMessage)
                  .orElse(job.outcome().message());
      if ("DeadlineExceeded".equals(reason)) {
        message =
            "Job "
                + task.getJob()
                + " ran longer than spec.job.activeDeadlineSeconds ("
                + job.activeDeadlineSeconds()
                + " s) and was stopped";
      } else {
        message = detail == null ? "Job " + task.getJob() + " failed" : detail;
      }
    }
    task.setPhase(TaskPhase.Failed);
    task.setMessage(message);
    record.fail(task.getTarget(), task.getNode(), reason, message);
  }
}
