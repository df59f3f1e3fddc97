package io.osbackup.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.testbed.DirectoryArtifactSink;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.TestCa;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database target over TLS with a private CA: the real MariaDB with {@code ssl-cert}, {@code
 * ssl-key} and {@code require_secure_transport=ON}, its certificate signed by a {@link TestCa} for
 * {@code localhost}. The JDBC pre-flight and {@code mariadb-dump} both connect with the target's
 * TLS settings; without them, with another CA or on a host the certificate does not name, the
 * backup fails naming TLS and the field to fix.
 */
class DatabaseTlsIT {

  static final String FOLDER = "prod/openstack/tls/tls-20261205-020000";

  @TempDir static Path work;
  static TestCa ca;
  static TestCa otherCa;
  static MariaDbServer server;

  @TempDir Path sinkDir;

  @BeforeAll
  static void start() throws Exception {
    assumeThat(Files.isExecutable(MariaDbServer.DEBIAN_SERVER)).as("Debian's mariadbd").isTrue();
    ca = TestCa.create(work.resolve("ca"));
    otherCa = TestCa.create(work.resolve("other-ca"));
    server = MariaDbServer.startTls(work.resolve("db"), ca);
    server.execute(
        "CREATE DATABASE tls_nova",
        "CREATE TABLE tls_nova.instances (id INT PRIMARY KEY, host VARCHAR(64))",
        "INSERT INTO tls_nova.instances VALUES (1, 'compute-1'), (2, 'compute-2')");
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static BackupPlan.Database target(String host, BackupPlan.DatabaseTls tls) {
    return new BackupPlan.Database(
        "control-plane",
        host,
        server.port(),
        BackupPlan.DATABASE_CREDENTIALS_DIR,
        List.of("tls_nova"),
        List.of(),
        false,
        tls);
  }

  DatabaseBackup.Result backUp(String host, BackupPlan.DatabaseTls tls) throws Exception {
    return new DatabaseBackup(server.dumpCommand().toString())
        .run(
            target(host, tls),
            new DatabaseLogin(server.user(), server.password()),
            FOLDER,
            Compression.GZIP,
            new DirectoryArtifactSink(sinkDir));
  }

  @Test
  void verifyFullWithTheCaBacksUpAndTheDumpRestoresOverTls() throws Exception {
    DatabaseBackup.Result result =
        backUp(
            TestCa.HOST, new BackupPlan.DatabaseTls("verify-full", ca.caCertificate().toString()));

    assertThat(result.databases()).containsExactly("tls_nova");
    Path stored = new DirectoryArtifactSink(sinkDir).file(result.artifacts().get(0).stored().key());
    Path script = work.resolve("tls_nova.sql");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(stored))) {
      Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    Map<String, Long> before = server.tableChecksums("tls_nova");
    server.execute("DROP DATABASE tls_nova");
    server.load(script); // the stock client, over TLS: the server takes nothing else
    assertThat(server.tableChecksums("tls_nova")).isEqualTo(before);
  }

  @Test
  void aRestoreIntoTheTlsOnlyServerConnectsWithTheTargetsTls() throws Exception {
    BackupPlan.DatabaseTls tls =
        new BackupPlan.DatabaseTls("verify-full", ca.caCertificate().toString());
    DatabaseBackup.Result result = backUp(TestCa.HOST, tls);
    Path stored = new DirectoryArtifactSink(sinkDir).file(result.artifacts().get(0).stored().key());
    DatabaseLogin login = new DatabaseLogin(server.user(), server.password());
    DatabaseRestorer restorer = new DatabaseRestorer(server.clientCommand().toString());

    try (InputStream script = new GZIPInputStream(Files.newInputStream(stored))) {
      DatabaseRestorer.Outcome outcome =
          restorer.restore(
              new DatabaseRestorer.Destination(TestCa.HOST, server.port(), login, tls),
              "tls_nova",
              "tls_nova_copy",
              script,
              () -> {},
              "orig_1");
      assertThat(outcome.database()).isEqualTo("tls_nova_copy");
    }
    assertThat(server.tableChecksums("tls_nova_copy").values())
        .containsExactlyElementsOf(server.tableChecksums("tls_nova").values());
    server.execute("DROP DATABASE tls_nova_copy");

    assertThatThrownBy(
            () ->
                restorer.survey(
                    new DatabaseRestorer.Destination(
                        TestCa.HOST,
                        server.port(),
                        login,
                        new BackupPlan.DatabaseTls(
                            "verify-full", otherCa.caCertificate().toString()))))
        .hasMessageStartingWith("TLS to the database server at localhost:" + server.port())
        .hasMessageContaining("tls.caSecret");
  }

  @Test
  void verifyCaChecksTheChainButNotTheHostName() throws Exception {
    DatabaseBackup.Result result =
        backUp("127.0.0.1", new BackupPlan.DatabaseTls("verify-ca", ca.caCertificate().toString()));

    assertThat(result.databases()).containsExactly("tls_nova");
  }

  @Test
  void requiredEncryptsWithoutACa() throws Exception {
    assertThat(backUp("127.0.0.1", new BackupPlan.DatabaseTls("required", null)).databases())
        .containsExactly("tls_nova");
  }

  @Test
  void withoutTlsSettingsTheConnectionsStillEncryptButCheckNothing() throws Exception {
    // Connector/J (sslMode PREFERRED) and the 10.11 tools use TLS when the server offers it
    assertThat(backUp("127.0.0.1", null).databases()).containsExactly("tls_nova");
  }

  @Test
  void requiredAgainstAServerWithoutTlsFailsNamingTls() throws Exception {
    try (MariaDbServer plain = MariaDbServer.start(work.resolve("plain"))) {
      assertThatThrownBy(
              () ->
                  new DatabaseBackup(plain.dumpCommand().toString())
                      .run(
                          new BackupPlan.Database(
                              "control-plane",
                              "127.0.0.1",
                              plain.port(),
                              BackupPlan.DATABASE_CREDENTIALS_DIR,
                              List.of(),
                              List.of(),
                              false,
                              new BackupPlan.DatabaseTls("required", null)),
                          new DatabaseLogin(plain.user(), plain.password()),
                          FOLDER,
                          Compression.GZIP,
                          new DirectoryArtifactSink(sinkDir)))
          .isInstanceOf(DatabaseBackupException.class)
          .hasMessageStartingWith("TLS to the database server at 127.0.0.1:" + plain.port())
          .hasMessageContaining("TLS enabled")
          .hasMessageNotContaining(plain.password());
    }
  }

  @Test
  void anotherCaIsRefusedNamingTheCaSecret() {
    assertThatThrownBy(
            () ->
                backUp(
                    TestCa.HOST,
                    new BackupPlan.DatabaseTls("verify-full", otherCa.caCertificate().toString())))
        .isInstanceOf(DatabaseBackupException.class)
        .hasMessageStartingWith("TLS to the database server at localhost:" + server.port())
        .hasMessageContaining("spec.databases[].tls.caSecret");
  }

  @Test
  void verifyFullOnAHostTheCertificateDoesNotNameIsRefusedNamingTheHost() {
    assertThatThrownBy(
            () ->
                backUp(
                    "127.0.0.1",
                    new BackupPlan.DatabaseTls("verify-full", ca.caCertificate().toString())))
        .isInstanceOf(DatabaseBackupException.class)
        .hasMessageStartingWith("TLS to the database server at 127.0.0.1:" + server.port())
        .hasMessageContaining("does not name the host 127.0.0.1");
  }
}
