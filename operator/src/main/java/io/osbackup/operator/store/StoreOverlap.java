package io.osbackup.operator.store;

import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.S3Location;
import java.util.List;
import java.util.Optional;

/**
 * Whether a store's folder overlaps another store's in the same bucket: the two would count, import
 * and prune each other's backups. Pure.
 */
final class StoreOverlap {

  private StoreOverlap() {}

  /**
   * Why {@code store} may not be used, if another BackupStore writes to the same endpoint and
   * bucket and one's folder {@code <prefix>/<namespace>} is the other's or lies inside it (by whole
   * path segments). Of two such stores, the one created later (by name on a tie) is refused; the
   * older one keeps working.
   */
  static Optional<String> overlap(BackupStore store, List<BackupStore> all) {
    String mine = folder(store);
    for (BackupStore other : all) {
      if (other.getMetadata().getUid() != null
              && other.getMetadata().getUid().equals(store.getMetadata().getUid())
          || (other.getMetadata().getName().equals(store.getMetadata().getName())
              && other.getMetadata().getNamespace().equals(store.getMetadata().getNamespace()))) {
        continue;
      }
      if (other.getSpec() == null
          || other.getSpec().getS3() == null
          || !sameBucket(store.getSpec().getS3(), other.getSpec().getS3())) {
        continue;
      }
      String theirs = folder(other);
      boolean overlaps =
          mine.equals(theirs) || mine.startsWith(theirs + "/") || theirs.startsWith(mine + "/");
      if (!overlaps || !newer(store, other)) {
        continue;
      }
      String otherName = other.getMetadata().getNamespace() + "/" + other.getMetadata().getName();
      return Optional.of(
          "BackupStore "
              + store.getMetadata().getNamespace()
              + "/"
              + store.getMetadata().getName()
              + " would write"
              + " under "
              + mine
              + "/ in bucket "
              + store.getSpec().getS3().getBucket()
              + ", which overlaps "
              + theirs
              + "/ of BackupStore "
              + otherName
              + " (same endpoint and bucket): the two would count,"
              + " import and prune each other's backups. Give this store a spec.s3.prefix that neither equals nor"
              + " contains, nor lies inside, the other's; until then it runs no backup, catalog or retention");
    }
    return Optional.empty();
  }

  /** {@code <prefix>/<namespace>}: everything the store writes lies below it. */
  private static String folder(BackupStore store) {
    return io.osbackup.contract.BackupLayout.policyFolder(
        store.getSpec().getS3().getPrefix(), store.getMetadata().getNamespace(), null);
  }

  private static boolean sameBucket(S3Location a, S3Location b) {
    return endpoint(a.getEndpoint()).equals(endpoint(b.getEndpoint()))
        && java.util.Objects.equals(a.getBucket(), b.getBucket());
  }

  private static String endpoint(String url) {
    String e = url == null ? "" : url.strip().toLowerCase(java.util.Locale.ROOT);
    while (e.endsWith("/")) {
      e = e.substring(0, e.length() - 1);
    }
    return e;
  }

  /**
   * Whether {@code a} came after {@code b}: created later, or at the same time and later by
   * namespace/name.
   */
  private static boolean newer(BackupStore a, BackupStore b) {
    String ca = a.getMetadata().getCreationTimestamp();
    String cb = b.getMetadata().getCreationTimestamp();
    if (ca != null && cb != null && !ca.equals(cb)) {
      return java.time.Instant.parse(ca).isAfter(java.time.Instant.parse(cb));
    }
    String na = a.getMetadata().getNamespace() + "/" + a.getMetadata().getName();
    String nb = b.getMetadata().getNamespace() + "/" + b.getMetadata().getName();
    return na.compareTo(nb) > 0;
  }
}
