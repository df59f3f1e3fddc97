package io.osbackup.retention;

import java.util.List;
import java.util.Set;

/**
 * What {@link RetentionPolicy#keep} decided: every backup it was given is in exactly one of the two
 * lists, both newest first.
 *
 * @param kept the backups to keep, each with the rules that keep it
 * @param deleted the backups to delete
 */
public record RetentionDecision(List<Kept> kept, List<Backup> deleted) {

  public RetentionDecision {
    kept = List.copyOf(kept);
    deleted = List.copyOf(deleted);
  }

  /** A kept backup and why it is kept. */
  public record Kept(Backup backup, Set<RetentionRule> reasons) {
    public Kept {
      reasons = Set.copyOf(reasons);
    }
  }

  /** Ids of the kept backups, newest first. */
  public List<String> keptIds() {
    return kept.stream().map(k -> k.backup().backupId()).toList();
  }

  /** Ids of the backups to delete, newest first. */
  public List<String> deletedIds() {
    return deleted.stream().map(Backup::backupId).toList();
  }
}
