package io.osbackup.e2e;

import static io.osbackup.e2e.LocalOsbackup.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quiesce that holds: workloads another controller owns are refused until the request says they are
 * handled, the restore waits for pods that are still terminating, and a workload that comes back
 * while restoring is scaled to zero again and reported. The real operator on a real control plane
 * whose Deployment, ReplicaSet and StatefulSet controllers manage the workloads' pods (the local
 * kubelet runs them as placeholders), the real agent, MariaDB and S3.
 */
class QuiesceIT {

  @TempDir static Path work;
  static LocalOsbackup osb;

  @BeforeAll
  static void start() throws Exception {
    osb = LocalOsbackup.start(work);
    osb.addNode("controller-1", "controller");
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(osb);
  }

  @Test
  void workloadsOwnedByAnotherControllerAreRefusedUntilTheRequestSaysTheyAreHandled()
      throws Exception {
    osb.seed("qo_db");
    osb.apply(osb.policy("qo", osb.databases("qo_db")));
    BackupRun run = osb.backup("qo", "qo-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    String source =
        "source: {backupRunRef: {name: qo-1}}\ndatabases: {renames: {qo_db: qo_copy}}\n";

    Deployment owned = RestoreRequestIT.deployment("qo-owned", 3);
    owned
        .getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion("core.openstack.org/v1beta1")
                    .withKind("OpenStackControlPlane")
                    .withName("openstack")
                    .withUid("7d7c3c4e-0000-4000-8000-000000000001")
                    .withController(true)
                    .build()));
    osb.apply(owned);
    Deployment argo = RestoreRequestIT.deployment("qo-argo", 2);
    argo.getMetadata()
        .setAnnotations(
            Map.of(
                "argocd.argoproj.io/tracking-id",
                "openstack-services:apps/Deployment:openstack/qo-argo"));
    osb.apply(argo);
    Deployment flux = RestoreRequestIT.deployment("qo-flux", 2);
    flux.getMetadata()
        .setLabels(
            Map.of(
                "kustomize.toolkit.fluxcd.io/name",
                "control-plane",
                "kustomize.toolkit.fluxcd.io/namespace",
                "flux-system"));
    osb.apply(flux);
    StatefulSet scaled = RestoreRequestIT.statefulSet("qo-hpa", 2);
    osb.apply(scaled);
    HorizontalPodAutoscaler hpa =
        new HorizontalPodAutoscalerBuilder()
            .withNewMetadata()
            .withName("qo-hpa-cpu")
            .withNamespace(NS)
            .endMetadata()
            .withNewSpec()
            .withNewScaleTargetRef()
            .withApiVersion("apps/v1")
            .withKind("StatefulSet")
            .withName("qo-hpa")
            .endScaleTargetRef()
            .withMinReplicas(2)
            .withMaxReplicas(5)
            .endSpec()
            .build();
    osb.apply(hpa);

    assertRefused(
        "qo-refused-owner",
        source + "quiesce: [{kind: Deployment, name: qo-owned}]\n",
        "QuiesceOwnedWorkload",
        "spec.quiesce[0]",
        "Deployment qo-owned",
        "OpenStackControlPlane/openstack",
        "controller",
        "spec.quiesce[0].handled: true");
    assertRefused(
        "qo-refused-argo",
        source
            + "quiesce:\n  - {kind: StatefulSet, name: qo-hpa,"
            + " handled: true}\n  - {kind: Deployment, name: qo-argo}\n",
        "QuiesceOwnedWorkload",
        "spec.quiesce[1]",
        "Deployment qo-argo",
        "Argo CD",
        "openstack-services",
        "spec.quiesce[1].handled: true");
    assertRefused(
        "qo-refused-flux",
        source + "quiesce: [{kind: Deployment, name: qo-flux}]\n",
        "QuiesceOwnedWorkload",
        "Deployment qo-flux",
        "Flux",
        "flux-system/control-plane",
        "flux suspend kustomization control-plane -n flux-system");
    assertRefused(
        "qo-refused-hpa",
        source + "quiesce: [{kind: StatefulSet, name: qo-hpa}]\n",
        "QuiesceOwnedWorkload",
        "StatefulSet qo-hpa",
        "HorizontalPodAutoscaler/qo-hpa-cpu",
        "spec.quiesce[0].handled: true");
    // Nothing was scaled.
    assertThat(replicas("Deployment", "qo-owned")).isEqualTo(3);
    assertThat(replicas("Deployment", "qo-argo")).isEqualTo(2);
    assertThat(replicas("Deployment", "qo-flux")).isEqualTo(2);
    assertThat(replicas("StatefulSet", "qo-hpa")).isEqualTo(2);
    assertThat(osb.db.column("SHOW DATABASES LIKE 'qo_copy%'")).isEmpty();

