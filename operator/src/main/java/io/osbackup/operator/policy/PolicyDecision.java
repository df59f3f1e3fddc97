package io.osbackup.operator.policy;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicyStatus;
import io.osbackup.api.v1alpha1.BackupPolicyStatus.RunReference;
import io.osbackup.api.v1alpha1.BackupPolicyStatus.SkippedSlot;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.ConcurrencyPolicy;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.operator.policy.PolicyAction.CancelRun;
import io.osbackup.operator.policy.PolicyAction.CreateRun;
import io.osbackup.operator.policy.PolicyAction.StartRetention;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.schedule.InvalidScheduleException;
import io.osbackup.schedule.Schedule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Decides one reconciliation of a policy from its spec, its status and what was observed: the
 * status (last and next slot, last success, active runs, Ready, RetentionSafe), the Events, when to
 * look again, and the runs to create, cancel or delete and the retention pass to start. Pure: it
 * changes the status it is given and returns the rest.
 */
final class PolicyDecision {

  /** Where a policy stands, from its spec and whether its store exists. */
  enum State {
    /** spec.schedule or spec.timeZone does not parse. */
    INVALID_SCHEDULE,
    /** spec.storeRef names no BackupStore. */
    STORE_MISSING,
    /** No spec.schedule: runs start only by hand. */
    ON_DEMAND,
    /** spec.suspend: no scheduled runs. */
    SUSPENDED,
    /** Runs start at the schedule's slots. */
    SCHEDULED
  }

  /** The decision: what to write and tell, and what to do. */
  record Decision(State state, Outcome outcome, List<PolicyAction> actions) {}

  private final BackupPolicy policy;
  private final BackupPolicyStatus status;
  private final PolicyObservation seen;
  private final Instant now;
  private final Timings timings;
  private final String clusterId;
  private final Clock clock;
  private final List<PolicyAction> actions = new ArrayList<>();
  private Outcome outcome = Outcome.unchanged();

  private PolicyDecision(
      BackupPolicy policy, PolicyObservation seen, Instant now, Timings timings, String clusterId) {
    this.policy = policy;
    if (policy.getStatus() == null) {
      policy.setStatus(new BackupPolicyStatus());
    }
    this.status = policy.getStatus();
    this.seen = seen;
    this.now = now;
    this.timings = timings;
    this.clusterId = clusterId;
    this.clock = Clock.fixed(now, ZoneOffset.UTC);
  }

  /**
   * Decides for {@code policy} (whose status, created if missing, it changes) given what was seen
   * at {@code now}.
   */
  static Decision decide(
      BackupPolicy policy, PolicyObservation seen, Instant now, Timings timings, String clusterId) {
    String before = Serialization.asJson(policy.getStatus());
    PolicyDecision d = new PolicyDecision(policy, seen, now, timings, clusterId);
    State state = d.state();
    Duration recheck = d.decide(state);
    boolean passRunning =
        seen.passRunning() || d.actions.stream().anyMatch(a -> a instanceof StartRetention);
    if (passRunning && recheck.compareTo(timings.retentionRecheck()) > 0) {
      recheck = timings.retentionRecheck(); // pick the pass's result up soon after it ends
    }
    boolean changed = !Objects.equals(before, Serialization.asJson(d.status));
    Outcome outcome =
        new Outcome(changed, d.outcome.notices(), Optional.empty()).lookAgainAfter(recheck);
    return new Decision(state, outcome, List.copyOf(d.actions));
  }

  /** The policy's state: schedule first, then its store, then suspend. */
  State state() {
    try {
      schedule();
    } catch (InvalidScheduleException e) {
      return State.INVALID_SCHEDULE;
    }
    if (seen.store().isEmpty()) {
      return State.STORE_MISSING;
    }
    if (!hasSchedule(policy)) {
      return State.ON_DEMAND;
    }
    return Boolean.TRUE.equals(policy.getSpec().getSuspend()) ? State.SUSPENDED : State.SCHEDULED;
  }

