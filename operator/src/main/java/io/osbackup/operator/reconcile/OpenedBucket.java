package io.osbackup.operator.reconcile;

import io.osbackup.store.ObjectStore;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store's bucket opened on first use within one reconciliation and closed at its end: the
 * observers and steps of a resource share one S3 client per reconciliation instead of one per read.
 */
public final class OpenedBucket implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OpenedBucket.class);

  /** Opens the bucket; called at most once until {@link #close()}. */
  @FunctionalInterface
  public interface Opening {
    ObjectStore open() throws IOException;
  }

  private ObjectStore store;

  /** The bucket, opened with {@code opening} if this is its first use. */
  public ObjectStore get(Opening opening) throws IOException {
    if (store == null) {
      store = opening.open();
    }
    return store;
  }

  /** Closes the bucket's client if it was opened; a failure to close is only logged. */
  @Override
  public void close() {
    if (store != null) {
      try {
        store.close();
      } catch (Exception e) {
        LOG.debug("closing store client", e);
      }
      store = null;
    }
  }
}
