package io.osbackup.agent;

import io.osbackup.store.ArtifactSink;
import java.io.IOException;

/**
 * The bucket as the agent sees it: artifacts go in through {@link ArtifactSink}, the Job report
 * through {@link #putJson}. {@code io.osbackup.store.ObjectStore} provides both.
 */
public interface Bucket extends ArtifactSink {

  /** Writes {@code value} as a JSON object under {@code key}, replacing what was there. */
  void putJson(String key, Object value) throws IOException;

  /** Releases the connection. */
  default void close() {}
}
