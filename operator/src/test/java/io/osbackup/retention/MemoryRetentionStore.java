package io.osbackup.retention;

import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.StoreErrors;
import io.osbackup.store.StoreException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * A bucket in memory that records every request retention makes and fails the ones a test picks.
 */
final class MemoryRetentionStore implements RetentionStore {

  final Map<String, ObjectInfo> objects = new TreeMap<>();
  final Map<String, Manifest> manifests = new TreeMap<>();
  final Map<String, Owner.Marker> markers = new TreeMap<>();
  final TreeSet<String> uploads = new TreeSet<>();

  /** Every request, e.g. {@code list p/}, {@code get k}, {@code delete k1,k2}, {@code abort p/}. */
  final List<String> requests = new ArrayList<>();

  Predicate<String> failList = p -> false;
  Predicate<String> failRead = k -> false;
  Predicate<String> failDelete = k -> false;

  void put(String key, long size, Instant written) {
    objects.put(key, new ObjectInfo(key, size, "etag", written));
  }

  void putManifest(String key, Manifest manifest, Instant written) {
    put(key, 1000, written);
    manifests.put(key, manifest);
  }

  @Override
  public List<ObjectInfo> list(String prefix) throws IOException {
    requests.add("list " + prefix);
    if (failList.test(prefix)) {
      throw new StoreException(StoreErrors.ACCESS_DENIED, "access denied listing " + prefix, null);
    }
    return objects.values().stream().filter(o -> o.key().startsWith(prefix)).toList();
  }

  @Override
  public Optional<Manifest> manifest(String key) throws IOException {
    requests.add("get " + key);
    if (failRead.test(key)) {
      throw new StoreException(StoreErrors.STORE_ERROR, key + " is not a valid Manifest", null);
    }
    return Optional.ofNullable(objects.containsKey(key) ? manifests.get(key) : null);
  }

  void putMarker(String key, Owner.Marker marker, Instant written) {
    put(key, 200, written);
    markers.put(key, marker);
  }

  @Override
  public Optional<Owner.Marker> marker(String key) throws IOException {
    requests.add("get " + key);
    if (failRead.test(key)) {
      throw new StoreException(StoreErrors.STORE_ERROR, key + " is not a valid marker", null);
    }
    return Optional.ofNullable(objects.containsKey(key) ? markers.get(key) : null);
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    if (keys.isEmpty()) {
      return;
    }
    requests.add("delete " + String.join(",", keys));
    for (String key : keys) {
      if (failDelete.test(key)) {
        throw new StoreException(StoreErrors.STORE_ERROR, "could not delete " + key, null);
      }
    }
    keys.forEach(objects::remove);
  }

  @Override
  public List<String> incompleteUploads(String prefix) {
    requests.add("uploads " + prefix);
    return uploads.stream().filter(k -> k.startsWith(prefix)).toList();
  }

  @Override
  public int abortIncompleteUploads(String prefix) {
    requests.add("abort " + prefix);
    List<String> gone = uploads.stream().filter(k -> k.startsWith(prefix)).toList();
    uploads.removeAll(gone);
    return gone.size();
  }

  /** Requests that deleted something. */
  List<String> deletes() {
    return requests.stream().filter(r -> r.startsWith("delete ")).toList();
  }
}
