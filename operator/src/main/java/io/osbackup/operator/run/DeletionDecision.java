package io.osbackup.operator.run;

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
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a finished BackupRun deletes its backup as spec.deleteBackup asks: only a successful
 * backup kept on its own terms, of this store, that no restore is reading, whose folder holds no
 * other backup. The manifest goes first, then every other object of the folder, then the run. A
 * refusal is a Warning Event and the run's message, told once. Pure.
 */
final class DeletionDecision {

  private DeletionDecision() {}

  /**
   * What to delete: {@code manifest} first when there is one, then {@code others}, then the
   * folder's incomplete uploads under {@code folder}.
   */
  record Deletion(Optional<String> manifest, List<String> others, String folder) {}

  /** Why the run's backup is not deleted, from the run alone; empty to look further. */
  static Optional<String> refusal(BackupRun run, String asked) {
    BackupRunStatus status = run.getStatus();
    String backupId = status.getBackupId();
    if (status.getPhase() != RunPhase.Succeeded || status.getManifestKey() == null) {
      return Optional.of(
          "spec.deleteBackup is set, but the run ended "
              + status.getPhase()
              + " and holds no backup: delete"
              + " the BackupRun instead");
    } else if (!asked.equals(backupId)) {
      return Optional.of(
          "spec.deleteBackup '"
              + asked
              + "' does not name this run's backup: set it to "
              + backupId
              + " (status.backupId) to delete that backup");
    } else if (FoundBackups.isForeign(run)) {
      return Optional.of(
          "spec.deleteBackup: backup "
              + backupId
              + " was written by another owner and is imported"
              + " read-only; this cluster never deletes it");
    } else if (!Manifest.RunRetention.KEEP.equals(status.getRetention())) {
      return Optional.of(
          "spec.deleteBackup: backup "
              + backupId
              + " is counted by the policy's rules (status.retention "
              + status.getRetention()
              + "), and the policy's retention deletes it; only a backup kept on its own terms"
              + " is deleted by hand");
    }
    return Optional.empty();
  }

  /** The refusal while RestoreRequest {@code restoring} reads the backup (looked at again). */
  static String restoring(String backupId, String restoring) {
    return "spec.deleteBackup: backup "
        + backupId
        + " is being restored by RestoreRequest '"
        + restoring
        + "'; it is deleted once that restore ended";
  }

  /** Why a backup whose manifest names another owner than {@code us} is not deleted from here. */
  static Optional<String> foreign(BackupRunStatus status, Optional<Manifest> manifest, Owner us) {
    if (manifest.isPresent()
        && manifest.get().owner() != null
        && !us.owns(manifest.get().owner())) {
      return Optional.of(
          "spec.deleteBackup: the manifest of backup "
              + status.getBackupId()
              + " names "
              + manifest.get().owner().describe()
              + ", not this store: it is never deleted from here");
    }
    return Optional.empty();
  }

  /**
   * What to delete of the folder, from whether it has a {@code manifest} and the {@code keys} under
   * it; or why nothing is (the folder holds another backup).
   */
  static Result delete(BackupRunStatus status, Optional<Manifest> manifest, List<String> keys) {
    String folder = status.getFolder() + "/";
    Optional<String> nested =
        keys.stream()
            .filter(
                k ->
                    k.endsWith("/" + BackupLayout.MANIFEST) || k.endsWith("/" + BackupLayout.OWNER))
            .filter(
                k ->
                    !k.equals(status.getManifestKey())
                        && !k.equals(BackupLayout.owner(status.getFolder())))
            .findFirst();
    if (nested.isPresent()) {
      return Result.refused(
          "spec.deleteBackup: "
              + folder
              + " holds "
              + nested.get()
              + ", another backup's;"
              + " nothing below it is deleted");
    }
    return new Result(
        null,
        new Deletion(
            manifest.map(m -> status.getManifestKey()),
            keys.stream().filter(k -> !k.equals(status.getManifestKey())).toList(),
            folder));
  }

  /** Either a refusal or what to delete. */
  record Result(String refusal, Deletion deletion) {
    static Result refused(String message) {
      return new Result(message, null);
    }
  }

  /**
   * Refuses with {@code message}, told once; with {@code retry} (a restore is reading the backup),
   * looks again after waitForStore.
   */
  static Outcome refuse(RunRecord record, String message, boolean retry, Timings timings) {
    BackupRunStatus status = record.status();
    if (!Objects.equals(status.getMessage(), message)) {
      record.warn("DeleteBackupRefused", message);
      status.setMessage(message);
      Outcome control = record.changed();
      return retry ? control.lookAgainAfter(timings.waitForStore()) : control;
    }
    return retry ? record.unchanged().lookAgainAfter(timings.waitForStore()) : record.unchanged();
  }

  /** The bucket could not be read or written: look again. */
  static Outcome retry(RunRecord record, String error, Timings timings) {
    record
        .status()
        .setMessage(
            "deleting backup "
                + record.status().getBackupId()
                + " (spec.deleteBackup), will retry: "
                + error);
    return record.changed().lookAgainAfter(timings.recheck());
  }

  /** The backup is deleted: told, and the run is deleted next (nothing to write). */
  static Outcome deleted(RunRecord record) {
    record.tell(
        "BackupDeleted",
        "backup "
            + record.status().getBackupId()
            + " deleted as spec.deleteBackup asked: manifest"
            + " first, then "
            + record.status().getFolder()
            + "/");
    return record.unchanged();
  }
}
