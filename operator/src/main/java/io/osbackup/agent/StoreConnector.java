package io.osbackup.agent;

import io.osbackup.plan.AgentPlan;
import io.osbackup.store.Bucket;
import io.osbackup.store.Credentials;
import io.osbackup.store.ObjectStore;
import java.io.IOException;

/** Opens the bucket a plan names, with the credentials read from its Secret. */
@FunctionalInterface
public interface StoreConnector {

  /** Connects to {@code store}; fails when the endpoint or bucket cannot be reached. */
  Bucket connect(AgentPlan.Store store, Credentials credentials) throws IOException;

  /** The real S3 store. */
  static StoreConnector objectStore() {
    return (store, credentials) ->
        ObjectStore.connect(
            store.endpoint(), store.region(), store.forcePathStyle(), store.bucket(), credentials);
  }
}
