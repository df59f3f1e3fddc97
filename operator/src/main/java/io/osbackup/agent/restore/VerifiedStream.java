package io.osbackup.agent.restore;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The stored bytes of one artifact as they come from the bucket, hashed while they are read. {@link
 * #verify()} reads whatever the consumer left unread and then compares size and SHA-256 with the
 * manifest: a restore calls it after writing to its staging place and before switching anything
 * over, so a corrupted or truncated object never replaces good data.
 */
public final class VerifiedStream extends FilterInputStream {

  private final String key;
  private final String expectedSha256;
  private final long expectedSize;
  private final MessageDigest digest;
  private long count;

  /**
   * @param key the artifact's object key, named in the error
   * @param expectedSha256 lower-case hex SHA-256 of the stored (compressed) bytes, from the
   *     manifest
   * @param expectedSize size in bytes of the stored object, from the manifest
   */
  public VerifiedStream(InputStream stored, String key, String expectedSha256, long expectedSize) {
    super(stored);
    this.key = key;
    this.expectedSha256 = expectedSha256;
    this.expectedSize = expectedSize;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      digest.update((byte) b);
      count++;
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    if (n > 0) {
      digest.update(buf, off, n);
      count += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(n, 64 * 1024)];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int limit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  /** Bytes read so far. */
  public long count() {
    return count;
  }

  /**
   * Reads the rest of the object and checks it against the manifest.
   *
   * @throws ArtifactMismatchException when size or SHA-256 differ
   */
  public void verify() throws IOException {
    byte[] buf = new byte[64 * 1024];
    while (read(buf, 0, buf.length) >= 0) {
      // drain: the hash covers the whole object
    }
    String actual = HexFormat.of().formatHex(digest.digest());
    if (count != expectedSize || !actual.equalsIgnoreCase(expectedSha256)) {
      throw new ArtifactMismatchException(key, expectedSize, expectedSha256, count, actual);
    }
  }
}
