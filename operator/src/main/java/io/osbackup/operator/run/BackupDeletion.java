package io.osbackup.operator.run;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a finished BackupRun does when spec.deleteBackup names its backup: refuse, told once, or
 * delete the manifest first, then the folder, then the run.
 */
final class BackupDeletion {

  private static final Logger LOG = LoggerFactory.getLogger(BackupDeletion.class);

  private final BackupRun run;
  private final BackupRunStatus status;
  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final BucketOpener buckets;
  private final RunRecord record;
  private final String ns;

  BackupDeletion(
      RunRecord record, KubernetesClient client, OperatorSettings settings, BucketOpener buckets) {
    this.record = record;
    this.run = record.run();
    this.status = record.status();
    this.client = client;
    this.settings = settings;
    this.buckets = buckets;
    this.ns = run.getMetadata().getNamespace();
  }

  private ObjectStore store;

  private ObjectStore store() throws IOException {
    if (store == null) {
      store = buckets.open(ns, status.getPlan().getS3());
    }
    return store;
  }

  private void closeStore() {
    if (store != null) {
      try {
        store.close();
      } catch (Exception e) {
        LOG.debug("closing store client", e);
      }
      store = null;
    }
  }

  /**
   * Deletes the run's backup, asked by {@code spec.deleteBackup} naming it: only a successful
   * backup kept on its own terms, of this store, that no restore is reading. The manifest goes
   * first (the backup is gone from then on, and the catalog cannot bring it back), then every other
   * object of the folder, then the run. A refusal is a Warning Event and the run's message, told
   * once; nothing is deleted.
   */
  Outcome deleteBackup(String asked) {
    String backupId = status.getBackupId();
    String refusal = null;
    if (status.getPhase() != RunPhase.Succeeded || status.getManifestKey() == null) {
      refusal =
          "spec.deleteBackup is set, but the run ended "
              + status.getPhase()
              + " and holds no backup: delete"
              + " the BackupRun instead";
    } else if (!asked.equals(backupId)) {
      refusal =
          "spec.deleteBackup '"
              + asked
              + "' does not name this run's backup: set it to "
              + backupId
              + " (status.backupId) to delete that backup";
    } else if (FoundBackups.isForeign(run)) {
      refusal =
          "spec.deleteBackup: backup "
              + backupId
              + " was written by another owner and is imported"
              + " read-only; this cluster never deletes it";
    } else if (!io.osbackup.contract.Manifest.RunRetention.KEEP.equals(status.getRetention())) {
      refusal =
          "spec.deleteBackup: backup "
              + backupId
              + " is counted by the policy's rules (status.retention "
              + status.getRetention()
              + "), and the policy's retention deletes it; only a backup kept on its own terms"
              + " is deleted by hand";
    } else {
      Optional<String> restoring =
          client.resources(RestoreRequest.class).inNamespace(ns).list().getItems().stream()
              .filter(
                  r ->
                      r.getStatus() != null
                          && backupId.equals(r.getStatus().getBackupId())
                          && r.getStatus().getPhase() != null
                          && !r.getStatus().getPhase().isFinal())
              .map(r -> r.getMetadata().getName())
              .findFirst();
      if (restoring.isPresent()) {
        refusal =
            "spec.deleteBackup: backup "
                + backupId
                + " is being restored by RestoreRequest '"
                + restoring.get()
                + "'; it is deleted once that restore ended";
      }
    }
    if (refusal != null) {
      return refuseDelete(refusal, refusal.contains("is being restored"));
    }
    String folder = status.getFolder() + "/";
    try {
      Optional<io.osbackup.contract.Manifest> manifest =
          store().getJson(status.getManifestKey(), io.osbackup.contract.Manifest.class);
      Owner us = new Owner(settings.clusterId(), ns, status.getPlan().getStore(), null);
      if (manifest.isPresent()
          && manifest.get().owner() != null
          && !us.owns(manifest.get().owner())) {
        return refuseDelete(
            "spec.deleteBackup: the manifest of backup "
                + backupId
                + " names "
                + manifest.get().owner().describe()
                + ", not this store: it is never deleted from here",
            false);
      }
      List<String> keys = store().list(folder).stream().map(ObjectInfo::key).toList();
      Optional<String> nested =
          keys.stream()
              .filter(
                  k ->
                      k.endsWith("/" + BackupLayout.MANIFEST)
                          || k.endsWith("/" + BackupLayout.OWNER))
              .filter(
                  k ->
                      !k.equals(status.getManifestKey())
                          && !k.equals(BackupLayout.owner(status.getFolder())))
              .findFirst();
      if (nested.isPresent()) {
        return refuseDelete(
            "spec.deleteBackup: "
                + folder
                + " holds "
                + nested.get()
                + ", another backup's;"
                + " nothing below it is deleted",
            false);
      }
      if (manifest.isPresent()) {
        store().delete(List.of(status.getManifestKey()));
      }
      store().delete(keys.stream().filter(k -> !k.equals(status.getManifestKey())).toList());
      store().abortIncompleteUploads(folder);
    } catch (IOException e) {
      status.setMessage(
          "deleting backup " + backupId + " (spec.deleteBackup), will retry: " + e.getMessage());
      return record.changed().lookAgainAfter(settings.timings().recheck());
    } finally {
      closeStore();
    }
    record.tell(
        "BackupDeleted",
        "backup "
            + backupId
            + " deleted as spec.deleteBackup asked: manifest"
            + " first, then "
            + folder);
    LOG.info(
        "run {}/{}: deleted backup {} as spec.deleteBackup asked",
        ns,
        run.getMetadata().getName(),
        backupId);
    client
        .resources(BackupRun.class)
        .inNamespace(ns)
        .withName(run.getMetadata().getName())
        .delete();
    return record.unchanged();
  }

  private Outcome refuseDelete(String message, boolean retry) {
    if (!Objects.equals(status.getMessage(), message)) {
      record.warn("DeleteBackupRefused", message);
      status.setMessage(message);
      Outcome control = record.changed();
      return retry ? control.lookAgainAfter(settings.timings().waitForStore()) : control;
    }
    return retry
        ? record.unchanged().lookAgainAfter(settings.timings().waitForStore())
        : record.unchanged();
  }
}
