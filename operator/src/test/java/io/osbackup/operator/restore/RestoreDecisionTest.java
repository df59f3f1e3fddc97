package io.osbackup.operator.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreItem;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.ItemState;
import io.osbackup.contract.RestoreReport;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Every phase transition of a RestoreRequest, decided from recorded observations: no Kubernetes, no
 * bucket, a fixed clock.
 */
class RestoreDecisionTest {

  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final String ID = "20260301-110000";

  final OperatorSettings settings =
      OperatorSettings.defaults().withClock(Clock.fixed(NOW, ZoneOffset.UTC));
  final RestoreDecision decision = new RestoreDecision(settings);
  final ValidationDecision validation = new ValidationDecision(settings);
  final VerifyDecision verification = new VerifyDecision(settings);
  final QuiesceDecision quiescing = new QuiesceDecision(settings);
  final RestoringDecision restoring = new RestoringDecision(settings);
  final ResumeDecision resuming = new ResumeDecision(settings);
  final RestoreRequest request = request();
  final RestoreRequestStatus status = new RestoreRequestStatus();

  static RestoreRequest request() {
    RestoreRequest r = new RestoreRequest();
    r.setMetadata(
        new ObjectMetaBuilder()
            .withName("r")
            .withNamespace("openstack")
            .withGeneration(1L)
            .withCreationTimestamp(NOW.minusSeconds(10).toString())
            .build());
    r.setSpec(new RestoreRequestSpec());
    return r;
  }

  static RestoreItem item(String kind, String destination, boolean inPlace) {
    RestoreItem item = new RestoreItem();
    item.setKind(kind);
    item.setTarget("galera");
    item.setKey("k/" + destination);
    item.setSize(100L);
    item.setDestination(destination);
    item.setInPlace(inPlace);
    item.setState(ItemState.PENDING.value());
    return item;
  }

  static RestoreJob job(String name, String kind, TaskPhase phase, String message) {
    RestoreJob job = RestoreDecision.job(name, kind, null, null);
    job.setPhase(phase);
    job.setMessage(message);
    return job;
  }

  static QuiescedWorkload quiesced(String name, int replicas) {
    QuiescedWorkload q = new QuiescedWorkload();
    q.setKind("Deployment");
    q.setName(name);
    q.setReplicas(replicas);
    q.setResumed(false);
    return q;
  }

  static RestoreReport report(boolean ok, String reason, List<RestoreReport.Item> items) {
    return new RestoreReport("r-job", ok, reason, null, null, null, items, List.of(), null);
  }

  String condition() {
    return status.condition(RestoreRequestStatus.COMPLETE).map(c -> c.getReason()).orElse(null);
  }

  static List<String> reasons(Outcome outcome) {
    return outcome.notices().stream().map(Outcome.Notice::reason).toList();
  }

  static boolean warns(Outcome outcome, String reason) {
    return outcome.notices().stream().anyMatch(n -> n.warning() && n.reason().equals(reason));
  }

  /** A request verified and in Quiescing, its database to restore to a new name. */
  void verifying() {
    status.setBackupId(ID);
    status.setPlan(new ArrayList<>(List.of(item("database", "db:3306/nova_copy", false))));
    status.setJobs(
        new ArrayList<>(List.of(job("r-verify", RestoreDecision.VERIFY, TaskPhase.Running, null))));
    status.setPhase(RestorePhase.Verifying);
  }

  // ---------------------------------------------------------------- Pending → Validating

