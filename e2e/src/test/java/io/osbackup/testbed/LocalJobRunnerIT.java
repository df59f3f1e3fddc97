package io.osbackup.testbed;

import static io.osbackup.testbed.AgentJobs.only;
import static io.osbackup.testbed.AgentJobs.terminated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local Job runner against the CRUD mock API server, with {@link TestContainer} as the pods'
 * program. On the mock on purpose: the runner is the mock's Job controller and kubelet, the
 * fallback of local mode where kubelocal cannot be built; on the real control plane the {@link
 * LocalKubelet} runs pods (LocalKubeletIT).
 */
@EnableKubernetesMockClient(crud = true)
class LocalJobRunnerIT {

  private static final String NS = "ns";
  private static final Duration WAIT = Duration.ofSeconds(20);

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path work;
  SimulatedNodes nodes;
  LocalJobRunner runner;

  @BeforeEach
  void start() {
    nodes =
        new SimulatedNodes(client, work.resolve("nodes"))
            .add("node-a", Map.of("openstack-role", "controller"))
            .add("node-b", Map.of("openstack-role", "compute"));
    runner = newRunner();
  }

  private LocalJobRunner newRunner() {
    return LocalJobRunner.builder()
        .client(client)
        .workDir(work)
        .nodes(nodes)
        .mainClass(TestContainer.class.getName())
        .maxHeap("64m")
        .jvmOptions("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
        .env("EXTRA", "extra-value")
        .start();
  }

  @AfterEach
  void stop() {
    runner.close();
  }

  @Test
  void successfulPodCompletesTheJob() throws Exception {
    create(job("ok", "say", "hello", "print-env", "EXTRA", "print-env", "HOSTNAME", "exit", "0"));

    Job job = runner.awaitFinished(NS, "ok", WAIT);

    assertThat(types(job)).containsExactly("SuccessCriteriaMet", "Complete");
    assertThat(job.getStatus().getConditions()).allMatch(c -> "True".equals(c.getStatus()));
    assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
    assertThat(job.getStatus().getActive()).isZero();
    assertThat(job.getStatus().getStartTime()).isNotNull();
    assertThat(job.getStatus().getCompletionTime()).isNotNull();
    Pod pod = only(runner.podsOf(NS, "ok"));
    assertThat(pod.getMetadata().getName()).matches("ok-[a-z0-9]{5}");
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("job-name", "ok")
        .containsEntry("batch.kubernetes.io/job-name", "ok")
        .containsEntry("controller-uid", job.getMetadata().getUid());
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo(job.getMetadata().getUid()))
        .satisfies(o -> assertThat(o.getController()).isTrue());
    assertThat(pod.getSpec().getNodeName()).isIn("node-a", "node-b");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Succeeded");
    ContainerStateTerminated end = terminated(pod);
    assertThat(end.getExitCode()).isZero();
    assertThat(end.getReason()).isEqualTo("Completed");
    assertThat(Files.readString(runner.logOf(pod)))
        .contains("hello", "EXTRA=extra-value", "HOSTNAME=" + pod.getMetadata().getName());
  }

