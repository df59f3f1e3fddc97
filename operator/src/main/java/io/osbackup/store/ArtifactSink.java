package io.osbackup.store;

import io.osbackup.contract.Compression;
import java.io.IOException;

/**
 * Where the agent writes artifacts: each one is compressed, hashed and uploaded as it is written,
 * so no artifact is ever held whole in memory or on disk.
 */
public interface ArtifactSink {

  /**
   * Starts a new artifact under {@code key} (a full object key, suffix included). The caller writes
   * the raw bytes to {@link ArtifactUpload#stream()} and then calls {@link ArtifactUpload#finish()}
   * or {@link ArtifactUpload#abort(String)}.
   */
  ArtifactUpload open(String key, Compression compression) throws IOException;

  /**
   * Starts a new artifact expected to be stored in about {@code expectedSize} bytes (0 or less:
   * unknown), so the upload can be sized for it; an expected size the store cannot take fails here,
   * before anything is written. Sinks without a size limit ignore it.
   */
  default ArtifactUpload open(String key, Compression compression, long expectedSize)
      throws IOException {
    return open(key, compression);
  }
}
