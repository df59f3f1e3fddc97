package io.osbackup.agent;

import io.osbackup.plan.AgentPlan;
import java.io.IOException;

/** Opens the bucket a plan names, with the credentials read from its Secret. */
@FunctionalInterface
public interface StoreConnector {

  /** Connects to {@code store}; fails when the endpoint or bucket cannot be reached. */
  Bucket connect(AgentPlan.Store store, StoreCredentials credentials) throws IOException;

  /** The real S3 store. */
  static StoreConnector objectStore() {
    // MERGE: wire to the S3 client here, e.g.
    //   return (store, credentials) -> {
    //     ObjectStore s3 = ObjectStore.connect(store.endpoint(), store.region(),
    //         store.forcePathStyle(), store.bucket(),
    //         new Credentials(credentials.accessKey(), credentials.secretKey()));
    //     return new Bucket() {...}; // open -> s3.open, putJson -> s3.putJson
    //   };
    // or let ObjectStore implement Bucket and return it directly.
    return (store, credentials) -> {
      throw new IOException(
          "the S3 store is not wired into this build (StoreConnector.objectStore)");
    };
  }
}
