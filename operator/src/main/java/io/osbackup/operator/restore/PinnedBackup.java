package io.osbackup.operator.restore;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.operator.restore.RestoreJobPlan.Selected;
import io.osbackup.operator.restore.RestoreJobPlan.Source;
import io.osbackup.restore.RestoreSelection;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the backup a request pinned at validation (status.store and status.manifestKey) before each
 * step after it: the manifest, its signature checked again, and the selection made from it.
 */
final class PinnedBackup {

  private final RestoreObserver observer;
  private final KubernetesClient client;
  private final String ns;
  private final RestoreRequest request;
  private final RestoreRequestStatus status;
  private final OperatorSettings settings;
  private final Map<String, Catalog.Backup> manifests;

  PinnedBackup(RestoreObserver observer, Map<String, Catalog.Backup> manifests) {
    this.observer = observer;
    this.client = observer.client;
    this.ns = observer.ns;
    this.request = observer.request;
    this.status = observer.status;
    this.settings = observer.settings;
    this.manifests = manifests;
  }

  /**
   * The selection, from the backup chosen at validation (status.store and status.manifestKey): an
   * asOf age moves with time, and a run or policy may be deleted meanwhile, but the backup restored
   * stays the one verified.
   */
  Selected selected() throws RestoreProblem {
    BackupStore bs =
        client.resources(BackupStore.class).inNamespace(ns).withName(status.getStore()).get();
    if (bs == null) {
      throw new RestoreProblem(
          "StoreNotFound",
          "BackupStore '"
              + status.getStore()
              + "' was deleted during the restore:"
              + " apply it again",
          true);
    }
    S3Location s3 = bs.getSpec().getS3();
    String pin = ns + "|" + s3.getEndpoint() + "|" + s3.getBucket() + "|" + status.getManifestKey();
    Catalog.Backup backup = manifests.get(pin);
    if (backup == null) {
      backup = readManifest(bs);
      manifests.put(pin, backup);
    }
    SourceFinder.trusted(request, bs, backup);
    Map<String, String> credentials = observer.credentials(backup.policy());
    RestoreSelection.Result selection =
        RestoreSelection.select(backup.manifest(), request.getSpec(), credentials);
    if (!selection.ok()) {
      throw new RestoreProblem(selection.problem().reason(), selection.problem().message(), false);
    }
    return new Selected(
        new Source(status.getStore(), s3, backup, credentials, observer.tls(backup.policy())),
        selection);
  }

  /**
   * The pinned manifest, read again with its signature checked: it is verified before every step's
   * Jobs.
   */
  private Catalog.Backup readManifest(BackupStore bs) throws RestoreProblem {
    S3Location s3 = bs.getSpec().getS3();
    Catalog.Backup backup;
    try {
      String key = status.getManifestKey();
      SigningKeys keys = new ManifestKeys(client, settings.clock()).forVerifying(ns, bs);
      Optional<Catalog.Parsed> read =
          Catalog.readManifest(Catalog.of(observer.store(s3)), key, s3.getPrefix(), ns, keys);
      if (read.isEmpty()) {
        throw new RestoreProblem(
            "BackupNotFound",
            "manifest " + key + " vanished from the bucket during the restore",
            false);
      }
      Catalog.Parsed parsed = read.get();
      if (parsed.backup() == null) {
        throw new RestoreProblem(
            "ManifestInvalid", "manifest " + key + " " + parsed.problem(), false);
      }
      backup = parsed.backup();
    } catch (StoreBuckets.CredentialsProblem e) {
      throw new RestoreProblem(e.reason(), e.getMessage(), true);
    } catch (ManifestKeys.Problem e) {
      throw new RestoreProblem(
          e.reason(), "BackupStore '" + status.getStore() + "': " + e.getMessage(), true);
    } catch (IOException e) {
      throw new RestoreProblem(
          "StoreUnavailable", "cannot read the bucket: " + e.getMessage(), true);
    }
    return backup;
  }
}
