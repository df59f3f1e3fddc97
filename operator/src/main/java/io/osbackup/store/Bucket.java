package io.osbackup.store;

import io.osbackup.contract.Json;
import java.io.IOException;
import java.io.InputStream;

/**
 * The bucket as the agent writes to it: artifacts go in through {@link ArtifactSink}, the Job
 * report through {@link #putJson}. {@link ObjectStore} is the real one.
 */
public interface Bucket extends ArtifactSink, AutoCloseable {

  /**
   * Writes {@code value} as a JSON document ({@link Json#MAPPER}) under {@code key}, replacing it.
   */
  void putJson(String key, Object value) throws IOException;

  /**
   * The stored bytes of {@code key}, as they are in the bucket (still compressed); the caller
   * closes the stream. A missing object fails with a {@link StoreException} of reason {@link
   * StoreErrors#OBJECT_NOT_FOUND}.
   */
  InputStream download(String key) throws IOException;

  /** Releases the connection. */
  @Override
  void close();
}
