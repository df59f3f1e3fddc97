package io.osbackup.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.operator.reconcile.OperatorSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubectl against the cluster local mode runs — the real control plane, the operator and the local
 * kubelet — works the way it works against a cluster: the README's {@code kubectl --kubeconfig
 * <printed path>} for a user looking around. kubectl is kubelocal's own (the server's release), so
 * these run wherever the tests run.
 */
class KubectlIT {

  private static final String NS = "openstack";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path work;
  static LocalCluster cluster;
  static Path kubeconfig;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.start(work.resolve("cluster"), OperatorSettings.defaults(), Map.of());
    cluster.namespace(NS);
    cluster.nodes().add("controller-0", Map.of("openstack-role", "controller"));
    kubeconfig = cluster.writeKubeconfig(work.resolve("kubeconfig"), NS);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void explainDescribesOurFieldsFromTheServersOpenApi() throws Exception {
    String retention = kubectl("explain", "backuppolicy.spec.retention");
    assertThat(retention)
        .contains("KIND:", "BackupPolicy", "FIELD: retention")
        .contains("keepDaily")
        .contains("DESCRIPTION:");
    assertThat(kubectl("explain", "backuprun.spec.keepFor")).contains("30d");
    // every level: the roots, the conditions, the embedded Kubernetes types
    assertThat(kubectl("explain", "backuprun.status")).contains("Phase and progress");
    assertThat(kubectl("explain", "backupstore.status.conditions.reason")).contains("CamelCase");
    assertThat(kubectl("explain", "backuppolicy.spec.job.tolerations"))
        .contains("effect")
        .contains("Taint key");
    assertThat(kubectl("explain", "backuppolicy.spec.job.resources.limits")).contains("OOMKilled");
  }

  @Test
  void applyingASampleAgainWithAChangeConfiguresItSecretsIncluded() throws Exception {
    Path store = sample("01-backupstore-swift.yaml");
    assertThat(kubectl("apply", "-f", store.toString()))
        .contains("secret/swift-s3-credentials created", "backupstore.osbackup.io/swift created");
    // (a Secret written with stringData is "configured" on every apply, on any cluster: the server
    // keeps only data)
    assertThat(kubectl("apply", "-f", store.toString()))
        .contains("backupstore.osbackup.io/swift unchanged")
        .containsPattern("secret/swift-s3-credentials (unchanged|configured)");

    Path changed = work.resolve("01-changed.yaml");
    Files.writeString(
        changed,
        Files.readString(store)
            .replace("REPLACE-WITH-EC2-ACCESS-KEY", "rotated-access-key")
            .replace("prefix: prod", "prefix: prod-b"));
    assertThat(kubectl("apply", "-f", changed.toString()))
        .contains(
            "secret/swift-s3-credentials configured", "backupstore.osbackup.io/swift configured");
    assertThat(kubectl("get", "secret", "swift-s3-credentials", "-o", "jsonpath={.data.accessKey}"))
        .isEqualTo(
            Base64.getEncoder()
                .encodeToString("rotated-access-key".getBytes(StandardCharsets.UTF_8)));
    assertThat(kubectl("get", "bstore", "swift", "-o", "jsonpath={.spec.s3.prefix}"))
        .isEqualTo("prod-b");

    // the store's printer columns are filled from its status (its endpoint is the sample's, so not
    // Available)
    await()
        .atMost(WAIT)
        .until(
            () -> {
              BackupStore s =
                  cluster
                      .client()
                      .resources(BackupStore.class)
                      .inNamespace(NS)
                      .withName("swift")
                      .get();
              return s.getStatus() != null
                  && s.getStatus().getConditions() != null
                  && !s.getStatus().getConditions().isEmpty();
            });
    String row = row(kubectl("get", "bstore", "swift"), "swift");
    assertThat(row)
        .contains("openstack-backups")
        .containsPattern("\\bFalse\\b")
        .containsPattern("[A-Z][a-zA-Z]+");
    assertThat(kubectl("describe", "bstore", "swift"))
        .contains("Events:")
        .doesNotContain("Events:  <none>");
  }

