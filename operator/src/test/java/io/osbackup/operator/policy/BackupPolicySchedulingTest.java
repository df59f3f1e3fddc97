package io.osbackup.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicyStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.operator.OsbackupOperator;
import io.osbackup.operator.reconcile.OperatorSettings;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The policy scheduler in the real operator on the embedded API (fabric8 CRUD mock), with a clock
 * the test moves. The store's Secret does not exist, so runs stay Pending (active) until the test
 * plays their end.
 */
class BackupPolicySchedulingTest {

  /** The mock API server logs every request at INFO; held so the level sticks. */
  static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  static final String NS = "openstack";
  static final Duration WAIT = Duration.ofSeconds(20);

  KubernetesMockServer server;
  KubernetesClient client;
  MutableClock clock;
  OperatorSettings settings;
  Operator operator;

  @BeforeEach
  void start() throws Exception {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(List.of()),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    for (String plural : List.of("backupstores", "backuppolicies", "backupruns")) {
      try (InputStream in =
          getClass().getResourceAsStream("/META-INF/fabric8/" + plural + ".osbackup.io-v1.yml")) {
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
      }
    }
    // Now, to the second: a policy's creation time is the API server's real time, and slots before
    // it never run.
    clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1));
    settings =
        OperatorSettings.defaults()
            .withPollInterval(Duration.ofMillis(200))
            .withPendingTimeout(Duration.ofDays(365 * 100))
            .withClock(clock);
    client.resource(store("primary")).create();
    startOperator();
  }

  @AfterEach
  void stop() {
    stopOperator();
    client.close();
    server.destroy();
  }

  void startOperator() {
    operator = OsbackupOperator.create(client, settings);
    operator.start();
  }

  void stopOperator() {
    if (operator != null) {
      operator.stop();
      operator = null;
    }
  }

  @Test
  void aSlotCreatesExactlyOneRunNamedAfterItAndARestartInTheSameSlotCreatesNoOther() {
    create(policy("nightly", "schedule: '0 2 * * *'\ntimeZone: Asia/Tokyo"));
    Instant slot = awaitNextSchedule("nightly");
    assertThat(slot.atZone(java.time.ZoneId.of("Asia/Tokyo")).getHour()).isEqualTo(2);
    assertThat(runsOf("nightly")).isEmpty();

    clock.set(slot.plusSeconds(30));
    String name = BackupPolicyReconciler.runName("nightly", slot);
    assertThat(name).matches("nightly-\\d{8}-170000");
    BackupRun run = await().atMost(WAIT).until(() -> run(name), r -> r != null);
    assertThat(run.getSpec().getPolicyRef().getName()).isEqualTo("nightly");
    assertThat(run.getMetadata().getLabels()).containsEntry(Api.POLICY_LABEL, "nightly");
    assertThat(run.getMetadata().getOwnerReferences()).isNullOrEmpty();
    await()
        .atMost(WAIT)
        .until(() -> slot.toString().equals(status("nightly").getLastScheduleTime()));
    assertThat(status("nightly").getActiveRuns()).containsExactly(name);
    assertThat(status("nightly").getNextScheduleTime())
        .isEqualTo(slot.plus(Duration.ofDays(1)).toString());

    // A crash after the run was created but before the policy's status said so; the operator starts
    // again.
    stopOperator();
    updateStatus("nightly", s -> s.setLastScheduleTime(null));
    startOperator();
    await()
        .atMost(WAIT)
        .until(() -> slot.toString().equals(status("nightly").getLastScheduleTime()));
    sleep(1000);
    assertThat(runsOf("nightly")).extracting(r -> r.getMetadata().getName()).containsExactly(name);
  }

  @Test
  void forbidSkipsTheSlotWhileARunIsActiveAndSaysSoThenLastSuccessFollowsTheRun() {
    create(policy("forbid", "schedule: '0 * * * *'"));
    Instant first = awaitNextSchedule("forbid");
    clock.set(first);
    String firstRun = BackupPolicyReconciler.runName("forbid", first);
    await().atMost(WAIT).until(() -> run(firstRun) != null);

    Instant second = first.plus(Duration.ofHours(1));
    clock.set(second.plusSeconds(5));
    await().atMost(WAIT).until(() -> status("forbid").getLastSkippedSlot() != null);
    BackupPolicyStatus.SkippedSlot skipped = status("forbid").getLastSkippedSlot();
    assertThat(skipped.getTime()).isEqualTo(second.toString());
    assertThat(skipped.getReason()).isEqualTo("RunStillActive");
    assertThat(skipped.getMessage())
        .contains("slot " + second)
        .contains(firstRun)
        .contains("still active");
    assertThat(eventsOf("forbid"))
        .anySatisfy(e -> assertThat(e.getMessage()).isEqualTo(skipped.getMessage()));
    sleep(1000);
    assertThat(runsOf("forbid")).hasSize(1);
    assertThat(status("forbid").getNextScheduleTime())
        .isEqualTo(second.plus(Duration.ofHours(1)).toString());

    finish(firstRun, RunPhase.Succeeded, second.plusSeconds(10));
    await().atMost(WAIT).until(() -> status("forbid").getLastSuccessfulRun() != null);
    BackupPolicyStatus.RunReference last = status("forbid").getLastSuccessfulRun();
    assertThat(last.getName()).isEqualTo(firstRun);
    assertThat(last.getBackupId()).isEqualTo(firstRun);
    assertThat(last.getTime()).isEqualTo(second.plusSeconds(10).toString());
    await().atMost(WAIT).until(() -> status("forbid").getActiveRuns().isEmpty());

    Instant third = second.plus(Duration.ofHours(1));
    clock.set(third);
    await().atMost(WAIT).until(() -> run(BackupPolicyReconciler.runName("forbid", third)) != null);
    assertThat(runsOf("forbid")).hasSize(2);
  }

  @Test
  void replaceCancelsTheActiveRunAndStartsTheNewOne() {
    create(policy("replace", "schedule: '*/30 * * * *'\nconcurrencyPolicy: Replace"));
    Instant first = awaitNextSchedule("replace");
    clock.set(first);
    String firstRun = BackupPolicyReconciler.runName("replace", first);
    await().atMost(WAIT).until(() -> run(firstRun) != null);

    Instant second = first.plus(Duration.ofMinutes(30));
    clock.set(second);
    String secondRun = BackupPolicyReconciler.runName("replace", second);
    await().atMost(WAIT).until(() -> run(secondRun) != null);
    // The operator asks through an annotation: it never writes a run's spec, which the user (or
    // GitOps) owns.
    assertThat(run(firstRun).getMetadata().getAnnotations())
        .containsEntry(
            io.osbackup.api.v1alpha1.Api.CANCEL_ANNOTATION,
            "replaced by run " + secondRun + " of slot " + second + " (concurrencyPolicy Replace)");
    assertThat(run(firstRun).getSpec().getCancel()).isNotEqualTo(Boolean.TRUE);
    assertThat(run(secondRun).getMetadata().getAnnotations())
        .doesNotContainKey(io.osbackup.api.v1alpha1.Api.CANCEL_ANNOTATION);
    // The run reconciler ends the cancelled run; the policy then lists only the new one as active.
    await().atMost(WAIT).until(() -> phase(firstRun) == RunPhase.Cancelled);
    assertThat(run(firstRun).getStatus().getMessage()).contains("replaced by run " + secondRun);
    await().atMost(WAIT).until(() -> status("replace").getActiveRuns().equals(List.of(secondRun)));
    assertThat(eventsOf("replace"))
        .anySatisfy(e -> assertThat(e.getMessage()).contains("cancelled run " + firstRun));
  }

  @Test
  void aSuspendedPolicyCreatesNothing() {
    create(policy("paused", "schedule: '*/5 * * * *'\nsuspend: true"));
    await().atMost(WAIT).until(() -> "Suspended".equals(ready("paused").getReason()));
    clock.advance(Duration.ofDays(3));
    sleep(1500);
    assertThat(runsOf("paused")).isEmpty();
    assertThat(status("paused").getNextScheduleTime()).isNull();
    assertThat(ready("paused").getStatus()).isEqualTo("True");
  }

  @Test
  void afterThreeDaysOfDowntimeExactlyOneCatchUpRunForTheLatestSlot() {
    create(policy("catchup", "schedule: '0 2 * * *'"));
    Instant first = awaitNextSchedule("catchup");
    stopOperator();
    clock.set(first.plus(Duration.ofDays(3)).plus(Duration.ofHours(5)));
    startOperator();
    String latest = BackupPolicyReconciler.runName("catchup", first.plus(Duration.ofDays(3)));
    await().atMost(WAIT).until(() -> run(latest) != null);
    sleep(1500);
    assertThat(runsOf("catchup"))
        .extracting(r -> r.getMetadata().getName())
        .containsExactly(latest);
    assertThat(status("catchup").getNextScheduleTime())
        .isEqualTo(first.plus(Duration.ofDays(4)).toString());
  }

  @Test
  void withAShortStartingDeadlineASlotNoticedLateIsMissedAndRecorded() {
    create(policy("deadline", "schedule: '0 2 * * *'\nstartingDeadlineSeconds: 600"));
    Instant first = awaitNextSchedule("deadline");
    stopOperator();
    Instant latest = first.plus(Duration.ofDays(3));
    clock.set(latest.plus(Duration.ofHours(5)));
    startOperator();
    await().atMost(WAIT).until(() -> status("deadline").getLastSkippedSlot() != null);
    BackupPolicyStatus.SkippedSlot missed = status("deadline").getLastSkippedSlot();
    assertThat(missed.getTime()).isEqualTo(latest.toString());
    assertThat(missed.getReason()).isEqualTo("MissedStartingDeadline");
    assertThat(missed.getMessage()).contains("startingDeadlineSeconds (600)");
    sleep(1000);
    assertThat(runsOf("deadline")).isEmpty();

    // The next slot, on time, runs.
    Instant next = latest.plus(Duration.ofDays(1));
    clock.set(next.plusSeconds(60));
    await().atMost(WAIT).until(() -> run(BackupPolicyReconciler.runName("deadline", next)) != null);
  }

  @Test
  void badTimeZoneOrCronIsNotReadyQuotingTheValueAndTheAcceptedForm() {
    // The schema would refuse most of these; the embedded API does not check it, like an old CRD or
    // a bypass.
    create(policy("mars", "schedule: '0 2 * * *'\ntimeZone: Mars/Olympus_Mons"));
    create(policy("late", "schedule: '0 25 * * *'"));
    await().atMost(WAIT).until(() -> "InvalidTimeZone".equals(ready("mars").getReason()));
    assertThat(ready("mars").getStatus()).isEqualTo("False");
    assertThat(ready("mars").getMessage())
        .contains("\"Mars/Olympus_Mons\"")
        .contains("IANA time zone name such as \"UTC\"");
    await().atMost(WAIT).until(() -> "InvalidSchedule".equals(ready("late").getReason()));
    assertThat(ready("late").getMessage())
        .contains("spec.schedule \"0 25 * * *\"")
        .contains("\"0 2 * * *\"");
    assertThat(eventsOf("late"))
        .anySatisfy(
            e -> {
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getMessage()).isEqualTo(ready("late").getMessage());
            });
    clock.advance(Duration.ofDays(2));
    sleep(1000);
    assertThat(runsOf("mars")).isEmpty();

    // Fixed, it becomes Ready.
    BackupPolicy late = client.resources(BackupPolicy.class).inNamespace(NS).withName("late").get();
    late.getSpec().setSchedule("0 23 * * *");
    client.resource(late).update();
    await().atMost(WAIT).until(() -> "True".equals(ready("late").getStatus()));
  }

  @Test
  void aMissingStoreIsNotReadyUntilItExists() {
    BackupPolicy policy = policy("elsewhere", "schedule: '0 2 * * *'");
    policy.getSpec().getStoreRef().setName("secondary");
    create(policy);
    await().atMost(WAIT).until(() -> "StoreNotFound".equals(ready("elsewhere").getReason()));
    assertThat(ready("elsewhere").getMessage()).contains("'secondary'");
    client.resource(store("secondary")).create();
    await().atMost(WAIT).until(() -> "True".equals(ready("elsewhere").getStatus()));
  }

  // --- helpers ---

  static BackupStore store(String name) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: %s, namespace: %s}
        spec:
          s3: {endpoint: "http://127.0.0.1:9", bucket: b, region: us-east-1, credentialsSecret: {name: no-such-secret}}
        """
            .formatted(name, NS),
        BackupStore.class);
  }

  static BackupPolicy policy(String name, String scheduling) {
    String yaml =
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: %s, namespace: %s}
        spec:
          storeRef: {name: primary}
          files:
            - {name: nova-config, nodeSelector: {openstack-role: compute}, paths: [/etc/nova]}
        """
            .formatted(name, NS);
    return Serialization.unmarshal(yaml + scheduling.indent(2), BackupPolicy.class);
  }

  void create(BackupPolicy policy) {
    client.resource(policy).create();
  }

  BackupRun run(String name) {
    return client.resources(BackupRun.class).inNamespace(NS).withName(name).get();
  }

  RunPhase phase(String name) {
    BackupRun run = run(name);
    return run == null || run.getStatus() == null ? null : run.getStatus().getPhase();
  }

  List<BackupRun> runsOf(String policy) {
    return client.resources(BackupRun.class).inNamespace(NS).list().getItems().stream()
        .filter(r -> policy.equals(r.getSpec().getPolicyRef().getName()))
        .toList();
  }

  BackupPolicyStatus status(String policy) {
    BackupPolicy p = client.resources(BackupPolicy.class).inNamespace(NS).withName(policy).get();
    return p.getStatus() == null ? new BackupPolicyStatus() : p.getStatus();
  }

  io.fabric8.kubernetes.api.model.Condition ready(String policy) {
    return status(policy)
        .condition(BackupPolicyStatus.READY)
        .orElse(new io.fabric8.kubernetes.api.model.Condition());
  }

  Instant awaitNextSchedule(String policy) {
    String next =
        await().atMost(WAIT).until(() -> status(policy).getNextScheduleTime(), n -> n != null);
    return Instant.parse(next);
  }

  List<Event> eventsOf(String name) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  void updateStatus(String policy, Consumer<BackupPolicyStatus> change) {
    await()
        .atMost(WAIT)
        .ignoreException(KubernetesClientException.class)
        .until(
            () -> {
              BackupPolicy p =
                  client.resources(BackupPolicy.class).inNamespace(NS).withName(policy).get();
              change.accept(p.getStatus());
              client.resource(p).updateStatus();
              return true;
            });
  }

  /** Plays the end of a run, as the run reconciler would write it. */
  void finish(String name, RunPhase phase, Instant at) {
    await()
        .atMost(WAIT)
        .ignoreException(KubernetesClientException.class)
        .until(
            () -> {
              BackupRun run = run(name);
              BackupRunStatus status =
                  run.getStatus() == null ? new BackupRunStatus() : run.getStatus();
              status.setPhase(phase);
              status.setBackupId(name);
              status.setCompletionTime(at.toString());
              run.setStatus(status);
              client.resource(run).updateStatus();
              return true;
            });
    await().atMost(WAIT).until(() -> phase(name) == phase);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