  @Test
  void failingPodFailsTheJobWithItsTerminationMessage() throws Exception {
    create(job("bad", "say", "working", "term", "dump failed: access denied", "exit", "3"));

    Job job = runner.awaitFinished(NS, "bad", WAIT);

    assertThat(types(job)).containsExactly("FailureTarget", "Failed");
    assertThat(condition(job, "Failed").getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(job.getStatus().getFailed()).isEqualTo(1);
    Pod pod = only(runner.podsOf(NS, "bad"));
    assertThat(pod.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(terminated(pod).getExitCode()).isEqualTo(3);
    assertThat(terminated(pod).getReason()).isEqualTo("Error");
    assertThat(terminated(pod).getMessage()).isEqualTo("dump failed: access denied");
  }

  @Test
  void fallbackToLogsOnErrorTakesTheLogTail() throws Exception {
    Job job = job("tail", "say", "first words", "say", "last words", "exit", "1");
    AgentJobs.podSpec(job)
        .getContainers()
        .get(0)
        .setTerminationMessagePolicy("FallbackToLogsOnError");
    create(job);

    runner.awaitFinished(NS, "tail", WAIT);

    assertThat(terminated(only(runner.podsOf(NS, "tail"))).getMessage())
        .isEqualTo("first words\nlast words\n");
  }

  @Test
  void backoffLimitOneRetriesOnceWithANewPod() throws Exception {
    Job job = job("retry", "exit", "1");
    job.getSpec().setBackoffLimit(1);
    create(job);

    Job done = runner.awaitFinished(NS, "retry", WAIT);

    assertThat(condition(done, "Failed").getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(done.getStatus().getFailed()).isEqualTo(2);
    List<Pod> pods = runner.podsOf(NS, "retry");
    assertThat(pods).hasSize(2).allMatch(p -> "Failed".equals(p.getStatus().getPhase()));
    assertThat(pods.get(0).getMetadata().getName())
        .isNotEqualTo(pods.get(1).getMetadata().getName());
  }

  @Test
  void activeDeadlineKillsTheProcessTree() throws Exception {
    Job job = job("slow", "child", "60", "sleep", "60000");
    job.getSpec().setActiveDeadlineSeconds(2L);
    create(job);
    long[] pids = awaitRunningPids("slow");

    Job done = runner.awaitFinished(NS, "slow", WAIT);

    assertThat(types(done)).containsExactly("FailureTarget", "Failed");
    assertThat(condition(done, "Failed").getReason()).isEqualTo("DeadlineExceeded");
    assertThat(condition(done, "Failed").getMessage())
        .isEqualTo("Job was active longer than specified deadline");
    assertThat(done.getStatus().getFailed()).isEqualTo(1);
    assertThat(done.getStatus().getActive()).isZero();
    awaitGone(pids);
    await().atMost(WAIT).until(() -> runner.runningPods() == 0);
  }

  @Test
  void deletedJobKillsItsProcess() throws Exception {
    create(job("doomed", "child", "60", "sleep", "60000"));
    long[] pids = awaitRunningPids("doomed");

    client.batch().v1().jobs().inNamespace(NS).withName("doomed").delete();

    awaitGone(pids);
    await().atMost(WAIT).until(() -> runner.podsOf(NS, "doomed").isEmpty());
  }

  @Test
  void deletedPodKillsItsProcessAndCountsAsFailure() throws Exception {
    create(job("podgone", "sleep", "60000"));
    long[] pids = awaitRunningPids("podgone");

    client.pods().inNamespace(NS).withLabel("job-name", "podgone").delete();

    awaitGone(pids);
    Job done = runner.awaitFinished(NS, "podgone", WAIT);
    assertThat(condition(done, "Failed").getReason()).isEqualTo("BackoffLimitExceeded");
  }

  @Test
  void secretsReachTheProcessOnlyAndHostPathIsTheNodeFolder() throws Exception {
    String password = "pw-" + Long.toHexString(System.nanoTime()) + "-s3cr3t";
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("db")
                .endMetadata()
                .addToData(
                    "password",
                    Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8)))
                .addToStringData("username", "backup")
                .build())
        .create();
    Job job =
        job(
            "secret",
            "copy-env",
            "DB_PASSWORD",
            "/host/out/env-password",
            "copy",
            "/var/run/osbackup/database/password",
            "/host/out/file-password",
            "copy",
            "/var/run/osbackup/database/username",
            "/host/out/file-username",
            "say",
            "done",
            "exit",
            "0");
    var spec = AgentJobs.podSpec(job);
    spec.getContainers()
        .get(0)
        .getEnv()
        .add(
            new EnvVarBuilder()
                .withName("DB_PASSWORD")
                .withNewValueFrom()
                .withNewSecretKeyRef("password", "db", false)
                .endValueFrom()
                .build());
    spec.getVolumes()
        .add(
            new VolumeBuilder()
                .withName("creds")
                .withNewSecret()
                .withSecretName("db")
                .endSecret()
                .build());
    spec.getVolumes()
        .add(
            new VolumeBuilder()
                .withName("host")
                .withNewHostPath()
                .withPath("/var/tmp/osb")
                .withType("DirectoryOrCreate")
                .endHostPath()
                .build());
    mount(job, "creds", "/var/run/osbackup/database", true);
    mount(job, "host", "/host/out", false);
    pinTo(job, "node-b");
    ByteArrayOutputStream runnerLog = new ByteArrayOutputStream();
    PrintStream err = System.err;
    System.setErr(new PrintStream(tee(err, runnerLog), true));
    Job done;
    try {
      create(job);
      await().atMost(WAIT).until(() -> secretFiles().findAny().isPresent() || finished("secret"));
      Path secretFile = secretFiles().filter(p -> p.endsWith("password")).findFirst().orElseThrow();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile)))
          .isEqualTo("r--------");
      done = runner.awaitFinished(NS, "secret", WAIT);
    } finally {
      System.setErr(err);
    }

    assertThat(types(done)).contains("Complete");
    Path out = nodes.root("node-b").resolve("var/tmp/osb");
    assertThat(Files.readString(out.resolve("env-password"))).isEqualTo(password);
    assertThat(Files.readString(out.resolve("file-password"))).isEqualTo(password);
    assertThat(Files.readString(out.resolve("file-username"))).isEqualTo("backup");
    assertThat(nodes.root("node-a").resolve("var/tmp/osb")).doesNotExist();
    Pod pod = only(runner.podsOf(NS, "secret"));
    assertThat(pod.getSpec().getNodeName()).isEqualTo("node-b");
    assertThat(Serialization.asJson(pod)).doesNotContain(password);
    assertThat(
            Serialization.asJson(
                client.batch().v1().jobs().inNamespace(NS).withName("secret").get()))
        .doesNotContain(password);
    assertThat(runnerLog.toString(StandardCharsets.UTF_8))
        .contains("secret")
        .doesNotContain(password);
    // nothing the runner keeps (logs, per-pod files) holds the password once the pod has ended
    try (Stream<Path> files = Files.walk(work)) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.startsWith(out)).toList()) {
        assertThat(Files.readString(f)).as(f.toString()).doesNotContain(password);
      }
    }
  }

  @Test
  void podsThatCannotStartStayPendingUntilTheDeadline() throws Exception {
    Job noSecret = job("no-secret", "exit", "0");
    AgentJobs.podSpec(noSecret)
        .getContainers()
        .get(0)
        .getEnv()
        .add(
            new EnvVarBuilder()
                .withName("P")
                .withNewValueFrom()
                .withNewSecretKeyRef("password", "nope", false)
                .endValueFrom()
                .build());
    Job noVolume = job("no-volume", "exit", "0");
    AgentJobs.podSpec(noVolume)
        .getVolumes()
        .add(
            new VolumeBuilder()
                .withName("creds")
                .withNewSecret()
                .withSecretName("nope")
                .endSecret()
                .build());
    mount(noVolume, "creds", "/creds", true);
    Job noDir = job("no-dir", "exit", "0");
    AgentJobs.podSpec(noDir)
        .getVolumes()
        .add(
            new VolumeBuilder()
                .withName("etc")
                .withNewHostPath()
                .withPath("/etc/nova")
                .withType("Directory")
                .endHostPath()
                .build());
    mount(noDir, "etc", "/host/etc/nova", true);
    Job noNode = job("no-node", "exit", "0");
    pinTo(noNode, "compute-99");
    for (Job j : List.of(noSecret, noVolume, noDir, noNode)) {
      j.getSpec().setActiveDeadlineSeconds(2L);
      create(j);
    }

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(waiting("no-secret"))
                  .isEqualTo("CreateContainerConfigError: secret \"nope\" not found");
              assertThat(waiting("no-volume"))
                  .isEqualTo(
                      "ContainerCreating: MountVolume.SetUp failed for volume \"creds\" : secret"
                          + " \"nope\" not found");
              assertThat(waiting("no-dir"))
                  .startsWith("ContainerCreating: MountVolume.SetUp failed for volume \"etc\"");
              Pod pod = only(runner.podsOf(NS, "no-node"));
              assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
              assertThat(pod.getStatus().getConditions())
                  .anyMatch(
                      c ->
                          "PodScheduled".equals(c.getType())
                              && "Unschedulable".equals(c.getReason()));
            });
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(client.v1().events().inNamespace(NS).list().getItems())
                    .extracting(e -> e.getReason())
                    .contains("FailedMount", "Failed", "FailedScheduling"));
    for (String name : List.of("no-secret", "no-volume", "no-dir", "no-node")) {
      Job done = runner.awaitFinished(NS, name, WAIT);
      assertThat(condition(done, "Failed").getReason()).as(name).isEqualTo("DeadlineExceeded");
    }
    assertThat(runner.maxConcurrentPods()).isZero();
  }

  @Test
  void claimIsAFolderUnderWorkVolumesAndAMissingClaimBlocksThePod() throws Exception {
    client
        .persistentVolumeClaims()
        .inNamespace(NS)
        .resource(
            new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("data")
                .endMetadata()
                .build())
        .create();
    Job job = job("claim", "say", "x", "copy-env", "EXTRA", "/data/extra", "exit", "0");
    Job missing = job("no-claim", "exit", "0");
    missing.getSpec().setActiveDeadlineSeconds(1L);
    for (var pair : List.of(Map.entry(job, "data"), Map.entry(missing, "nope"))) {
      AgentJobs.podSpec(pair.getKey())
          .getVolumes()
          .add(
              new VolumeBuilder()
                  .withName("data")
                  .withNewPersistentVolumeClaim()
                  .withClaimName(pair.getValue())
                  .endPersistentVolumeClaim()
                  .build());
      mount(pair.getKey(), "data", "/data", false);
      create(pair.getKey());
    }

    runner.awaitFinished(NS, "claim", WAIT);
    assertThat(work.resolve("volumes/ns/data/extra")).hasContent("extra-value");
    await()
        .atMost(WAIT)
        .until(
            () ->
                "ContainerCreating: persistentvolumeclaim \"nope\" not found"
                    .equals(waiting("no-claim")));
    assertThat(condition(runner.awaitFinished(NS, "no-claim", WAIT), "Failed").getReason())
        .isEqualTo("DeadlineExceeded");
  }

  @Test
  void maxConcurrentPodsCountsOverlappingPods() throws Exception {
    for (int i = 0; i < 3; i++) {
      create(job("par-" + i, "sleep", "2000", "exit", "0"));
    }
    await().atMost(WAIT).until(() -> runner.runningPods() == 3);
    for (int i = 0; i < 3; i++) {
      runner.awaitFinished(NS, "par-" + i, WAIT);
    }
    create(job("after", "exit", "0"));
    runner.awaitFinished(NS, "after", WAIT);

    assertThat(runner.maxConcurrentPods()).isEqualTo(3);
    await().atMost(WAIT).until(() -> runner.runningPods() == 0);
  }

  @Test
  void removedNodeFailsItsPod() throws Exception {
    Job job = job("lost", "child", "60", "sleep", "60000");
    AgentJobs.podSpec(job).setNodeSelector(Map.of("openstack-role", "compute"));
    create(job);
    long[] pids = awaitRunningPids("lost");
    assertThat(only(runner.podsOf(NS, "lost")).getSpec().getNodeName()).isEqualTo("node-b");

    nodes.remove("node-b");

    Job done = runner.awaitFinished(NS, "lost", WAIT);
    assertThat(condition(done, "Failed").getReason()).isEqualTo("BackoffLimitExceeded");
    Pod pod = only(runner.podsOf(NS, "lost"));
    assertThat(pod.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(pod.getStatus().getReason()).isEqualTo("NodeLost");
    assertThat(pod.getStatus().getConditions())
        .anyMatch(c -> "DisruptionTarget".equals(c.getType()));
    awaitGone(pids);
  }

  @Test
  void restartedRunnerLeavesFinishedJobsAndRetriesVanishedPods() throws Exception {
    create(job("before", "exit", "0"));
    Job before = runner.awaitFinished(NS, "before", WAIT);
    Job survivor = job("survivor", "sleep", "1500", "exit", "0");
    survivor.getSpec().setBackoffLimit(1);
    create(survivor);
    long[] pids = awaitRunningPids("survivor");

    runner.close();
    awaitGone(pids);
    runner = newRunner();

    Job done = runner.awaitFinished(NS, "survivor", WAIT);
    assertThat(types(done)).contains("Complete");
    assertThat(done.getStatus().getFailed()).isEqualTo(1);
    List<Pod> pods = runner.podsOf(NS, "survivor");
    assertThat(pods).hasSize(2);
    assertThat(pods)
        .anySatisfy(p -> assertThat(terminated(p).getReason()).isEqualTo("ContainerStatusUnknown"));
    Job beforeNow = client.batch().v1().jobs().inNamespace(NS).withName("before").get();
    assertThat(beforeNow.getStatus()).isEqualTo(before.getStatus());
    assertThat(runner.podsOf(NS, "before")).hasSize(1);
  }

  @Test
  void ttlAfterFinishedDeletesTheJobAndItsPods() throws Exception {
    Job job = job("short-lived", "exit", "0");
    job.getSpec().setTtlSecondsAfterFinished(0);
    create(job);

    await()
        .atMost(WAIT)
        .until(
            () -> client.batch().v1().jobs().inNamespace(NS).withName("short-lived").get() == null);
    await().atMost(WAIT).until(() -> runner.podsOf(NS, "short-lived").isEmpty());
  }

  @Test
  void jobsWithoutTheSelectedLabelAreIgnored() throws Exception {
    Job job = job("foreign", "exit", "0");
    job.getMetadata().setLabels(Map.of("app", "other"));
    create(job);
    create(job("mine", "exit", "0"));

    runner.awaitFinished(NS, "mine", WAIT);
    assertThat(runner.podsOf(NS, "foreign")).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  private static Job job(String name, String... args) {
    Job job = AgentJobs.job(NS, name, "osbackup:test", args);
    AgentJobs.podSpec(job)
        .getContainers()
        .get(0)
        .setCommand(new ArrayList<>(List.of("java", "-jar", "/app/osbackup.jar")));
    return job;
  }

  private static void mount(Job job, String volume, String path, boolean readOnly) {
    AgentJobs.podSpec(job)
        .getContainers()
        .get(0)
        .getVolumeMounts()
        .add(
            new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName(volume)
                .withMountPath(path)
                .withReadOnly(readOnly)
                .build());
  }

  /**
   * Pins the pod the way the operator does for a node's files: required node affinity on
   * metadata.name.
   */
  private static void pinTo(Job job, String node) {
    AgentJobs.podSpec(job)
        .setAffinity(
            new io.fabric8.kubernetes.api.model.AffinityBuilder()
                .withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm()
                .addNewMatchField()
                .withKey("metadata.name")
                .withOperator("In")
                .withValues(node)
                .endMatchField()
                .endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity()
                .build());
  }

  private void create(Job job) {
    client.batch().v1().jobs().inNamespace(NS).resource(job).create();
  }

  private boolean finished(String job) {
    Job j = client.batch().v1().jobs().inNamespace(NS).withName(job).get();
    return j != null && LocalJobRunner.finalCondition(j.getStatus()).isPresent();
  }

  private Stream<Path> secretFiles() throws Exception {
    Path pods = work.resolve("pods");
    if (!Files.exists(pods)) {
      return Stream.empty();
    }
    try (Stream<Path> walk = Files.walk(pods)) {
      return walk.filter(p -> p.toString().contains("/volumes/creds/")).toList().stream();
    }
  }

  private String waiting(String job) {
    Pod pod = only(runner.podsOf(NS, job));
    var statuses = Optional.ofNullable(pod.getStatus().getContainerStatuses()).orElse(List.of());
    if (statuses.isEmpty() || statuses.get(0).getState().getWaiting() == null) {
      return null;
    }
    var w = statuses.get(0).getState().getWaiting();
    return w.getReason() + ": " + w.getMessage();
  }

  private static List<String> types(Job job) {
    return job.getStatus().getConditions().stream().map(JobCondition::getType).toList();
  }

  private static JobCondition condition(Job job, String type) {
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElseThrow();
  }

  private long[] awaitRunningPids(String job) {
    return AgentJobs.awaitRunningPids(() -> runner.podsOf(NS, job), runner::logOf, WAIT);
  }

  private static void awaitGone(long[] pids) {
    AgentJobs.awaitGone(pids, WAIT);
  }

  private static OutputStream tee(OutputStream a, OutputStream b) {
    return new OutputStream() {
      @Override
      public void write(int c) throws java.io.IOException {
        a.write(c);
        b.write(c);
      }

      @Override
      public void write(byte[] buf, int off, int len) throws java.io.IOException {
        a.write(buf, off, len);
        b.write(buf, off, len);
      }
    };
  }
}
