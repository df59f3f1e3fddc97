package io.osbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.CaBundle;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Relay;
import io.osbackup.testbed.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user story over TLS with a private CA: the S3 store behind TLS (its CA in a ConfigMap named by
 * spec.s3.caBundle) and a MariaDB that takes only TLS connections (its CA in a Secret named by the
 * target's tls.caSecret). The operator probes the store, the backup Job's agent and the restore
 * Job's agent get both CAs mounted read-only, and a backup and a restore under another name work.
 */
class TlsStoryIT {

  @TempDir static Path work;
  static LocalOsbackup osb;
  static TestCa ca;
  static S3Relay tls;
  static MariaDbServer tlsDb;

  @BeforeAll
  static void start() throws Exception {
    assumeThat(Files.isExecutable(MariaDbServer.DEBIAN_SERVER)).as("Debian's mariadbd").isTrue();
    osb = LocalOsbackup.start(work);
    osb.addNode("controller-1", "controller");
    ca = TestCa.create(work.resolve("ca"));
    tls = S3Relay.startTls(osb.s3.endpoint(), ca.serverContext());
    tlsDb = MariaDbServer.startTls(work.resolve("tls-db"), ca);
    tlsDb.execute(
        "CREATE DATABASE tls_nova",
        "CREATE TABLE tls_nova.instances (id INT PRIMARY KEY, host VARCHAR(64))",
        "INSERT INTO tls_nova.instances VALUES (1, 'compute-1'), (2, 'compute-2')");
    String pem = Files.readString(ca.caCertificate());
    osb.apply(
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("openstack-ca")
            .endMetadata()
            .withData(Map.of("ca.crt", pem))
            .build());
    osb.apply(osb.secret("galera-ca", Map.of("tls.crt", pem)));
    osb.apply(osb.secret("tls-db", Map.of("username", tlsDb.user(), "password", tlsDb.password())));
  }

  @AfterAll
  static void stop() {
    if (tls != null) {
      tls.close();
    }
    if (tlsDb != null) {
      tlsDb.close();
    }
    if (osb != null) {
      osb.close();
    }
  }

  @Test
  void backupAndRestoreOverTlsWithPrivateCas() {
    BackupStore store = osb.store("tls-store", "backup-s3");
    store.getSpec().getS3().setEndpoint(tls.endpointByName());
    store.getSpec().getS3().setCaBundle(CaBundle.fromConfigMap("openstack-ca", "ca.crt"));
    osb.apply(store);
    BackupStore available =
        osb.awaitFinal(
            BackupStore.class,
            "tls-store",
            s -> s.getStatus() != null && s.getStatus().condition("Available").isPresent());
    assertThat(available.getStatus().condition("Available").orElseThrow().getStatus())
        .as(available.getStatus().condition("Available").orElseThrow().getMessage())
        .isEqualTo("True");

    BackupPolicy policy =
        osb.policy(
            "tls",
            """
            databases:
              - name: galera
                host: %s
                port: %d
                credentialsSecret: {name: tls-db}
                include: [tls_nova]
                tls: {mode: verify-full, caSecret: {name: galera-ca, key: tls.crt}}
            """
                .formatted(TestCa.HOST, tlsDb.port()));
    policy.getSpec().getStoreRef().setName("tls-store");
    osb.apply(policy);

    BackupRun run = osb.backup("tls", "tls-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    Job job =
        osb.client
            .batch()
            .v1()
            .jobs()
            .inNamespace(LocalOsbackup.NS)
            .withLabel(Api.RUN_LABEL, "tls-1")
            .list()
            .getItems()
            .get(0);
    assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
        .extracting(v -> v.getName())
        .contains("store-ca", "database-ca");

    Map<String, Long> before = tlsDb.tableChecksums("tls_nova");
    osb.restore(
        "tls-restore",
        """
        source: {backupRunRef: {name: tls-1}}
        databases: {include: [tls_nova], renames: {tls_nova: tls_nova_copy}}
        """);
    RestoreRequest done = osb.awaitRestoreEnd("tls-restore");
    assertThat(done.getStatus().getPhase())
        .as(done.getStatus().getMessage())
        .isEqualTo(RestorePhase.Succeeded);
    assertThat(tlsDb.tableChecksums("tls_nova_copy")).isEqualTo(before);
  }
}
