package io.osbackup.operator.run;

import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.store.ObjectStore;
import java.io.IOException;

/** Opens a store's bucket in a namespace; production reads the store's Secret (StoreBuckets). */
@FunctionalInterface
interface BucketOpener {
  ObjectStore open(String namespace, S3Location s3) throws IOException;
}
