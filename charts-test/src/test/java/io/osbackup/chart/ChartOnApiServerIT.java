package io.osbackup.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.testbed.ChartRbac;
import io.osbackup.testbed.ControlPlane;
import io.osbackup.testbed.S3Server;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's RBAC on a real API server: the operator runs as the chart's ServiceAccount,
 * authenticated by a token from the TokenRequest API (never as admin), with exactly the Roles the
 * chart renders, and does its work — the store checked, a run's Job created, the leader Lease held.
 * The API server's audit log then shows no request of the operator's account refused: a call the
 * chart does not allow fails the test.
 */
class ChartOnApiServerIT {

  private static final String RELEASE_NS = Chart.NAMESPACE;
  private static final String ACCOUNT = "system:serviceaccount:" + RELEASE_NS + ":osbackup";
  private static final String BUCKET = "chart-backups";
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir static Path work;
  static ControlPlane api;
  static KubernetesClient admin;
  static S3Server s3;

  private Process operator;
  private Process standby;
  private final List<HasMetadata> applied = new ArrayList<>();

  @BeforeAll
  static void startControlPlane() throws IOException {
    api = ControlPlane.start(work.resolve("kubelocal"));
    admin = api.admin();
    api.installCrds(Chart.DIR.resolve("crds"));
    s3 = S3Server.start(work.resolve("s3"));
    s3.createBucket(BUCKET);
    namespace(RELEASE_NS);
  }

