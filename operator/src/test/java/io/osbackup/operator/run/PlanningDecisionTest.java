package io.osbackup.operator.run;

import static io.osbackup.operator.run.RunFixtures.at;
import static io.osbackup.operator.run.RunFixtures.nodes;
import static io.osbackup.operator.run.RunFixtures.policy;
import static io.osbackup.operator.run.RunFixtures.run;
import static io.osbackup.operator.run.RunFixtures.secret;
import static io.osbackup.operator.run.RunFixtures.store;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RunFailure;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.plan.PlanProblem;
import io.osbackup.plan.PlanRules;
import io.osbackup.store.ObjectInfo;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a pending run is planned, from recorded observations of its policy, store and Secrets. */
class PlanningDecisionTest {

  static final Timings TIMINGS = Timings.defaults();
  static final Instant CREATED = Instant.parse("2026-11-21T02:00:00Z");
  static final Instant NOW = CREATED.plusSeconds(5);

  private static RunRecord record(BackupRun run, Instant now) {
    if (run.getStatus() == null) {
      run.setStatus(new BackupRunStatus());
    }
    return new RunRecord(run, at(now));
  }

  private static Map<String, Secret> allSecrets() {
    Map<String, Secret> secrets = new LinkedHashMap<>();
    for (String name : List.of("backup-s3", "backup-db")) {
      secrets.put(name, secret(name));
    }
    return secrets;
  }

  private static PlanningObservation everything() {
    return new PlanningObservation(
        Optional.of(policy()), Optional.of(store()), nodes(), allSecrets());
  }

  private static PlanningDecision.Result plan(RunRecord record, PlanningObservation seen) {
    return PlanningDecision.plan(
        record,
        PlanningDecision.keep(record),
        seen,
        "cluster-a",
        PlanRules.defaults(),
        "agent:1",
        TIMINGS);
  }

  private static List<String> reasons(Outcome outcome) {
    return outcome.notices().stream().map(Outcome.Notice::reason).toList();
  }

