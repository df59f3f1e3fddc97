package io.osbackup.operator.run;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunFailure;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.RunProgress;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.Outcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The status of one BackupRun as a decision changes it: failures, progress, the run's end, and the
 * Events to tell about them, collected into an {@link Outcome}. Pure: it writes nothing; {@link
 * io.osbackup.operator.reconcile.StatusWriter#apply} does.
 */
final class RunRecord {

  private final BackupRun run;
  private final BackupRunStatus status;
  private final Clock clock;
  private final List<Outcome.Notice> notices = new ArrayList<>();
  private boolean ended;

  RunRecord(BackupRun run, Clock clock) {
    this.run = run;
    this.status = run.getStatus();
    this.clock = clock;
  }

  BackupRun run() {
    return run;
  }

  BackupRunStatus status() {
    return status;
  }

  Instant instant() {
    return clock.instant();
  }

  String now() {
    return clock.instant().toString();
  }

  Clock clock() {
    return clock;
  }

  /** Whether this decision ended the run (its metrics are counted once the status is written). */
  boolean ended() {
    return ended;
  }

  /** A Normal Event. */
  void tell(String reason, String message) {
    notices.add(new Outcome.Notice(false, reason, message));
  }

  /** A Warning Event. */
  void warn(String reason, String message) {
    notices.add(new Outcome.Notice(true, reason, message));
  }

  /** Records a failure of the run (of a target on a node, or of the run itself) and tells it. */
  void fail(String target, String node, String reason, String message) {
    RunFailure failure = new RunFailure();
    failure.setTarget(target);
    failure.setNode(node);
    failure.setReason(reason);
    failure.setMessage(message);
    status.getFailures().add(failure);
    warn(
        reason,
        (target == null ? "" : target + (node == null ? "" : " on " + node) + ": ") + message);
  }

  /** Ends the run in {@code phase}: the status is written and nothing is rescheduled. */
  Outcome end(RunPhase phase, String reason, String message) {
    status.setPhase(phase);
    status.setMessage(message);
    status.setCompletionTime(now());
    progress();
    complete(phase == RunPhase.Succeeded, reason, message);
    if (phase == RunPhase.Succeeded || phase == RunPhase.Cancelled) {
      tell(phase.name(), message);
    } else {
      warn(phase.name(), message);
    }
    ended = true;
    return changed();
  }

  /**
   * The run waits in Pending on something retryable: a Warning when the wait's message is new, and
   * look again after {@code delay}.
   */
  Outcome waitPending(String reason, String message, Duration delay) {
    status.setPhase(RunPhase.Pending);
    if (!Objects.equals(status.getMessage(), message)) {
      warn(reason, message);
    }
    status.setMessage(message);
    complete(false, reason, message);
    return changed().lookAgainAfter(delay);
  }

  /** Sets the run's Complete condition. */
  void complete(boolean done, String reason, String message) {
    Conditions.set(
        status,
        BackupRunStatus.COMPLETE,
        done,
        reason,
        message,
        run.getMetadata().getGeneration(),
        clock);
  }

  /** The status changed, with the Events told so far. */
  Outcome changed() {
    return with(Outcome.changed());
  }

  /** Nothing to write, with the Events told so far. */
  Outcome unchanged() {
    return with(Outcome.unchanged());
  }

  private Outcome with(Outcome outcome) {
    for (Outcome.Notice n : notices) {
      outcome =
          n.warning()
              ? outcome.warn(n.reason(), n.message())
              : outcome.tell(n.reason(), n.message());
    }
    return outcome;
  }

  /** Recomputes {@code status.progress} from the tasks and artifacts. */
  void progress() {
    RunProgress progress = new RunProgress();
    int total = status.getTasks().size();
    int done = (int) status.getTasks().stream().filter(t -> t.getPhase().isFinal()).count();
    long bytes =
        status.getArtifacts().stream().mapToLong(a -> a.getSize() == null ? 0 : a.getSize()).sum();
    progress.setTasksTotal(total);
    progress.setTasksDone(done);
    progress.setArtifacts(status.getArtifacts().size());
    progress.setBytes(bytes);
    progress.setSummary(
        done + "/" + total + " jobs, " + status.getArtifacts().size() + " artifacts");
    status.setProgress(progress);
  }

  /** How long ago {@code since} was; zero when unknown. */
  Duration age(String since) {
    return since == null ? Duration.ZERO : Duration.between(Instant.parse(since), clock.instant());
  }

  /** When the last task ended; now when none has. */
  String lastTaskEnd() {
    return status.getTasks().stream()
        .map(t -> t.getCompletionTime())
        .filter(Objects::nonNull)
        .max(String::compareTo)
        .orElse(now());
  }
}
