package io.osbackup.operator.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.RestoreReport;
import io.osbackup.operator.reconcile.JobOutcome;
import io.osbackup.operator.restore.RestoreObserver.JobSeen;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * How a restore Job's status entry moves on from what was seen of it ({@link JobFollow}): recorded
 * observations, no Kubernetes.
 */
class JobFollowTest {

  static final String NOW = "2026-01-01T00:10:00Z";

  static RestoreJob job(TaskPhase phase) {
    RestoreJob job = RestoreDecision.job("r-db", RestoreDecision.DATABASE, "keystone", null);
    job.setPhase(phase);
    return job;
  }

  static JobSeen seen(JobOutcome outcome, Optional<RestoreReport> report, String termination) {
    return new JobSeen(
        outcome != null, outcome, Optional.empty(), report, Optional.ofNullable(termination));
  }

  static Optional<RestoreReport> report(boolean ok, String reason, String message) {
    return Optional.of(
        new RestoreReport("r-db", ok, reason, message, null, null, List.of(), List.of(), null));
  }

  @Test
  void aPendingJobThatDoesNotExistIsCreatedAndRuns() {
    RestoreJob job = job(TaskPhase.Pending);
    List<RestoreAction> actions = JobFollow.next(job, JobSeen.absent(), null, null, NOW);
    assertThat(actions).containsExactly(new RestoreAction.CreateJob(null, null));
    assertThat(job.getPhase()).isEqualTo(TaskPhase.Running);
    assertThat(job.getStartTime()).isEqualTo(NOW);
  }

  @Test
  void aRunningJobIsFollowedWithoutActions() {
    RestoreJob job = job(TaskPhase.Pending);
    JobSeen running =
        new JobSeen(
            true,
            new JobOutcome(false, false, null, null),
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    assertThat(JobFollow.next(job, running, null, null, NOW)).isEmpty();
    assertThat(job.getPhase()).isEqualTo(TaskPhase.Running);
    assertThat(job.getStartTime()).isEqualTo(NOW);
  }

  @Test
  void aJobWhosePodDoesNotStartIsDeletedAndFails() {
    RestoreJob job = job(TaskPhase.Running);
    job.setStartTime("2026-01-01T00:00:00Z");
    JobSeen stuck =
        new JobSeen(
            true,
            new JobOutcome(false, false, null, null),
            Optional.of("ImagePullBackOff"),
            Optional.empty(),
            Optional.empty());
    assertThat(JobFollow.next(job, stuck, null, null, NOW))
        .containsExactly(new RestoreAction.DeleteJob("r-db"));
    assertThat(job.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(job.getMessage()).isEqualTo("PodNotStarting: ImagePullBackOff");
  }

  @Test
  void anEndedJobWithASucceededReportSucceeds() {
    RestoreJob job = job(TaskPhase.Running);
    JobFollow.next(
        job,
        seen(new JobOutcome(true, true, null, null), report(true, null, "ok"), null),
        null,
        null,
        NOW);
    assertThat(job.getPhase()).isEqualTo(TaskPhase.Succeeded);
  }

  @Test
  void aFailedReportLeadsTheMessage() {
    RestoreJob job = job(TaskPhase.Running);
    JobFollow.next(
        job,
        seen(
            new JobOutcome(true, false, "BackoffLimitExceeded", null),
            report(false, "ArchiveRefused", "unsafe path"),
            "exit 1"),
        null,
        null,
        NOW);
    assertThat(job.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(job.getMessage()).isEqualTo("ArchiveRefused: unsafe path");
  }

  @Test
  void aFailedJobWithoutReportSaysWhatItsPodSaid() {
    RestoreJob job = job(TaskPhase.Running);
    JobFollow.next(
        job,
        seen(
            new JobOutcome(true, false, "BackoffLimitExceeded", null),
            Optional.empty(),
            "OOMKilled"),
        null,
        null,
        NOW);
    assertThat(job.getMessage()).isEqualTo("Job r-db failed: OOMKilled");
    JobFollow.next(
        job = job(TaskPhase.Running),
        seen(new JobOutcome(true, false, "BackoffLimitExceeded", null), Optional.empty(), null),
        null,
        null,
        NOW);
    assertThat(job.getMessage()).isEqualTo("Job r-db failed: BackoffLimitExceeded");
  }

  @Test
  void aJobThatIsGoneWithoutReportFails() {
    RestoreJob job = job(TaskPhase.Running);
    JobFollow.next(job, seen(null, Optional.empty(), null), null, null, NOW);
    assertThat(job.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(job.getMessage()).isEqualTo("Job r-db is gone and left no report");
  }
}
