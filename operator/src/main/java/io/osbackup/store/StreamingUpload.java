package io.osbackup.store;

import io.minio.messages.Part;
import io.osbackup.contract.Compression;
import io.osbackup.contract.StoredArtifact;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One artifact on its way to the bucket: raw bytes → compressor → SHA-256 and byte count → a {@link
 * BoundedPipe} → a multipart upload running on its own thread, each part retried on its own. Holds
 * at most the pipe (1 MiB) and one part ({@link UploadLimits}: 32 to 128 MiB by default) in memory.
 */
final class StreamingUpload implements ArtifactUpload {

  private static final Logger LOG = LoggerFactory.getLogger(StreamingUpload.class);

  /** Bytes buffered between the compressor and the upload. */
  static final int PIPE_SIZE = 1 << 20;

  /** How long {@link #abort(String)} waits for the upload thread to give up and clean up. */
  private static final long ABORT_WAIT_SECONDS = 120;

  private enum State {
    OPEN,
    FINISHING,
    FINISHED,
    ABORTED
  }

  private final ObjectStore store;
  private final String key;
  private final Compression compression;
  private final BoundedPipe pipe = new BoundedPipe(PIPE_SIZE);
  private final MessageDigest sha256;
  private final CompletableFuture<Void> upload = new CompletableFuture<>();
  private final long firstPartSize;
  private final OutputStream compressor;
  private final OutputStream raw;
  private long storedBytes;
  private long rawBytes;
  private State state = State.OPEN;
  private StoredArtifact result;

  StreamingUpload(ObjectStore store, String key, Compression compression, long firstPartSize)
      throws IOException {
    this.store = store;
    this.firstPartSize = firstPartSize;
    this.key = key;
    this.compression = compression;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
    this.compressor = compressor(compression, new HashingSink(pipe.sink()));
    this.raw = new RawStream();
    Thread thread = new Thread(this::runUpload, "osbackup-upload " + key);
    thread.setDaemon(true);
    thread.start();
  }

  private static OutputStream compressor(Compression compression, OutputStream out)
      throws IOException {
    return switch (compression) {
      case GZIP -> new GZIPOutputStream(out, 64 * 1024);
      case ZSTD -> new ZstdCompressorOutputStream(out, 3);
      case NONE -> out;
    };
  }

  private static String contentType(Compression compression) {
    return switch (compression) {
      case GZIP -> "application/gzip";
      case ZSTD -> "application/zstd";
      case NONE -> "application/octet-stream";
    };
  }

  /**
   * Reads the pipe part by part and uploads each part, retried on its own ({@link
   * ObjectStore#uploadPart}). An artifact smaller than its first part is one plain PUT. Holds one
   * part in memory: {@link UploadLimits#maxPartSize()} at most.
   */
  private void runUpload() {
    InputStream source = pipe.source();
    String uploadId = null;
    String type = contentType(compression);
    try {
      byte[] part = new byte[(int) firstPartSize];
      int length = source.readNBytes(part, 0, part.length);
      if (length < part.length) {
        store.putBytes(key, part, length, type);
        upload.complete(null);
        return;
      }
      UploadLimits limits = store.limits();
      uploadId = store.createUpload(key, type);
      List<Part> parts = new ArrayList<>();
      for (int number = 1; ; number++) {
        parts.add(store.uploadPart(key, uploadId, number, part, length));
        if (length < part.length) {
          break;
        }
        if (number == limits.maxParts()) {
          if (source.read() < 0) {
            break;
          }
          throw new StoreException(
              StoreErrors.ARTIFACT_TOO_LARGE,
              "artifact "
                  + key
                  + " grew past the most the store at "
                  + store.endpoint()
                  + " takes in one upload: "
                  + limits.describe(firstPartSize),
              null);
        }
        long next = limits.partSize(number + 1, firstPartSize);
        if (next != part.length) {
          part = null; // the old part may go before the larger one is allocated
          part = new byte[(int) next];
        }
        length = source.readNBytes(part, 0, part.length);
        if (length == 0) {
          break;
        }
      }
      store.completeUpload(key, uploadId, parts);
      upload.complete(null);
    } catch (Throwable t) {
      StoreException failure = store.error(t);
      pipe.failReader(failure);
      if (uploadId != null) {
        try {
          store.abortUpload(key, uploadId);
        } catch (IOException | RuntimeException e) {
          LOG.warn("could not abort the multipart upload of {}: {}", key, e.getMessage());
        }
      }
      upload.completeExceptionally(failure);
    }
  }

  @Override
  public OutputStream stream() {
    return raw;
  }

