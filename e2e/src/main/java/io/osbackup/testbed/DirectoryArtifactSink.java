package io.osbackup.testbed;

import io.osbackup.contract.Compression;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.store.ArtifactSink;
import io.osbackup.store.ArtifactUpload;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/**
 * An {@link ArtifactSink} writing each artifact to {@code <root>/<key>} (via a {@code .part} file
 * renamed on finish, deleted on abort), for tests and local runs without S3. Records what happened
 * to each upload.
 */
public final class DirectoryArtifactSink implements ArtifactSink {

  /**
   * What happened to one key: {@code OPENED}, then {@code FINISHED} or {@code ABORTED} (with the
   * reason).
   */
  public record Event(String kind, String key, String reason) {}

  private final Path root;
  private final List<Event> events = new ArrayList<>();
  private int open;
  private int maxOpen;

  public DirectoryArtifactSink(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  public Path file(String key) {
    return root.resolve(key);
  }

  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  public synchronized List<String> keys(String kind) {
    return events.stream().filter(e -> e.kind().equals(kind)).map(Event::key).toList();
  }

  /** The largest number of uploads that were open at the same time. */
  public synchronized int maxOpenAtOnce() {
    return maxOpen;
  }

  private synchronized void record(String kind, String key, String reason) {
    events.add(new Event(kind, key, reason));
    if (kind.equals("OPENED")) {
      maxOpen = Math.max(maxOpen, ++open);
    } else {
      open--;
    }
  }

  @Override
  public ArtifactUpload open(String key, Compression compression) throws IOException {
    Path target = root.resolve(key).normalize();
    if (!target.startsWith(root)) {
      throw new IOException("key escapes the sink directory: " + key);
    }
    Files.createDirectories(target.getParent());
    Path part = target.resolveSibling(target.getFileName() + ".part");
    record("OPENED", key, null);
    return new Upload(key, compression, target, part);
  }

  private final class Upload implements ArtifactUpload {
    private final String key;
    private final Compression compression;
    private final Path target;
    private final Path part;
    private final MessageDigest digest;
    private final CountingStream stored;
    private final CountingStream raw;
    private final OutputStream compressor;
    private boolean done;

    Upload(String key, Compression compression, Path target, Path part) throws IOException {
      this.key = key;
      this.compression = compression;
      this.target = target;
      this.part = part;
      try {
        digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      stored =
          new CountingStream(
              new DigestOutputStream(
                  new BufferedOutputStream(Files.newOutputStream(part)), digest));
      compressor =
          switch (compression) {
            case GZIP -> new GZIPOutputStream(stored, 64 * 1024);
            case ZSTD -> new ZstdCompressorOutputStream(stored);
            case NONE -> stored;
          };
      raw = new CountingStream(compressor);
    }

    @Override
    public OutputStream stream() {
      return new FilterOutputStream(raw) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          flush(); // closing does not finish the upload
        }
      };
    }

    @Override
    public StoredArtifact finish() throws IOException {
      if (done) {
        throw new IOException(key + " is already finished or aborted");
      }
      try {
        raw.close();
        Files.move(
            part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        abort(e.getMessage());
        throw e;
      }
      done = true;
      record("FINISHED", key, null);
      return new StoredArtifact(
          key, stored.count, raw.count, HexFormat.of().formatHex(digest.digest()), compression);
    }

    @Override
    public void abort(String reason) {
      if (done) {
        return;
      }
      done = true;
      try {
        raw.close();
      } catch (IOException e) {
        // discarded anyway
      }
      try {
        Files.deleteIfExists(part);
      } catch (IOException e) {
        // a leftover .part file is never mistaken for an artifact
      }
      record("ABORTED", key, reason);
    }

    @Override
    public void close() {
      abort("closed before finish");
    }
  }

  /** Counts the bytes passing through. */
  private static final class CountingStream extends FilterOutputStream {
    long count;

    CountingStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
