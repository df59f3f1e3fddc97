package io.osbackup.operator.run;

import static io.osbackup.operator.run.RunFixtures.PLANNED;
import static io.osbackup.operator.run.RunFixtures.at;
import static io.osbackup.operator.run.RunFixtures.planned;
import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Whether spec.deleteBackup deletes a finished run's backup, and what goes first. */
class DeletionDecisionTest {

  static final Timings TIMINGS = Timings.defaults();
  static final Owner US = new Owner("cluster-a", "openstack", "primary", null);

  /** A succeeded run kept on its own terms, its manifest written. */
  private static BackupRun succeeded() {
    BackupRun run = planned();
    BackupRunStatus status = run.getStatus();
    status.setPhase(RunPhase.Succeeded);
    status.setRetention(Manifest.RunRetention.KEEP);
    status.setManifestKey(BackupLayout.manifest(status.getFolder()));
    return run;
  }

  private static Manifest manifest(BackupRun run, Owner owner) {
    BackupRunStatus status = run.getStatus();
    return new Manifest(
        Manifest.FORMAT_VERSION,
        status.getBackupId(),
        "openstack",
        "control-plane",
        "cp-1",
        "primary",
        "backups",
        status.getFolder(),
        "gzip",
        PLANNED,
        PLANNED.plusSeconds(60),
        0,
        List.of(),
        owner);
  }

  private static RunRecord record(BackupRun run) {
    return new RunRecord(run, at(PLANNED.plusSeconds(3600)));
  }

  @Test
  void aRunWithoutBackupRefuses() {
    BackupRun run = succeeded();
    run.getStatus().setPhase(RunPhase.Failed);

    assertThat(DeletionDecision.refusal(run, run.getStatus().getBackupId()))
        .contains(
            "spec.deleteBackup is set, but the run ended Failed and holds no backup: delete the"
                + " BackupRun instead");
  }

  @Test
  void anotherBackupsIdRefuses() {
    BackupRun run = succeeded();

    assertThat(DeletionDecision.refusal(run, "other-id").orElseThrow())
        .startsWith("spec.deleteBackup 'other-id' does not name this run's backup");
  }

  @Test
  void anImportedBackupIsNeverDeleted() {
    BackupRun run = succeeded();
    run.getMetadata().setLabels(Map.of(FoundBackups.FOREIGN_LABEL, "true"));

    assertThat(DeletionDecision.refusal(run, run.getStatus().getBackupId()).orElseThrow())
        .contains("imported read-only");
  }

  @Test
  void aBackupCountedByThePolicyIsLeftToRetention() {
    BackupRun run = succeeded();
    run.getStatus().setRetention(Manifest.RunRetention.POLICY);

    assertThat(DeletionDecision.refusal(run, run.getStatus().getBackupId()).orElseThrow())
        .contains("status.retention Policy");
  }

  @Test
  void aBackupKeptOnItsOwnTermsNamedByItsIdMayBeDeleted() {
    BackupRun run = succeeded();

    assertThat(DeletionDecision.refusal(run, run.getStatus().getBackupId())).isEmpty();
  }

  @Test
  void aRefusalIsToldOnce() {
    BackupRun run = succeeded();
    String message = DeletionDecision.refusal(run, "other-id").orElseThrow();

    Outcome first = DeletionDecision.refuse(record(run), message, false, TIMINGS);
    Outcome again = DeletionDecision.refuse(record(run), message, false, TIMINGS);

    assertThat(first.statusChanged()).isTrue();
    assertThat(first.notices())
        .containsExactly(new Outcome.Notice(true, "DeleteBackupRefused", message));
    assertThat(first.lookAgainAfter()).isEmpty();
    assertThat(run.getStatus().getMessage()).isEqualTo(message);
    assertThat(again.statusChanged()).isFalse();
    assertThat(again.notices()).isEmpty();
  }

