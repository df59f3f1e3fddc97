package io.osbackup.operator.run;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.operator.reconcile.OpenedBucket;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.util.List;
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

  private final OpenedBucket store = new OpenedBucket();

  private ObjectStore store() throws IOException {
    return store.get(() -> buckets.open(ns, status.getPlan().getS3()));
  }

  private void closeStore() {
    store.close();
  }

  /**
   * Deletes the run's backup, asked by {@code spec.deleteBackup} naming it, as {@link
   * DeletionDecision} allows: the manifest first (the backup is gone from then on, and the catalog
   * cannot bring it back), then every other object of the folder, then the run.
   */
  Outcome deleteBackup(String asked) {
    String backupId = status.getBackupId();
    Optional<String> refusal = DeletionDecision.refusal(run, asked);
    if (refusal.isEmpty()) {
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
        return DeletionDecision.refuse(
            record,
            DeletionDecision.restoring(backupId, restoring.get()),
            true,
            settings.timings());
      }
    }
    if (refusal.isPresent()) {
      return DeletionDecision.refuse(record, refusal.get(), false, settings.timings());
    }
    try {
      Optional<Manifest> manifest = store().getJson(status.getManifestKey(), Manifest.class);
      Owner us = new Owner(settings.clusterId(), ns, status.getPlan().getStore(), null);
      Optional<String> foreign = DeletionDecision.foreign(status, manifest, us);
      if (foreign.isPresent()) {
        return DeletionDecision.refuse(record, foreign.get(), false, settings.timings());
      }
      List<String> keys =
          store().list(status.getFolder() + "/").stream().map(ObjectInfo::key).toList();
      DeletionDecision.Result decided = DeletionDecision.delete(status, manifest, keys);
      if (decided.refusal() != null) {
        return DeletionDecision.refuse(record, decided.refusal(), false, settings.timings());
      }
      DeletionDecision.Deletion deletion = decided.deletion();
      if (deletion.manifest().isPresent()) {
        store().delete(List.of(deletion.manifest().get()));
      }
      store().delete(deletion.others());
      store().abortIncompleteUploads(deletion.folder());
    } catch (IOException e) {
      return DeletionDecision.retry(record, e.getMessage(), settings.timings());
    } finally {
      closeStore();
    }
    Outcome outcome = DeletionDecision.deleted(record);
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
    return outcome;
  }
}
