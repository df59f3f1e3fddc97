package io.osbackup.operator.run;

import static io.osbackup.operator.run.RunFixtures.PLANNED;
import static io.osbackup.operator.run.RunFixtures.at;
import static io.osbackup.operator.run.RunFixtures.planned;
import static io.osbackup.operator.run.RunFixtures.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RunFailure;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.operator.run.FinishingDecision.Result;
import io.osbackup.operator.run.FinishingDecision.Step;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The finishing and cancelling decisions of a run, from recorded observations. */
class FinishingDecisionTest {

  static final Timings TIMINGS = Timings.defaults();

  /** When every task ended. */
  static final Instant ENDED = PLANNED.plusSeconds(300);

  static final Owner OWNER = new Owner("cluster-a", "openstack", "primary", null);

  /** The planned run with every task ended in {@code phase} at {@link #ENDED}. */
  private static BackupRun ended(TaskPhase phase) {
    BackupRun run = planned();
    for (RunTask task : run.getStatus().getTasks()) {
      task.setPhase(phase);
      task.setStartTime(PLANNED.toString());
      task.setCompletionTime(ENDED.toString());
      if (phase == TaskPhase.Succeeded) {
        ArtifactStatus artifact = new ArtifactStatus();
        artifact.setTarget(task.getTarget());
        artifact.setNode(task.getNode());
        artifact.setKey("k/" + task.getJob());
        artifact.setSize(100L);
        artifact.setSha256("sha-k/" + task.getJob());
        run.getStatus().getArtifacts().add(artifact);
      }
    }
    return run;
  }

  /** The bucket holds every artifact as reported, and every report. */
  private static FinishingObservation allThere(BackupRun run, long alivePods) {
    Map<String, Optional<Long>> stored = new LinkedHashMap<>();
    Map<String, BackupReport> reports = new LinkedHashMap<>();
    for (RunTask task : run.getStatus().getTasks()) {
      stored.put("k/" + task.getJob(), Optional.of(100L));
      reports.put(task.getJob(), report(task.getJob(), true, "ok", "k/" + task.getJob(), 100));
    }
    return new FinishingObservation(Optional.empty(), stored, reports, OWNER, alivePods);
  }

  private static RunRecord record(BackupRun run, Instant now) {
    return new RunRecord(run, at(now));
  }

  private static List<String> reasons(Outcome outcome) {
    return outcome.notices().stream().map(Outcome.Notice::reason).toList();
  }

  @Test
  void everyArtifactVerifiedWritesTheManifest() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunRecord record = record(run, ENDED.plusSeconds(1));

    Result result = FinishingDecision.finish(record, allThere(run, 0), TIMINGS);