    // Each named as handled (their owners paused): the restore quiesces them and goes on.
    osb.restore(
        "qo-handled",
        source
            + """
        quiesce:
          - {kind: Deployment, name: qo-owned, handled: true}
          - {kind: Deployment, name: qo-argo, handled: true}
          - {kind: Deployment, name: qo-flux, handled: true}
          - {kind: StatefulSet, name: qo-hpa, handled: true}
        """);
    RestoreRequest done = osb.awaitRestoreEnd("qo-handled");
    assertThat(done.getStatus().getPhase())
        .as(done.getStatus().getMessage())
        .isEqualTo(RestorePhase.Succeeded);
    assertThat(done.getStatus().getQuiesced())
        .extracting(q -> q.getName() + "=" + q.getReplicas())
        .containsExactlyInAnyOrder("qo-owned=3", "qo-argo=2", "qo-flux=2", "qo-hpa=2");
    assertThat(osb.db.tableChecksums("qo_copy")).isEqualTo(osb.db.tableChecksums("qo_db"));
    assertThat(replicas("Deployment", "qo-owned")).isEqualTo(3);
    assertThat(replicas("StatefulSet", "qo-hpa")).isEqualTo(2);
  }

  @Test
  void theRestoreWaitsInQuiescingForAPodThatIsStillTerminating() throws Exception {
    osb.seed("qt_db");
    osb.apply(osb.policy("qt", osb.databases("qt_db")));
    BackupRun run = osb.backup("qt", "qt-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    // Its pod shuts down slowly (it ignores SIGTERM for its grace period): Terminating once the
    // operator scales the
    // Deployment to zero and the ReplicaSet controller deletes the pod.
    osb.apply(slowToStop(RestoreRequestIT.deployment("qt-api", 1)));
    String pod = awaitPods("qt-api", 1).get(0);

    osb.restore(
        "qt-restore",
        """
        source: {backupRunRef: {name: qt-1}}
        databases: {renames: {qt_db: qt_copy}}
        quiesce: [{kind: Deployment, name: qt-api}]
        """);
    await()
        .atMost(LocalOsbackup.TIMEOUT)
        .until(() -> Integer.valueOf(0).equals(replicas("Deployment", "qt-api")));
    await()
        .atMost(LocalOsbackup.TIMEOUT)
        .until(
            () -> {
              Pod p = osb.client.pods().inNamespace(NS).withName(pod).get();
              return p != null && p.getMetadata().getDeletionTimestamp() != null;
            });

    RestoreRequest waiting =
        osb.awaitFinal(
            RestoreRequest.class,
            "qt-restore",
            r ->
                r.getStatus() != null
                    && r.getStatus().getPhase() != null
                    && (r.getStatus().getPhase().isFinal()
                        || r.getStatus().getMessage() != null
                            && r.getStatus().getMessage().contains("terminating")));
    assertThat(waiting.getStatus().getPhase())
        .as(waiting.getStatus().getMessage())
        .isEqualTo(RestorePhase.Quiescing);
    assertThat(waiting.getStatus().getMessage()).contains("Deployment/qt-api").contains(pod);
    Thread.sleep(2000);
    RestoreRequest still =
        osb.client.resources(RestoreRequest.class).inNamespace(NS).withName("qt-restore").get();
    assertThat(still.getStatus().getPhase())
        .as(still.getStatus().getMessage())
        .isEqualTo(RestorePhase.Quiescing);
    assertThat(osb.db.column("SHOW DATABASES LIKE 'qt_copy%'")).isEmpty();
    assertThat(
            osb.client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RESTORE_LABEL, "qt-restore")
                .list()
                .getItems())
        .extracting(j -> j.getMetadata().getName())
        .containsExactly("qt-restore-verify");

    // The pod is gone (kubectl delete pod --grace-period=0 --force): the restore goes on.
    osb.client.pods().inNamespace(NS).withName(pod).withGracePeriod(0).delete();
    RestoreRequest done = osb.awaitRestoreEnd("qt-restore");
    assertThat(done.getStatus().getPhase())
        .as(done.getStatus().getMessage())
        .isEqualTo(RestorePhase.Succeeded);
    assertThat(osb.db.tableChecksums("qt_copy")).isEqualTo(osb.db.tableChecksums("qt_db"));
    assertThat(replicas("Deployment", "qt-api")).isEqualTo(1);
  }

  @Test
  void aWorkloadScaledBackUpWhileQuiescingFailsTheRestoreBeforeAnythingIsWritten()
      throws Exception {
    osb.seed("qs_db");
    osb.apply(osb.policy("qs", osb.databases("qs_db")));
    BackupRun run = osb.backup("qs", "qs-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    osb.apply(slowToStop(RestoreRequestIT.deployment("qs-api", 2)));
    awaitPods("qs-api", 2);

    osb.restore(
        "qs-restore",
        """
        source: {backupRunRef: {name: qs-1}}
        databases: {renames: {qs_db: qs_copy}}
        quiesce: [{kind: Deployment, name: qs-api}]
        """);
    // Scaled to zero, its pods still terminating: the restore waits in Quiescing.
    await()
        .atMost(LocalOsbackup.TIMEOUT)
        .until(() -> Integer.valueOf(0).equals(replicas("Deployment", "qs-api")));
    osb.awaitFinal(
        RestoreRequest.class,
        "qs-restore",
        r ->
            r.getStatus() != null
                && r.getStatus().getMessage() != null
                && r.getStatus().getMessage().contains("terminating"));
    // A controller nobody paused scales it up again.
    scaleUp("qs-api", 2, "nova-operator");

    RestoreRequest done = osb.awaitRestoreEnd("qs-restore");
    RestoreRequestStatus status = done.getStatus();
    assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RestorePhase.Failed);
    assertThat(status.condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("QuiesceBroken");
    assertThat(status.getMessage())
        .contains("Deployment/qs-api")
        .contains("nova-operator")
        .contains("nothing was restored");
    assertThat(osb.eventsOf(done))
        .anySatisfy(e -> assertThat(e).startsWith("QuiesceBroken").contains("nova-operator"));
    assertThat(status.getQuiesced())
        .singleElement()
        .satisfies(
            q -> {
              assertThat(q.getBroken()).contains("replicas 2").contains("nova-operator");
              assertThat(q.getResumed()).isTrue();
            });
    assertThat(osb.db.column("SHOW DATABASES LIKE 'qs_copy%'")).isEmpty();
    assertThat(
            osb.client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RESTORE_LABEL, "qs-restore")
                .list()
                .getItems())
        .extracting(j -> j.getMetadata().getName())
        .containsExactly("qs-restore-verify");
    assertThat(replicas("Deployment", "qs-api")).isEqualTo(2);
  }

  /**
   * Sets a Deployment's replicas through its scale subresource as {@code manager}, as kubectl scale
   * would.
   */
  static void scaleUp(String name, int replicas, String manager) {
    osb.client
        .apps()
        .deployments()
        .inNamespace(NS)
        .withName(name)
        .subresource("scale")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.JSON_MERGE)
                .withFieldManager(manager)
                .build(),
            "{\"spec\":{\"replicas\":" + replicas + "}}");
  }

  /**
   * The workload's pods ignore SIGTERM for a grace period of ten minutes: deleted, they stay
   * Terminating.
   */
  static Deployment slowToStop(Deployment deployment) {
    deployment
        .getSpec()
        .getTemplate()
        .getMetadata()
        .setAnnotations(Map.of(io.osbackup.testbed.LocalKubelet.IGNORES_SIGTERM, "true"));
    deployment.getSpec().getTemplate().getSpec().setTerminationGracePeriodSeconds(600L);
    return deployment;
  }

  /** Waits for {@code count} Running pods of the Deployment's ReplicaSet; returns their names. */
  static List<String> awaitPods(String app, int count) {
    return await()
        .atMost(LocalOsbackup.TIMEOUT)
        .until(
            () ->
                osb.client.pods().inNamespace(NS).withLabel("app", app).list().getItems().stream()
                    .filter(
                        p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
                    .map(p -> p.getMetadata().getName())
                    .toList(),
            names -> names.size() == count);
  }

  @Test
  void aWorkloadScaledBackUpWhileRestoringIsStoppedAgainAndTheRestoreIsNotASuccess()
      throws Exception {
    osb.seed("qb_db");
    osb.apply(osb.policy("qb", osb.databases("qb_db")));
    BackupRun run = osb.backup("qb", "qb-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    String id = run.getStatus().getBackupId();
    Map<String, Long> atBackup = osb.db.tableChecksums("qb_db");
    osb.db.execute("UPDATE qb_db.hosts SET name = 'changed'");
    osb.apply(RestoreRequestIT.deployment("qb-api", 2));

    // A session reading the database holds its tables: the agent's switch waits for it, which keeps
    // the restore
    // in Restoring while someone scales the workload back up.
    try (Connection session = osb.db.connect("qb_db");
        Statement sql = session.createStatement()) {
      session.setAutoCommit(false);
      sql.executeQuery("SELECT COUNT(*) FROM qb_db.hosts").close();
      osb.restore(
          "qb-restore",
          """
          source: {backupRunRef: {name: qb-1}}
          databases: {}
          quiesce: [{kind: Deployment, name: qb-api}]
          confirm: %s
          """
              .formatted(id));
      // Once its restore Job runs (before that, a workload coming back fails the request with
      // nothing written).
      osb.awaitFinal(
          RestoreRequest.class,
          "qb-restore",
          r ->
              r.getStatus() != null
                  && r.getStatus().getPhase() != null
                  && ((r.getStatus().getPhase() == RestorePhase.Restoring
                          && r.getStatus().getJobs().stream()
                              .anyMatch(
                                  j ->
                                      "database".equals(j.getKind())
                                          && j.getPhase()
                                              == io.osbackup.api.v1alpha1.TaskPhase.Running))
                      || r.getStatus().getPhase().isFinal()));
      // Someone scales it up (kubectl scale, as the managed fields a real API server keeps would
      // say).
      scaleUp("qb-api", 2, "kubectl");
      RestoreRequest seen =
          osb.awaitFinal(
              RestoreRequest.class,
              "qb-restore",
              r -> osb.eventsOf(r).stream().anyMatch(e -> e.startsWith("QuiesceBroken")));
      assertThat(osb.eventsOf(seen))
          .filteredOn(e -> e.startsWith("QuiesceBroken"))
          .first()
          .asString()
          .contains("Deployment/qb-api")
          .contains("replicas 2")
          .contains("kubectl")
          .contains("scaled to zero again");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> Integer.valueOf(0).equals(replicas("Deployment", "qb-api")));
      session.commit();
    }
    RestoreRequest done = osb.awaitRestoreEnd("qb-restore");
    RestoreRequestStatus status = done.getStatus();
    assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RestorePhase.Failed);
    assertThat(status.condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("QuiesceBroken");
    assertThat(status.getMessage())
        .contains("Deployment/qb-api")
        .contains("kubectl")
        .contains("kubectl -n openstack scale deployment/qb-api --replicas=2");
    assertThat(status.getQuiesced())
        .singleElement()
        .satisfies(
            q -> {
              assertThat(q.getResumed()).isFalse();
              assertThat(q.getBroken()).contains("replicas 2").contains("kubectl");
            });
    // What the agent restored is restored (the previous contents kept aside); the workload stays at
    // zero until the
    // data is checked (spec.onFailure: KeepQuiesced).
    assertThat(osb.db.tableChecksums("qb_db")).isEqualTo(atBackup);
    assertThat(osb.db.column("SHOW DATABASES LIKE 'qb_db_orig_%'")).hasSize(1);
    assertThat(replicas("Deployment", "qb-api")).isZero();
  }

  static void assertRefused(String name, String spec, String reason, String... mentions) {
    osb.restore(name, spec);
    RestoreRequest r = osb.awaitRestoreEnd(name);
    assertThat(r.getStatus().getPhase())
        .as(r.getStatus().getMessage())
        .isEqualTo(RestorePhase.Failed);
    assertThat(r.getStatus().condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .as(r.getStatus().getMessage())
        .isEqualTo(reason);
    assertThat(r.getStatus().getMessage()).contains(mentions).contains("nothing was changed");
    assertThat(r.getStatus().getQuiesced()).isEmpty();
    assertThat(osb.eventsOf(r))
        .anySatisfy(e -> assertThat(e).startsWith(reason).contains(mentions[0]));
  }

  static Integer replicas(String kind, String name) {
    return "Deployment".equals(kind)
        ? osb.client
            .apps()
            .deployments()
            .inNamespace(NS)
            .withName(name)
            .get()
            .getSpec()
            .getReplicas()
        : osb.client
            .apps()
            .statefulSets()
            .inNamespace(NS)
            .withName(name)
            .get()
            .getSpec()
            .getReplicas();
  }
}
