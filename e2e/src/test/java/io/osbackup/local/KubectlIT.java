package io.osbackup.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.operator.OperatorSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded API server answers what kubectl asks (version, discovery, server-side tables), so a user of local
 * mode can look around with {@code kubectl --kubeconfig <printed path>}. The kubectl part runs where kubectl is
 * installed; the discovery documents are checked everywhere.
 */
class KubectlIT {

  @TempDir static Path work;
  static LocalCluster cluster;
  static Path kubeconfig;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.start(work.resolve("cluster"), OperatorSettings.defaults(), Map.of());
    kubeconfig = cluster.writeKubeconfig(work.resolve("kubeconfig"), "openstack");
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static String get(String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(cluster.apiUrl().replaceAll("/+$", "") + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return r.body();
  }

  @Test
  void servesTheDiscoveryDocumentsKubectlNeeds() throws Exception {
    assertThat(get("/version")).contains("\"major\":\"1\"");
    assertThat(get("/api")).contains("\"versions\":[\"v1\"]");
    assertThat(get("/apis")).contains("\"osbackup.io/v1alpha1\"").contains("\"batch/v1\"").contains("\"apps/v1\"");
    assertThat(get("/apis/osbackup.io/v1alpha1"))
        .contains("\"name\":\"backupruns\"").contains("\"kind\":\"BackupRun\"").contains("\"brun\"")
        .contains("\"name\":\"restorerequests\"").contains("\"rreq\"").contains("\"namespaced\":true");
    assertThat(get("/api/v1")).contains("\"name\":\"nodes\"").contains("\"namespaced\":false");
  }

  @Test
  void kubectlAppliesAndListsOsbackupResourcesWithTheirColumns() throws Exception {
    Assumptions.assumeTrue(kubectlWorks(), "kubectl is not installed");
    String applied = kubectl("apply", "--validate=false", "-f", Path.of("..", "samples", "20-backuprun-on-demand.yaml")
        .toAbsolutePath().normalize().toString());
    assertThat(applied).contains("backuprun.osbackup.io/before-upgrade created");
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      BackupRun run = cluster.client().resources(BackupRun.class).inNamespace("openstack").withName("before-upgrade")
          .get();
      return run != null && run.getStatus() != null && run.getStatus().getPhase() != null;
    });
    String table = kubectl("get", "brun");
    assertThat(table).contains("NAME").contains("PHASE").contains("POLICY").contains("before-upgrade")
        .contains("control-plane-daily");
    assertThat(kubectl("get", "backupruns", "before-upgrade", "-o", "jsonpath={.spec.policyRef.name}"))
        .isEqualTo("control-plane-daily");
    assertThat(kubectl("api-resources", "--api-group=osbackup.io")).contains("backupstores").contains("bstore");
  }

  @Test
  void aSecretWrittenWithStringDataIsStoredAsDataAsARealApiServerDoes() throws Exception {
    var secrets = cluster.client().secrets().inNamespace("openstack");
    secrets.resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
            .withNewMetadata().withName("folded").withNamespace("openstack").endMetadata()
            .addToData("username", java.util.Base64.getEncoder().encodeToString("backup".getBytes(StandardCharsets.UTF_8)))
            .addToStringData("password", "pw-1")
            .build())
        .create();
    var stored = secrets.withName("folded").get();
    assertThat(stored.getStringData()).isNullOrEmpty();
    assertThat(stored.getData()).containsEntry("username", "YmFja3Vw").containsEntry("password", "cHctMQ==");

    stored.setStringData(Map.of("password", "pw-2"));
    secrets.resource(stored).update();
    assertThat(secrets.withName("folded").get().getData()).containsEntry("password", "cHctMg==");

    Assumptions.assumeTrue(kubectlWorks(), "kubectl is not installed");
    kubectl("apply", "--validate=false", "-f",
        Path.of("..", "samples", "01-backupstore-swift.yaml").toAbsolutePath().normalize().toString());
    assertThat(kubectl("get", "secret", "swift-s3-credentials", "-o", "jsonpath={.data.accessKey}"))
        .isEqualTo(java.util.Base64.getEncoder().encodeToString(
            "REPLACE-WITH-EC2-ACCESS-KEY".getBytes(StandardCharsets.UTF_8)));
  }

  static boolean kubectlWorks() {
    try {
      Process p = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  static String kubectl(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", args) + ": " + out).isZero();
    return out;
  }
}
