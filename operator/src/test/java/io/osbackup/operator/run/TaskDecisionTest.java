package io.osbackup.operator.run;

import static io.osbackup.operator.run.RunFixtures.PLANNED;
import static io.osbackup.operator.run.RunFixtures.at;
import static io.osbackup.operator.run.RunFixtures.planned;
import static io.osbackup.operator.run.RunFixtures.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RunFailure;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupReport;
import io.osbackup.operator.reconcile.JobOutcome;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The running step's decision, from recorded observations of the run's Jobs. */
class TaskDecisionTest {

  static final Timings TIMINGS = Timings.defaults();
  static final Instant NOW = PLANNED.plusSeconds(120);

  private static TaskDecision.Result decide(BackupRun run, Map<String, TaskObservation.Seen> seen) {
    return decide(run, seen, NOW);
  }

  private static TaskDecision.Result decide(
      BackupRun run, Map<String, TaskObservation.Seen> seen, Instant now) {
    return TaskDecision.decide(
        new RunRecord(run, at(now)), new TaskObservation(seen), TIMINGS, "agent:1");
  }

  private static RunTask task(BackupRun run, String kind, int nth) {
    return run.getStatus().getTasks().stream()
        .filter(t -> kind.equals(t.getKind()))
        .skip(nth)
        .findFirst()
        .orElseThrow();
  }

  private static RunTask running(BackupRun run, String kind, int nth) {
    RunTask task = task(run, kind, nth);
    task.setPhase(TaskPhase.Running);
    task.setStartTime(PLANNED.toString());
    return task;
  }

  private static TaskObservation.Seen ended(
      boolean succeeded, String reason, Optional<BackupReport> report) {
    return new TaskObservation.Seen(
        true,
        new JobOutcome(true, succeeded, reason, "job said " + reason),
        3600L,
        report,
        null,
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void startsEveryDatabaseJobAndFilesJobsUpToTheParallelismCap() {
    BackupRun run = planned();
    assertThat(run.getStatus().getTasks()).hasSize(4);

    TaskDecision.Result result = decide(run, Map.of());

    assertThat(result.create()).hasSize(3);
    assertThat(run.getStatus().getTasks())
        .extracting(RunTask::getPhase)
        .containsOnly(TaskPhase.Running, TaskPhase.Pending);
    assertThat(run.getStatus().getTasks().stream().filter(t -> t.getPhase() == TaskPhase.Pending))
        .singleElement()
        .extracting(RunTask::getKind)
        .isEqualTo("files");
    assertThat(task(run, "database", 0).getStartTime()).isEqualTo(NOW.toString());
    assertThat(result.outcome().statusChanged()).isTrue();
    assertThat(result.outcome().lookAgainAfter()).contains(TIMINGS.poll());
  }

  @Test
  void aJobThatExistsAlreadyIsNotCreatedAgain() {
    BackupRun run = planned();
    String db = task(run, "database", 0).getJob();

    TaskDecision.Result result =
        decide(run, Map.of(db, TaskObservation.Seen.running(Optional.empty())));

    assertThat(result.create()).extracting(j -> j.getMetadata().getName()).doesNotContain(db);
    assertThat(task(run, "database", 0).getPhase()).isEqualTo(TaskPhase.Running);
  }

  @Test
  void aFilesJobWaitsWhileTheCapIsTaken() {
    BackupRun run = planned();
    running(run, "files", 0);
    running(run, "files", 1);
    Map<String, TaskObservation.Seen> seen = new HashMap<>();
    seen.put(task(run, "files", 0).getJob(), TaskObservation.Seen.running(Optional.empty()));
    seen.put(task(run, "files", 1).getJob(), TaskObservation.Seen.running(Optional.empty()));

    TaskDecision.Result result = decide(run, seen);

    assertThat(result.create()).hasSize(1); // the database Job only
    assertThat(task(run, "files", 2).getPhase()).isEqualTo(TaskPhase.Pending);
  }

  @Test
  void aFinishedFilesJobFreesItsSlotForALaterTaskInTheSameStep() {
    BackupRun run = planned();
    RunTask first = running(run, "files", 0);
    running(run, "files", 1);
    Map<String, TaskObservation.Seen> seen = new HashMap<>();
    seen.put(
        first.getJob(),
        ended(true, "Complete", Optional.of(report(first.getJob(), true, null, "f/a.tar", 10))));
    seen.put(task(run, "files", 1).getJob(), TaskObservation.Seen.running(Optional.empty()));

    decide(run, seen);

    assertThat(first.getPhase()).isEqualTo(TaskPhase.Succeeded);
    // the third files task comes after the one that ended: it takes the freed slot at once
    assertThat(task(run, "files", 2).getPhase()).isEqualTo(TaskPhase.Running);
  }

  @Test
  void aSucceededJobWithItsReportBecomesArtifacts() {
    BackupRun run = planned();
    RunTask db = running(run, "database", 0);
    BackupReport report =
        new BackupReport(
            db.getJob(),
            null,
            null,
            true,
            null,
            PLANNED,
            PLANNED,
            null,
            List.of(
                new BackupReport.Artifact("k/galera.sql.gz", "nova", null, 42, 84, "abc", "gzip")),
            List.of("table skipped"));

    TaskDecision.Result result =
        decide(run, Map.of(db.getJob(), ended(true, "Complete", Optional.of(report))));

    assertThat(db.getPhase()).isEqualTo(TaskPhase.Succeeded);
    assertThat(db.getCompletionTime()).isEqualTo(NOW.toString());
    assertThat(db.getWarnings()).containsExactly("table skipped");
    assertThat(run.getStatus().getArtifacts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getKey()).isEqualTo("k/galera.sql.gz");
              assertThat(a.getSize()).isEqualTo(42L);
              assertThat(a.getDatabase()).isEqualTo("nova");
            });
    assertThat(run.getStatus().getProgress().getBytes()).isEqualTo(42L);
    assertThat(result.outcome().notices())
        .extracting(Outcome.Notice::reason)
        .containsExactly("ArtifactWarnings");
  }

