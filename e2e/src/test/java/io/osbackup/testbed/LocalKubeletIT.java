package io.osbackup.testbed;

import static io.osbackup.testbed.AgentJobs.only;
import static io.osbackup.testbed.AgentJobs.terminated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link LocalKubelet} on the real control plane, with {@link TestContainer} as the pods'
 * program: the real Job controller makes the pods, the real scheduler places them on the simulated
 * nodes, the kubelet runs them and reports, and the real controllers (Job, garbage collector, TTL,
 * Deployment) act on what it reports.
 */
class LocalKubeletIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path work;
  static ControlPlane api;
  static KubernetesClient client;
  static SimulatedNodes nodes;
  LocalKubelet kubelet;
  String ns;

  @BeforeAll
  static void startControlPlane() throws Exception {
    api = ControlPlane.start(work.resolve("kubelocal"));
    client = api.admin();
    nodes =
        new SimulatedNodes(client, work.resolve("nodes"))
            .add("node-a", Map.of("openstack-role", "controller"))
            .add("node-b", Map.of("openstack-role", "compute"));
  }

  @AfterAll
  static void stopControlPlane() {
    if (api != null) {
      api.close();
    }
  }

  @BeforeEach
  void start(TestInfo test) {
    ns = api.namespace("kubelet");
    kubelet = newKubelet();
  }

  private LocalKubelet newKubelet() {
    return LocalKubelet.builder()
        .client(client)
        .workDir(work.resolve("kubelet"))
        .nodes(nodes)
        .mainClass(TestContainer.class.getName())
        .maxHeap("64m")
        .jvmOptions("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
        .env(Map.of("EXTRA", "extra-value"))
        .start();
  }

  @AfterEach
  void stop() {
    kubelet.close();
  }

  @Test
  void theJobControllersPodRunsHereAndCompletesTheJob() throws Exception {
    create(job("ok", "say", "hello", "print-env", "EXTRA", "print-env", "HOSTNAME", "exit", "0"));

    Job job = awaitFinished("ok");

    assertThat(condition(job, "Complete")).isPresent();
    assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
    Pod pod = only(podsOf("ok"));
    assertThat(pod.getSpec().getNodeName()).as("bound by the scheduler").isIn("node-a", "node-b");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Succeeded");
    assertThat(terminated(pod).getExitCode()).isZero();
    assertThat(terminated(pod).getReason()).isEqualTo("Completed");
    assertThat(Files.readString(kubelet.logOf(ns, pod.getMetadata().getName())))
        .contains("hello", "EXTRA=extra-value", "HOSTNAME=" + pod.getMetadata().getName());
    await("the Job controller lets go of its pod (tracking finalizer removed)")
        .atMost(WAIT)
        .until(() -> only(podsOf("ok")).getMetadata().getFinalizers().isEmpty());
  }

  @Test
  void aFailingPodFailsTheJobWithItsTerminationMessage() throws Exception {
    create(job("bad", "say", "working", "term", "dump failed: access denied", "exit", "3"));

    Job job = awaitFinished("bad");

    assertThat(condition(job, "Failed"))
        .get()
        .extracting(JobCondition::getReason)
        .isEqualTo("BackoffLimitExceeded");
    Pod pod = only(podsOf("bad"));
    assertThat(pod.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(terminated(pod).getExitCode()).isEqualTo(3);
    assertThat(terminated(pod).getMessage()).isEqualTo("dump failed: access denied");
  }

  @Test
  void theDeadlineStopsTheProcessTreeThroughGracefulDeletion() throws Exception {
    Job job = job("slow", "child", "60", "sleep", "60000");
    job.getSpec().setActiveDeadlineSeconds(3L);
    create(job);
    long[] pids = awaitRunningPids("slow");

    Job done = awaitFinished("slow");

    assertThat(condition(done, "Failed"))
        .get()
        .extracting(JobCondition::getReason)
        .isEqualTo("DeadlineExceeded");
    awaitGone(pids);
    await().atMost(WAIT).until(() -> podsOf("slow").isEmpty());
    assertThat(kubelet.runningPods()).isZero();
  }

  @Test
  void deletingTheJobCascadesToItsPodAndKillsItsProcess() throws Exception {
    create(job("doomed", "child", "60", "sleep", "60000"));
    long[] pids = awaitRunningPids("doomed");

    client.batch().v1().jobs().inNamespace(ns).withName("doomed").delete();

    awaitGone(pids);
    await("the garbage collector deletes the pod, the kubelet finishes it")
        .atMost(WAIT)
        .until(() -> podsOf("doomed").isEmpty());
  }

  @Test
  void aPodNoNodeMatchesStaysPendingWithTheSchedulersReason() {
    Job job = job("nowhere", "exit", "0");
    AgentJobs.podSpec(job).setNodeSelector(Map.of("openstack-role", "storage"));
    create(job);

    PodCondition scheduled =
        await()
            .atMost(WAIT)
            .until(
                () ->
                    podsOf("nowhere").stream()
                        .flatMap(
                            p ->
                                p.getStatus() == null || p.getStatus().getConditions() == null
                                    ? java.util.stream.Stream.empty()
                                    : p.getStatus().getConditions().stream())
                        .filter(
                            c ->
                                "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
                        .findFirst()
                        .orElse(null),
                c -> c != null);

    assertThat(scheduled.getReason()).isEqualTo("Unschedulable");
    assertThat(scheduled.getMessage())
        .contains("0/2 nodes are available")
        .contains("node affinity/selector");
    assertThat(kubelet.maxConcurrentPods()).isZero();
  }

  @Test
  void aPodWaitsForItsSecretThenRunsWithIt() throws Exception {
    Job job = job("secret", "print-env", "DB_USER", "exit", "0");
    job.getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .setEnv(
            List.of(
                new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                    .withName("DB_USER")
                    .withNewValueFrom()
                    .withNewSecretKeyRef()
                    .withName("db")
                    .withKey("username")
                    .endSecretKeyRef()
                    .endValueFrom()
                    .build()));
    create(job);

    Pod waiting =
        await()
            .atMost(WAIT)
            .until(
                () -> podsOf("secret").stream().findFirst().orElse(null),
                p ->
                    p != null
                        && p.getStatus() != null
                        && p.getStatus().getContainerStatuses() != null
                        && !p.getStatus().getContainerStatuses().isEmpty()
                        && p.getStatus().getContainerStatuses().get(0).getState().getWaiting()
                            != null);
    assertThat(
            waiting.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason())
        .isEqualTo("CreateContainerConfigError");
    assertThat(
            waiting.getStatus().getContainerStatuses().get(0).getState().getWaiting().getMessage())
        .contains("secret \"db\" not found");

    client
        .secrets()
        .inNamespace(ns)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("db")
                .endMetadata()
                .addToStringData("username", "backup")
                .build())
        .create();

    assertThat(condition(awaitFinished("secret"), "Complete")).isPresent();
    Pod pod = only(podsOf("secret"));
    assertThat(Files.readString(kubelet.logOf(ns, pod.getMetadata().getName())))
        .contains("DB_USER=backup");
  }

  @Test
  void aRestartedKubeletReportsTheContainerItLostAsUnknown() throws Exception {
    create(job("orphan", "sleep", "60000"));
    long[] pids = awaitRunningPids("orphan");

    kubelet.close();
    awaitGone(pids);
    kubelet = newKubelet();

    Job done = awaitFinished("orphan");
    assertThat(condition(done, "Failed")).isPresent();
    ContainerStateTerminated end = terminated(only(podsOf("orphan")));
    assertThat(end.getReason()).isEqualTo("ContainerStatusUnknown");
    assertThat(end.getExitCode()).isEqualTo(137);
  }

  @Test
  void ttlAfterFinishedHasTheRealControllerDeleteTheJobAndItsPods() {
    Job job = job("short-lived", "exit", "0");
    job.getSpec().setTtlSecondsAfterFinished(1);
    create(job);

    await()
        .atMost(WAIT)
        .until(
            () ->
                client.batch().v1().jobs().inNamespace(ns).withName("short-lived").get() == null
                    && podsOf("short-lived").isEmpty());
  }

  @Test
  void otherWorkloadsRunAsPlaceholdersUntilScaledDown() {
    Deployment api =
        new DeploymentBuilder()
            .withNewMetadata()
            .withName("keystone-api")
            .withNamespace(ns)
            .endMetadata()
            .withNewSpec()
            .withReplicas(2)
            .withNewSelector()
            .addToMatchLabels("app", "keystone")
            .endSelector()
            .withNewTemplate()
            .withNewMetadata()
            .addToLabels("app", "keystone")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("keystone")
            .withImage("keystone:2025.2")
            .endContainer()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    client.apps().deployments().inNamespace(ns).resource(api).create();

    await("the Deployment controller sees its replicas ready")
        .atMost(WAIT)
        .until(
            () -> {
              Deployment d =
                  client.apps().deployments().inNamespace(ns).withName("keystone-api").get();
              return d.getStatus() != null
                  && Integer.valueOf(2).equals(d.getStatus().getReadyReplicas());
            });
    assertThat(kubelet.maxConcurrentPods())
        .as("no process for a pod that is not an agent")
        .isZero();

    client.apps().deployments().inNamespace(ns).withName("keystone-api").scale(0);

    await("scaled down, its pods are deleted and finished")
        .atMost(WAIT)
        .until(
            () ->
                client
                    .pods()
                    .inNamespace(ns)
                    .withLabel("app", "keystone")
                    .list()
                    .getItems()
                    .isEmpty());
  }

  @Test
  void theNodesAreReadyWithAFreshHeartbeat() {
    await()
        .atMost(WAIT)
        .until(
            () -> client.leases().inNamespace("kube-node-lease").withName("node-a").get() != null);
    assertThat(client.nodes().withName("node-a").get().getStatus().getConditions())
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Ready");
              assertThat(c.getStatus()).isEqualTo("True");
            });
    assertThat(client.nodes().withName("node-a").get().getStatus().getAllocatable())
        .containsKeys("cpu", "pods");
  }

  // ---------------------------------------------------------------- helpers

  private Job job(String name, String... args) {
    Job job = AgentJobs.job(ns, name, "osbackup:test", args);
    PodSpec pod = AgentJobs.podSpec(job);
    pod.setAutomountServiceAccountToken(false);
    pod.setTerminationGracePeriodSeconds(2L);
    return job;
  }

  private void create(Job job) {
    client.batch().v1().jobs().inNamespace(ns).resource(job).create();
  }

  private List<Pod> podsOf(String job) {
    return client.pods().inNamespace(ns).withLabel("job-name", job).list().getItems().stream()
        .sorted(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp()))
        .toList();
  }

  private Job awaitFinished(String name) {
    return await("Job " + name + " finished")
        .atMost(WAIT)
        .until(
            () -> client.batch().v1().jobs().inNamespace(ns).withName(name).get(),
            j ->
                j != null
                    && (condition(j, "Complete").isPresent()
                        || condition(j, "Failed").isPresent()));
  }

  private static Optional<JobCondition> condition(Job job, String type) {
    return job.getStatus() == null || job.getStatus().getConditions() == null
        ? Optional.empty()
        : job.getStatus().getConditions().stream()
            .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
            .findFirst();
  }

  private long[] awaitRunningPids(String job) {
    return AgentJobs.awaitRunningPids(
        () -> podsOf(job), pod -> kubelet.logOf(ns, pod.getMetadata().getName()), WAIT);
  }

  private static void awaitGone(long[] pids) {
    AgentJobs.awaitGone(pids, WAIT);
  }
}
