package io.osbackup.store;

import java.io.IOException;

/**
 * The bucket as the agent writes to it: artifacts go in through {@link ArtifactSink}, the Job
 * report through {@link #putJson}. {@link ObjectStore} is the real one.
 */
public interface Bucket extends ArtifactSink, AutoCloseable {

  /**
   * Writes {@code value} as a JSON document ({@link Json#MAPPER}) under {@code key}, replacing it.
   */
  void putJson(String key, Object value) throws IOException;

  /** Releases the connection. */
  @Override
  void close();
}
