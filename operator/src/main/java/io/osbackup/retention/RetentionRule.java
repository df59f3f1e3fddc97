package io.osbackup.retention;

/** Why retention keeps a backup (restic's "reasons"); a backup may be kept for several. */
public enum RetentionRule {
  /**
   * The policy's newest successful backup of its own (not one kept on its own terms) by the store's
   * time, or the newest whose writer's clock was not ahead: both are always kept, whatever the
   * rules say.
   */
  NEWEST,
  /** One of the {@code keepLast} newest. */
  LAST,
  /** The newest of one of the {@code keepHourly} newest hours that have a backup. */
  HOURLY,
  /** The newest of one of the {@code keepDaily} newest days that have a backup. */
  DAILY,
  /** The newest of one of the {@code keepWeekly} newest ISO weeks that have a backup. */
  WEEKLY,
  /** The newest of one of the {@code keepMonthly} newest months that have a backup. */
  MONTHLY,
  /** The newest of one of the {@code keepYearly} newest years that have a backup. */
  YEARLY,
  /** Only {@code maxAge} is set and the backup is younger. */
  YOUNGER_THAN_MAX_AGE,
  /** No rule is set: everything is kept. */
  NO_RULES,
  /**
   * A backup made by hand, kept on its own terms: its keepUntil or keepFor has not passed, or it
   * has neither and is kept until deleted explicitly. The policy's rules neither count nor prune
   * it.
   */
  OWN_TERMS
}
