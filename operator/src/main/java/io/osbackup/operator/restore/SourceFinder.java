package io.osbackup.operator.restore;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.catalog.BackupFinder;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.operator.restore.RestoreJobPlan.Source;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the backup a request's spec.source names, at validation: the BackupRun, policy or store it
 * refers to, the store's bucket, the manifest (its signature checked) and the Secret the agents
 * mount for the bucket. A source that cannot be used is a {@link RestoreProblem}.
 */
final class SourceFinder {

  private final RestoreObserver observer;
  private final KubernetesClient client;
  private final String ns;
  private final RestoreRequest request;
  private final OperatorSettings settings;

  /** Warnings to tell at validation (an unsigned manifest restored anyway). */
  final List<Outcome.Notice> told = new ArrayList<>();

  SourceFinder(RestoreObserver observer) {
    this.observer = observer;
    this.client = observer.client;
    this.ns = observer.ns;
    this.request = observer.request;
    this.settings = observer.settings;
  }

  Source source(RestoreRequestSpec.RestoreSource source) throws RestoreProblem {
    String storeName;
    String policy = source.getPolicyRef() == null ? null : source.getPolicyRef().getName();
    String manifestKey = null;
    if (source.getBackupRunRef() != null) {
      String runName = source.getBackupRunRef().getName();
      BackupRun run = client.resources(BackupRun.class).inNamespace(ns).withName(runName).get();
      if (run == null) {
        throw new RestoreProblem(
            "BackupRunNotFound",
            "source.backupRunRef: BackupRun '"
                + runName
                + "' does not exist in"
                + " namespace "
                + ns
                + " (kubectl get brun lists them)",
            false);
      }
      if (run.getStatus() == null
          || run.getStatus().getPhase() != RunPhase.Succeeded
          || run.getStatus().getManifestKey() == null) {
        throw new RestoreProblem(
            "BackupNotRestorable",
            "source.backupRunRef: BackupRun '"
                + runName
                + "' is "
                + (run.getStatus() == null || run.getStatus().getPhase() == null
                    ? "not started"
                    : run.getStatus().getPhase())
                + "; only a Succeeded run holds a complete backup",
            false);
      }
      storeName =
          run.getStatus().getPlan() != null
              ? run.getStatus().getPlan().getStore()
              : FoundBackups.annotation(run, FoundBackups.STORE_ANNOTATION).orElse(null);
      manifestKey = run.getStatus().getManifestKey();
      policy = run.getSpec().getPolicyRef().getName();
    } else if (source.getStoreRef() != null) {
      storeName = source.getStoreRef().getName();
    } else {
      BackupPolicy p = client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).get();
      if (p == null) {
        throw new RestoreProblem(
            "PolicyNotFound",
            "source.policyRef: BackupPolicy '"
                + policy
                + "' does not exist in"
                + " namespace "
                + ns
                + ": set source.storeRef to find its backups in a store",
            false);
      }
      storeName = p.getSpec().getStoreRef().getName();
    }
    if (storeName == null) {
      throw new RestoreProblem(
          "StoreNotFound",
          "cannot tell which BackupStore holds the backup: set source.storeRef",
          false);
    }
    BackupStore bs = client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
    if (bs == null) {
      throw new RestoreProblem(
          "StoreNotFound",
          "BackupStore '"
              + storeName
              + "' does not exist in namespace "
              + ns
              + ": apply it (or fix source.storeRef)",
          true);
    }
    S3Location s3 = bs.getSpec().getS3();
    Catalog.Backup backup;
    try {
      ObjectStore bucket = observer.store(s3);
      Catalog.Shelf shelf = Catalog.of(bucket);
      SigningKeys keys = new ManifestKeys(client, settings.clock()).forVerifying(ns, bs);
      BackupFinder finder = new BackupFinder(shelf, s3.getPrefix(), ns, keys);
      if (manifestKey != null) {
        String key = manifestKey;
        Optional<Catalog.Parsed> read = Catalog.readManifest(shelf, key, s3.getPrefix(), ns, keys);
        if (read.isEmpty()) {
          throw new RestoreProblem(
              "BackupNotFound",
              "the manifest "
                  + key
                  + " of BackupRun '"
                  + source.getBackupRunRef().getName()
                  + "' is not in the bucket any more (deleted by retention?):"
                  + " choose another backup",
              false);
        }
        Catalog.Parsed parsed = read.get();
        if (parsed.backup() == null) {
          throw new RestoreProblem(
              "ManifestInvalid", "manifest " + key + " " + parsed.problem(), false);
        }
        backup = parsed.backup();
      } else if (source.getBackupId() != null) {
        backup = finder.byId(policy, source.getBackupId());
      } else {
        Instant asOf;
        try {
          asOf = BackupFinder.parseAsOf(source.getAsOf(), settings.clock().instant());
        } catch (IllegalArgumentException e) {
          throw new RestoreProblem("InvalidAsOf", e.getMessage(), false);
        }
        backup = finder.asOf(policy, asOf);
      }
    } catch (StoreBuckets.CredentialsProblem e) {
      throw new RestoreProblem(
          e.reason(), "BackupStore '" + storeName + "': " + e.getMessage(), true);
    } catch (ManifestKeys.Problem e) {
      throw new RestoreProblem(
          e.reason(), "BackupStore '" + storeName + "': " + e.getMessage(), true);
    } catch (BackupFinder.NotFound e) {
      throw new RestoreProblem(e.reason(), e.getMessage(), false);
    } catch (IOException e) {
      throw new RestoreProblem(
          "StoreUnavailable",
          "cannot read BackupStore '" + storeName + "': " + e.getMessage(),
          true);
    }
    trusted(request, bs, backup).ifPresent(told::add);
    agentSecret(bs);
    return new Source(
        storeName,
        s3,
        backup,
        observer.credentials(backup.policy()),
        observer.tls(backup.policy()));
  }

  /**
   * The Secret the restore's Jobs mount for the bucket, when the store gives agents one of their
   * own.
   */
  private void agentSecret(BackupStore store) throws RestoreProblem {
    var ref = store.getSpec().getS3().getAgentCredentialsSecret();
    if (ref == null) {
      return;
    }
    String field =
        "BackupStore '" + store.getMetadata().getName() + "' spec.s3.agentCredentialsSecret";
    Secret secret = client.secrets().inNamespace(ns).withName(ref.getName()).get();
    if (secret == null) {
      throw new RestoreProblem(
          "SecretNotFound",
          field
              + " names Secret '"
              + ref.getName()
              + "', which does not exist in"
              + " namespace "
              + ns
              + ": create it with the keys accessKey and secretKey",
          true);
    }
    for (String key : List.of("accessKey", "secretKey")) {
      if (StoreBuckets.value(secret, key).isEmpty()) {
        throw new RestoreProblem(
            "SecretKeyMissing",
            "Secret '"
                + ref.getName()
                + "' ("
                + field
                + ") has no key '"
                + key
                + "' or it is empty: add it",
            true);
      }
    }
  }

  /**
   * Refuses a backup whose manifest the store's signing keys do not verify, unless
   * spec.allowUnsignedManifest says to restore it anyway: then the warning to tell at validation.
   */
  static Optional<Outcome.Notice> trusted(
      RestoreRequest request, BackupStore store, Catalog.Backup backup) throws RestoreProblem {
    SignatureCheck check = backup.signature();
    if (check.verified()) {
      return Optional.empty();
    }
    String message =
        check.refusal(
            backup.backupId(),
            backup.key(),
            "Secret '" + ManifestKeys.secretName(store) + "'",
            "spec.allowUnsignedManifest: true");
    if (!Boolean.TRUE.equals(request.getSpec().getAllowUnsignedManifest())) {
      throw new RestoreProblem(check.reason(), message, false);
    }
    return Optional.of(
        new Outcome.Notice(
            true,
            "ManifestNotVerified",
            "restoring although backup "
                + backup.backupId()
                + "'s"
                + " manifest "
                + check.detail()
                + " (spec.allowUnsignedManifest is true)"));
  }
}
