package io.osbackup.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Json;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.store.ArtifactUpload;
import io.osbackup.store.Bucket;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/**
 * A bucket in memory for tests: compresses like the real store, keeps finished objects and aborted
 * keys.
 */
public final class MemoryBucket implements Bucket {

  public boolean closed;

  public final Map<String, byte[]> objects = new LinkedHashMap<>();
  public final Map<String, String> aborted = new LinkedHashMap<>();

  @Override
  public ArtifactUpload open(String key, Compression compression) {
    return new Upload(key, compression);
  }

  @Override
  public void putJson(String key, Object value) throws IOException {
    objects.put(key, Json.MAPPER.writeValueAsBytes(value));
  }

  @Override
  public void close() {
    closed = true;
  }

  public JsonNode json(String key) throws IOException {
    byte[] bytes = objects.get(key);
    if (bytes == null) {
      throw new AssertionError("no object " + key + "; have " + objects.keySet());
    }
    return Json.MAPPER.readTree(bytes);
  }

  /** One upload: raw bytes are buffered and compressed on finish. */
  @Override
  public InputStream download(String key) throws IOException {
    byte[] bytes = objects.get(key);
    if (bytes == null) {
      throw new IOException("no object " + key);
    }
    return new ByteArrayInputStream(bytes);
  }

  private final class Upload implements ArtifactUpload {
    private final String key;
    private final Compression compression;
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private boolean done;

    Upload(String key, Compression compression) {
      this.key = key;
      this.compression = compression;
    }

    @Override
    public OutputStream stream() {
      return raw;
    }

    @Override
    public StoredArtifact finish() throws IOException {
      if (done) {
        throw new IOException("upload " + key + " already ended");
      }
      done = true;
      ByteArrayOutputStream stored = new ByteArrayOutputStream();
      try (OutputStream out = compressor(stored)) {
        raw.writeTo(out);
      }
      byte[] bytes = stored.toByteArray();
      objects.put(key, bytes);
      return new StoredArtifact(key, bytes.length, raw.size(), sha256(bytes), compression);
    }

    private OutputStream compressor(OutputStream out) throws IOException {
      return switch (compression) {
        case GZIP -> new GZIPOutputStream(out);
        case ZSTD -> new ZstdCompressorOutputStream(out);
        case NONE -> out;
      };
    }

    @Override
    public void abort(String reason) {
      if (!done) {
        done = true;
        aborted.put(key, reason);
      }
    }

    @Override
    public void close() {
      abort("closed before finish");
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
