package io.osbackup.plan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Deterministic Job names: {@code <run>-db-<target>} and {@code <run>-files-<target>-<node>},
 * shortened with a hash when longer than the 63 characters a Job name may have (its pods carry it
 * as a label value).
 */
public final class JobNames {

  static final int MAX = 63;

  private JobNames() {}

  public static String database(String run, String target) {
    return fit(run + "-db-" + target);
  }

  public static String files(String run, String target, String node) {
    return fit(run + "-files-" + target + "-" + node);
  }

  /**
   * A label value for {@code value}: itself when it fits the 63 characters a label value may have,
   * else its first 54 characters and a hash, so a long run or node name never makes the API server
   * refuse a Job.
   */
  public static String labelValue(String value) {
    if (value.length() <= MAX) {
      return value;
    }
    String head = value.substring(0, MAX - 9).replaceAll("[^A-Za-z0-9]+$", "");
    return head + "-" + hash(value).substring(0, 8);
  }

  static String fit(String wanted) {
    String name = wanted.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    if (name.length() <= MAX && !name.endsWith("-")) {
      return name;
    }
    String hash = hash(wanted).substring(0, 8);
    String head = name.substring(0, Math.min(name.length(), MAX - hash.length() - 1));
    head = head.replaceAll("-+$", "");
    return head + "-" + hash;
  }

  /** Hex SHA-256 of {@code value}. */
  static String hash(String value) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
