package io.osbackup.e2e;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.LocalCluster;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * osbackup in local mode for an end-to-end test: a real S3 server with a bucket, a real MariaDB,
 * the embedded Kubernetes API with the local Job runner, the operator, a store named {@value
 * #STORE}, and the verbs a user types (apply, create a run, wait for it).
 */
final class LocalOsbackup implements AutoCloseable {

  static final String NS = TestNamespace.NS;
  static final String BUCKET = TestNamespace.BUCKET;
  static final String STORE = TestNamespace.STORE;
  static final Duration TIMEOUT = TestNamespace.RUN_TIMEOUT;

  final S3Server s3;
  final MariaDbServer db;
  final LocalCluster cluster;
  final KubernetesClient client;
  final ObjectStore bucket;
  final TestNamespace namespace;

  private LocalOsbackup(S3Server s3, MariaDbServer db, LocalCluster cluster) {
    this.s3 = s3;
    this.db = db;
    this.cluster = cluster;
    this.client = cluster.client();
    this.bucket = s3.store(BUCKET);
    this.namespace = new TestNamespace(client, s3);
  }

  private static Map<String, String> withEntries(Map<String, String> base, String... entries) {
    Map<String, String> all = new java.util.LinkedHashMap<>(base);
    for (int i = 0; i < entries.length; i += 2) {
      all.put(entries[i], entries[i + 1]);
    }
    return all;
  }

  /** Starts everything below {@code work} and applies the store with its Secrets. */
  static LocalOsbackup start(Path work) throws Exception {
    return start(work, Map.of());
  }

  /** {@link #start(Path)} with more environment for every agent the Job runner starts. */
  static LocalOsbackup start(Path work, Map<String, String> agentEnv) throws Exception {
    CompletableFuture<MariaDbServer> db = MariaDbServer.startAsync(work.resolve("db"));
    S3Server s3 = S3Server.start(work.resolve("s3"));
    s3.createBucket(BUCKET);
    MariaDbServer server = db.join();
    LocalCluster cluster =
        LocalCluster.start(
            work.resolve("cluster"),
            OperatorSettings.defaults()
                .withPendingTimeout(Duration.ofSeconds(2))
                .withPodStartTimeout(Duration.ofSeconds(5))
                .withPollInterval(Duration.ofMillis(500)),
            withEntries(
                agentEnv,
                "OSBACKUP_DUMP_COMMAND",
                server.dumpCommand().toString(),
                "OSBACKUP_MARIADB_CLIENT",
                server.clientCommand().toString()));
    cluster.namespace(NS);
    LocalOsbackup osbackup = new LocalOsbackup(s3, server, cluster);
    osbackup.apply(
        osbackup.secret(
            "backup-s3", Map.of("accessKey", s3.accessKey(), "secretKey", s3.secretKey())));
    osbackup.apply(
        osbackup.secret(
            "backup-db", Map.of("username", server.user(), "password", server.password())));
    osbackup.apply(osbackup.store(STORE, "backup-s3"));
    return osbackup;
  }

  /** Adds node {@code name} with label {@code openstack-role=role}. */
  void addNode(String name, String role) {
    cluster.nodes().add(name, Map.of("openstack-role", role));
  }

  Secret secret(String name, Map<String, String> values) {
    return TestNamespace.secret(name, values);
  }

  BackupStore store(String name, String secret) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: %s, namespace: %s}
        spec:
          s3: {endpoint: "%s", bucket: %s, region: %s, prefix: prod, forcePathStyle: true,
               credentialsSecret: {name: %s}}
        """
            .formatted(name, NS, s3.endpoint(), BUCKET, s3.region(), secret),
        BackupStore.class);
  }

  /** A policy on the store; {@code targets} is the YAML of its databases and files. */
  BackupPolicy policy(String name, String targets) {
    return TestNamespace.policy(name, targets);
  }

  /** The YAML of one database target on the test server with the backup-db Secret. */
  String databases(String... names) {
    return TestNamespace.databaseTarget("backup-db", db.port(), names);
  }

  /** Databases shaped like OpenStack's: two tables joined by a foreign key, and a view. */
  void seed(String... databases) {
    for (String name : databases) {
      db.execute(
          "CREATE DATABASE " + name + " CHARACTER SET utf8mb4",
          "CREATE TABLE " + name + ".cells (id INT PRIMARY KEY, name VARCHAR(64)) ENGINE=InnoDB",
          "CREATE TABLE "
              + name
              + ".hosts (id INT PRIMARY KEY, cell_id INT, name VARCHAR(64),"
              + " FOREIGN KEY (cell_id) REFERENCES "
              + name
              + ".cells (id)) ENGINE=InnoDB",
          "INSERT INTO " + name + ".cells VALUES (0, 'cell0'), (1, 'cell1')",
          "INSERT INTO "
              + name
              + ".hosts VALUES (1, 1, 'compute-1'), (2, 1, 'compute-2'), (3, 0, 'ctl-ñ')",
          "CREATE VIEW " + name + ".host_names AS SELECT name FROM " + name + ".hosts");
    }
  }

  /** A node's /etc/nova: nova.conf (0640) and api-paste.ini. */
  void writeNovaConfig(String node, String conf) throws java.io.IOException {
    Path nova =
        java.nio.file.Files.createDirectories(cluster.nodes().root(node).resolve("etc/nova"));
    java.nio.file.Files.writeString(nova.resolve("nova.conf"), conf);
    java.nio.file.Files.setPosixFilePermissions(
        nova.resolve("nova.conf"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    java.nio.file.Files.writeString(nova.resolve("api-paste.ini"), "[composite:osapi_compute]\n");
  }

  void apply(HasMetadata object) {
    object.getMetadata().setNamespace(NS);
    client.resource(object).inNamespace(NS).createOr(existing -> existing.update());
  }

  /** Creates a BackupRun of {@code policy} and waits until it ended. */
  BackupRun backup(String policy, String name) {
    namespace.createRun(policy, name);
    return awaitFinal(
        BackupRun.class,
        name,
        r ->
            r.getStatus() != null
                && r.getStatus().getPhase() != null
                && r.getStatus().getPhase().isFinal());
  }

  /** Applies a RestoreRequest given as the YAML of its spec. */
  RestoreRequest restore(String name, String spec) {
    RestoreRequest request =
        Serialization.unmarshal(
            """
        apiVersion: osbackup.io/v1alpha1
        kind: RestoreRequest
        metadata: {name: %s, namespace: %s}
        spec:
        %s
        """
                .formatted(name, NS, spec.indent(2)),
            RestoreRequest.class);
    apply(request);
    return request;
  }

  RestoreRequest awaitRestoreEnd(String name) {
    return awaitFinal(
        RestoreRequest.class,
        name,
        r ->
            r.getStatus() != null
                && r.getStatus().getPhase() != null
                && r.getStatus().getPhase().isFinal());
  }

  <T extends HasMetadata> T awaitFinal(
      Class<T> type, String name, java.util.function.Predicate<T> done) {
    AtomicReference<T> last = new AtomicReference<>();
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              T current = client.resources(type).inNamespace(NS).withName(name).get();
              last.set(current);
              return current != null && done.test(current);
            });
    return last.get();
  }

  List<String> eventsOf(HasMetadata object) {
    return namespace.eventsNamed(object);
  }

  @Override
  public void close() {
    TestNamespace.closeAll(cluster, bucket, db, s3);
  }
}
