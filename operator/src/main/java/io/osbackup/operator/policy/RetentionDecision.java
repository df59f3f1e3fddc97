package io.osbackup.operator.policy;

import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicyStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.api.v1alpha1.JobSettings;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Owner;
import io.osbackup.operator.policy.PolicyAction.DeleteRun;
import io.osbackup.operator.policy.PolicyAction.NoteRetention;
import io.osbackup.operator.policy.PolicyAction.RetentionJob;
import io.osbackup.operator.policy.PolicyAction.StartRetention;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.retention.RetentionPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/**
 * When a policy's retention runs: the RetentionSafe condition, recording a finished pass, and
 * starting one after a new success and at least every retentionInterval, unless the store overlaps
 * another. Pure: it changes the status and adds to the actions it is given.
 */
final class RetentionDecision {

  private RetentionDecision() {}

  /**
   * Retention: flags rules that keep only the newest backup, records a finished pass, and starts
   * one after a new success and at least every retentionInterval. A pass still running is left to
   * end.
   */
  static Outcome decide(
      BackupPolicy policy,
      PolicyObservation seen,
      boolean newSuccess,
      Instant now,
      Timings timings,
      String clusterId,
      Outcome outcome,
      List<PolicyAction> actions) {
    BackupPolicyStatus status = policy.getStatus();
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    outcome = retentionSafety(policy, status, clock, outcome);
    if (seen.passRunning()) {
      return outcome; // its result is recorded by a later reconciliation
    }
    if (seen.finishedPass().isPresent()) {
      RetentionReport.Recorded recorded =
          RetentionReport.record(
              policy, status, seen.finishedPass().get(), seen.ownRuns(), now, clusterId, outcome);
      outcome = recorded.outcome();
      recorded.runsToDelete().forEach(r -> actions.add(new DeleteRun(r)));
    }
    Optional<Instant> last = seen.lastRetention();
    if (!newSuccess
        && last.isPresent()
        && Duration.between(last.get(), now).compareTo(timings.retentionInterval()) < 0) {
      return outcome;
    }
    actions.add(new NoteRetention(now));
    BackupStore store = seen.store().orElseThrow();
    Optional<String> overlap =
        Optional.ofNullable(store.getStatus())
            .flatMap(st -> st.condition(BackupStoreStatus.AVAILABLE))
            .filter(
                c ->
                    "False".equals(c.getStatus())
                        && BackupStoreStatus.PREFIX_OVERLAP.equals(c.getReason()))
            .map(c -> c.getMessage());
    if (overlap.isPresent()) {
      return outcome.warn(
          "RetentionSkipped",
          "retention did not run, nothing was deleted: BackupStore '"
              + store.getMetadata().getName()
              + "' overlaps another store ("
              + BackupStoreStatus.PREFIX_OVERLAP
              + "): "
              + overlap.get());
    }
    actions.add(new StartRetention(retentionJob(policy, store, now, clusterId)));
    return outcome;
  }

  private static RetentionJob retentionJob(
      BackupPolicy policy, BackupStore store, Instant now, String clusterId) {
    String ns = policy.getMetadata().getNamespace();
    Long deadline =
        policy.getSpec().getJob() == null
            ? null
            : policy.getSpec().getJob().getActiveDeadlineSeconds();
    Duration longestRun =
        Duration.ofSeconds(
                deadline == null ? JobSettings.DEFAULT_ACTIVE_DEADLINE_SECONDS : deadline)
            .plus(Duration.ofMinutes(15));
    var s3 = store.getSpec().getS3();
    return new RetentionJob(
        ns,
        s3,
        BackupLayout.policyFolder(s3.getPrefix(), ns, policy.getMetadata().getName()),
        policy.getSpec().getRetention(),
        RetentionReport.zone(policy),
        now,
        longestRun,
        new Owner(clusterId, ns, store.getMetadata().getName(), store.getMetadata().getUid()));
  }

  /**
   * Flags, before any pass deletes, rules that keep only the newest backup: the RetentionSafe
   * condition False and a Warning Event when it becomes so. Retention still runs: such rules may be
   * meant.
   */
  private static Outcome retentionSafety(
      BackupPolicy policy, BackupPolicyStatus status, Clock clock, Outcome outcome) {
    Optional<String> onlyOne = RetentionPolicy.keepsOnlyTheNewest(policy.getSpec().getRetention());
    boolean changed =
        Conditions.set(
            status,
            BackupPolicyStatus.RETENTION_SAFE,
            onlyOne.isEmpty(),
            onlyOne.isPresent() ? "KeepsOnlyOneBackup" : "KeepsMoreThanOne",
            onlyOne.orElse("the retention rules can keep more than one backup"),
            policy.getMetadata().getGeneration(),
            clock);
    return changed && onlyOne.isPresent()
        ? outcome.warn("KeepsOnlyOneBackup", onlyOne.get())
        : outcome;
  }
}
