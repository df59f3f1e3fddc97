package io.osbackup.operator.restore;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.store.ObjectStore;
import java.io.IOException;

/**
 * Opens the bucket of a store for a restore; {@link #ofStores()} reads the store's Secret through
 * {@link StoreBuckets}, a test gives an in-memory bucket.
 */
@FunctionalInterface
interface RestoreBuckets {

  ObjectStore open(KubernetesClient client, String namespace, S3Location s3) throws IOException;

  /** The bucket a store's spec.s3 and its credentials Secret name. */
  static RestoreBuckets ofStores() {
    return (client, namespace, s3) -> new StoreBuckets(client).connect(namespace, s3);
  }
}
