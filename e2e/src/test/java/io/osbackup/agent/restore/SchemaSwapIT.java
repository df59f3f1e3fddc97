package io.osbackup.agent.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.agent.db.DatabaseBackup;
import io.osbackup.agent.restore.DatabaseRestoreIT.State;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Json;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.store.Credentials;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kills the real restore agent (a separate JVM, as a restore Job's pod runs it) with SIGKILL at
 * each step of a database switch, runs it again as a retried Job does, and shows the database is
 * then wholly the restored one with the previous contents wholly kept aside: tables and their rows,
 * views, triggers, routines and events, nothing lost and nothing half switched.
 */
class SchemaSwapIT {

  static final String BUCKET = "swap-it";
  static final String FOLDER =
      "prod/openstack/control-plane-daily/control-plane-daily-20261121-020000";
  static final String KEYSTONE = DatabaseRestoreIT.KEYSTONE;

  @TempDir static Path work;
  static MariaDbServer db;
  static S3Server s3;
  static ObjectStore bucket;
  static StoredArtifact artifact;
  static State backedUp;
  static Path storeSecret;
  static Path databaseSecret;
  static final AtomicInteger runs = new AtomicInteger();

  @BeforeAll
  static void startServersAndBackUp() throws Exception {
    CompletableFuture<S3Server> store = S3Server.startAsync(work.resolve("s3"));
    db = MariaDbServer.start(work.resolve("db"));
    s3 = store.join();
    s3.createBucket(BUCKET);
    bucket = s3.store(BUCKET);
    DatabaseRestoreIT.load(db);
    DatabaseBackup.Result result =
        new DatabaseBackup(db.dumpCommand().toString())
            .run(
                new BackupPlan.Database(
                    "control-plane",
                    db.host(),
                    db.port(),
                    BackupPlan.DATABASE_CREDENTIALS_DIR,
                    List.of(KEYSTONE),
                    List.of(),
                    false),
                DatabaseRestoreIT.login(db),
                FOLDER,
                Compression.GZIP,
                bucket);
    artifact = result.artifacts().get(0).stored();
    backedUp = State.of(db, KEYSTONE);

    Credentials credentials = s3.credentials();
    storeSecret = Files.createDirectories(work.resolve("secrets/store"));
    Files.writeString(storeSecret.resolve("accessKey"), credentials.accessKey());
    Files.writeString(storeSecret.resolve("secretKey"), credentials.secretKey());
    databaseSecret = Files.createDirectories(work.resolve("secrets/database"));
    Files.writeString(databaseSecret.resolve("username"), db.user());
    Files.writeString(databaseSecret.resolve("password"), db.password());
  }

  @AfterAll
  static void stopServers() {
    if (bucket != null) {
      bucket.close();
    }
    if (s3 != null) {
      s3.close();
    }
    if (db != null) {
      db.close();
    }
  }

  /**
   * Over an existing, changed database: a view where the backup has a table (dropped before the
   * RENAME), triggers, routines and an event that are not in the backup, and the reverse.
   */
  @ParameterizedTest
  @ValueSource(strings = {"journaled", "keep", "triggers", "views", "rename", "objects", "done"})
  void killedAtEachStepOverAnExistingDatabase(String step) throws Exception {
    db.execute("DROP DATABASE IF EXISTS keystone", "DROP DATABASE IF EXISTS `cell-1`");
    DatabaseRestoreIT.load(db);
    db.execute(
        "USE keystone",
        "UPDATE project SET description = 'changed after the backup' WHERE id = 1",
        "DELETE FROM assignment WHERE role = 'reader'",
        "INSERT INTO project VALUES (4, 'added', NULL, 1)",
        "DROP TABLE blobs",
        "CREATE VIEW blobs AS SELECT id, name FROM project",
        "DROP VIEW roles_by_project",
        "CREATE TABLE roles_by_project (name VARCHAR(255), role VARCHAR(64))",
        "INSERT INTO roles_by_project VALUES ('a', 'b')",
        "CREATE TABLE added (id INT PRIMARY KEY, project_id INT, FOREIGN KEY (project_id)"
            + " REFERENCES project (id))",
        "INSERT INTO added VALUES (1, 4)",
        "DROP TRIGGER project_name",
        "CREATE TRIGGER added_check BEFORE INSERT ON added FOR EACH ROW SET NEW.id = NEW.id + 0",
        "DROP VIEW enabled_names",
        "CREATE VIEW added_projects AS SELECT p.name FROM project p JOIN added a ON a.project_id ="
            + " p.id",
        "CREATE PROCEDURE added_procedure() SELECT 1",
        "DROP EVENT purge_audit",
        "CREATE EVENT added_event ON SCHEDULE EVERY 1 HOUR DO DELETE FROM audit WHERE id < 0");
    State before = State.of(db, KEYSTONE);
    String stamp = stamp();
    String keep = "keystone_orig_" + stamp.replace('-', '_');

    RestoreReport report = killAtThenRetry(step, KEYSTONE, stamp);

    assertThat(State.of(db, KEYSTONE)).as("wholly the restored database").isEqualTo(backedUp);
    assertThat(State.of(db, keep)).as("wholly the previous one, kept").isEqualTo(before);
    assertThat(db.column("SHOW DATABASES")).doesNotContain("keystone_osbr_staging");
    assertThat(
            db.column(
                "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '" + keep + "'"))
        .containsExactly("DISABLED");
    DatabaseRestoreIT.assertObjectsWork(db, KEYSTONE);
    RestoreReport.Item item = report.items().get(0);
    assertThat(item.state().value()).isEqualTo("Restored");
    assertThat(item.keptAt()).isEqualTo(keep);
    assertThat(item.message()).as("the retry says what it found").contains(expected(step));
    db.execute("DROP DATABASE `" + keep + "`");
  }

  /** Into a database that does not exist yet: created, then the staged tables renamed in. */
  @ParameterizedTest
  @ValueSource(strings = {"journaled", "create", "triggers", "rename", "objects", "done"})
  void killedAtEachStepIntoANewDatabase(String step) throws Exception {
    String copy = "keystone_copy";
    db.execute("DROP DATABASE IF EXISTS " + copy);
    String stamp = stamp();

    RestoreReport report = killAtThenRetry(step, copy, stamp);

    assertThat(State.of(db, copy)).as("wholly the restored database").isEqualTo(backedUp);
    assertThat(db.column("SHOW DATABASES"))
        .doesNotContain(copy + "_osbr_staging", copy + "_orig_" + stamp.replace('-', '_'));
    DatabaseRestoreIT.assertObjectsWork(db, copy);
    RestoreReport.Item item = report.items().get(0);
    assertThat(item.state().value()).isEqualTo("Restored");
    assertThat(item.keptAt()).isNull();
    assertThat(item.message()).as("the retry says what it found").contains(expected(step));
    db.execute("DROP DATABASE " + copy);
  }

  // ---- helpers ----

  /**
   * What the retry reports for an agent killed at {@code step} (its message names the last step the
   * journal recorded, which may be the one before: the pause sits before the record).
   */
  static String expected(String step) {
    return switch (step) {
      case "journaled", "create", "keep", "triggers", "views" ->
          "before its RENAME: it was rolled back";
      case "rename", "objects" -> "after its RENAME: the switch was finished";
      default -> "an earlier attempt already switched";
    };
  }

  /**
   * Runs the agent restoring the backup into {@code destination} until it waits at {@code step},
   * SIGKILLs it, runs it again without the pause and returns the second run's report.
   */
  static RestoreReport killAtThenRetry(String step, String destination, String stamp)
      throws Exception {
    RestorePlan plan = plan(destination, stamp);
    Path paused = work.resolve("paused-" + runs.incrementAndGet());
    Agent first = Agent.start(plan, step, paused);
    Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
    while (!Files.exists(paused)) {
      assertThat(first.process.isAlive())
          .as("the agent reaches step %s (it ended first: %s)", step, first.log())
          .isTrue();
      assertThat(Instant.now()).as("the agent reaches step %s in time", step).isBefore(deadline);
      Thread.sleep(50);
    }
    first.process.destroyForcibly(); // SIGKILL
    assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();

    Agent retry = Agent.start(plan, null, null);
    assertThat(retry.process.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(retry.process.exitValue()).as(retry.log()).isZero();
    return bucket.getJson(plan.reportKey(), RestoreReport.class).orElseThrow();
  }

  static String stamp() {
    return String.format("20261121-03%04d", runs.incrementAndGet());
  }

  static RestorePlan plan(String destination, String stamp) {
    String job = "swap-" + stamp;
    return new RestorePlan(
        job,
        "swap",
        "control-plane-daily-20261121-020000",
        "prod/openstack/.restores/swap/" + job + ".json",
        new BackupPlan.Store(
            s3.endpoint(), BUCKET, s3.region(), true, BackupPlan.STORE_CREDENTIALS_DIR),
        RestorePlan.RESTORE,
        stamp,
        List.of(
            new RestorePlan.DatabaseItem(
                new RestorePlan.Artifact(
                    artifact.key(),
                    artifact.size(),
                    artifact.sha256(),
                    artifact.compression().value()),
                "control-plane",
                KEYSTONE,
                destination,
                db.host(),
                db.port(),
                RestorePlan.DATABASE_CREDENTIALS_ROOT + "/0")),
        List.of());
  }

  /** {@code osbackup agent} in its own JVM, as the local Job runner starts a pod's container. */
  record Agent(Process process, Path logFile) {

    static Agent start(RestorePlan plan, String pauseAt, Path pauseFile) throws IOException {
      int n = runs.incrementAndGet();
      Path log = work.resolve("agent-" + n + ".log");
      Path tmp = Files.createDirectories(work.resolve("agent-" + n + "-tmp"));
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx256m");
      command.add("-Djava.io.tmpdir=" + tmp);
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add("io.osbackup.Main");
      command.add("agent");
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.redirectErrorStream(true);
      pb.redirectOutput(log.toFile());
      Map<String, String> env = pb.environment();
      env.keySet().retainAll(List.of("PATH", "LANG", "LC_ALL", "TZ", "JAVA_HOME"));
      env.put(RestorePlan.ENV, Json.MAPPER.writeValueAsString(plan));
      Map<String, String> mounts = new LinkedHashMap<>();
      mounts.put(BackupPlan.STORE_CREDENTIALS_DIR, storeSecret.toString());
      mounts.put(RestorePlan.DATABASE_CREDENTIALS_ROOT + "/0", databaseSecret.toString());
      mounts.put("/dev/termination-log", work.resolve("termination-" + n).toString());
      env.put(io.osbackup.agent.files.MountTable.ENV, Json.MAPPER.writeValueAsString(mounts));
      env.put(
          io.osbackup.agent.restore.db.DatabaseRestorer.CLIENT_COMMAND_ENV,
          db.clientCommand().toString());
      if (pauseAt != null) {
        env.put("OSBACKUP_TEST_PAUSE_SWAP_AT", pauseAt);
        env.put("OSBACKUP_TEST_PAUSE_FILE", pauseFile.toString());
      }
      return new Agent(pb.start(), log);
    }

    String log() {
      try {
        return Files.readString(logFile);
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }
  }
}
