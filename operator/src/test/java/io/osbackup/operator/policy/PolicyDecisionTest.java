package io.osbackup.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicyStatus;
import io.osbackup.api.v1alpha1.BackupPolicyStatus.SkippedSlot;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.operator.policy.PolicyAction.CancelRun;
import io.osbackup.operator.policy.PolicyAction.CreateRun;
import io.osbackup.operator.policy.PolicyAction.DeleteRun;
import io.osbackup.operator.policy.PolicyAction.NoteRetention;
import io.osbackup.operator.policy.PolicyAction.StartRetention;
import io.osbackup.operator.policy.PolicyDecision.Decision;
import io.osbackup.operator.policy.PolicyDecision.State;
import io.osbackup.operator.policy.PolicyObservation.SlotRuns;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.Outcome.Notice;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.retention.RetentionResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The policy's decision with recorded observations: schedule slots, status, retention timing and
 * bad input. No Kubernetes, no S3.
 */
class PolicyDecisionTest {

  static final Timings TIMINGS = Timings.defaults();
  static final Instant CREATED = Instant.parse("2026-11-01T00:00:00Z");
  static final Instant SLOT = Instant.parse("2026-11-02T02:00:00Z");

  static BackupPolicy policy(String scheduling) {
    String yaml =
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: nightly, namespace: openstack, generation: 1, creationTimestamp: "%s"}
        spec:
          storeRef: {name: primary}
          files:
            - {name: nova-config, nodeSelector: {openstack-role: compute}, paths: [/etc/nova]}
        """
            .formatted(CREATED);
    return Serialization.unmarshal(yaml + scheduling.indent(2), BackupPolicy.class);
  }

  static BackupStore store() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: primary, namespace: openstack, uid: store-uid}
        spec:
          s3: {endpoint: "http://s3:9000", bucket: backups, prefix: prod, credentialsSecret: {name: s3}}
        """,
        BackupStore.class);
  }

  static BackupRun run(String name, String phase, String completed, String backupId) {
    BackupRun run =
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupRun
            metadata: {name: %s, namespace: openstack}
            spec: {policyRef: {name: nightly}}
            """
                .formatted(name),
            BackupRun.class);
    if (phase != null) {
      run.setStatus(
          Serialization.unmarshal(
              "{\"phase\": \"%s\"%s%s}"
                  .formatted(
                      phase,
                      completed == null ? "" : ", \"completionTime\": \"" + completed + "\"",
                      backupId == null ? "" : ", \"backupId\": \"" + backupId + "\""),
              io.osbackup.api.v1alpha1.BackupRunStatus.class));
    }
    return run;
  }

  /** An observation builder: what the observer would have read. */
  static final class Seen {
    List<BackupRun> runs = new ArrayList<>();
    Optional<BackupStore> store = Optional.of(store());
    boolean passRunning;
    Optional<RetentionResult> finished = Optional.empty();
    Optional<Instant> lastRetention = Optional.empty();
    Optional<SlotRuns> slot = Optional.empty();

    PolicyObservation get() {
      return new PolicyObservation(runs, store, passRunning, finished, lastRetention, slot);
    }
  }

  static Decision decide(BackupPolicy policy, Seen seen, Instant now) {
    return PolicyDecision.decide(policy, seen.get(), now, TIMINGS, "cluster-a");
  }

  static <T> List<T> actions(Decision d, Class<T> type) {
    return d.actions().stream().filter(type::isInstance).map(type::cast).toList();
  }

  static Optional<Notice> notice(Decision d, String reason) {
    return d.outcome().notices().stream().filter(n -> n.reason().equals(reason)).findFirst();
  }

  static String ready(BackupPolicy policy) {
    return policy
        .getStatus()
        .condition(BackupPolicyStatus.READY)
        .map(c -> c.getStatus() + "/" + c.getReason())
        .orElse("none");
  }

  /** A retention pass that kept nothing and deleted {@code deleted}. */
  static RetentionResult deleted(String... deleted) {
    return new RetentionResult(
        List.of(),
        List.of(deleted),
        List.of(),
        List.of(),
        List.of(),
        0,
        0,
        0,
        List.of(),
        false,
        List.of(),
        List.of());
  }

  // ---- schedule slots

  @Test
  void aDueSlotWithNoActiveRunCreatesItsRunAndRecordsIt() {
    BackupPolicy policy = policy("schedule: '0 2 * * *'");
    Seen seen = new Seen();
    seen.slot = Optional.of(new SlotRuns(SLOT, false, List.of()));

    Decision d = decide(policy, seen, SLOT.plusSeconds(30));

    assertThat(d.state()).isEqualTo(State.SCHEDULED);
    String name = BackupPolicyReconciler.runName("nightly", SLOT);
    assertThat(name).isEqualTo("nightly-20261102-020000");
    assertThat(actions(d, CreateRun.class)).containsExactly(new CreateRun(name, SLOT));
    assertThat(policy.getStatus().getLastScheduleTime()).isEqualTo(SLOT.toString());
    assertThat(policy.getStatus().getActiveRuns()).containsExactly(name);
    assertThat(policy.getStatus().getNextScheduleTime())
        .isEqualTo(SLOT.plus(Duration.ofDays(1)).toString());
    assertThat(ready(policy)).isEqualTo("True/Scheduled");
    assertThat(d.outcome().statusChanged()).isTrue();
  }

  @Test
  void aSlotWhoseRunExistsIsRecordedWithoutCreatingAnother() {
    BackupPolicy policy = policy("schedule: '0 2 * * *'");
    Seen seen = new Seen();
    seen.slot = Optional.of(new SlotRuns(SLOT, true, List.of()));

    Decision d = decide(policy, seen, SLOT.plusSeconds(30));

    assertThat(actions(d, CreateRun.class)).isEmpty();
    assertThat(policy.getStatus().getLastScheduleTime()).isEqualTo(SLOT.toString());
  }

  @Test
  void forbidSkipsTheSlotWhileARunIsActiveAndWarns() {
    BackupPolicy policy = policy("schedule: '0 2 * * *'");
    Seen seen = new Seen();
    BackupRun active = run("nightly-20261101-020000", "Running", null, null);
    seen.runs.add(active);
    seen.slot = Optional.of(new SlotRuns(SLOT, false, List.of(active)));

    Decision d = decide(policy, seen, SLOT.plusSeconds(30));

    assertThat(actions(d, CreateRun.class)).isEmpty();
    assertThat(policy.getStatus().getLastSkippedSlot().getReason())
        .isEqualTo(SkippedSlot.CONCURRENCY_FORBID);
    assertThat(policy.getStatus().getLastSkippedSlot().getTime()).isEqualTo(SLOT.toString());
    assertThat(notice(d, SkippedSlot.CONCURRENCY_FORBID))
        .get()
        .satisfies(n -> assertThat(n.warning()).isTrue())
        .satisfies(n -> assertThat(n.message()).contains("nightly-20261101-020000"));
    assertThat(policy.getStatus().getLastScheduleTime()).isNull();
  }

  @Test
  void anExplicitForbidCountsARunMadeByHandThatHasNotStarted() {
    BackupPolicy policy = policy("schedule: '0 2 * * *'\nconcurrencyPolicy: Forbid");
    Seen seen = new Seen();
    BackupRun active = run("by-hand", null, null, null);
    seen.slot = Optional.of(new SlotRuns(SLOT, false, List.of(active)));

    Decision d = decide(policy, seen, SLOT.plusSeconds(30));

    assertThat(actions(d, CreateRun.class)).isEmpty();
    assertThat(policy.getStatus().getLastSkippedSlot().getReason())
        .isEqualTo(SkippedSlot.CONCURRENCY_FORBID);
  }

  @Test
  void replaceCancelsTheActiveRunsThenCreatesTheSlotsRun() {
    BackupPolicy policy = policy("schedule: '0 2 * * *'\nconcurrencyPolicy: Replace");
    Seen seen = new Seen();
    BackupRun active = run("nightly-20261101-020000", "Running", null, null);
    seen.runs.add(active);
    seen.slot = Optional.of(new SlotRuns(SLOT, false, List.of(active)));

    Decision d = decide(policy, seen, SLOT.plusSeconds(30));

    assertThat(d.actions().stream().filter(a -> !(a instanceof NoteRetention)))
        .filteredOn(a -> a instanceof CancelRun || a instanceof CreateRun)
        .first()
        .as("the old run is cancelled before the new one is made")
        .isInstanceOf(CancelRun.class);
    CancelRun cancel = actions(d, CancelRun.class).get(0);
    assertThat(cancel.name()).isEqualTo("nightly-20261101-020000");
    assertThat(cancel.why()).contains("nightly-20261102-020000").contains("Replace");
    assertThat(actions(d, CreateRun.class)).hasSize(1);
    assertThat(notice(d, "RunReplaced")).isPresent();
    assertThat(policy.getStatus().getActiveRuns())
        .containsExactly("nightly-20261101-020000", "nightly-20261102-020000");
  }

  @Test
  void aSlotNoticedLaterThanStartingDeadlineSecondsIsSkippedAsMissed() {
    BackupPolicy policy = policy("schedule: '0 2 * * *'\nstartingDeadlineSeconds: 60");
    Seen seen = new Seen();

    Decision d = decide(policy, seen, SLOT.plusSeconds(61));

    assertThat(actions(d, CreateRun.class)).isEmpty();
    assertThat(policy.getStatus().getLastSkippedSlot().getReason())
        .isEqualTo(SkippedSlot.MISSED_DEADLINE);
    assertThat(notice(d, SkippedSlot.MISSED_DEADLINE)).isPresent();
    // Within the deadline the slot runs.
    BackupPolicy inTime = policy("schedule: '0 2 * * *'\nstartingDeadlineSeconds: 60");
    Seen seenInTime = new Seen();
    seenInTime.slot = Optional.of(new SlotRuns(SLOT, false, List.of()));
    assertThat(actions(decide(inTime, seenInTime, SLOT.plusSeconds(59)), CreateRun.class))
        .hasSize(1);
  }

  @Test
  void afterMissedSlotsOnlyTheLatestRunsAndSlotsAlreadyHandledNever() {
    BackupPolicy policy = policy("schedule: '0 * * * *'");
    Instant now = SLOT.plus(Duration.ofHours(5)).plusSeconds(10);
    assertThat(PolicyDecision.dueSlot(policy, now)).contains(SLOT.plus(Duration.ofHours(5)));
    policy.setStatus(new BackupPolicyStatus());
    policy.getStatus().setLastScheduleTime(SLOT.plus(Duration.ofHours(5)).toString());
    assertThat(PolicyDecision.dueSlot(policy, now)).isEmpty();
    // Slots from before the policy existed never run.
    BackupPolicy young = policy("schedule: '0 * * * *'");
    young.getMetadata().setCreationTimestamp(now.minusSeconds(5).toString());
    assertThat(PolicyDecision.dueSlot(young, now)).isEmpty();
  }

  @Test
  void noSlotDueLooksAgainAtTheNextSlotOrAfterTheIdleRecheckWhicheverComesFirst() {
    BackupPolicy policy = policy("schedule: '* * * * *'");
    policy.setStatus(new BackupPolicyStatus());
    Instant now = SLOT.plusSeconds(50);
    policy.getStatus().setLastScheduleTime(SLOT.toString());
    Seen seen = new Seen();
    seen.lastRetention = Optional.of(now); // retention not due

    Decision d = decide(policy, seen, now);

    assertThat(d.actions()).noneMatch(a -> a instanceof CreateRun);
    assertThat(policy.getStatus().getNextScheduleTime())
        .isEqualTo(SLOT.plus(Duration.ofMinutes(1)).toString());
    assertThat(d.outcome().lookAgainAfter()).contains(Duration.ofSeconds(10));

    BackupPolicy daily = policy("schedule: '0 2 * * *'");
    daily.setStatus(new BackupPolicyStatus());
    daily.getStatus().setLastScheduleTime(SLOT.toString());
    assertThat(decide(daily, seen, now).outcome().lookAgainAfter())
        .contains(PolicyDecision.idleRecheck(TIMINGS));
  }

  @Test
  void suspendStartsNoSlotAndSaysSo() {
    BackupPolicy policy = policy("schedule: '0 2 * * *'\nsuspend: true");
    Seen seen = new Seen();
    seen.lastRetention = Optional.of(SLOT); // retention not due
    seen.slot = Optional.of(new SlotRuns(SLOT, false, List.of()));

    Decision d = decide(policy, seen, SLOT.plusSeconds(30));

    assertThat(d.state()).isEqualTo(State.SUSPENDED);
    assertThat(actions(d, CreateRun.class)).isEmpty();
    assertThat(policy.getStatus().getNextScheduleTime()).isNull();
    assertThat(ready(policy)).isEqualTo("True/Suspended");
    assertThat(PolicyDecision.dueSlot(policy, SLOT.plusSeconds(30))).isEmpty();
    assertThat(d.outcome().lookAgainAfter()).contains(PolicyDecision.idleRecheck(TIMINGS));
  }

  @Test
  void aPolicyWithoutScheduleRunsOnDemandOnly() {
    BackupPolicy policy = policy("");
    Decision d = decide(policy, new Seen(), SLOT);
    assertThat(d.state()).isEqualTo(State.ON_DEMAND);
    assertThat(ready(policy)).isEqualTo("True/OnDemandOnly");
    assertThat(d.actions()).noneMatch(a -> a instanceof CreateRun);
  }

  // ---- status

  @Test
  void statusFollowsTheRunsActiveSortedAndTheNewestSuccess() {
    BackupPolicy policy = policy("");
    Seen seen = new Seen();
    seen.runs.add(run("b-run", "Running", null, null));
    seen.runs.add(run("a-run", null, null, null));
    seen.runs.add(run("old", "Succeeded", "2026-11-01T03:00:00Z", "id-old"));
    seen.runs.add(run("new", "Succeeded", "2026-11-02T03:00:00Z", "id-new"));
    seen.runs.add(run("failed", "Failed", "2026-11-03T03:00:00Z", null));

    Decision d = decide(policy, seen, SLOT.plus(Duration.ofDays(2)));

    assertThat(policy.getStatus().getActiveRuns()).containsExactly("a-run", "b-run");
    assertThat(policy.getStatus().getLastSuccessfulRun().getName()).isEqualTo("new");
    assertThat(policy.getStatus().getLastSuccessfulRun().getBackupId()).isEqualTo("id-new");
    assertThat(policy.getStatus().getObservedGeneration()).isEqualTo(1L);
    assertThat(d.outcome().statusChanged()).isTrue();

    // The same look again changes nothing.
    Decision again = decide(policy, seen, SLOT.plus(Duration.ofDays(2)));
    assertThat(again.outcome().statusChanged()).isFalse();
    assertThat(again.outcome().notices()).isEmpty();
  }

  // ---- retention

  @Test
  void retentionStartsAfterANewSuccessAndAtLeastEveryRetentionInterval() {
    BackupPolicy policy = policy("");
    Seen seen = new Seen();
    Instant now = SLOT;
    seen.lastRetention = Optional.of(now.minusSeconds(10));
    assertThat(actions(decide(policy, seen, now), StartRetention.class))
        .as("no new success, the last pass a moment ago")
        .isEmpty();

    seen.runs.add(run("new", "Succeeded", now.minusSeconds(5).toString(), "id-new"));
    Decision afterSuccess = decide(policy, seen, now);
    assertThat(actions(afterSuccess, NoteRetention.class)).containsExactly(new NoteRetention(now));
    StartRetention start = actions(afterSuccess, StartRetention.class).get(0);
    assertThat(start.job().folder()).isEqualTo("prod/openstack/nightly");
    assertThat(start.job().at()).isEqualTo(now);
    assertThat(start.job().owner().storeUid()).isEqualTo("store-uid");
    assertThat(start.job().longestRun()).isEqualTo(Duration.ofSeconds(7200 + 15 * 60));
    assertThat(afterSuccess.outcome().lookAgainAfter()).contains(TIMINGS.retentionRecheck());

    // The success recorded, the next look waits for the interval.
    Instant later = now.plus(TIMINGS.retentionInterval());
    seen.lastRetention = Optional.of(now);
    assertThat(actions(decide(policy, seen, later.minusSeconds(1)), StartRetention.class))
        .isEmpty();
    assertThat(actions(decide(policy, seen, later), StartRetention.class)).hasSize(1);
  }

  @Test
  void aRunningPassIsLeftToEndAndLookedAtSoon() {
    BackupPolicy policy = policy("");
    Seen seen = new Seen();
    seen.passRunning = true;
    seen.runs.add(run("new", "Succeeded", SLOT.toString(), "id-new"));

    Decision d = decide(policy, seen, SLOT);

    assertThat(d.actions()).isEmpty();
    assertThat(d.outcome().lookAgainAfter()).contains(TIMINGS.retentionRecheck());
  }

  @Test
  void aFinishedPassIsRecordedAndTheRunsOfWhatItDeletedAreDeleted() {
    BackupPolicy policy = policy("");
    Seen seen = new Seen();
    seen.runs.add(run("gone", "Succeeded", "2026-10-01T00:00:00Z", "id-gone"));
    seen.runs.add(run("kept", "Succeeded", "2026-11-01T00:00:00Z", "id-kept"));
    seen.runs.add(run("busy", "Running", null, "id-busy"));
    seen.finished = Optional.of(deleted("id-gone", "id-busy"));
    seen.lastRetention = Optional.of(SLOT);

    Decision d = decide(policy, seen, SLOT.plusSeconds(1));

    assertThat(actions(d, DeleteRun.class)).containsExactly(new DeleteRun("gone"));
    assertThat(policy.getStatus().getKeptBackups()).isZero();
    assertThat(notice(d, "BackupsDeleted")).get().extracting(Notice::warning).isEqualTo(false);
  }

  @Test
  void aRefusedPassWarnsAndChangesNothingElse() {
    BackupPolicy policy = policy("");
    Seen seen = new Seen();
    seen.finished = Optional.of(RetentionResult.failed("bucket gone"));
    seen.lastRetention = Optional.of(SLOT);

    Decision d = decide(policy, seen, SLOT.plusSeconds(1));

    assertThat(notice(d, "RetentionFailed"))
        .get()
        .satisfies(n -> assertThat(n.warning()).isTrue())
        .satisfies(n -> assertThat(n.message()).contains("bucket gone"));
    assertThat(policy.getStatus().getKeptBackups()).isNull();
    assertThat(actions(d, DeleteRun.class)).isEmpty();
  }

  @Test
  void aStoreOverlappingAnotherSkipsRetentionWithAWarning() {
    BackupPolicy policy = policy("");
    Seen seen = new Seen();
    BackupStore store = store();
    store.setStatus(new BackupStoreStatus());
    Conditions.set(
        store.getStatus(),
        BackupStoreStatus.AVAILABLE,
        false,
        BackupStoreStatus.PREFIX_OVERLAP,
        "overlaps openstack/other",
        1L,
        Clock.fixed(SLOT, ZoneOffset.UTC));
    seen.store = Optional.of(store);

    Decision d = decide(policy, seen, SLOT);

    assertThat(actions(d, StartRetention.class)).isEmpty();
    assertThat(actions(d, NoteRetention.class)).hasSize(1);
    assertThat(notice(d, "RetentionSkipped"))
        .get()
        .satisfies(n -> assertThat(n.message()).contains("overlaps openstack/other"));
  }

  @Test
  void rulesKeepingOnlyTheNewestAreFlaggedOnce() {
    BackupPolicy policy = policy("retention: {keepLast: 1}");
    Seen seen = new Seen();
    seen.lastRetention = Optional.of(SLOT);

    Decision d = decide(policy, seen, SLOT);

    assertThat(policy.getStatus().condition(BackupPolicyStatus.RETENTION_SAFE).get().getStatus())
        .isEqualTo("False");
    assertThat(notice(d, "KeepsOnlyOneBackup")).isPresent();
    assertThat(notice(decide(policy, seen, SLOT), "KeepsOnlyOneBackup")).isEmpty();
  }

  // ---- bad input

  @Test
  void anInvalidScheduleOrTimeZoneMakesThePolicyNotReadyWithOneWarning() {
    BackupPolicy policy = policy("schedule: 'every night'");
    Decision d = decide(policy, new Seen(), SLOT);
    assertThat(d.state()).isEqualTo(State.INVALID_SCHEDULE);
    assertThat(ready(policy)).isEqualTo("False/InvalidSchedule");
    assertThat(notice(d, "InvalidSchedule")).get().extracting(Notice::warning).isEqualTo(true);
    assertThat(d.outcome().lookAgainAfter()).contains(TIMINGS.poll());
    assertThat(d.actions()).isEmpty();
    assertThat(decide(policy, new Seen(), SLOT).outcome().notices()).as("told once").isEmpty();

    BackupPolicy zone = policy("schedule: '0 2 * * *'\ntimeZone: Mars/Olympus");
    Decision z = decide(zone, new Seen(), SLOT);
    assertThat(ready(zone)).isEqualTo("False/InvalidTimeZone");
    assertThat(notice(z, "InvalidTimeZone")).isPresent();
  }

  @Test
  void aMissingStoreMakesThePolicyNotReady() {
    BackupPolicy policy = policy("schedule: '0 2 * * *'");
    Seen seen = new Seen();
    seen.store = Optional.empty();
    seen.slot = Optional.of(new SlotRuns(SLOT, false, List.of()));

    Decision d = decide(policy, seen, SLOT.plusSeconds(30));

    assertThat(d.state()).isEqualTo(State.STORE_MISSING);
    assertThat(ready(policy)).isEqualTo("False/StoreNotFound");
    assertThat(notice(d, "StoreNotFound").get().message()).contains("'primary'");
    assertThat(d.actions()).isEmpty();
  }
}