  @Override
  public StoredArtifact finish() throws IOException {
    synchronized (this) {
      switch (state) {
        case FINISHED:
          return result;
        case ABORTED:
          throw new StoreException(
              StoreErrors.STORE_ERROR,
              "artifact " + key + " was aborted before it was finished",
              null);
        case FINISHING:
          throw new IllegalStateException("finish() is already running for " + key);
        default:
          state = State.FINISHING;
      }
    }
    try {
      compressor.close(); // writes the compressor's trailer, then the clean end of the pipe
    } catch (IOException e) {
      IOException failure = uploadFailureOr(e);
      abort(failure.getMessage());
      throw failure;
    }
    try {
      upload.get();
    } catch (ExecutionException e) {
      abort(e.getCause().getMessage());
      throw store.error(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort("interrupted while waiting for the upload");
      throw new InterruptedIOException("interrupted while waiting for the upload of " + key);
    }
    Optional<ObjectInfo> stored;
    try {
      stored = store.stat(key);
    } catch (IOException e) {
      abort("cannot check the stored object: " + e.getMessage());
      throw e;
    }
    if (stored.isEmpty() || stored.get().size() != storedBytes) {
      String message =
          "object "
              + key
              + " in bucket '"
              + store.bucket()
              + "' has "
              + stored.map(i -> i.size() + " bytes").orElse("disappeared")
              + " after the upload of "
              + storedBytes
              + " bytes";
      abort(message);
      throw new StoreException(StoreErrors.STORE_ERROR, message, null);
    }
    synchronized (this) {
      if (state == State.ABORTED) { // aborted from another thread meanwhile; abort() removed it
        throw new StoreException(
            StoreErrors.STORE_ERROR, "artifact " + key + " was aborted while finishing", null);
      }
      result =
          new StoredArtifact(
              key, storedBytes, rawBytes, HexFormat.of().formatHex(sha256.digest()), compression);
      state = State.FINISHED;
      return result;
    }
  }

  @Override
  public void abort(String reason) {
    synchronized (this) {
      if (state == State.FINISHED || state == State.ABORTED) {
        return;
      }
      state = State.ABORTED;
    }
    pipe.failWriter(new IOException("artifact " + key + " was aborted: " + reason));
    try {
      compressor.close(); // releases native compressor memory; the pipe refuses the bytes
    } catch (IOException | RuntimeException expected) {
      // the pipe is failed on purpose
    }
    boolean completed = false;
    try {
      upload.get(ABORT_WAIT_SECONDS, TimeUnit.SECONDS);
      completed = true; // the upload had already received the whole artifact
    } catch (ExecutionException e) {
      // minio aborts the multipart upload when the stream fails; checked below unless the store
      // cannot be used
      String why = store.error(e.getCause()).reason();
      if (StoreErrors.ACCESS_DENIED.equals(why)
          || StoreErrors.WRONG_REGION.equals(why)
          || StoreErrors.BUCKET_NOT_FOUND.equals(why)
          || StoreErrors.ENDPOINT_UNREACHABLE.equals(why)
          || StoreErrors.TLS_FAILED.equals(why)) {
        return; // nothing could have been started, or nothing can be cleaned up with these keys
      }
    } catch (TimeoutException e) {
      LOG.warn("upload of {} did not stop within {} s after abort", key, ABORT_WAIT_SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (completed) {
      // Agents hold credentials that need not delete (s3.agentCredentialsSecret): an object that
      // was stored whole
      // before the abort stays, with no manifest naming it, until the operator removes the failed
      // run's folder.
      LOG.info(
          "upload of {} had completed before the abort ({}); the operator removes it with the run",
          key,
          reason);
      return;
    }
    try {
      store.abortIncompleteUploads(key, true);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cleanup after aborting {} failed: {}", key, e.getMessage());
    }
  }

  @Override
  public void close() {
    abort("closed before finish()");
  }

  /**
   * The store's error if the upload has failed (it explains better why a write failed), else {@code
   * e}.
   */
  private IOException uploadFailureOr(IOException e) {
    if (upload.isCompletedExceptionally()) {
      try {
        upload.join();
      } catch (RuntimeException failed) {
        StoreException storeError = store.error(failed);
        if (storeError != e) {
          storeError.addSuppressed(e);
        }
        return storeError;
      }
    }
    return e;
  }

  /** The caller's stream: counts raw bytes; closing it does not finish the artifact. */
  private final class RawStream extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      synchronized (StreamingUpload.this) {
        if (state != State.OPEN) {
          throw new IOException("artifact " + key + " is " + state.name().toLowerCase());
        }
      }
      try {
        compressor.write(b, off, len);
      } catch (IOException e) {
        throw uploadFailureOr(e);
      }
      rawBytes += len;
    }

    @Override
    public void flush() {
      // a flush would cut compression blocks short; finish() flushes everything
    }

    @Override
    public void close() {
      // see ArtifactUpload#stream(): closing does not finish the upload
    }
  }

  /** Hashes and counts the stored (compressed) bytes on their way into the pipe. */
  private final class HashingSink extends FilterOutputStream {
    HashingSink(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      sha256.update(b, off, len);
      storedBytes += len;
    }

    @Override
    public void flush() {}
  }
}
