package io.osbackup.agent;

import io.osbackup.contract.BackupPlan;
import io.osbackup.store.Bucket;
import io.osbackup.store.Credentials;
import io.osbackup.store.ObjectStore;
import io.osbackup.store.TrustedCas;
import io.osbackup.store.UploadLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the bucket a plan names, with the credentials read from its Secret. */
@FunctionalInterface
public interface BucketConnector {

  /** Connects to {@code store}; fails when the endpoint or bucket cannot be reached. */
  Bucket connect(BackupPlan.Store store, Credentials credentials) throws IOException;

  /** The real S3 store. */
  static BucketConnector objectStore() {
    return (store, credentials) -> {
      byte[] caBundle = null;
      if (store.caBundleFile() != null) {
        Path file = Path.of(store.caBundleFile());
        try {
          caBundle = Files.readAllBytes(file);
          TrustedCas.fromPem(caBundle);
        } catch (IOException | IllegalArgumentException e) {
          throw new IOException(
              "cannot read the store's CA bundle (spec.s3.caBundle) mounted at "
                  + file
                  + ": "
                  + e.getMessage(),
              e);
        }
      }
      UploadLimits limits =
          store.maxUploadParts() == null
              ? UploadLimits.DEFAULT
              : UploadLimits.DEFAULT.withMaxParts(store.maxUploadParts());
      return ObjectStore.connect(
          store.endpoint(),
          store.region(),
          store.forcePathStyle(),
          store.bucket(),
          credentials,
          caBundle,
          limits);
    };
  }
}