  @AfterAll
  static void stopControlPlane() {
    if (s3 != null) {
      s3.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @AfterEach
  void stopOperator() throws Exception {
    for (Process p : new Process[] {operator, standby}) {
      if (p != null) {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
    for (HasMetadata object : applied) {
      admin.resource(object).delete();
    }
    // the next test's operators start without a leader
    admin.leases().inNamespace(RELEASE_NS).delete();
    // what the operators said, kept where Maven keeps test reports
    Path reports = Files.createDirectories(Path.of("target", "operator-logs"));
    try (var logs = Files.list(work)) {
      for (Path log : logs.filter(f -> f.toString().endsWith("-operator.log")).toList()) {
        Files.copy(log, reports.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Test
  void clusterWideOperatorDoesItsWorkWithTheChartsRbacOnly() throws Exception {
    Chart.Rendered chart = Chart.render("{}");
    String ns = "openstack";
    namespace(ns);
    long auditFrom = auditLines();
    operator = startOperator(chart, "cluster-wide");

    storeAndRun(ns, "primary");
    await("the operator holds the leader Lease")
        .atMost(WAIT)
        .until(
            () ->
                admin.leases().inNamespace(RELEASE_NS).list().getItems().stream()
                    .anyMatch(l -> l.getSpec().getHolderIdentity() != null));

    assertThat(refused(auditFrom))
        .as("requests of %s the API server refused (RBAC the chart lacks)", ACCOUNT)
        .isEmpty();
    assertThat(requests(auditFrom))
        .as("the operator did talk to the API server as its ServiceAccount")
        .isNotEmpty();
  }

  @Test
  void watchedNamespaceOperatorActsThereAndIsRefusedElsewhere() throws Exception {
    String watched = "cloud-a";
    String other = "cloud-b";
    namespace(watched);
    namespace(other);
    Chart.Rendered chart = Chart.render("watchNamespaces: [" + watched + "]\n");
    long auditFrom = auditLines();
    operator = startOperator(chart, "watched");

    storeAndRun(watched, "primary");
    // a store in a namespace the chart grants nothing in is not the operator's to touch
    admin.resource(secret(other)).create();
    BackupStore elsewhere = admin.resource(store(other, "elsewhere")).create();
    Thread.sleep(3_000);
    assertThat(
            admin
                .resources(BackupStore.class)
                .inNamespace(other)
                .withName("elsewhere")
                .get()
                .getStatus())
        .as("a store outside the watched namespaces gets no status")
        .isNull();
    admin.resource(elsewhere).delete();

    assertThat(refused(auditFrom))
        .as("requests of %s the API server refused (RBAC the chart lacks)", ACCOUNT)
        .isEmpty();
    assertThat(
            admin
                .authorization()
                .v1()
                .subjectAccessReview()
                .create(
                    new io.fabric8.kubernetes.api.model.authorization.v1
                            .SubjectAccessReviewBuilder()
                        .withNewSpec()
                        .withUser(ACCOUNT)
                        .withNewResourceAttributes()
                        .withNamespace(other)
                        .withVerb("create")
                        .withGroup("batch")
                        .withResource("jobs")
                        .endResourceAttributes()
                        .endSpec()
                        .build())
                .getStatus()
                .getAllowed())
        .as("the watched-namespace chart lets the operator create no Job in %s", other)
        .isFalse();
  }

  @Test
  void twoReplicasOneLeadsKillingItHandsOverAndNoRunIsStartedTwice() throws Exception {
    String ns = "region-two";
    namespace(ns);
    Chart.Rendered chart = Chart.render("replicas: 2\n");
    long auditFrom = auditLines();
    operator = startOperator(chart, "replica-a");
    String lease =
        await("a replica holds the Lease")
            .atMost(WAIT)
            .until(ChartOnApiServerIT::leaseHolder, holder -> holder != null);
    standby = startOperator(chart, lease.equals("replica-a-operator") ? "replica-b" : "replica-a");
    Process leader = operator;
    storeAndRun(ns, "primary");

    // the leader dies at once (kill -9, a node lost): the standby takes over within the Lease's
    // duration
    leader.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    String next =
        await("the standby takes the Lease")
            .atMost(WAIT)
            .until(
                ChartOnApiServerIT::leaseHolder, holder -> holder != null && !holder.equals(lease));
    assertThat(next).isNotEqualTo(lease);
    admin
        .resource(
            Serialization.unmarshal(
                """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupRun
        metadata: {name: after-handover, namespace: %s}
        spec:
          policyRef: {name: nightly}
        """
                    .formatted(ns),
                BackupRun.class))
        .create();
    await("the new leader starts the new run")
        .atMost(WAIT)
        .until(() -> admin.batch().v1().jobs().inNamespace(ns).list().getItems().size() == 2);
    Thread.sleep(3_000);

    List<String> jobCreates =
        requests(auditFrom).stream()
            .filter(r -> r.startsWith("create /apis/batch/v1/namespaces/" + ns + "/jobs"))
            .toList();
    assertThat(jobCreates)
        .as("one create per run, none refused as a duplicate")
        .hasSize(2)
        .allMatch(r -> r.endsWith("-> 201"));
    assertThat(admin.batch().v1().jobs().inNamespace(ns).list().getItems()).hasSize(2);
    assertThat(refused(auditFrom)).isEmpty();
  }

  private static String leaseHolder() {
    return admin.leases().inNamespace(RELEASE_NS).list().getItems().stream()
        .map(l -> l.getSpec().getHolderIdentity())
        .filter(h -> h != null && !h.isBlank())
        .findFirst()
        .orElse(null);
  }

  // ---------------------------------------------------------------- the operator as its Deployment
  // runs it

  /**
   * Applies the chart's account and RBAC (as admin), then starts the operator with the Deployment's
   * args.
   */
  private Process startOperator(Chart.Rendered chart, String name) throws IOException {
    applied.addAll(ChartRbac.apply(admin, chart.objects()));
    Deployment deployment =
        chart.objects().stream()
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .findFirst()
            .orElse(null);
    assertThat(deployment).as("the chart renders the operator's Deployment").isNotNull();
    Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    List<String> args = new ArrayList<>();
    for (String arg : container.getArgs()) {
      args.add(arg.startsWith("--metrics-port=") ? "--metrics-port=" + freePort() : arg);
    }
    Path kubeconfig =
        api.writeKubeconfigAs(RELEASE_NS, "osbackup", work.resolve(name + ".kubeconfig"));
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "io.osbackup.Main"));
    command.addAll(args);
    Path log = work.resolve(name + "-operator.log");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("KUBERNETES_"));
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().put("POD_NAMESPACE", RELEASE_NS);
    pb.environment().put("HOSTNAME", name + "-operator");
    return pb.start();
  }

  /** A store on the S3 server becomes Available, and a run of a policy on it gets its Job. */
  private void storeAndRun(String ns, String storeName) throws Exception {
    admin.resource(secret(ns)).create();
    admin
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("db")
                .withNamespace(ns)
                .endMetadata()
                .addToStringData("username", "backup")
                .addToStringData("password", "not-used-here")
                .build())
        .create();
    admin.resource(store(ns, storeName)).create();
    await("BackupStore " + ns + "/" + storeName + " Available (operator log: " + work + ")")
        .atMost(WAIT)
        .until(
            () -> {
              BackupStore s =
                  admin.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
              return s.getStatus() != null
                  && s.getStatus().getConditions() != null
                  && s.getStatus().getConditions().stream()
                      .anyMatch(
                          c -> c.getType().equals("Available") && c.getStatus().equals("True"));
            });
    admin
        .resource(
            Serialization.unmarshal(
                """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: nightly, namespace: %s}
        spec:
          storeRef: {name: %s}
          schedule: "0 3 * * *"
          databases:
            - name: control-plane
              host: 127.0.0.1
              port: 3306
              credentialsSecret: {name: db}
        """
                    .formatted(ns, storeName),
                BackupPolicy.class))
        .create();
    admin
        .resource(
            Serialization.unmarshal(
                """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupRun
        metadata: {name: now, namespace: %s}
        spec:
          policyRef: {name: nightly}
        """
                    .formatted(ns),
                BackupRun.class))
        .create();
    await("the run's Job in " + ns)
        .atMost(WAIT)
        .until(() -> !admin.batch().v1().jobs().inNamespace(ns).list().getItems().isEmpty());
  }

  private static Secret secret(String ns) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName("s3")
        .withNamespace(ns)
        .endMetadata()
        .addToStringData("accessKey", s3.accessKey())
        .addToStringData("secretKey", s3.secretKey())
        .build();
  }

  private static BackupStore store(String ns, String name) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: %s, namespace: %s}
        spec:
          s3: {endpoint: "%s", bucket: %s, region: %s, prefix: %s, forcePathStyle: true,
               credentialsSecret: {name: s3}}
        """
            .formatted(name, ns, s3.endpoint(), BUCKET, s3.region(), ns),
        BackupStore.class);
  }

  private static void namespace(String name) {
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .createOr(NonDeletingOperation::update);
  }

  // ---------------------------------------------------------------- the audit log

  private static long auditLines() throws IOException {
    try (var lines = Files.lines(api.auditLog())) {
      return lines.count();
    }
  }

  /** The operator account's requests since line {@code from}: verb, URI and response code. */
  private static List<String> requests(long from) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> out = new ArrayList<>();
    try (var lines = Files.lines(api.auditLog())) {
      for (String line : lines.skip(from).toList()) {
        JsonNode event = json.readTree(line);
        if (ACCOUNT.equals(event.path("user").path("username").asText())
            && "ResponseComplete".equals(event.path("stage").asText())) {
          out.add(
              event.path("verb").asText()
                  + " "
                  + event.path("requestURI").asText()
                  + " -> "
                  + event.path("responseStatus").path("code").asInt());
        }
      }
    }
    return out;
  }

  private static List<String> refused(long from) throws IOException {
    return requests(from).stream().filter(r -> r.endsWith("-> 403")).toList();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
