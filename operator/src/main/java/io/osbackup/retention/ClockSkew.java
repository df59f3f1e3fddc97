package io.osbackup.retention;

import java.time.Duration;
import java.util.Objects;

/**
 * A backup whose manifest's times disagree with the store's write time of the manifest: its
 * writer's clock was wrong.
 *
 * @param backupId the backup
 * @param offset the manifest's time minus the store's write time of the manifest: positive when the
 *     writer's clock was ahead, negative when it was behind
 */
public record ClockSkew(String backupId, Duration offset) {

  public ClockSkew {
    Objects.requireNonNull(backupId, "backupId");
    Objects.requireNonNull(offset, "offset");
  }

  /**
   * Whether the writer's clock was ahead of the store's (such a backup is never counted as the
   * newest).
   */
  public boolean ahead() {
    return !offset.isNegative();
  }

  /** {@code <id> (+8760h0m ahead)} for Events and status. */
  public String describe() {
    Duration abs = offset.abs();
    return backupId
        + " ("
        + (ahead() ? "+" : "-")
        + abs.toHours()
        + "h"
        + abs.toMinutesPart()
        + "m "
        + (ahead() ? "ahead of" : "behind")
        + " the store)";
  }
}
