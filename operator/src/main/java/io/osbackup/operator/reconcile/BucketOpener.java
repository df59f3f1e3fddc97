package io.osbackup.operator.reconcile;

import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.store.ObjectStore;

/**
 * Opens a store's bucket with the credentials of its Secret; {@link StoreBuckets#connect} in
 * production, an in-memory bucket in tests.
 */
@FunctionalInterface
public interface BucketOpener {

  /** The bucket of {@code s3}, read with the credentials its Secret in {@code namespace} holds. */
  ObjectStore open(String namespace, S3Location s3) throws StoreBuckets.CredentialsProblem;
}
