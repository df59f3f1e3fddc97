package io.osbackup.store;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Random;

/** Pseudo-random artifact content for the store ITs: the same bytes for the same seed. */
final class RandomBytes {
  private RandomBytes() {}

  /**
   * Writes {@code size} pseudo-random bytes in 1 MiB chunks, hashing them if {@code digest} is
   * given.
   */
  static void write(OutputStream out, long size, long seed, MessageDigest digest)
      throws IOException {
    Random random = new Random(seed);
    byte[] chunk = new byte[1 << 20];
    for (long done = 0; done < size; done += chunk.length) {
      random.nextBytes(chunk);
      int n = (int) Math.min(chunk.length, size - done);
      out.write(chunk, 0, n);
      if (digest != null) {
        digest.update(chunk, 0, n);
      }
    }
  }
}