  @Test
  void aCancelledRunEndsBeforeAnythingIsRead() {
    BackupRun run = run();
    run.getSpec().setCancel(true);
    RunRecord record = record(run, NOW);

    Optional<Outcome> outcome =
        PlanningDecision.beforeReading(record, PlanningDecision.keep(record));

    assertThat(outcome).isPresent();
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Cancelled);
    assertThat(run.getStatus().getMessage())
        .isEqualTo("cancelled before any Job started (spec.cancel is true)");
  }

  @Test
  void keepTermsThatCannotBeHonouredFailTheRunBeforeAnythingIsRead() {
    BackupRun run = run();
    run.getSpec().setKeepFor("30d");
    run.getSpec().setKeepUntil("2027-01-01T00:00:00Z");
    RunRecord record = record(run, NOW);

    Optional<Outcome> outcome =
        PlanningDecision.beforeReading(record, PlanningDecision.keep(record));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("KeepTermsConflict");
    assertThat(reasons(outcome.orElseThrow())).containsExactly("KeepTermsConflict", "Failed");
  }

  @Test
  void aRunToPlanIsNotDecidedBeforeReading() {
    RunRecord record = record(run(), NOW);

    assertThat(PlanningDecision.beforeReading(record, PlanningDecision.keep(record))).isEmpty();
  }

  @Test
  void aPlanIsProposedWithTheStoresOwnerAndThenRuns() {
    BackupRun run = run();
    RunRecord record = record(run, NOW);

    PlanningDecision.Result result = plan(record, everything());

    assertThat(result.outcome()).isNull();
    PlanningDecision.Proposal proposal = result.proposal();
    assertThat(proposal.owner())
        .isEqualTo(new Owner("cluster-a", "openstack", "primary", "store-uid"));
    assertThat(proposal.result().tasks()).hasSize(4);
    assertThat(run.getStatus().getPhase()).isNull();

    Outcome outcome = PlanningDecision.planned(record, proposal, TIMINGS);

    BackupRunStatus status = run.getStatus();
    assertThat(status.getPhase()).isEqualTo(RunPhase.Running);
    assertThat(status.getTasks()).hasSize(4);
    assertThat(status.getPlan()).isNotNull();
    assertThat(status.getFolder()).isEqualTo(proposal.result().folder());
    assertThat(status.getStartTime()).isEqualTo(NOW.toString());
    assertThat(status.getMessage()).isEqualTo("planned 4 Jobs");
    assertThat(status.getOrigin()).isEqualTo("OnDemand");
    assertThat(status.getRetention()).isEqualTo("Keep");
    assertThat(status.getProgress().getTasksTotal()).isEqualTo(4);
    assertThat(reasons(outcome)).containsExactly("Planned");
    assertThat(outcome.lookAgainAfter()).contains(TIMINGS.nextStep());
  }

  @Test
  void aTaskOnANodeThatIsNotReadyFailsWhenPlanned() {
    BackupRun run = run();
    RunRecord record = record(run, NOW);
    var nodes = nodes();
    nodes.get(1).getStatus().getConditions().get(0).setStatus("False");

    PlanningDecision.Proposal proposal =
        plan(
                record,
                new PlanningObservation(
                    Optional.of(policy()), Optional.of(store()), nodes, allSecrets()))
            .proposal();
    Outcome outcome = PlanningDecision.planned(record, proposal, TIMINGS);

    RunTask failed =
        run.getStatus().getTasks().stream()
            .filter(t -> t.getPhase() == TaskPhase.Failed)
            .findFirst()
            .orElseThrow();
    assertThat(failed.getNode()).isEqualTo("compute-2");
    assertThat(failed.getCompletionTime()).isEqualTo(NOW.toString());
    assertThat(reasons(outcome)).containsExactly("NodeNotReady", "Planned");
  }

  @Test
  void aMissingPolicyWaitsInPendingAndWarnsOnce() {
    BackupRun run = run();
    PlanningObservation none =
        new PlanningObservation(Optional.empty(), Optional.empty(), List.of(), Map.of());

    PlanningDecision.Result first = plan(record(run, NOW), none);

    assertThat(first.proposal()).isNull();
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Pending);
    assertThat(run.getStatus().getMessage()).contains("control-plane");
    assertThat(first.outcome().lookAgainAfter()).contains(TIMINGS.recheck());
    assertThat(first.outcome().notices()).singleElement().matches(Outcome.Notice::warning);

    PlanningDecision.Result again = plan(record(run, NOW.plusSeconds(10)), none);

    assertThat(again.outcome().notices()).isEmpty();
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Pending);
  }

  @Test
  void aRetryableProblemFailsTheRunAfterThePendingTimeout() {
    BackupRun run = run();
    PlanningObservation none =
        new PlanningObservation(Optional.empty(), Optional.empty(), List.of(), Map.of());

    PlanningDecision.Result result =
        plan(record(run, CREATED.plus(TIMINGS.pending()).plusSeconds(1)), none);

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getFailures()).hasSize(1);
    assertThat(result.outcome().lookAgainAfter()).isEmpty();
  }

  @Test
  void aStoreThatIsNotAvailableIsWaitedFor() {
    BackupRun run = run();
    BackupStore store =
        Serialization.unmarshal(
            Serialization.asYaml(store())
                + "status:\n  conditions:\n  - {type: Available, status: \"False\","
                + " reason: Unreachable, message: connection refused}\n",
            BackupStore.class);

    plan(
        record(run, NOW),
        new PlanningObservation(Optional.of(policy()), Optional.of(store), nodes(), allSecrets()));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Pending);
    assertThat(run.getStatus().getMessage())
        .isEqualTo("BackupStore 'primary' is unavailable (Unreachable): connection refused");
  }

  @Test
  void aMissingSecretIsWaitedFor() {
    BackupRun run = run();
    Map<String, Secret> secrets = allSecrets();
    secrets.remove("backup-db");

    plan(
        record(run, NOW),
        new PlanningObservation(Optional.of(policy()), Optional.of(store()), nodes(), secrets));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Pending);
    assertThat(run.getStatus().getConditions())
        .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("SecretNotFound"));
  }

  @Test
  void aDatabaseLoginInTheSigningSecretFailsTheRunAtOnce() {
    BackupRun run = run();
    BackupPolicy policy = policy();
    policy
        .getSpec()
        .getDatabases()
        .get(0)
        .getCredentialsSecret()
        .setName("primary-manifest-signing");

    plan(
        record(run, NOW),
        new PlanningObservation(Optional.of(policy), Optional.of(store()), nodes(), allSecrets()));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("SigningKeyExposed");
  }

  private static PlanningDecision.Proposal proposal(BackupRun run) {
    return plan(record(run, NOW), everything()).proposal();
  }

  private static ObjectInfo object(String key) {
    return new ObjectInfo(key, 1, "e", NOW);
  }

  @Test
  void anEmptyFolderIsNotInUse() {
    BackupRun run = run();

    assertThat(
            PlanningDecision.folderInUse(
                run,
                proposal(run),
                new PlanningObservation.Folder(List.of(), Optional.empty(), null)))
        .isEmpty();
  }

  @Test
  void aFolderHoldingOnlyThisRunsOwnMarkerIsNotInUse() {
    BackupRun run = run();
    PlanningDecision.Proposal proposal = proposal(run);
    String marker = BackupLayout.owner(proposal.result().folder());
    Owner.Marker ours =
        new Owner.Marker(
            Owner.Marker.FORMAT_VERSION, proposal.owner(), proposal.result().backupId(), "cp-1");

    assertThat(
            PlanningDecision.folderInUse(
                run,
                proposal,
                new PlanningObservation.Folder(List.of(object(marker)), Optional.of(ours), null)))
        .isEmpty();
  }

  @Test
  void aFolderHoldingABackupIsInUseAndFailsTheRun() {
    BackupRun run = run();
    PlanningDecision.Proposal proposal = proposal(run);
    String folder = proposal.result().folder();

    Optional<PlanProblem> problem =
        PlanningDecision.folderInUse(
            run,
            proposal,
            new PlanningObservation.Folder(
                List.of(object(folder + "/db.sql.gz"), object(BackupLayout.manifest(folder))),
                Optional.empty(),
                null));

    assertThat(problem.orElseThrow().reason()).isEqualTo("BackupIdInUse");
    assertThat(problem.get().message()).contains("a complete backup under " + folder + "/");
    assertThat(problem.get().retryable()).isFalse();
    RunRecord record = record(run, NOW);
    PlanningDecision.problem(record, problem.get(), TIMINGS);
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
  }

  @Test
  void aFolderWrittenByAnotherClusterSaysWhose() {
    BackupRun run = run();
    PlanningDecision.Proposal proposal = proposal(run);
    String marker = BackupLayout.owner(proposal.result().folder());
    Owner.Marker theirs =
        new Owner.Marker(
            Owner.Marker.FORMAT_VERSION,
            new Owner("cluster-b", "openstack", "primary", "other-uid"),
            proposal.result().backupId(),
            "cp-1");

    Optional<PlanProblem> problem =
        PlanningDecision.folderInUse(
            run,
            proposal,
            new PlanningObservation.Folder(List.of(object(marker)), Optional.of(theirs), null));

    assertThat(problem.orElseThrow().message())
        .contains("1 objects")
        .contains(", written by ")
        .contains("need their own spec.s3.prefix");
  }

  @Test
  void aFolderThatCannotBeListedIsWaitedFor() {
    BackupRun run = run();
    PlanningDecision.Proposal proposal = proposal(run);

    Optional<PlanProblem> problem =
        PlanningDecision.folderInUse(
            run, proposal, PlanningObservation.Folder.unreadable("connection refused"));

    assertThat(problem.orElseThrow().reason()).isEqualTo("StoreUnavailable");
    assertThat(problem.get().retryable()).isTrue();
    PlanningDecision.problem(record(run, NOW), problem.get(), TIMINGS);
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Pending);
    assertThat(run.getStatus().getMessage())
        .isEqualTo(
            "cannot list the backup's folder "
                + proposal.result().folder()
                + "/: connection refused");
  }
}
