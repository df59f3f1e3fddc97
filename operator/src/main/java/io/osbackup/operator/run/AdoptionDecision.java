package io.osbackup.operator.run;

import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import java.util.Optional;

/**
 * How a run created for a backup found in the store (annotated with its manifest and store) takes
 * its status from the manifest instead of being planned: it waits while the store or its Secret is
 * missing or the bucket does not answer, fails when the manifest is gone, is not a backup of the
 * run's policy, or its signature is invalid, and otherwise takes the backup's final phase. Pure.
 */
final class AdoptionDecision {

  private AdoptionDecision() {}

  /**
   * Adopts the backup whose manifest is {@code key} in the store {@code storeName}, from what was
   * read of them.
   */
  static Outcome adopt(
      RunRecord record,
      String key,
      String storeName,
      PlanningObservation.Adoption seen,
      Timings timings) {
    String ns = record.run().getMetadata().getNamespace();
    if (seen.store().isEmpty()) {
      return record.waitPending(
          "StoreNotFound",
          "annotation "
              + FoundBackups.STORE_ANNOTATION
              + " names BackupStore '"
              + storeName
              + "', which does not"
              + " exist in namespace "
              + ns
              + ": apply the store that holds "
              + key,
          timings.waitForStore());
    }
    if (seen.trouble() != null) {
      return record.waitPending(seen.troubleReason(), seen.trouble(), timings.waitForStore());
    }
    var s3 = seen.store().get().getSpec().getS3();
    if (seen.manifest().isEmpty()) {
      String message =
          "manifest "
              + key
              + " is not in bucket "
              + s3.getBucket()
              + " of store '"
              + storeName
              + "': the backup"
              + " is gone";
      record.fail(null, null, "ManifestNotFound", message);
      return record.end(RunPhase.Failed, "ManifestNotFound", message);
    }
    Catalog.Parsed parsed = seen.manifest().get();
    Optional<String> problem =
        parsed.backup() == null
            ? Optional.of("manifest " + key + " " + parsed.problem())
            : FoundBackups.mismatch(record.run(), parsed.backup());
    if (problem.isPresent()) {
      record.fail(null, null, "ManifestInvalid", problem.get());
      return record.end(RunPhase.Failed, "ManifestInvalid", problem.get());
    }
    SignatureCheck check = parsed.backup().signature();
    if (check.outcome() == SignatureCheck.Outcome.INVALID) {
      String message =
          "manifest "
              + key
              + " "
              + check.detail()
              + ": this backup is not brought back; restore another backup,"
              + " or one you trust with a RestoreRequest's spec.allowUnsignedManifest";
      record.fail(null, null, check.reason(), message);
      return record.end(RunPhase.Failed, check.reason(), message);
    }
    BackupRunStatus status = record.status();
    FoundBackups.fill(status, parsed.backup(), storeName, s3);
    status.setManifestSignature(check.word());
    if (!check.verified()) {
      status.setMessage(
          status.getMessage()
              + "; manifest "
              + check.detail()
              + ": a restore needs"
              + " spec.allowUnsignedManifest");
      record.warn(
          check.reason(),
          "manifest "
              + key
              + " "
              + check.detail()
              + ": a restore of this backup"
              + " needs spec.allowUnsignedManifest: true");
    }
    record.complete(true, FoundBackups.FOUND_IN_STORE, status.getMessage());
    record.tell(FoundBackups.FOUND_IN_STORE, status.getMessage());
    return record.changed();
  }
}
