package io.osbackup.contract;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

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

  /**
   * The key suffix added after {@code .sql} or {@code .tar}: {@code .gz}, {@code .zst} or nothing.
   */
  public String suffix() {
    return suffix;
  }

  /** The uncompressed bytes of {@code stored}; closing the result closes {@code stored}. */
  public InputStream decompress(InputStream stored) throws IOException {
    return switch (this) {
      case GZIP -> new GZIPInputStream(stored, 64 * 1024);
      case ZSTD -> new ZstdCompressorInputStream(new BufferedInputStream(stored, 64 * 1024));
      case NONE -> stored;
    };
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
