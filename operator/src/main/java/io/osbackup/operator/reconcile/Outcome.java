package io.osbackup.operator.reconcile;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one reconciliation of an osbackup resource decided, besides the changes it made to the
 * resource's status: whether the status changed, the Events to tell, and when to look again.
 * Decisions return it and never write anything themselves; {@link StatusWriter#apply} is the one
 * place that writes the status, then records the Events, then reschedules.
 *
 * @param statusChanged whether the status is to be written
 * @param notices the Events to record once the status is written
 * @param lookAgainAfter when to reconcile again even if nothing changes; empty to wait for a change
 */
public record Outcome(
    boolean statusChanged, List<Notice> notices, Optional<Duration> lookAgainAfter) {

  /** An Event to record on the resource: {@code kubectl describe} shows it. */
  public record Notice(boolean warning, String reason, String message) {}

  public Outcome {
    notices = List.copyOf(notices);
  }

  /** Nothing changed and nothing to tell; wait for the next change. */
  public static Outcome unchanged() {
    return new Outcome(false, List.of(), Optional.empty());
  }

  /** The status changed; write it. */
  public static Outcome changed() {
    return new Outcome(true, List.of(), Optional.empty());
  }

  /** This outcome, and look again after {@code delay}. */
  public Outcome lookAgainAfter(Duration delay) {
    return new Outcome(statusChanged, notices, Optional.of(delay));
  }

  /** This outcome with a Normal Event. */
  public Outcome tell(String reason, String message) {
    return with(new Notice(false, reason, message));
  }

  /** This outcome with a Warning Event. */
  public Outcome warn(String reason, String message) {
    return with(new Notice(true, reason, message));
  }

  private Outcome with(Notice notice) {
    List<Notice> all = new ArrayList<>(notices);
    all.add(notice);
    return new Outcome(statusChanged, all, lookAgainAfter);
  }
}
