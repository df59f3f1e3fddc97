package io.osbackup.retention;

import java.time.Instant;
import java.util.Objects;

/**
 * One successful backup of a policy as retention sees it.
 *
 * @param backupId the backup's id, also the name of its folder in the bucket
 * @param time when the backup was taken: the manifest's {@code startedAt} (the moment the data is
 *     from, as restic's snapshot time), its {@code completedAt} when that is missing
 */
public record Backup(String backupId, Instant time) {

  public Backup {
    Objects.requireNonNull(backupId, "backupId");
    Objects.requireNonNull(time, "time");
  }
}
