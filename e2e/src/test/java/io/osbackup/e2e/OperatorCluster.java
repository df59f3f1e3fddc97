package io.osbackup.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.LocalCluster;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.nio.file.Path;
import java.util.Map;

/**
 * What an operator IT starts once for its class: a real S3 server with the bucket {@value
 * TestNamespace#BUCKET}, a real MariaDB, the embedded Kubernetes API with the local Job runner and
 * the operator (agents dump with that MariaDB's client tools), and namespace {@value
 * TestNamespace#NS} holding the Secrets {@code backup-s3} and {@code backup-db} for them. The store
 * itself is left to the test.
 */
public final class OperatorCluster implements AutoCloseable {

  public final S3Server s3;
  public final ObjectStore bucket;
  public final MariaDbServer db;
  public final LocalCluster cluster;
  public final KubernetesClient client;
  public final TestNamespace namespace;

  private OperatorCluster(S3Server s3, MariaDbServer db, LocalCluster cluster) {
    this.s3 = s3;
    this.bucket = s3.store(TestNamespace.BUCKET);
    this.db = db;
    this.cluster = cluster;
    this.client = cluster.client();
    this.namespace = new TestNamespace(client, s3);
  }

  /** Starts everything below {@code work}; the operator runs with {@code settings}. */
  public static OperatorCluster start(Path work, OperatorSettings settings) throws Exception {
    S3Server s3 = null;
    MariaDbServer db = null;
    LocalCluster cluster = null;
    try {
      s3 = S3Server.start(work.resolve("s3"));
      s3.createBucket(TestNamespace.BUCKET);
      db = MariaDbServer.start(work.resolve("db"));
      cluster =
          LocalCluster.start(
              work.resolve("cluster"),
              settings,
              Map.of("OSBACKUP_DUMP_COMMAND", db.dumpCommand().toString()));
      cluster.namespace(TestNamespace.NS);
      OperatorCluster started = new OperatorCluster(s3, db, cluster);
      started.namespace.apply(
          TestNamespace.secret(
              "backup-s3", Map.of("accessKey", s3.accessKey(), "secretKey", s3.secretKey())));
      started.namespace.apply(
          TestNamespace.secret(
              "backup-db", Map.of("username", db.user(), "password", db.password())));
      return started;
    } catch (Exception | Error e) {
      TestNamespace.closeAll(cluster, db, s3);
      throw e;
    }
  }

  /** Two small OpenStack databases: keystone with two projects, nova with one instance. */
  public void seedKeystoneAndNova() {
    db.execute(
        "CREATE DATABASE keystone",
        "CREATE TABLE keystone.project (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255))",
        "INSERT INTO keystone.project VALUES ('p1', 'admin'), ('p2', 'service')",
        "CREATE DATABASE nova",
        "CREATE TABLE nova.instances (id INT PRIMARY KEY, hostname VARCHAR(255))",
        "INSERT INTO nova.instances VALUES (1, 'vm-1')");
  }

  @Override
  public void close() {
    TestNamespace.closeAll(cluster, bucket, db, s3);
  }
}
