package io.osbackup.agent.restore.db;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The name of a schema a restore works with beside a database, {@code <database>_<suffix>}, kept
 * within MariaDB's 64-character limit.
 */
final class SchemaName {

  /** The longest schema name MariaDB accepts, in characters. */
  static final int MAX_LENGTH = 64;

  private static final int HASH_LENGTH = 8;

  private SchemaName() {}

  /**
   * {@code <database>_<suffix>}; when that is longer than {@value #MAX_LENGTH} characters, the
   * database name is cut and followed by the first 8 hex digits of the SHA-256 of the full name, so
   * the result is the same every time and distinct for distinct databases: {@code
   * <database-prefix>_<hash>_<suffix>}. A suffix too long for that is cut too.
   */
  static String of(String database, String suffix) {
    String full = database + "_" + suffix;
    if (length(full) <= MAX_LENGTH) {
      return full;
    }
    String hash = hash(full);
    int room = MAX_LENGTH - HASH_LENGTH - 2 - length(suffix);
    if (room >= 1) {
      return prefix(database, room) + "_" + hash + "_" + suffix;
    }
    return prefix(full, MAX_LENGTH - HASH_LENGTH - 1) + "_" + hash;
  }

  private static int length(String s) {
    return s.codePointCount(0, s.length());
  }

  /** The first {@code codePoints} characters, never splitting a surrogate pair. */
  private static String prefix(String s, int codePoints) {
    return s.substring(0, s.offsetByCodePoints(0, Math.min(codePoints, length(s))));
  }

  private static String hash(String s) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, HASH_LENGTH);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
