package io.osbackup.store;

import java.util.Locale;

/** How an artifact's bytes are compressed before they are hashed and uploaded. */
public enum Compression {
  GZIP("gzip", ".gz"),
  ZSTD("zstd", ".zst"),
  NONE("none", "");

  private final String value;
  private final String suffix;

  Compression(String value, String suffix) {
    this.value = value;
    this.suffix = suffix;
  }

  /** The name used in specs and manifests: {@code gzip}, {@code zstd} or {@code none}. */
  public String value() {
    return value;
  }

  /** The key suffix added after {@code .sql} or {@code .tar}: {@code .gz}, {@code .zst} or nothing. */
  public String suffix() {
    return suffix;
  }

  public static Compression of(String value) {
    if (value == null || value.isBlank()) {
      return GZIP;
    }
    for (Compression c : values()) {
      if (c.value.equals(value.toLowerCase(Locale.ROOT))) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown compression '" + value + "': use gzip, zstd or none");
  }
}
