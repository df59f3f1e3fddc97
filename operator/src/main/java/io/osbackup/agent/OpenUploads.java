package io.osbackup.agent;

import io.osbackup.contract.Compression;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.store.ArtifactSink;
import io.osbackup.store.ArtifactUpload;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The artifact uploads the agent has open, so that a stopped pod (SIGTERM from a cancelled or
 * deadline-killed Job) can abort them and leave no multipart upload behind.
 */
final class OpenUploads implements ArtifactSink {

  private final ArtifactSink sink;
  private final Set<Tracked> open = ConcurrentHashMap.newKeySet();
  private volatile String stopped;

  OpenUploads(ArtifactSink sink) {
    this.sink = sink;
  }

  @Override
  public ArtifactUpload open(String key, Compression compression) throws IOException {
    return open(key, compression, 0);
  }

  @Override
  public ArtifactUpload open(String key, Compression compression, long expectedSize)
      throws IOException {
    refuseIfStopped(key);
    Tracked upload = new Tracked(sink.open(key, compression, expectedSize));
    open.add(upload);
    if (stopped != null) { // stopped meanwhile: abortAll may not have seen this one
      upload.abort(stopped);
      refuseIfStopped(key);
    }
    return upload;
  }

  /**
   * Aborts every upload still open and refuses new ones; returns how many were aborted. Safe to
   * call from another thread while uploads are being written.
   */
  int abortAll(String reason) {
    stopped = reason;
    int aborted = 0;
    for (Tracked upload : List.copyOf(open)) {
      upload.abort(reason);
      aborted++;
    }
    return aborted;
  }

  /** Why the uploads were aborted by {@link #abortAll}; null while the agent runs. */
  String stopped() {
    return stopped;
  }

  /** How many uploads are open now. */
  int size() {
    return open.size();
  }

  private void refuseIfStopped(String key) throws IOException {
    String reason = stopped;
    if (reason != null) {
      throw new IOException("artifact " + key + " not started: " + reason);
    }
  }

  /** One upload, forgotten once it is finished or aborted. */
  private final class Tracked implements ArtifactUpload {
    private final ArtifactUpload upload;

    Tracked(ArtifactUpload upload) {
      this.upload = upload;
    }

    @Override
    public OutputStream stream() {
      return upload.stream();
    }

    @Override
    public StoredArtifact finish() throws IOException {
      try {
        return upload.finish();
      } finally {
        open.remove(this);
      }
    }

    @Override
    public void abort(String reason) {
      try {
        upload.abort(reason);
      } finally {
        open.remove(this);
      }
    }

    @Override
    public void close() {
      try {
        upload.close();
      } finally {
        open.remove(this);
      }
    }
  }
}
