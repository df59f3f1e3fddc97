package io.osbackup.bench;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.operator.OperatorSettings;
import io.osbackup.operator.OsbackupOperator;
import io.osbackup.testbed.LocalJobRunner;
import io.osbackup.testbed.S3Server;
import io.osbackup.testbed.SimulatedNodes;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code LocalCluster} does (mock API in CRUD mode with the osbackup CRDs, simulated nodes,
 * the operator), but with the Job runner optional and its JVM options chosen by the benchmark,
 * which {@code LocalCluster} does not expose.
 */
final class BenchCluster implements AutoCloseable {

  static final String NS = "openstack";

  static {
    java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer")
        .setLevel(java.util.logging.Level.WARNING);
  }

  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");

  final KubernetesMockServer server;
  final KubernetesClient client;
  final SimulatedNodes nodes;
  LocalJobRunner runner;
  Operator operator;

  BenchCluster(Path work) throws IOException {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(List.of()),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    for (String plural :
        List.of("backupstores", "backuppolicies", "backupruns", "restorerequests")) {
      String resource = "/META-INF/fabric8/" + plural + ".osbackup.io-v1.yml";
      try (InputStream in = BenchCluster.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("CRD " + resource + " is not on the classpath");
        }
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
      }
    }
    nodes = new SimulatedNodes(client, work.resolve("nodes"));
  }

  /** Starts the Job runner with these JVM options for every pod process. */
  void startRunner(Path work, String... jvmOptions) {
    runner =
        LocalJobRunner.builder()
            .client(client)
            .workDir(work.resolve("jobs"))
            .nodes(nodes)
            .jvmOptions(jvmOptions)
            .start();
  }

  /**
   * Starts the operator; returns how long {@code Operator.start()} took (it waits for the
   * informers' caches).
   */
  Duration startOperator(OperatorSettings settings) {
    Instant t0 = Instant.now();
    operator = OsbackupOperator.create(client, settings);
    operator.start();
    return Duration.between(t0, Instant.now());
  }

  /**
   * The credentials Secret and a BackupStore {@code primary} on the S3 server, prefix {@code prod}.
   */
  void storeOn(S3Server s3, String bucket) {
    Map<String, String> data = new HashMap<>();
    data.put("accessKey", b64(s3.accessKey()));
    data.put("secretKey", b64(s3.secretKey()));
    apply(
        new SecretBuilder()
            .withNewMetadata()
            .withName("backup-s3")
            .withNamespace(NS)
            .endMetadata()
            .withData(data)
            .build());
    apply(
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupStore
            metadata: {name: primary, namespace: %s}
            spec:
              probeIntervalSeconds: 300
              s3: {endpoint: "%s", bucket: %s, region: %s, prefix: prod, forcePathStyle: true,
                   credentialsSecret: {name: backup-s3}}
            """
                .formatted(NS, s3.endpoint(), bucket, s3.region()),
            BackupStore.class));
  }

  void apply(HasMetadata object) {
    object.getMetadata().setNamespace(NS);
    client.resource(object).inNamespace(NS).createOr(existing -> existing.update());
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    if (operator != null) {
      operator.stop();
    }
    if (runner != null) {
      runner.close();
    }
    client.close();
    server.destroy();
  }
}
