package io.osbackup.operator.store;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.catalog.Catalog;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.operator.store.StoreObservation.Answer;
import io.osbackup.operator.store.StoreObservation.CatalogRead;
import io.osbackup.operator.store.StoreObservation.Probe;
import io.osbackup.operator.store.StoreObservation.SigningKey;
import io.osbackup.store.ObjectStore;
import io.osbackup.store.ProbeResult;
import io.osbackup.store.StoreException;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Looks at a store: probes its bucket with the credentials of its Secret, compares its folder with
 * the other stores', reads the backups under its folder and the namespace's runs when it may be
 * used, and reads its signing Secret (creating it when the store names none and it is missing).
 */
final class StoreObserver {

  private final BucketOpener buckets;
  private final String clusterId;
  private final Clock clock;

  StoreObserver(BucketOpener buckets, String clusterId, Clock clock) {
    this.buckets = buckets;
    this.clusterId = clusterId;
    this.clock = clock;
  }

  StoreObservation observe(
      BackupStore store, List<BackupStore> all, KubernetesClient client, Set<String> told) {
    String ns = store.getMetadata().getNamespace();
    var s3 = store.getSpec().getS3();
    Optional<String> overlap = StoreOverlap.overlap(store, all);
    Probe probe;
    Optional<CatalogRead> catalog = Optional.empty();
    try (ObjectStore bucket = buckets.open(ns, s3)) {
      ProbeResult answer = bucket.probe(s3.getPrefix());
      if (answer.ok()) {
        probe = Probe.reachable();
        if (overlap.isEmpty()) {
          catalog = Optional.of(readCatalog(store, bucket, client));
        }
      } else {
        probe = new Probe(Answer.REFUSED, answer.reason(), answer.message());
      }
    } catch (StoreBuckets.CredentialsProblem e) {
      probe = new Probe(Answer.CREDENTIALS, e.reason(), e.getMessage());
    } catch (Exception e) {
      probe =
          new Probe(
              Answer.FAILED,
              "ProbeFailed",
              "probing bucket "
                  + s3.getBucket()
                  + " at "
                  + s3.getEndpoint()
                  + " failed: "
                  + e.getMessage());
      catalog = Optional.empty();
    }
    return new StoreObservation(probe, overlap, catalog, signingKey(store, client), told);
  }

  /**
   * The manifests under the store's namespace folder and the namespace's runs; a failed listing
   * says why.
   */
  private CatalogRead readCatalog(BackupStore store, ObjectStore bucket, KubernetesClient client) {
    String ns = store.getMetadata().getNamespace();
    String prefix = store.getSpec().getS3().getPrefix();
    try {
      Owner us =
          new Owner(clusterId, ns, store.getMetadata().getName(), store.getMetadata().getUid());
      Catalog.Listing listing =
          new Catalog(Catalog.of(bucket), new ManifestKeys(client, clock).forVerifying(ns, store))
              .read(prefix, ns, us);
      List<BackupRun> runs = client.resources(BackupRun.class).inNamespace(ns).list().getItems();
      return CatalogRead.read(listing, runs);
    } catch (IOException | KubernetesClientException e) {
      return CatalogRead.failed(
          e instanceof StoreException se ? se.reason() : "CatalogSyncFailed",
          "could not read the backups under "
              + Catalog.namespaceFolder(prefix, ns)
              + ", nothing was created: "
              + e.getMessage());
    }
  }

  private SigningKey signingKey(BackupStore store, KubernetesClient client) {
    String secret = ManifestKeys.secretName(store);
    try {
      ManifestKeys.Keys keys = new ManifestKeys(client, clock).forSigning(store);
      return new SigningKey(
          secret,
          true,
          keys.created(),
          keys.keys().primary(),
          keys.keys().ids().size(),
          null,
          null);
    } catch (ManifestKeys.Problem e) {
      return new SigningKey(secret, false, false, null, 0, e.reason(), e.getMessage());
    }
  }
}
