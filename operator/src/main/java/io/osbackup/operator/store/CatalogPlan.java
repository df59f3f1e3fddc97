package io.osbackup.operator.store;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.ForeignBackups;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.operator.reconcile.Outcome;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Plans a catalog sync from the backups found under a store's folder and the namespace's runs: the
 * BackupRuns to create (one per backup without one; read-only ones for other owners' backups when
 * imported) and the problems to tell, each once. Pure.
 *
 * @param outcome the outcome so far, with the Events of the problems not told before
 * @param toCreate the runs to create, in order
 * @param problems the problems now known (keys), told or not
 */
record CatalogPlan(Outcome outcome, List<NewRun> toCreate, Set<String> problems) {

  /**
   * A BackupRun to create for the backup at {@code key}; {@code foreign} for another owner's.
   *
   * @param createdReason the Event told once it is created
   */
  record NewRun(
      BackupRun run, String key, boolean foreign, String createdReason, String createdMessage) {}

  static CatalogPlan plan(
      BackupStore store,
      Catalog.Listing listing,
      List<BackupRun> runs,
      Set<String> before,
      Outcome outcome) {
    String ns = store.getMetadata().getNamespace();
    String name = store.getMetadata().getName();
    String prefix = store.getSpec().getS3().getPrefix();
    Set<String> problems = new HashSet<>();
    List<NewRun> toCreate = new ArrayList<>();
    for (Catalog.Skipped skipped : listing.skipped()) {
      problems.add(skipped.key());
      if (!before.contains(skipped.key())) {
        outcome =
            outcome.warn(
                skipped.reason(),
                "skipped "
                    + skipped.key()
                    + ": it "
                    + skipped.problem()
                    + (SignatureCheck.Outcome.INVALID.reason().equals(skipped.reason())
                        ? "; it may have been tampered with: its backup is not brought back"
                        : ""));
      }
    }
    FoundBackups.Gaps gaps = FoundBackups.gaps(listing.backups(), runs);
    for (Catalog.Backup backup : gaps.nameTaken()) {
      problems.add(backup.key());
      if (!before.contains(backup.key())) {
        outcome =
            outcome.warn(
                "BackupRunNameTaken",
                "backup "
                    + backup.backupId()
                    + " ("
                    + backup.key()
                    + ") has no BackupRun, and the name "
                    + backup.backupId()
                    + " is held by another run: rename or delete that run to bring the backup back");
      }
    }
    for (Catalog.Backup backup : gaps.toCreate()) {
      toCreate.add(
          new NewRun(
              FoundBackups.runFor(backup, ns, name),
              backup.key(),
              false,
              "BackupFound",
              "backup "
                  + backup.backupId()
                  + " found at "
                  + backup.key()
                  + ": created its BackupRun"));
    }
    if (!listing.foreign().isEmpty()) {
      String foreignKey = "foreign:" + listing.foreign().size();
      problems.add(foreignKey);
      if (!before.contains(foreignKey)) {
        outcome =
            outcome.tell(
                "ForeignBackups",
                listing.foreign().size()
                    + " backups under "
                    + Catalog.namespaceFolder(prefix, ns)
                    + " were written by"
                    + " another cluster or store (e.g. "
                    + listing.foreign().get(0).key()
                    + "); "
                    + (importForeign(store)
                        ? "they are imported read-only (spec.foreignBackups: ImportReadOnly)"
                        : "they are left alone; set spec.foreignBackups: ImportReadOnly to restore from them"));
      }
    }
    if (importForeign(store)) {
      for (Catalog.Backup backup : FoundBackups.gaps(listing.foreign(), runs).toCreate()) {
        BackupRun foreignRun = FoundBackups.foreignRunFor(backup, ns, name);
        toCreate.add(
            new NewRun(
                foreignRun,
                backup.key(),
                true,
                "ForeignBackupImported",
                "backup "
                    + backup.backupId()
                    + " of "
                    + foreignRun.getMetadata().getAnnotations().get(FoundBackups.OWNER_ANNOTATION)
                    + " found at "
                    + backup.key()
                    + ": created its read-only BackupRun"));
      }
    }
    return new CatalogPlan(outcome, toCreate, problems);
  }

  private static boolean importForeign(BackupStore store) {
    return store.getSpec().getForeignBackups() == ForeignBackups.ImportReadOnly;
  }
}