  @Test
  void patchEditAndWatchWorkOnOurResources() throws Exception {
    kubectl("apply", "-f", sample("10-backuppolicy-control-plane.yaml").toString());
    kubectl("apply", "-f", sample("20-backuprun-on-demand.yaml").toString());
    await()
        .atMost(WAIT)
        .until(
            () -> {
              BackupRun run =
                  cluster
                      .client()
                      .resources(BackupRun.class)
                      .inNamespace(NS)
                      .withName("before-upgrade")
                      .get();
              return run != null && run.getStatus() != null && run.getStatus().getPhase() != null;
            });
    assertThat(row(kubectl("get", "brun"), "before-upgrade"))
        .contains("control-plane-daily")
        .containsPattern("\\b(Pending|Running|Failed|Succeeded|PartiallyFailed)\\b");

    // a patch without --type is a strategic merge, which a built-in kind takes; a custom resource
    // takes a merge patch
    assertThat(
            kubectl(
                "patch",
                "secret",
                "backup-db",
                "-p",
                "{\"stringData\":{\"username\":\"backup-2\"}}"))
        .contains("secret/backup-db patched");
    assertThat(
            kubectl(
                "patch",
                "bpol",
                "control-plane-daily",
                "--type=merge",
                "-p",
                "{\"spec\":{\"suspend\":true}}"))
        .contains("backuppolicy.osbackup.io/control-plane-daily patched");
    assertThat(kubectl("get", "bpol", "control-plane-daily", "-o", "jsonpath={.spec.suspend}"))
        .isEqualTo("true");

    // edit, as an editor that changes one field would
    Path editor = work.resolve("editor.sh");
    Files.writeString(editor, "#!/bin/sh\nsed -i 's/suspend: true/suspend: false/' \"$1\"\n");
    editor.toFile().setExecutable(true);
    assertThat(
            kubectlWithEnv(
                Map.of("KUBE_EDITOR", editor.toString()), "edit", "bpol", "control-plane-daily"))
        .contains("backuppolicy.osbackup.io/control-plane-daily edited");
    assertThat(kubectl("get", "bpol", "control-plane-daily", "-o", "jsonpath={.spec.suspend}"))
        .isEqualTo("false");

    // get -w streams: the first screen arrives, then the command is still watching
    List<String> command = ControlPlane.kubectl(kubeconfig);
    command.addAll(List.of("get", "brun", "-w"));
    Process watch = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      StringBuilder seen = new StringBuilder();
      var in = watch.getInputStream();
      long end = System.nanoTime() + WAIT.toNanos();
      while (!seen.toString().contains("before-upgrade") && System.nanoTime() < end) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        seen.append((char) b);
      }
      assertThat(seen.toString()).contains("NAME").contains("before-upgrade");
      assertThat(watch.isAlive()).as("kubectl get -w keeps watching: %s", seen).isTrue();
    } finally {
      watch.destroyForcibly();
    }
  }

  @Test
  void logsOfAnAgentPodAreItsOutputServedByTheLocalKubelet() throws Exception {
    cluster
        .client()
        .batch()
        .v1()
        .jobs()
        .inNamespace(NS)
        .resource(agentJob("version", "--version"))
        .create();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              var job =
                  cluster.client().batch().v1().jobs().inNamespace(NS).withName("version").get();
              return job.getStatus() != null
                  && Integer.valueOf(1).equals(job.getStatus().getSucceeded());
            });

    assertThat(kubectl("logs", "job/version")).contains("osbackup");
    assertThat(kubectl("logs", "job/version", "--tail=1")).startsWith("osbackup");
  }

  @Test
  void theOperatorsAccountHasTheChartsRightsAndNoMore() throws Exception {
    String operator = "--as=system:serviceaccount:osbackup-system:osbackup";
    assertThat(kubectlMayFail("auth", "can-i", "create", "jobs", operator)).isEqualTo("yes");
    assertThat(kubectlMayFail("auth", "can-i", "get", "secrets", operator)).isEqualTo("yes");
    assertThat(kubectlMayFail("auth", "can-i", "list", "secrets", operator))
        .as("no Secret is ever listed or cached")
        .isEqualTo("no");
    assertThat(kubectlMayFail("auth", "can-i", "delete", "secrets", operator)).isEqualTo("no");
    assertThat(
            kubectlMayFail(
                "auth", "can-i", "create", "jobs", "--as=system:serviceaccount:openstack:default"))
        .isEqualTo("no");
  }

  // ---------------------------------------------------------------- helpers

  private static Job agentJob(String name, String... args) {
    Job job = AgentJobs.job(NS, name, "osbackup:local", args);
    AgentJobs.podSpec(job).setAutomountServiceAccountToken(false);
    return job;
  }

  private static Path sample(String name) {
    return Path.of("..", "samples", name).toAbsolutePath().normalize();
  }

  /** The line of a {@code kubectl get} table for {@code name}. */
  private static String row(String table, String name) {
    return table
        .lines()
        .filter(l -> l.startsWith(name + " "))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row " + name + " in\n" + table));
  }

  static String kubectl(String... args) throws Exception {
    return kubectlWithEnv(Map.of(), args);
  }

  private static String kubectlWithEnv(Map<String, String> env, String... args) throws Exception {
    Run run = run(env, args);
    assertThat(run.code()).as(String.join(" ", args) + ": " + run.out()).isZero();
    return run.out();
  }

  private static String kubectlMayFail(String... args) throws Exception {
    return run(Map.of(), args).out().strip();
  }

  private record Run(int code, String out) {}

  private static Run run(Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = ControlPlane.kubectl(kubeconfig);
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }
}
