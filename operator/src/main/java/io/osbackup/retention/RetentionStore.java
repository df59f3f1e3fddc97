package io.osbackup.retention;

import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The object-store requests a {@link RetentionPass} makes, and nothing more; {@link #of} is the
 * real bucket, tests record or break the requests.
 */
public interface RetentionStore {

  /** Every object under {@code prefix}, in one paginated listing. */
  List<ObjectInfo> list(String prefix) throws IOException;

  /** The manifest at {@code key}; empty if it is not there. */
  Optional<Manifest> manifest(String key) throws IOException;

  /** The owner marker at {@code key}; empty if it is not there. */
  Optional<Owner.Marker> marker(String key) throws IOException;

  /** Deletes the objects; throws if any could not be deleted. */
  void delete(Collection<String> keys) throws IOException;

  /** Keys of the multipart uploads under {@code prefix} neither completed nor aborted. */
  List<String> incompleteUploads(String prefix) throws IOException;

  /** Aborts the incomplete multipart uploads under {@code prefix}; returns how many. */
  int abortIncompleteUploads(String prefix) throws IOException;

  /** The bucket itself. */
  static RetentionStore of(ObjectStore store) {
    return new RetentionStore() {
      @Override
      public List<ObjectInfo> list(String prefix) throws IOException {
        return store.list(prefix);
      }

      @Override
      public Optional<Manifest> manifest(String key) throws IOException {
        return store.getJson(key, Manifest.class);
      }

      @Override
      public Optional<Owner.Marker> marker(String key) throws IOException {
        return store.getJson(key, Owner.Marker.class);
      }

      @Override
      public void delete(Collection<String> keys) throws IOException {
        store.delete(keys);
      }

      @Override
      public List<String> incompleteUploads(String prefix) throws IOException {
        return store.incompleteUploads(prefix);
      }

      @Override
      public int abortIncompleteUploads(String prefix) throws IOException {
        return store.abortIncompleteUploads(prefix);
      }

      @Override
      public String toString() {
        return store.toString();
      }
    };
  }
}
