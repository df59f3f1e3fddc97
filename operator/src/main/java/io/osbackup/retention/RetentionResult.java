package io.osbackup.retention;

import java.util.List;

/**
 * What one {@link RetentionPass} found and did in a policy's folder. Lists of backups are ids,
 * newest first.
 *
 * @param kept the successful backups kept, each with the rules that keep it
 * @param deleted the backups deleted in this pass (manifest and artifacts)
 * @param dueForDeletion backups the rules delete but that are still in the bucket: all of them in a
 *     dry run, those not (or not wholly) deleted after an error otherwise
 * @param leftoversRemoved folders of failed or partial runs (no manifest) removed in this pass
 * @param leftoversDue leftover folders due for removal but still there (dry run or error)
 * @param keptBytes bytes stored under the kept backups
 * @param deletedBytes bytes removed (backups and leftovers)
 * @param abortedUploads incomplete multipart uploads aborted under removed folders
 * @param errors what failed; a failed listing or manifest read means nothing was deleted
 * @param refused true when the pass stopped before deciding anything (the bucket could not be
 *     listed, a manifest could not be read, or the pass did not run): nothing was deleted and
 *     {@code kept} says nothing
 * @param clockSkew backups whose manifest's times disagree with the store's write time of the
 *     manifest by more than {@link RetentionPass#CLOCK_TOLERANCE} (ahead) or the longest run plus
 *     it (behind), newest first
 * @param notOwned folders of the policy folder left alone because they are not this store's: {@code
 *     <name>: <why>} (another owner's marker or manifest, another backup's manifest or marker below
 *     them, or objects retention did not write)
 */
public record RetentionResult(
    List<RetentionDecision.Kept> kept,
    List<String> deleted,
    List<String> dueForDeletion,
    List<String> leftoversRemoved,
    List<String> leftoversDue,
    long keptBytes,
    long deletedBytes,
    int abortedUploads,
    List<String> errors,
    boolean refused,
    List<ClockSkew> clockSkew,
    List<String> notOwned) {

  public RetentionResult {
    kept = List.copyOf(kept);
    deleted = List.copyOf(deleted);
    dueForDeletion = List.copyOf(dueForDeletion);
    leftoversRemoved = List.copyOf(leftoversRemoved);
    leftoversDue = List.copyOf(leftoversDue);
    errors = List.copyOf(errors);
    clockSkew = List.copyOf(clockSkew);
    notOwned = List.copyOf(notOwned);
  }

  /** A pass that decided and did what it says, errors included. */
  public RetentionResult(
      List<RetentionDecision.Kept> kept,
      List<String> deleted,
      List<String> dueForDeletion,
      List<String> leftoversRemoved,
      List<String> leftoversDue,
      long keptBytes,
      long deletedBytes,
      int abortedUploads,
      List<String> errors,
      List<ClockSkew> clockSkew,
      List<String> notOwned) {
    this(
        kept,
        deleted,
        dueForDeletion,
        leftoversRemoved,
        leftoversDue,
        keptBytes,
        deletedBytes,
        abortedUploads,
        errors,
        false,
        clockSkew,
        notOwned);
  }

  /**
   * A pass that stopped before deciding anything, and deleted nothing, because of {@code error}.
   */
  public static RetentionResult failed(String error) {
    return new RetentionResult(
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        0,
        0,
        0,
        List.of(error),
        true,
        List.of(),
        List.of());
  }

  /** Whether everything the pass tried succeeded. */
  public boolean ok() {
    return errors.isEmpty();
  }

  /** Ids of the kept backups, newest first (for {@code status.keptBackups}, its size). */
  public List<String> keptIds() {
    return kept.stream().map(k -> k.backup().backupId()).toList();
  }
}
