package io.osbackup.retention;

import java.time.Instant;

/**
 * A backup kept on its own terms rather than by its policy's rules (one made by hand): until {@code
 * until}, or, when that is null, until it is deleted explicitly. Such a backup is never counted
 * toward keepLast, keepDaily, ... and never stands in for the policy's newest backup.
 *
 * @param until when it may go (its run's keepUntil, or its time plus keepFor); null: never by
 *     retention
 */
public record Hold(Instant until) {

  /** Kept until deleted explicitly. */
  public static final Hold UNTIL_DELETED = new Hold(null);

  /**
   * Whether its own time has passed at {@code now}: kept through {@code until}, deleted after it.
   */
  public boolean expired(Instant now) {
    return until != null && now.isAfter(until);
  }
}
