package io.osbackup.e2e;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.osbackup.local.OpenStackSample;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.SqlClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the user stories run. By default osbackup in local mode: the embedded API with the local
 * Job runner and the operator, a real MariaDB and a real S3 server, and a controller node holding
 * {@code /etc/keystone}. Given {@code -Dosbackup.e2e.kubeconfig=<file>}, a real cluster where the
 * chart is installed and {@code e2e/kind/} has set up MinIO, MariaDB and a node labelled {@code
 * openstack-role=controller} (see e2e/README.md); the other {@code osbackup.e2e.*} properties say
 * where those are if not at the defaults.
 *
 * @param s3Endpoint the S3 endpoint as the operator and agents reach it
 * @param dbHost the database server as the agents reach it
 * @param sql how the test itself reaches that database server
 * @param bucket the bucket as the test reaches it, in local mode only (a real cluster's MinIO is
 *     inside it)
 */
record StoryCluster(
    String where,
    KubernetesClient client,
    String namespace,
    String s3Endpoint,
    String s3Bucket,
    String s3Region,
    String s3Secret,
    String dbHost,
    int dbPort,
    String dbSecret,
    SqlClient sql,
    String nodeRole,
    Optional<ObjectStore> bucket,
    AutoCloseable resources)
    implements AutoCloseable {

  static final String KUBECONFIG = "osbackup.e2e.kubeconfig";

  /** A real cluster when {@value #KUBECONFIG} is set, else local mode below {@code work}. */
  static StoryCluster start(Path work) throws Exception {
    String kubeconfig = System.getProperty(KUBECONFIG, "");
    return kubeconfig.isBlank() ? local(work) : real(Path.of(kubeconfig));
  }

  private static StoryCluster local(Path work) throws Exception {
    LocalOsbackup osb = LocalOsbackup.start(work);
    for (var node : Map.of("controller-1", "controller", "compute-1", "compute").entrySet()) {
      osb.cluster.nodes().add(node.getKey(), Map.of("openstack-role", node.getValue()));
      OpenStackSample.writeNodeFiles(
          osb.cluster.nodes().root(node.getKey()), node.getKey(), node.getValue());
    }
    return new StoryCluster(
        "local mode (" + osb.s3.kind() + " S3, " + osb.cluster.apiUrl() + ")",
        osb.client,
        LocalOsbackup.NS,
        osb.s3.endpoint(),
        LocalOsbackup.BUCKET,
        osb.s3.region(),
        "backup-s3",
        osb.db.host(),
        osb.db.port(),
        "backup-db",
        osb.db.sql(),
        "controller",
        Optional.of(osb.bucket),
        osb);
  }

  private static StoryCluster real(Path kubeconfig) throws IOException {
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
            .build();
    String address = property("db.address", "127.0.0.1:30306");
    int colon = address.lastIndexOf(':');
    SqlClient sql =
        new SqlClient(
            address.substring(0, colon),
            Integer.parseInt(address.substring(colon + 1)),
            env("OSBACKUP_E2E_DB_USERNAME", "backup"),
            env("OSBACKUP_E2E_DB_PASSWORD", "e2e-backup-pw"));
    return new StoryCluster(
        "the cluster of " + kubeconfig + " (" + client.getMasterUrl() + ")",
        client,
        property("namespace", "osbackup-e2e"),
        property("s3.endpoint", "http://minio.osbackup-e2e.svc:9000"),
        property("s3.bucket", "osbackup-e2e"),
        property("s3.region", "us-east-1"),
        property("s3.secret", "e2e-s3"),
        property("db.host", "mariadb.osbackup-e2e.svc"),
        Integer.parseInt(property("db.port", "3306")),
        property("db.secret", "e2e-db"),
        sql,
        property("node-role", "controller"),
        Optional.empty(),
        client);
  }

  private static String property(String name, String fallback) {
    String value = System.getProperty("osbackup.e2e." + name, "");
    return value.isBlank() ? fallback : value;
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  @Override
  public void close() throws Exception {
    resources.close();
  }
}
