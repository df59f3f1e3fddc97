package io.osbackup.store;

import io.osbackup.contract.StoredArtifact;
import java.io.IOException;
import java.io.OutputStream;

/** One artifact being written: raw bytes in, compressed, hashed and uploaded bytes out. */
public interface ArtifactUpload extends AutoCloseable {

  /**
   * The raw (uncompressed) bytes of the artifact go here. Closing it does not finish the upload.
   */
  OutputStream stream();

  /**
   * Flushes the compressor, completes the upload, checks the stored object's size and returns what
   * was stored. On any error the upload is aborted (nothing stays in the bucket) and the error is
   * thrown.
   */
  StoredArtifact finish() throws IOException;

  /**
   * Abandons the artifact: the multipart upload is aborted, nothing stays in the bucket. Safe to
   * call twice.
   */
  void abort(String reason);

  /** Aborts unless {@link #finish()} has completed. */
  @Override
  void close();
}
