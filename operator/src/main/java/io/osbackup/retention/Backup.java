package io.osbackup.retention;

import java.time.Instant;
import java.util.Objects;

/**
 * One successful backup of a policy as retention sees it.
 *
 * @param backupId the backup's id, also the name of its folder in the bucket
 * @param time when the backup was written: the store's own write time of its manifest ({@code
 *     LastModified}), which no writer's clock can move; the manifest's {@code startedAt} only when
 *     the store gives no time
 * @param clockAhead the manifest's times lie after {@code time} beyond {@link
 *     RetentionPass#CLOCK_TOLERANCE}: its writer's clock was ahead, and it is never counted as the
 *     policy's newest backup
 * @param hold null for one of the policy's own backups, which its rules keep or delete; else the
 *     terms a backup made by hand is kept on instead
 */
public record Backup(String backupId, Instant time, boolean clockAhead, Hold hold) {

  public Backup {
    Objects.requireNonNull(backupId, "backupId");
    Objects.requireNonNull(time, "time");
  }

  /** One of the policy's own backups. */
  public Backup(String backupId, Instant time, boolean clockAhead) {
    this(backupId, time, clockAhead, null);
  }

  /** One of the policy's own backups, written by a right clock. */
  public Backup(String backupId, Instant time) {
    this(backupId, time, false);
  }

  /** Whether the policy's rules decide about it (it is not kept on terms of its own). */
  public boolean countedByPolicy() {
    return hold == null;
  }
}