  @Test
  void aBackupBeingRestoredIsLookedAtAgain() {
    BackupRun run = succeeded();
    String message = DeletionDecision.restoring(run.getStatus().getBackupId(), "restore-1");

    Outcome first = DeletionDecision.refuse(record(run), message, true, TIMINGS);
    Outcome again = DeletionDecision.refuse(record(run), message, true, TIMINGS);

    assertThat(message).contains("is being restored by RestoreRequest 'restore-1'");
    assertThat(first.lookAgainAfter()).contains(TIMINGS.waitForStore());
    assertThat(again.notices()).isEmpty();
    assertThat(again.lookAgainAfter()).contains(TIMINGS.waitForStore());
  }

  @Test
  void aManifestOfAnotherOwnerIsNeverDeletedFromHere() {
    BackupRun run = succeeded();
    Owner them = new Owner("cluster-b", "openstack", "primary", null);

    assertThat(DeletionDecision.foreign(run.getStatus(), Optional.of(manifest(run, them)), US))
        .hasValueSatisfying(m -> assertThat(m).contains("it is never deleted from here"));
    assertThat(DeletionDecision.foreign(run.getStatus(), Optional.of(manifest(run, US)), US))
        .isEmpty();
    assertThat(DeletionDecision.foreign(run.getStatus(), Optional.of(manifest(run, null)), US))
        .isEmpty();
  }

  @Test
  void aFolderHoldingAnotherBackupIsNotDeleted() {
    BackupRun run = succeeded();
    String folder = run.getStatus().getFolder();

    DeletionDecision.Result result =
        DeletionDecision.delete(
            run.getStatus(),
            Optional.of(manifest(run, US)),
            List.of(
                run.getStatus().getManifestKey(),
                folder + "/db.sql.gz",
                folder + "/nested/" + BackupLayout.MANIFEST));

    assertThat(result.deletion()).isNull();
    assertThat(result.refusal())
        .isEqualTo(
            "spec.deleteBackup: "
                + folder
                + "/ holds "
                + folder
                + "/nested/"
                + BackupLayout.MANIFEST
                + ", another backup's; nothing below it is deleted");
  }

  @Test
  void theManifestGoesFirstThenEverythingElseOfTheFolder() {
    BackupRun run = succeeded();
    String folder = run.getStatus().getFolder();
    String marker = BackupLayout.owner(folder);

    DeletionDecision.Result result =
        DeletionDecision.delete(
            run.getStatus(),
            Optional.of(manifest(run, US)),
            List.of(run.getStatus().getManifestKey(), folder + "/db.sql.gz", marker));

    assertThat(result.refusal()).isNull();
    assertThat(result.deletion().manifest()).contains(run.getStatus().getManifestKey());
    assertThat(result.deletion().others()).containsExactly(folder + "/db.sql.gz", marker);
    assertThat(result.deletion().folder()).isEqualTo(folder + "/");
  }

  @Test
  void aManifestAlreadyGoneLeavesTheRestToDelete() {
    BackupRun run = succeeded();
    String folder = run.getStatus().getFolder();

    DeletionDecision.Result result =
        DeletionDecision.delete(run.getStatus(), Optional.empty(), List.of(folder + "/a"));

    assertThat(result.deletion().manifest()).isEmpty();
    assertThat(result.deletion().others()).containsExactly(folder + "/a");
  }

  @Test
  void anUnreachableBucketIsTriedAgain() {
    BackupRun run = succeeded();

    Outcome outcome = DeletionDecision.retry(record(run), "connection refused", TIMINGS);

    assertThat(run.getStatus().getMessage())
        .isEqualTo(
            "deleting backup "
                + run.getStatus().getBackupId()
                + " (spec.deleteBackup), will retry: connection refused");
    assertThat(outcome.lookAgainAfter()).contains(TIMINGS.recheck());
  }

  @Test
  void aDeletedBackupIsToldAndNothingIsWritten() {
    BackupRun run = succeeded();

    Outcome outcome = DeletionDecision.deleted(record(run));

    assertThat(outcome.statusChanged()).isFalse();
    assertThat(outcome.notices())
        .containsExactly(
            new Outcome.Notice(
                false,
                "BackupDeleted",
                "backup "
                    + run.getStatus().getBackupId()
                    + " deleted as spec.deleteBackup asked: manifest first, then "
                    + run.getStatus().getFolder()
                    + "/"));
  }
}
