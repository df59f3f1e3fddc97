package io.osbackup.store;

import java.io.IOException;

/**
 * Where the agent writes artifacts: each one is compressed, hashed and uploaded as it is written, so no artifact is
 * ever held whole in memory or on disk.
 */
public interface ArtifactSink {

  /**
   * Starts a new artifact under {@code key} (a full object key, suffix included). The caller writes the raw bytes to
   * {@link ArtifactUpload#stream()} and then calls {@link ArtifactUpload#finish()} or {@link
   * ArtifactUpload#abort(String)}.
   */
  ArtifactUpload open(String key, Compression compression) throws IOException;
}
