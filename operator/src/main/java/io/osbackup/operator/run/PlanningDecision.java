package io.osbackup.operator.run;

import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.plan.KeepTerms;
import io.osbackup.plan.PlanProblem;
import io.osbackup.plan.PlanRules;
import io.osbackup.plan.RunPlanner;
import io.osbackup.store.ObjectInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a pending BackupRun is planned, from a {@link PlanningObservation}: cancelled before any Job,
 * failed on a spec that cannot be honoured or a plan problem (with its reason and an Event),
 * waiting in Pending on a retryable problem until the pending timeout, or Running with its plan.
 * Pure: the bucket's folder is checked and the owner marker written between {@link #plan} and
 * {@link #planned}.
 */
final class PlanningDecision {

  private PlanningDecision() {}

  /**
   * The plan to carry out: its folder is checked and marked with {@code owner}, then the run is
   * {@link #planned}.
   */
  record Proposal(RunPlanner.Result result, Owner owner, Manifest.RunRetention terms) {}

  /** Either the run's outcome already (ended, failed, waiting) or a plan to carry out. */
  record Result(Outcome outcome, Proposal proposal) {}

  /** What is decided before anything is read: a cancelled run, or retention terms not honoured. */
  static Optional<Outcome> beforeReading(RunRecord record, KeepTerms keep) {
    BackupRun run = record.run();
    if (RunStage.cancelReason(run) != null) {
      return Optional.of(
          record.end(
              RunPhase.Cancelled,
              "Cancelled",
              "cancelled before any Job started (" + RunStage.cancelReason(run) + ")"));
    }
    if (!keep.ok()) {
      record.fail(null, null, keep.problem().reason(), keep.problem().message());
      return Optional.of(
          record.end(RunPhase.Failed, keep.problem().reason(), keep.problem().message()));
    }
    return Optional.empty();
  }

  /**
   * Plans the run from what was observed.
   *
   * @param clusterId this operator's cluster, the owner of the folders it writes
   */
  static Result plan(
      RunRecord record,
      KeepTerms keep,
      PlanningObservation seen,
      String clusterId,
      PlanRules rules,
      String agentImage,
      Timings timings) {
    BackupRun run = record.run();
    String ns = run.getMetadata().getNamespace();
    Optional<PlanProblem> unavailable = unavailable(seen.store());
    if (unavailable.isEmpty() && seen.policy().isPresent() && seen.store().isPresent()) {
      unavailable =
          exposedSigningKey(
              run.getSpec().getPolicyRef().getName(), seen.policy().get(), seen.store().get());
    }
    RunPlanner.Result result =
        unavailable.isPresent()
            ? new RunPlanner.Result(null, null, null, List.of(), unavailable.get())
            : RunPlanner.plan(
                run,
                seen.policy(),
                seen.store(),
                seen.nodes(),
                name -> Optional.ofNullable(seen.secrets().get(name)),
                rules,
                agentImage);
    if (!result.ok()) {
      return new Result(problem(record, result.problem(), timings), null);
    }
    BackupStore store = seen.store().get();
    Owner owner =
        new Owner(clusterId, ns, store.getMetadata().getName(), store.getMetadata().getUid());
    return new Result(null, new Proposal(result, owner, keep.terms()));
  }

  /**
   * A new run must start from an empty folder: a folder that already holds objects belongs to
   * another backup with the same id (a run deleted and created again, a copied manifest), and
   * writing into it would overwrite a backup whose manifest vouches for other bytes.
   */
  static Optional<PlanProblem> folderInUse(
      BackupRun run, Proposal proposal, PlanningObservation.Folder folder) {
    RunPlanner.Result result = proposal.result();
    if (folder.error() != null) {
      return Optional.of(
          new PlanProblem(
              "StoreUnavailable",
              "cannot list the backup's folder " + result.folder() + "/: " + folder.error(),
              true));
    }
    List<ObjectInfo> existing = folder.existing();
    if (existing.isEmpty()) {
      return Optional.empty();
    }
    Owner owner = proposal.owner();
    if (existing.size() == 1
        && folder
            .marker()
            .filter(m -> owner.owns(m.owner()) && run.getMetadata().getName().equals(m.run()))
            .isPresent()) {
      return Optional.empty(); // this run's own marker, written before a status write that was lost
    }
    boolean complete =
        existing.stream().anyMatch(o -> o.key().endsWith("/" + BackupLayout.MANIFEST));
    String whose =
        folder
            .marker()
            .filter(m -> m.owner() != null && !owner.owns(m.owner()))
            .map(
                m ->
                    ", written by "
                        + m.owner().describe()
                        + " (clusters or stores sharing a bucket need"
                        + " their own spec.s3.prefix)")
            .orElse("");
    return Optional.of(
        new PlanProblem(
            "BackupIdInUse",
            "the bucket already holds "
                + (complete ? "a complete backup" : existing.size() + " objects")
                + " under "
                + result.folder()
                + "/ (backup id "
                + result.backupId()
                + whose
                + "): nothing was written; create the BackupRun under another name",
            false));
  }

  /**
   * The plan could not be carried out, or not yet: a retryable problem waits in Pending until the
   * run is older than the pending timeout; any other fails the run.
   */
  static Outcome problem(RunRecord record, PlanProblem problem, Timings timings) {
    if (problem.retryable()
        && record
                .age(record.run().getMetadata().getCreationTimestamp())
                .compareTo(timings.pending())
            < 0) {
      return record.waitPending(problem.reason(), problem.message(), timings.recheck());
    }
    record.fail(null, null, problem.reason(), problem.message());
    return record.end(RunPhase.Failed, problem.reason(), problem.message());
  }

  /**
   * The plan is stored before any Job exists, so a restart never plans (and names Jobs) twice: the
   * run is Running, its tasks on nodes that are not ready failed already.
   */
  static Outcome planned(RunRecord record, Proposal proposal, Timings timings) {
    BackupRunStatus status = record.status();
    RunPlanner.Result result = proposal.result();
    String policyName = record.run().getSpec().getPolicyRef().getName();
    status.setBackupId(result.backupId());
    status.setFolder(result.folder());
    Manifest.RunRetention terms = proposal.terms();
    status.setOrigin(terms.origin());
    status.setRetention(terms.rules());
    status.setKeepFor(terms.keepFor());
    Instant expires = KeepTerms.expiresAt(terms, null);
    status.setExpiresAt(expires == null ? null : expires.toString());
    status.setKeep(KeepTerms.describe(terms, expires, policyName));
    status.setPlan(result.plan());
    status.setTasks(new ArrayList<>(result.tasks()));
    status.setPhase(RunPhase.Running);
    status.setStartTime(record.now());
    status.setMessage("planned " + result.tasks().size() + " Jobs");
    for (RunTask task : status.getTasks()) {
      if (task.getPhase() == TaskPhase.Failed) {
        task.setCompletionTime(record.now());
        record.fail(task.getTarget(), task.getNode(), "NodeNotReady", task.getMessage());
      }
    }
    record.progress();
    record.complete(false, "Running", status.getMessage());
    record.tell(
        "Planned",
        "backup "
            + result.backupId()
            + ": "
            + result.tasks().size()
            + " Jobs, folder "
            + result.folder());
    return record.changed().lookAgainAfter(timings.nextStep());
  }

  /**
   * How the backup is kept, read before anything is written: a spec that cannot be honoured touches
   * nothing.
   */
  static KeepTerms keep(RunRecord record) {
    return KeepTerms.of(
        record.run(), record.run().getSpec().getPolicyRef().getName(), record.instant());
  }

  /** A store whose Available condition is False. */
  private static Optional<PlanProblem> unavailable(Optional<BackupStore> store) {
    return store
        .flatMap(
            s ->
                s.getStatus() == null
                    ? Optional.empty()
                    : s.getStatus().condition(BackupStoreStatus.AVAILABLE))
        .filter(c -> "False".equals(c.getStatus()))
        .map(
            c ->
                new PlanProblem(
                    "StoreUnavailable",
                    "BackupStore '"
                        + store.get().getMetadata().getName()
                        + "' is unavailable ("
                        + c.getReason()
                        + "): "
                        + c.getMessage(),
                    true));
  }

  /**
   * A database login put into the store's signing Secret would be mounted by the Job: checked
   * before the Secrets' keys are.
   */
  private static Optional<PlanProblem> exposedSigningKey(
      String policyName, BackupPolicy policy, BackupStore store) {
    Map<String, String> mounted = new LinkedHashMap<>();
    policy
        .getSpec()
        .getDatabases()
        .forEach(
            db ->
                mounted.put(
                    "BackupPolicy '"
                        + policyName
                        + "' spec.databases["
                        + db.getName()
                        + "].credentialsSecret",
                    db.getCredentialsSecret().getName()));
    return io.osbackup.operator.reconcile.ManifestKeys.exposed(
            io.osbackup.operator.reconcile.ManifestKeys.secretName(store), mounted)
        .map(message -> new PlanProblem("SigningKeyExposed", message, false));
  }
}
