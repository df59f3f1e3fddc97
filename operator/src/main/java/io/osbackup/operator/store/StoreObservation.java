package io.osbackup.operator.store;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.catalog.Catalog;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What one reconciliation of a store saw: how its bucket answered the probe, whether its folder
 * overlaps another store's, the backups in its folder (read only when it may be used), its signing
 * key, and the catalog problems already told.
 */
record StoreObservation(
    Probe probe,
    Optional<String> overlap,
    Optional<CatalogRead> catalog,
    SigningKey signing,
    Set<String> toldBefore) {

  StoreObservation {
    toldBefore = Set.copyOf(toldBefore);
  }

  /** How the bucket answered. */
  enum Answer {
    /** It answered a write, a read and a delete. */
    REACHABLE,
    /** The probe reached the bucket and was refused (missing bucket, access denied...). */
    REFUSED,
    /** The Secret or one of its keys is missing or bad. */
    CREDENTIALS,
    /** The probe failed (endpoint unreachable, unexpected error). */
    FAILED
  }

  /** The probe's answer, with the reason and message of a failure. */
  record Probe(Answer answer, String reason, String message) {
    static Probe reachable() {
      return new Probe(Answer.REACHABLE, "ProbeSucceeded", "");
    }
  }

  /**
   * The backups under the store's folder and the namespace's runs, or why they could not be read.
   */
  record CatalogRead(
      Optional<Catalog.Listing> listing,
      List<BackupRun> runs,
      String failureReason,
      String failureMessage) {

    static CatalogRead read(Catalog.Listing listing, List<BackupRun> runs) {
      return new CatalogRead(Optional.of(listing), List.copyOf(runs), null, null);
    }

    static CatalogRead failed(String reason, String message) {
      return new CatalogRead(Optional.empty(), List.of(), reason, message);
    }
  }

  /** The store's signing Secret: its primary key and how many keys verify, or its problem. */
  record SigningKey(
      String secret,
      boolean ok,
      boolean created,
      String primary,
      int keys,
      String problemReason,
      String problemMessage) {}
}