  @Test
  void aFailedJobFailsItsTaskWithTheReportsMessage() {
    BackupRun run = planned();
    RunTask db = running(run, "database", 0);

    TaskDecision.Result result =
        decide(
            run,
            Map.of(
                db.getJob(),
                ended(
                    false,
                    "BackoffLimitExceeded",
                    Optional.of(report(db.getJob(), false, "access denied", null, 0)))));

    assertThat(db.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(db.getMessage()).isEqualTo("access denied");
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .extracting(RunFailure::getReason)
        .isEqualTo("JobFailed");
    assertThat(result.outcome().notices())
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.warning()).isTrue();
              assertThat(n.reason()).isEqualTo("JobFailed");
            });
  }

  @Test
  void aFailedJobWithoutReportTellsWhatItsPodSaid() {
    BackupRun run = planned();
    RunTask db = running(run, "database", 0);
    TaskObservation.Seen seen =
        new TaskObservation.Seen(
            true,
            new JobOutcome(true, false, "BackoffLimitExceeded", "backoff"),
            3600L,
            Optional.empty(),
            null,
            Optional.empty(),
            Optional.of("mysqldump: Got error 2013"),
            Optional.empty());

    decide(run, Map.of(db.getJob(), seen));

    assertThat(db.getMessage()).isEqualTo("mysqldump: Got error 2013");
  }

  @Test
  void aJobWhoseNodeWasLostFailsWithNodeLost() {
    BackupRun run = planned();
    RunTask files = running(run, "files", 0);
    TaskObservation.Seen seen =
        new TaskObservation.Seen(
            true,
            new JobOutcome(true, false, "BackoffLimitExceeded", "backoff"),
            3600L,
            Optional.empty(),
            null,
            Optional.of("node compute-1 is gone"),
            Optional.of("pod said something"),
            Optional.empty());

    decide(run, Map.of(files.getJob(), seen));

    assertThat(files.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(files.getMessage()).isEqualTo("node compute-1 is gone");
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("NodeLost");
  }

  @Test
  void aJobPastItsDeadlineSaysSo() {
    BackupRun run = planned();
    RunTask db = running(run, "database", 0);

    decide(run, Map.of(db.getJob(), ended(false, "DeadlineExceeded", Optional.empty())));

    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("DeadlineExceeded");
    assertThat(db.getMessage()).contains("activeDeadlineSeconds (3600 s)");
  }

  @Test
  void aJobThatIsGoneSucceedsOnItsReportOrFailsAsDeleted() {
    BackupRun run = planned();
    RunTask db = running(run, "database", 0);
    RunTask files = running(run, "files", 0);
    Map<String, TaskObservation.Seen> seen = new HashMap<>();
    seen.put(
        db.getJob(),
        new TaskObservation.Seen(
            false,
            null,
            null,
            Optional.of(report(db.getJob(), true, null, "k/db", 5)),
            null,
            Optional.empty(),
            Optional.empty(),
            Optional.empty()));
    seen.put(files.getJob(), TaskObservation.Seen.absent());

    decide(run, seen);

    assertThat(db.getPhase()).isEqualTo(TaskPhase.Succeeded);
    assertThat(files.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("JobDeleted");
  }

  @Test
  void aCompletedJobWithoutReportFailsAsReportMissing() {
    BackupRun run = planned();
    RunTask db = running(run, "database", 0);

    decide(run, Map.of(db.getJob(), ended(true, "Complete", Optional.empty())));

    assertThat(db.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("ReportMissing");
  }

  @Test
  void anUnreadableReportOfASucceededJobIsWaitedFor() {
    BackupRun run = planned();
    RunTask db = running(run, "database", 0);
    TaskObservation.Seen seen =
        new TaskObservation.Seen(
            true,
            new JobOutcome(true, true, "Complete", null),
            3600L,
            Optional.empty(),
            "connection refused",
            Optional.empty(),
            Optional.empty(),
            Optional.empty());

    TaskDecision.Result result = decide(run, Map.of(db.getJob(), seen));

    assertThat(db.getPhase()).isEqualTo(TaskPhase.Running);
    assertThat(run.getStatus().getFailures()).isEmpty();
    assertThat(run.getStatus().getMessage())
        .isEqualTo("waiting for the store or the API, will retry: connection refused");
    assertThat(result.outcome().lookAgainAfter()).contains(TIMINGS.recheck());
  }

  @Test
  void aPodThatCannotStartFailsItsTaskAndStopsItsJobOnlyAfterThePodStartTimeout() {
    BackupRun run = planned();
    run.getStatus().getTasks().forEach(t -> t.setPhase(TaskPhase.Succeeded));
    RunTask files = running(run, "files", 0);
    Map<String, TaskObservation.Seen> seen =
        Map.of(
            files.getJob(),
            TaskObservation.Seen.running(Optional.of("ErrImagePull: no such image")));

    TaskDecision.Result early = decide(run, seen, PLANNED.plus(TIMINGS.podStart()));
    assertThat(early.delete()).isEmpty();
    assertThat(files.getPhase()).isEqualTo(TaskPhase.Running);

    TaskDecision.Result late = decide(run, seen, PLANNED.plus(TIMINGS.podStart()).plusSeconds(1));
    assertThat(late.delete()).containsExactly(files.getJob());
    assertThat(files.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(files.getMessage()).isEqualTo("ErrImagePull: no such image");
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("PodNotStarting");
  }

  @Test
  void whenEveryTaskEndedTheStepDoesNotPollAndTheRunIsFinishing() {
    BackupRun run = planned();
    Map<String, TaskObservation.Seen> seen = new HashMap<>();
    for (RunTask task : run.getStatus().getTasks()) {
      task.setPhase(TaskPhase.Running);
      task.setStartTime(PLANNED.toString());
      seen.put(
          task.getJob(),
          ended(
              true, "Complete", Optional.of(report(task.getJob(), true, null, task.getJob(), 1))));
    }

    TaskDecision.Result result = decide(run, seen);

    assertThat(result.outcome().lookAgainAfter()).isEmpty();
    assertThat(RunStage.of(run)).isEqualTo(RunStage.FINISHING);
    assertThat(run.getStatus().getProgress().getTasksDone()).isEqualTo(4);
  }
}
