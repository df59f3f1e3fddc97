package io.osbackup.store;

import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** STUB, replaced by the real S3 client at merge. */
public class ObjectStore implements ArtifactSink, AutoCloseable {
  public static ObjectStore connect(
      String endpoint, String region, boolean forcePathStyle, String bucket, Credentials credentials) {
    throw new UnsupportedOperationException();
  }

  public ProbeResult probe(String prefix) {
    throw new UnsupportedOperationException();
  }

  public void putJson(String key, Object value) {}

  public <T> Optional<T> getJson(String key, Class<T> type) {
    return Optional.empty();
  }

  public Optional<ObjectInfo> stat(String key) {
    return Optional.empty();
  }

  public List<ObjectInfo> list(String prefix) {
    return List.of();
  }

  public void delete(Collection<String> keys) {}

  public List<String> incompleteUploads(String prefix) {
    return List.of();
  }

  public int abortIncompleteUploads(String prefix) {
    return 0;
  }

  public InputStream download(String key) {
    return null;
  }

  @Override
  public ArtifactUpload open(String key, Compression compression) {
    return null;
  }

  @Override
  public void close() {}
}
