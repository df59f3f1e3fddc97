package io.osbackup.retention;

import java.time.Instant;
import java.util.Objects;

/**
 * One successful backup of a policy as retention sees it.
 *
 * @param backupId the backup's id, also the name of its folder in the bucket
 * @param time when the backup was written: the store's own write time of its manifest ({@code LastModified}), which
 *     no writer's clock can move; the manifest's {@code startedAt} only when the store gives no time
 * @param clockAhead the manifest's times lie after {@code time} beyond {@link RetentionPass#CLOCK_TOLERANCE}: its
 *     writer's clock was ahead, and it is never counted as the policy's newest backup
 */
public record Backup(String backupId, Instant time, boolean clockAhead) {

  public Backup {
    Objects.requireNonNull(backupId, "backupId");
    Objects.requireNonNull(time, "time");
  }

  /** A backup written by a right clock. */
  public Backup(String backupId, Instant time) {
    this(backupId, time, false);
  }
}