  private Duration decide(State state) {
    status.setObservedGeneration(policy.getMetadata().getGeneration());
    boolean newSuccess = observeRuns();
    switch (state) {
      case INVALID_SCHEDULE -> {
        InvalidScheduleException e = invalid();
        status.setNextScheduleTime(null);
        String reason = "spec.timeZone".equals(e.field()) ? "InvalidTimeZone" : "InvalidSchedule";
        ready(false, reason, e.getMessage());
        return timings.poll();
      }
      case STORE_MISSING -> {
        String store = storeOf(policy);
        status.setNextScheduleTime(null);
        ready(
            false,
            "StoreNotFound",
            "spec.storeRef names BackupStore '"
                + store
                + "', which does not exist in namespace "
                + policy.getMetadata().getNamespace()
                + ": create it or fix spec.storeRef");
        return timings.poll();
      }
      case ON_DEMAND -> {
        retention(newSuccess);
        status.setNextScheduleTime(null);
        ready(
            true,
            "OnDemandOnly",
            "no spec.schedule: runs start only when a BackupRun names this policy");
        return idleRecheck(timings);
      }
      case SUSPENDED -> {
        retention(newSuccess);
        status.setNextScheduleTime(null);
        ready(
            true,
            "Suspended",
            "spec.suspend is true: no scheduled runs; runs created by hand still start");
        return idleRecheck(timings);
      }
      case SCHEDULED -> {
        retention(newSuccess);
        return scheduled();
      }
      default -> throw new IllegalStateException(state.toString());
    }
  }

  private Duration scheduled() {
    Schedule schedule;
    try {
      schedule = schedule();
    } catch (InvalidScheduleException e) {
      throw new IllegalStateException(e);
    }
    dueSlot(policy, now).ifPresent(this::startSlot);
    Optional<Instant> next = schedule.next(now);
    status.setNextScheduleTime(next.map(Instant::toString).orElse(null));
    ready(
        true,
        "Scheduled",
        "schedule \""
            + schedule.expression()
            + "\" in "
            + schedule.zone()
            + next.map(n -> ", next run at " + n).orElse(""));
    Duration idle = idleRecheck(timings);
    Duration untilNext = next.map(n -> Duration.between(now, n)).orElse(idle);
    return untilNext.compareTo(idle) < 0 ? untilNext : idle;
  }