    assertThat(result.step()).isEqualTo(Step.WRITE_MANIFEST);
    assertThat(result.outcome()).isNull();
    assertThat(result.manifest().artifacts()).hasSize(4);
    assertThat(result.manifest().owner()).isEqualTo(OWNER);
    assertThat(result.manifest().completedAt()).isEqualTo(ENDED.plusSeconds(1));
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Running);
    assertThat(run.getStatus().getFailures()).isEmpty();
  }

  @Test
  void theWrittenManifestEndsTheRunSucceeded() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunRecord record = record(run, ENDED.plusSeconds(1));
    Manifest manifest = FinishingDecision.finish(record, allThere(run, 0), TIMINGS).manifest();

    Outcome outcome = FinishingDecision.succeeded(record, manifest, "k1", "primary-signing");

    String key = BackupLayout.manifest(run.getStatus().getFolder());
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Succeeded);
    assertThat(run.getStatus().getManifestKey()).isEqualTo(key);
    assertThat(run.getStatus().getSize()).isEqualTo(400L);
    assertThat(run.getStatus().getManifestSignature()).isEqualTo("Verified");
    assertThat(run.getStatus().getMessage())
        .isEqualTo(
            "4 artifacts, 400 bytes, verified; manifest "
                + key
                + " signed with key 'k1' of Secret 'primary-signing'");
    assertThat(record.ended()).isTrue();
    assertThat(outcome.lookAgainAfter()).isEmpty();
    assertThat(reasons(outcome)).containsExactly("Succeeded");
  }

  @Test
  void aMissingArtifactFailsItsTaskAndTheRunCleansUpPartiallyFailed() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunTask lost = run.getStatus().getTasks().get(1);
    FinishingObservation seen = allThere(run, 0);
    Map<String, Optional<Long>> stored = new LinkedHashMap<>(seen.stored());
    stored.put("k/" + lost.getJob(), Optional.empty());
    seen = new FinishingObservation(Optional.empty(), stored, Map.of(), null, 0);
    RunRecord record = record(run, ENDED.plusSeconds(1));

    Result result = FinishingDecision.finish(record, seen, TIMINGS);

    assertThat(result.step()).isEqualTo(Step.CLEAN_UP);
    assertThat(result.phase()).isEqualTo(RunPhase.PartiallyFailed);
    assertThat(lost.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .extracting(RunFailure::getReason)
        .isEqualTo("ArtifactMissing");
    assertThat(result.message())
        .contains("is not in the bucket although its Job reported it")
        .startsWith(lost.getTarget());
  }

  @Test
  void anArtifactOfAnotherSizeIsASizeMismatch() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunTask task = run.getStatus().getTasks().get(0);
    FinishingObservation seen = allThere(run, 0);
    Map<String, Optional<Long>> stored = new LinkedHashMap<>(seen.stored());
    stored.put("k/" + task.getJob(), Optional.of(99L));
    seen = new FinishingObservation(Optional.empty(), stored, Map.of(), null, 0);

    Result result = FinishingDecision.finish(record(run, ENDED.plusSeconds(1)), seen, TIMINGS);

    assertThat(result.step()).isEqualTo(Step.CLEAN_UP);
    assertThat(task.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(task.getMessage())
        .isEqualTo(
            "artifact k/" + task.getJob() + " has 99 bytes in the bucket, its Job reported 100");
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("ArtifactSizeMismatch");
  }

  @Test
  void aReportThatChangedAfterVerificationKeepsTheManifestUnwritten() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunTask task = run.getStatus().getTasks().get(2);
    FinishingObservation seen = allThere(run, 0);
    Map<String, BackupReport> reports = new LinkedHashMap<>(seen.reports());
    reports.put(task.getJob(), report(task.getJob(), true, "ok", "k/" + task.getJob(), 100 + 1));
    seen = new FinishingObservation(Optional.empty(), seen.stored(), reports, OWNER, 0);

    Result result = FinishingDecision.finish(record(run, ENDED.plusSeconds(1)), seen, TIMINGS);

    assertThat(result.step()).isEqualTo(Step.CLEAN_UP);
    assertThat(result.manifest()).isNull();
    assertThat(task.getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("ReportChanged");
  }

  @Test
  void aFailedRunWaitsForItsAlivePodsBeforeCleaningUp() {
    BackupRun run = ended(TaskPhase.Failed);
    RunRecord record = record(run, ENDED.plusSeconds(30));

    Result result = FinishingDecision.finish(record, FinishingObservation.pods(2), TIMINGS);

    assertThat(result.step()).isEqualTo(Step.WAIT_FOR_PODS);
    assertThat(result.outcome().lookAgainAfter()).contains(TIMINGS.settle());
    assertThat(run.getStatus().getMessage())
        .isEqualTo("waiting for 2 pods to stop before removing incomplete uploads");
    assertThat(record.ended()).isFalse();
  }

  @Test
  void podsStillAliveAfterCancelGraceNoLongerHoldTheCleanUp() {
    BackupRun run = ended(TaskPhase.Failed);
    RunRecord record = record(run, ENDED.plus(TIMINGS.cancelGrace()));

    Result result = FinishingDecision.finish(record, FinishingObservation.pods(2), TIMINGS);

    assertThat(result.step()).isEqualTo(Step.CLEAN_UP);
    assertThat(result.phase()).isEqualTo(RunPhase.Failed);
  }

  @Test
  void everyTaskFailedEndsFailedWithTheFailuresAndWhatTheCleanUpDid() {
    BackupRun run = ended(TaskPhase.Failed);
    RunRecord record = record(run, ENDED.plusSeconds(30));
    record.fail("galera", null, "JobFailed", "dump failed");
    record.fail("nova-config", "compute-1", "JobFailed", "tar failed");

    Result result = FinishingDecision.finish(record, FinishingObservation.pods(0), TIMINGS);
    assertThat(result.step()).isEqualTo(Step.CLEAN_UP);
    Outcome outcome = FinishingDecision.cleanedUp(record, result, 3, true);

    String key = BackupLayout.manifest(run.getStatus().getFolder());
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getMessage())
        .isEqualTo(
            "galera: dump failed; nova-config@compute-1: tar failed (3 incomplete uploads"
                + " aborted); manifest "
                + key
                + " deleted: it had been written before the run failed");
    assertThat(run.getStatus().getManifestKey()).isNull();
    assertThat(reasons(outcome)).containsExactly("JobFailed", "JobFailed", "Failed");
    assertThat(outcome.lookAgainAfter()).isEmpty();
  }

  @Test
  void aCleanUpThatFoundNothingSaysOnlyTheFailures() {
    BackupRun run = ended(TaskPhase.Failed);
    RunRecord record = record(run, ENDED.plusSeconds(30));
    record.fail("galera", null, "JobFailed", "dump failed");

    Result result = FinishingDecision.finish(record, FinishingObservation.pods(0), TIMINGS);
    FinishingDecision.cleanedUp(record, result, 0, false);

    assertThat(run.getStatus().getMessage()).isEqualTo("galera: dump failed");
  }

  @Test
  void anUnreachableStoreIsWaitedFor() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunRecord record = record(run, ENDED.plus(TIMINGS.storePatience()));

    Result result =
        FinishingDecision.finish(
            record, FinishingObservation.unreachable("connection refused"), TIMINGS);

    assertThat(result.step()).isEqualTo(Step.WAIT_FOR_STORE);
    assertThat(result.outcome().lookAgainAfter()).contains(TIMINGS.recheck());
    assertThat(run.getStatus().getMessage())
        .isEqualTo("waiting for the store or the API, will retry: connection refused");
    assertThat(run.getStatus().getFailures()).isEmpty();
  }

  @Test
  void aStoreUnreachablePastStorePatienceFailsTheRun() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunRecord record = record(run, ENDED.plus(TIMINGS.storePatience()).plusSeconds(1));

    Result result =
        FinishingDecision.finish(
            record, FinishingObservation.unreachable("connection refused"), TIMINGS);

    assertThat(result.step()).isEqualTo(Step.GIVE_UP);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .extracting(RunFailure::getReason)
        .isEqualTo("StoreUnavailable");
    Outcome outcome = FinishingDecision.gaveUp(record, result, Optional.empty());
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getMessage())
        .isEqualTo(
            "every Job ended 15 minutes ago, but the bucket could not be read to verify the"
                + " artifacts and write the manifest: connection refused; if "
                + BackupLayout.manifest(run.getStatus().getFolder())
                + " was written before, it may still be in the bucket: delete it, this run did"
                + " not succeed");
    assertThat(reasons(outcome)).containsExactly("StoreUnavailable", "Failed");
  }

  @Test
  void aManifestThatCannotBeSignedPastStorePatienceFailsWithTheSigningReason() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunRecord record = record(run, ENDED.plus(Duration.ofHours(1)));

    Result result =
        FinishingDecision.notSigned(
            record, "StoreNotFound", "BackupStore 'primary' is gone", TIMINGS);
    FinishingDecision.gaveUp(record, result, Optional.of(false));

    assertThat(result.step()).isEqualTo(Step.GIVE_UP);
    assertThat(result.reason()).isEqualTo("StoreNotFound");
    assertThat(run.getStatus().getMessage())
        .isEqualTo(
            "every Job ended 15 minutes ago, but the manifest could not be signed: BackupStore"
                + " 'primary' is gone");
  }

  @Test
  void aManifestThatCannotBeSignedYetIsWaitedFor() {
    BackupRun run = ended(TaskPhase.Succeeded);

    Result result =
        FinishingDecision.notSigned(
            record(run, ENDED.plusSeconds(5)), "StoreNotFound", "gone", TIMINGS);

    assertThat(result.step()).isEqualTo(Step.WAIT_FOR_STORE);
    assertThat(run.getStatus().getFailures()).isEmpty();
  }

  @Test
  void cancellingStopsTheUnfinishedTasksAndWaitsForTheirPods() {
    BackupRun run = planned();
    RunTask done = run.getStatus().getTasks().get(0);
    done.setPhase(TaskPhase.Succeeded);
    done.setCompletionTime(ENDED.toString());
    run.getStatus().getTasks().get(1).setPhase(TaskPhase.Running);
    Instant now = ENDED.plusSeconds(60);
    RunRecord record = record(run, now);

    Result result =
        FinishingDecision.cancel(record, "spec.cancel", FinishingObservation.pods(1), TIMINGS);

    assertThat(result.step()).isEqualTo(Step.CANCEL_WAIT_FOR_PODS);
    assertThat(result.stopJobs())
        .containsExactlyElementsOf(
            run.getStatus().getTasks().subList(1, 4).stream().map(RunTask::getJob).toList());
    assertThat(run.getStatus().getTasks().subList(1, 4))
        .allSatisfy(
            t -> {
              assertThat(t.getPhase()).isEqualTo(TaskPhase.Cancelled);
              assertThat(t.getCompletionTime()).isEqualTo(now.toString());
            });
    assertThat(done.getPhase()).isEqualTo(TaskPhase.Succeeded);
    assertThat(run.getStatus().getMessage())
        .isEqualTo("cancelling: waiting for 1 pods to stop before removing partial uploads");
    assertThat(result.outcome().notices())
        .containsExactly(new Outcome.Notice(false, "Cancelling", "spec.cancel: 3 Jobs stopped"));
    assertThat(result.outcome().lookAgainAfter()).contains(TIMINGS.settle());
  }

  @Test
  void cancellingWithoutAlivePodsEmptiesTheFolderAndEndsCancelled() {
    BackupRun run = ended(TaskPhase.Succeeded);
    RunRecord record = record(run, ENDED.plusSeconds(5));

    Result result =
        FinishingDecision.cancel(record, "spec.cancel", FinishingObservation.pods(0), TIMINGS);

    assertThat(result.step()).isEqualTo(Step.CANCEL_CLEAN_UP);
    assertThat(result.stopJobs()).isEmpty();
    Outcome outcome = FinishingDecision.cancelled(record, 5);
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Cancelled);
    assertThat(run.getStatus().getArtifacts()).isEmpty();
    assertThat(run.getStatus().getProgress().getArtifacts()).isZero();
    assertThat(run.getStatus().getMessage())
        .isEqualTo("cancelled; 5 partial uploads and objects removed");
    assertThat(reasons(outcome)).containsExactly("Cancelled");
  }

  @Test
  void podsOfACancelledRunGetCancelGraceThenTheFolderIsEmptied() {
    BackupRun run = ended(TaskPhase.Failed);
    RunRecord record = record(run, ENDED.plus(TIMINGS.cancelGrace()));

    Result result =
        FinishingDecision.cancel(record, "spec.cancel", FinishingObservation.pods(3), TIMINGS);

    assertThat(result.step()).isEqualTo(Step.CANCEL_CLEAN_UP);
  }

  @Test
  void aFolderThatCannotBeEmptiedYetIsTriedAgain() {
    BackupRun run = ended(TaskPhase.Failed);
    RunRecord record = record(run, ENDED.plus(TIMINGS.cancelGrace()));

    Outcome outcome = FinishingDecision.cancelCleanUpFailed(record, "503", TIMINGS);

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Running);
    assertThat(run.getStatus().getMessage())
        .isEqualTo("cancelling: cannot clean the bucket yet, will retry: 503");
    assertThat(outcome.lookAgainAfter()).contains(TIMINGS.recheck());
  }
}