  @Test
  void aNewRequestStartsValidating() {
    Outcome outcome = decision.begin(request, status);

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Validating);
    assertThat(status.getStamp()).isEqualTo("20260301-120000");
    assertThat(status.getStartTime()).isEqualTo(NOW.toString());
    assertThat(condition()).isEqualTo("Validating");
    assertThat(outcome.lookAgainAfter()).contains(settings.timings().nextStep());
  }

  // ---------------------------------------------------------------- Validating

  @Test
  void aValidSelectionGoesOnToVerifyWithItsPlanAndVerifyJob() {
    status.setBackupId(ID);

    Outcome outcome =
        validation.validated(
            request,
            status,
            List.of(),
            "",
            List.of(item("database", "db:3306/nova_copy", false)),
            "r-verify");

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Verifying);
    assertThat(status.getBytes()).isEqualTo(100L);
    assertThat(status.getJobs()).extracting(RestoreJob::getName).containsExactly("r-verify");
    assertThat(status.getJobs().get(0).getPhase()).isEqualTo(TaskPhase.Pending);
    assertThat(reasons(outcome)).containsExactly("Validated");
    assertThat(outcome.notices().get(0).message())
        .isEqualTo("backup " + ID + ": 1 artifacts selected");
  }

  @Test
  void aRestoreInPlaceWithoutConfirmIsRefusedBeforeAnythingIsRead() {
    status.setBackupId(ID);

    Outcome outcome =
        validation.validated(
            request,
            status,
            List.of("database nova"),
            "nova_orig_x",
            List.of(item("database", "db:3306/nova", true)),
            "r-verify");

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("ConfirmRequired");
    assertThat(status.getMessage())
        .contains("set spec.confirm: " + ID)
        .contains("nova_orig_x")
        .endsWith("(nothing was changed)");
    assertThat(warns(outcome, "ConfirmRequired")).isTrue();
    assertThat(outcome.lookAgainAfter()).isEmpty();
  }

  @Test
  void aWrongConfirmIsAMismatch() {
    status.setBackupId(ID);
    request.getSpec().setConfirm("another");

    validation.validated(request, status, List.of("database nova"), "x", List.of(), "r-verify");

    assertThat(condition()).isEqualTo("ConfirmMismatch");
    assertThat(status.getMessage()).contains("(spec.confirm is 'another')");
  }

  @Test
  void badInputFailsTheRequestWithItsReasonAndAWarning() {
    Outcome outcome =
        decision.problem(
            request,
            status,
            new RestoreProblem("BackupRunNotFound", "source.backupRunRef: no such run", false));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("BackupRunNotFound");
    assertThat(status.getMessage())
        .isEqualTo("source.backupRunRef: no such run (nothing was changed)");
    assertThat(status.getCompletionTime()).isEqualTo(NOW.toString());
    assertThat(warns(outcome, "BackupRunNotFound")).isTrue();
  }

  @Test
  void aRetryableProblemWaitsAndWarnsOnce() {
    RestoreProblem missing = new RestoreProblem("StoreNotFound", "apply BackupStore 's'", true);

    Outcome first = decision.problem(request, status, missing);
    Outcome second = decision.problem(request, status, missing);

    assertThat(status.getPhase()).isNull();
    assertThat(condition()).isEqualTo("StoreNotFound");
    assertThat(first.lookAgainAfter()).contains(settings.timings().recheck());
    assertThat(warns(first, "StoreNotFound")).isTrue();
    assertThat(second.notices()).isEmpty();
  }

  @Test
  void aRetryableProblemFailsOncePendingLasted() {
    request
        .getMetadata()
        .setCreationTimestamp(NOW.minus(settings.timings().pending()).minusSeconds(1).toString());

    decision.problem(
        request, status, new RestoreProblem("StoreUnavailable", "cannot read the bucket", true));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("StoreUnavailable");
  }

  // ---------------------------------------------------------------- Verifying

  @Test
  void aRunningVerifyJobIsFollowed() {
    verifying();

    Outcome outcome =
        verification.verified(request, status, status.getJobs().get(0), Optional.empty());

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Verifying);
    assertThat(status.getProgress()).isEqualTo("verifying 1 artifacts");
    assertThat(outcome.lookAgainAfter()).contains(settings.timings().poll());
  }

  @Test
  void aVerifiedBackupGoesOnToQuiesceAndFromNowOnRunsOnce() {
    verifying();
    RestoreJob verify = status.getJobs().get(0);
    verify.setPhase(TaskPhase.Succeeded);

    Outcome outcome =
        verification.verified(request, status, verify, Optional.of(report(true, null, List.of())));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Quiescing);
    assertThat(status.getStartedGeneration()).isEqualTo(1L);
    assertThat(status.getPhaseTime()).isEqualTo(NOW.toString());
    assertThat(status.getPlan().get(0).getState()).isEqualTo("Verified");
    assertThat(reasons(outcome)).containsExactly("Verified");
  }

  @Test
  void anArtifactThatDoesNotMatchItsManifestFailsVerification() {
    verifying();
    RestoreJob verify = status.getJobs().get(0);
    verify.setPhase(TaskPhase.Failed);
    verify.setMessage("ArtifactCorrupted: sha256 differs");

    Outcome outcome =
        verification.verified(
            request, status, verify, Optional.of(report(false, "ArtifactCorrupted", List.of())));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("ArtifactCorrupted");
    assertThat(status.getMessage())
        .isEqualTo("verification failed, nothing was written: ArtifactCorrupted: sha256 differs");
    assertThat(status.getStartedGeneration()).isNull();
    assertThat(warns(outcome, "ArtifactCorrupted")).isTrue();
  }

  @Test
  void aVerifyJobWithoutReportOrPodFailsAsVerifyFailed() {
    verifying();
    RestoreJob verify = status.getJobs().get(0);
    verify.setPhase(TaskPhase.Failed);
    verify.setMessage("PodNotStarting: image not pulled");

    verification.verified(request, status, verify, Optional.empty());

    assertThat(condition()).isEqualTo("VerifyFailed");
    assertThat(status.getMessage()).contains("PodNotStarting: image not pulled");
  }

  @Test
  void anExistingDestinationFoundByTheVerifyJobNeedsConfirm() {
    verifying();
    RestoreJob verify = status.getJobs().get(0);
    verify.setPhase(TaskPhase.Succeeded);
    RestoreReport found =
        new RestoreReport(
            "r-verify",
            true,
            null,
            null,
            null,
            null,
            List.of(),
            List.of(new RestoreReport.Server("db", 3306, "10.11", List.of("nova_copy"))),
            null);

    verification.verified(request, status, verify, Optional.of(found));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("ConfirmRequired");
    assertThat(status.getMessage()).contains("the destination database db:3306/nova_copy");
    assertThat(status.getPlan().get(0).getInPlace()).isTrue();
  }

  @Test
  void aDryRunEndsAfterVerifying() {
    verifying();
    request.getSpec().setDryRun(true);
    RestoreJob verify = status.getJobs().get(0);
    verify.setPhase(TaskPhase.Succeeded);

    Outcome outcome =
        verification.verified(request, status, verify, Optional.of(report(true, null, List.of())));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Succeeded);
    assertThat(condition()).isEqualTo("DryRun");
    assertThat(status.getMessage())
        .startsWith("dry run: 1 artifacts")
        .endsWith("nothing was changed");
    assertThat(status.getStartedGeneration()).isNull();
    assertThat(outcome.notices().get(0).warning()).isFalse();
  }

  // ---------------------------------------------------------------- Quiescing

  @Test
  void replicaCountsAreRecordedBeforeAnythingIsScaled() {
    status.getQuiesced().add(quiesced("nova-api", 3));

    Outcome outcome = quiescing.recorded(status);

    assertThat(status.getMessage()).isEqualTo("recorded the replica counts of 1 workloads");
    assertThat(outcome.statusChanged()).isTrue();
    assertThat(outcome.lookAgainAfter()).contains(settings.timings().nextStep());
  }

  @Test
  void workloadsStillStoppingAreWaitedFor() {
    status.setPhase(RestorePhase.Quiescing);
    status.setPhaseTime(NOW.minusSeconds(5).toString());

    Outcome outcome = quiescing.stillRunning(status, List.of("Deployment/nova-api (replicas 1)"));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Quiescing);
    assertThat(status.getMessage()).startsWith("waiting for quiesced workloads to stop");
    assertThat(outcome.lookAgainAfter()).contains(settings.timings().settle());
  }

  @Test
  void workloadsThatDoNotStopInTimeFailTheRequestAndAreResumed() {
    status.setPhase(RestorePhase.Quiescing);
    status.setPhaseTime(NOW.minus(settings.timings().quiesce()).minusSeconds(1).toString());

    Outcome outcome = quiescing.stillRunning(status, List.of("Deployment/nova-api (pods p)"));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Resuming);
    assertThat(status.getJobs())
        .singleElement()
        .satisfies(
            j -> {
              assertThat(j.getKind()).isEqualTo(RestoreDecision.QUIESCE);
              assertThat(j.getPhase()).isEqualTo(TaskPhase.Failed);
              assertThat(j.getMessage()).startsWith("QuiesceTimeout: ");
            });
    assertThat(warns(outcome, "QuiesceTimeout")).isTrue();
  }

  @Test
  void workloadsComingBackBeforeTheRestoreStopIt() {
    Outcome outcome =
        quiescing.cameBackBeforeRestore(status, List.of("Deployment/nova-api, changed by argocd"));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Resuming);
    assertThat(status.getMessage()).contains("nothing was restored, resuming the workloads");
    assertThat(warns(outcome, "QuiesceBroken")).isTrue();
  }

  @Test
  void stoppedWorkloadsLetTheRestoreJobsStart() {
    verifying();
    status.getQuiesced().add(quiesced("nova-api", 3));

    Outcome outcome =
        quiescing.quiesced(
            request, status, List.of(job("r-db-galera", "database", TaskPhase.Pending, null)));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Restoring);
    assertThat(status.getJobs())
        .extracting(RestoreJob::getName)
        .containsExactly("r-verify", "r-db-galera");
    assertThat(status.getMessage()).isEqualTo("restoring 1 artifacts with 1 Jobs");
    assertThat(outcome.notices())
        .singleElement()
        .satisfies(
            n -> assertThat(n.message()).isEqualTo("scaled to zero: Deployment/nova-api (was 3)"));
  }

  // ---------------------------------------------------------------- Restoring

  @Test
  void runningRestoreJobsAreFollowed() {
    verifying();
    RestoreJob db = job("r-db", "database", TaskPhase.Running, null);

    Outcome outcome = restoring.restoring(request, status, List.of(db));

    assertThat(status.getProgress()).isEqualTo("0/1 artifacts restored, 0/1 Jobs done");
    assertThat(outcome.lookAgainAfter()).contains(settings.timings().poll());
  }

  @Test
  void succeededRestoreJobsResumeTheWorkloads() {
    verifying();
    status.getPlan().get(0).setState(ItemState.RESTORED.value());
    RestoreJob db = job("r-db", "database", TaskPhase.Succeeded, null);

    Outcome outcome = restoring.restoring(request, status, List.of(db));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Resuming);
    assertThat(reasons(outcome)).containsExactly("Restored");
    assertThat(outcome.notices().get(0).message())
        .isEqualTo("1/1 artifacts restored, 1/1 Jobs done");
  }

  @Test
  void aFailedRestoreKeepsTheWorkloadsQuiescedAndSaysHowToResume() {
    verifying();
    status.getQuiesced().add(quiesced("nova-api", 3));
    RestoreJob db = job("r-db", "database", TaskPhase.Failed, "RestoreFailed: access denied");

    Outcome outcome = restoring.restoring(request, status, List.of(db));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("RestoreFailed");
    assertThat(status.getMessage())
        .contains("kubectl -n openstack scale deployment/nova-api --replicas=3");
    assertThat(reasons(outcome)).containsExactly("RestoreFailed", "RestoreFailed");
  }

  @Test
  void aFailedRestoreResumesWhenTheSpecSaysSo() {
    verifying();
    request.getSpec().setOnFailure(RestoreRequestSpec.OnRestoreFailure.Resume);
    status.getQuiesced().add(quiesced("nova-api", 3));
    RestoreJob db = job("r-db", "database", TaskPhase.Failed, "ArchiveRefused: ../etc");

    Outcome outcome = restoring.restoring(request, status, List.of(db));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Resuming);
    assertThat(status.getMessage()).endsWith("; resuming workloads (spec.onFailure: Resume)");
    assertThat(warns(outcome, "ArchiveRefused")).isTrue();
  }

  @Test
  void aPodThatNeverStartedFailsItsRestoreJob() {
    verifying();
    RestoreJob db = job("r-db", "database", TaskPhase.Failed, "PodNotStarting: unschedulable");

    restoring.restoring(request, status, List.of(db));

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Resuming);
    assertThat(status.getMessage()).contains("r-db: PodNotStarting: unschedulable");
  }

  @Test
  void reportedItemsGoIntoThePlan() {
    verifying();
    String key = status.getPlan().get(0).getKey();

    Outcome outcome =
        RestoringDecision.record(
            status,
            report(
                true,
                null,
                List.of(
                    new RestoreReport.Item(
                        key, "db:3306/nova_copy", ItemState.RESTORED, "nova_orig", "finished"))));

    assertThat(status.getPlan().get(0).getState()).isEqualTo("Restored");
    assertThat(status.getPlan().get(0).getPreviousKeptAt()).isEqualTo("nova_orig");
    assertThat(warns(outcome, "SwapRecovered")).isTrue();
  }

  // ---------------------------------------------------------------- Resuming

  @Test
  void aResumedRestoreSucceeds() {
    verifying();
    status.getPlan().get(0).setState(ItemState.RESTORED.value());
    status.getPlan().get(0).setPreviousKeptAt("nova_orig");
    status.getQuiesced().add(quiesced("nova-api", 3));

    Outcome outcome = resuming.resumed(request, status);

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Succeeded);
    assertThat(status.getMessage())
        .isEqualTo(
            "restored 1 artifacts of "
                + ID
                + "; previous contents kept: db:3306/nova_copy → nova_orig"
                + "; workloads scaled back: Deployment/nova-api=3");
    assertThat(reasons(outcome)).containsExactly("Succeeded");
    assertThat(outcome.lookAgainAfter()).isEmpty();
  }

  @Test
  void aRequestStoppedWhileQuiescingEndsWithItsOwnReason() {
    verifying();
    quiescing.failedBeforeRestore(status, "QuiesceTimeout", "still running");

    resuming.resumed(request, status);

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("QuiesceTimeout");
    assertThat(status.getMessage()).endsWith("; nothing was restored");
  }

  @Test
  void aCancelledRequestEndsCancelledOnceResumed() {
    verifying();
    request.getSpec().setCancel(true);

    resuming.resumed(request, status);

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Cancelled);
    assertThat(condition()).isEqualTo("Cancelled");
  }

  @Test
  void workloadsThatCameBackWhileRestoringFailTheRequest() {
    verifying();
    QuiescedWorkload q = quiesced("nova-api", 3);
    q.setBroken("Deployment/nova-api, changed by kubectl");
    status.getQuiesced().add(q);

    resuming.resumed(request, status);

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("QuiesceBroken");
  }

  @Test
  void aFailedRestoreJobFailsTheRequestOnceResumed() {
    verifying();
    status.getJobs().add(job("r-db", "database", TaskPhase.Failed, "ArchiveRefused: ../etc"));

    resuming.resumed(request, status);

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(condition()).isEqualTo("ArchiveRefused");
  }

  // ---------------------------------------------------------------- Final phases, edits

  @Test
  void anEndedRequestWhoseSpecDidNotChangeIsLeftAlone() {
    status.setPhase(RestorePhase.Succeeded);
    status.setObservedGeneration(1L);

    assertThat(decision.edit(request, status)).isEqualTo(RestoreDecision.Edit.NONE);
  }

  @Test
  void anEditedRequestThatWroteNothingIsANewAttempt() {
    status.setPhase(RestorePhase.Failed);
    status.setObservedGeneration(1L);
    status.setJobs(
        new ArrayList<>(
            List.of(
                job("r-verify", RestoreDecision.VERIFY, TaskPhase.Failed, null),
                job("quiesce", RestoreDecision.QUIESCE, TaskPhase.Failed, null))));
    request.getMetadata().setGeneration(2L);

    assertThat(decision.edit(request, status)).isEqualTo(RestoreDecision.Edit.NEW_ATTEMPT);
    assertThat(RestoreDecision.jobsOfEndedAttempt(status)).containsExactly("r-verify");
    assertThat(RestoreDecision.nextAttempt(status).getAttempt()).isEqualTo(2);
  }

  @Test
  void onceWorkloadsWereQuiescedAnEditIsIgnoredAndTheRestoreRunsOnce() {
    status.setPhase(RestorePhase.Failed);
    status.setObservedGeneration(1L);
    status.setStartedGeneration(1L);
    request.getMetadata().setGeneration(3L);

    assertThat(decision.edit(request, status)).isEqualTo(RestoreDecision.Edit.IGNORED);
    Outcome outcome = decision.ignoreEdit(request, status);

    assertThat(status.getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(status.getObservedGeneration()).isEqualTo(3L);
    assertThat(status.condition("SpecIgnored"))
        .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("RunsOnce"));
    assertThat(outcome.statusChanged()).isTrue();
    assertThat(outcome.lookAgainAfter()).isEmpty();
  }

  @Test
  void waitingForTheApiLooksAgainLater() {
    Outcome outcome = decision.waitFor(status, "the API", new RuntimeException("timeout"));

    assertThat(status.getMessage()).isEqualTo("waiting for the API, will retry: timeout");
    assertThat(outcome.lookAgainAfter()).contains(settings.timings().recheck());
    assertThat(Duration.ZERO).isNotEqualTo(settings.timings().recheck());
  }
}