  /**
   * The slot due at {@code now} of a scheduled, unsuspended policy with a valid schedule: the
   * earliest after the last one run or skipped, or after the policy's creation.
   */
  static Optional<Instant> dueSlot(BackupPolicy policy, Instant now) {
    if (!hasSchedule(policy) || Boolean.TRUE.equals(policy.getSpec().getSuspend())) {
      return Optional.empty();
    }
    try {
      return Schedule.parse(policy.getSpec().getSchedule(), policy.getSpec().getTimeZone())
          .due(now, after(policy));
    } catch (InvalidScheduleException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code slot} is more than startingDeadlineSeconds late at {@code now}. */
  static boolean missedDeadline(BackupPolicy policy, Instant slot, Instant now) {
    Long deadline = policy.getSpec().getStartingDeadlineSeconds();
    return deadline != null && slot.plusSeconds(deadline).isBefore(now);
  }

  private void startSlot(Instant slot) {
    String name = policy.getMetadata().getName();
    String runName = BackupPolicyReconciler.runName(name, slot);
    if (missedDeadline(policy, slot, now)) {
      skip(
          slot,
          SkippedSlot.MISSED_DEADLINE,
          "slot "
              + slot
              + " missed: noticed at "
              + now
              + ", more than startingDeadlineSeconds ("
              + policy.getSpec().getStartingDeadlineSeconds()
              + ") late; the next slot runs as usual");
      return;
    }
    Optional<PolicyObservation.SlotRuns> runs = seen.slot().filter(s -> s.slot().equals(slot));
    if (runs.isEmpty()) {
      return; // not looked up: the next reconciliation does
    }
    if (runs.get().runExists()) {
      // Created before, by this or an earlier operator whose status write was lost.
      status.setLastScheduleTime(slot.toString());
      return;
    }
    List<BackupRun> active = runs.get().activeRuns();
    if (!active.isEmpty() && policy.getSpec().getConcurrencyPolicy() != ConcurrencyPolicy.Replace) {
      skip(
          slot,
          SkippedSlot.CONCURRENCY_FORBID,
          "slot "
              + slot
              + " skipped: run "
              + active.stream()
                  .map(r -> r.getMetadata().getName())
                  .collect(Collectors.joining(", "))
              + " still active (concurrencyPolicy Forbid)");
      return;
    }
    for (BackupRun old : active) {
      actions.add(
          new CancelRun(
              old.getMetadata().getName(),
              "replaced by run " + runName + " of slot " + slot + " (concurrencyPolicy Replace)"));
      outcome =
          outcome.tell(
              "RunReplaced",
              "slot "
                  + slot
                  + ": cancelled run "
                  + old.getMetadata().getName()
                  + " (concurrencyPolicy Replace)");
    }
    actions.add(new CreateRun(runName, slot));
    status.setLastScheduleTime(slot.toString());
    if (!status.getActiveRuns().contains(runName)) {
      status.getActiveRuns().add(runName);
    }
  }

  private void skip(Instant slot, String reason, String message) {
    SkippedSlot skipped = new SkippedSlot();
    skipped.setTime(slot.toString());
    skipped.setReason(reason);
    skipped.setMessage(message);
    status.setLastSkippedSlot(skipped);
    outcome = outcome.warn(reason, message);
  }

  private void retention(boolean newSuccess) {
    outcome =
        RetentionDecision.decide(
            policy, seen, newSuccess, now, timings, clusterId, outcome, actions);
  }

  /** Sets activeRuns and lastSuccessfulRun from the policy's runs; true for a new success. */
  private boolean observeRuns() {
    List<BackupRun> own = seen.ownRuns();
    status.setActiveRuns(
        own.stream()
            .filter(PolicyDecision::isActive)
            .map(r -> r.getMetadata().getName())
            .sorted()
            .collect(Collectors.toList()));
    Optional<BackupRun> newest =
        own.stream()
            .filter(r -> r.getStatus() != null && r.getStatus().getPhase() == RunPhase.Succeeded)
            .filter(r -> r.getStatus().getCompletionTime() != null)
            .max(
                Comparator.comparing(
                        (BackupRun r) -> Instant.parse(r.getStatus().getCompletionTime()))
                    .thenComparing(r -> r.getMetadata().getName()));
    if (newest.isEmpty()) {
      return false;
    }
    BackupRun r = newest.get();
    RunReference last = new RunReference();
    last.setName(r.getMetadata().getName());
    last.setBackupId(r.getStatus().getBackupId());
    last.setTime(r.getStatus().getCompletionTime());
    if (last.equals(status.getLastSuccessfulRun())) {
      return false;
    }
    status.setLastSuccessfulRun(last);
    return true;
  }

  private void ready(boolean ready, String reason, String message) {
    Optional<String> previous =
        status.condition(BackupPolicyStatus.READY).map(c -> c.getReason() + ": " + c.getMessage());
    Conditions.set(
        status,
        BackupPolicyStatus.READY,
        ready,
        reason,
        message,
        policy.getMetadata().getGeneration(),
        clock);
    if (!ready && !previous.equals(Optional.of(reason + ": " + message))) {
      outcome = outcome.warn(reason, message);
    }
  }

  /**
   * How long a healthy policy waits before it looks again when nothing happens: its runs, its store
   * and its own edits wake it up through their informers, and the next slot through the returned
   * delay, so the periodic look only catches what no event announces (the hourly retention pass).
   * At 500 policies a look every pollInterval cost a whole core (docs/benchmarks.md, Scale).
   */
  static Duration idleRecheck(Timings timings) {
    return timings.poll().multipliedBy(12);
  }

  /**
   * Slots up to this instant are handled: the last one run or skipped, or the policy's creation (a
   * new policy does not run slots from before it existed).
   */
  private static Instant after(BackupPolicy policy) {
    BackupPolicyStatus status = policy.getStatus();
    String created = policy.getMetadata().getCreationTimestamp();
    Instant after = created == null ? Instant.EPOCH : Instant.parse(created);
    if (status == null) {
      return after;
    }
    for (String handled :
        new String[] {
          status.getLastScheduleTime(),
          status.getLastSkippedSlot() == null ? null : status.getLastSkippedSlot().getTime()
        }) {
      if (handled != null && Instant.parse(handled).isAfter(after)) {
        after = Instant.parse(handled);
      }
    }
    return after;
  }

  private Schedule schedule() throws InvalidScheduleException {
    return hasSchedule(policy)
        ? Schedule.parse(policy.getSpec().getSchedule(), policy.getSpec().getTimeZone())
        : null;
  }

  private InvalidScheduleException invalid() {
    try {
      schedule();
      throw new IllegalStateException("the schedule parses");
    } catch (InvalidScheduleException e) {
      return e;
    }
  }

  /** Whether spec.schedule and spec.timeZone parse, or there is no schedule. */
  static boolean scheduleParses(BackupPolicy policy) {
    if (!hasSchedule(policy)) {
      return true;
    }
    try {
      Schedule.parse(policy.getSpec().getSchedule(), policy.getSpec().getTimeZone());
      return true;
    } catch (InvalidScheduleException e) {
      return false;
    }
  }

  static boolean hasSchedule(BackupPolicy policy) {
    String cron = policy.getSpec().getSchedule();
    return cron != null && !cron.isBlank();
  }

  static String storeOf(BackupPolicy policy) {
    return policy.getSpec() == null || policy.getSpec().getStoreRef() == null
        ? null
        : policy.getSpec().getStoreRef().getName();
  }

  static boolean isActive(BackupRun run) {
    return run.getStatus() == null
        || run.getStatus().getPhase() == null
        || !run.getStatus().getPhase().isFinal();
  }
}
