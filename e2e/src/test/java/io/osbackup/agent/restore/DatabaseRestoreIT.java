package io.osbackup.agent.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.agent.db.DatabaseBackup;
import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.agent.restore.db.DatabaseRestoreException;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.testbed.DirectoryArtifactSink;
import io.osbackup.testbed.MariaDbServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Restores real backups (made by {@link DatabaseBackup}) into real MariaDB servers: over a changed
 * database, under another name, into a server without the database, and every way it must refuse or
 * fail without touching the destination.
 */
class DatabaseRestoreIT {

  static final String FOLDER =
      "prod/openstack/control-plane-daily/control-plane-daily-20261121-020000";
  static final String KEYSTONE = "keystone";
  static final String CELL = "cell-1";

  @TempDir static Path work;
  static MariaDbServer source;
  static MariaDbServer other;
  static DirectoryArtifactSink sink;
  static final Map<String, StoredArtifact> artifacts = new HashMap<>();
  static final Map<String, State> backedUp = new HashMap<>();

  @BeforeAll
  static void startServersAndBackUp() throws Exception {
    // Both start at once.
    CompletableFuture<MariaDbServer> second = MariaDbServer.startAsync(work.resolve("other"));
    source = MariaDbServer.start(work.resolve("source"));
    other = second.join();
    load(source);

    sink = new DirectoryArtifactSink(Files.createDirectories(work.resolve("bucket")));
    DatabaseBackup.Result result =
        new DatabaseBackup(source.dumpCommand().toString())
            .run(
                new BackupPlan.Database(
                    "control-plane",
                    source.host(),
                    source.port(),
                    BackupPlan.DATABASE_CREDENTIALS_DIR,
                    List.of(KEYSTONE, CELL),
                    List.of(),
                    false),
                login(source),
                FOLDER,
                Compression.GZIP,
                sink);
    for (DatabaseBackup.Artifact a : result.artifacts()) {
      artifacts.put(a.database(), a.stored());
      backedUp.put(a.database(), State.of(source, a.database()));
    }
  }

  @AfterAll
  static void stopServers() {
    if (source != null) {
      source.close();
    }
    if (other != null) {
      other.close();
    }
  }

  /**
   * A keystone-like database with every kind of object: foreign keys, two triggers (one created
   * with database-qualified names), views on a table, on a view and across databases, a procedure,
   * a function, an event and a multi-megabyte blob; and a plain {@code cell-1}.
   */
  static void load(MariaDbServer server) throws Exception {
    server.execute(
        "CREATE DATABASE `cell-1` CHARACTER SET utf8mb4",
        "CREATE TABLE `cell-1`.instances (id BIGINT AUTO_INCREMENT PRIMARY KEY, uuid CHAR(36),"
            + " hostname VARCHAR(255) NULL, vcpus INT)",
        "USE `cell-1`",
        "INSERT INTO instances (uuid, hostname, vcpus) SELECT UUID(), CONCAT('vm-', seq, '.例え.jp'),"
            + " seq % 16 FROM seq_1_to_2000",
        "CREATE DATABASE keystone CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        "CREATE TABLE keystone.project (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL,"
            + " description TEXT NULL, enabled BOOL) ENGINE=InnoDB",
        "CREATE TABLE keystone.assignment (id INT AUTO_INCREMENT PRIMARY KEY, project_id INT NOT"
            + " NULL, role VARCHAR(64), CONSTRAINT assignment_project FOREIGN KEY (project_id)"
            + " REFERENCES keystone.project (id) ON DELETE CASCADE) ENGINE=InnoDB",
        "CREATE TABLE keystone.audit (id INT AUTO_INCREMENT PRIMARY KEY, project_id INT, note"
            + " VARCHAR(300))",
        "CREATE TABLE keystone.blobs (id INT PRIMARY KEY, data LONGBLOB NULL)",
        "CREATE TRIGGER keystone.project_audit AFTER INSERT ON keystone.project FOR EACH ROW"
            + " INSERT INTO audit (project_id, note) VALUES (NEW.id, CONCAT('created ', NEW.name))",
        "CREATE TRIGGER `keystone` . project_name\nBEFORE INSERT\nON keystone.project FOR EACH ROW"
            + " SET NEW.name = TRIM(NEW.name)",
        "INSERT INTO keystone.project VALUES (1, 'admin', NULL, 1), (2, ' 日本語のプロジェクト ',"
            + " 'テスト — émoji 🚀 and ''quotes'' \\\\ back\\nslash', 0), (3, 'service', '', 1)",
        "INSERT INTO keystone.assignment (project_id, role) VALUES (1, 'admin'), (2, 'member'),"
            + " (3, 'service'), (3, 'reader')",
        "USE keystone",
        "CREATE VIEW enabled_projects AS SELECT id, name FROM project WHERE enabled",
        "CREATE VIEW enabled_names AS SELECT name FROM enabled_projects",
        "CREATE VIEW roles_by_project AS SELECT p.name, a.role FROM project p JOIN assignment a ON"
            + " a.project_id = p.id",
        "CREATE VIEW instances_per_project AS SELECT p.id, COUNT(i.id) AS n FROM keystone.project"
            + " p JOIN `cell-1`.instances i ON i.vcpus = p.id GROUP BY p.id",
        "CREATE PROCEDURE count_projects(OUT n INT) BEGIN SELECT COUNT(*) INTO n FROM project; END",
        "CREATE FUNCTION project_name(pid INT) RETURNS VARCHAR(255) READS SQL DATA RETURN (SELECT"
            + " name FROM project WHERE id = pid)",
        "CREATE EVENT purge_audit ON SCHEDULE EVERY 1 DAY DO DELETE FROM audit WHERE id < 0",
        // objects created with other session settings must come back with them
        "SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT'",
        "CREATE TRIGGER audit_note BEFORE INSERT ON audit FOR EACH ROW SET NEW.\"note\" ="
            + " NEW.\"note\" || '.'",
        "SET SESSION sql_mode = DEFAULT",
        "SET NAMES utf8mb3 COLLATE utf8mb3_unicode_ci",
        "CREATE FUNCTION greeting() RETURNS VARCHAR(20) DETERMINISTIC RETURN 'héllo'",
        "SET NAMES utf8mb4");
    byte[] big = new byte[3 * 1024 * 1024];
    new Random(42).nextBytes(big);
    try (Connection c = server.connect(KEYSTONE);
        PreparedStatement ps = c.prepareStatement("INSERT INTO blobs VALUES (?, ?)")) {
      ps.setInt(1, 1);
      ps.setBytes(2, big);
      ps.executeUpdate();
    }
  }

  @Test
  void restoresOverAChangedDatabaseAndKeepsWhatItHeld() throws Exception {
    source.execute(
        "USE keystone",
        "UPDATE project SET description = 'changed after the backup' WHERE id = 1",
        "DELETE FROM assignment WHERE role = 'reader'",
        "INSERT INTO project VALUES (4, 'added', NULL, 1)",
        "DROP TABLE blobs",
        "CREATE VIEW blobs AS SELECT id, name FROM project", // a view where the backup has a table
        "DROP VIEW roles_by_project",
        "CREATE TABLE roles_by_project (name VARCHAR(255), role VARCHAR(64))", // and the reverse
        "INSERT INTO roles_by_project VALUES ('a', 'b')",
        "CREATE TABLE added (id INT PRIMARY KEY, project_id INT, FOREIGN KEY (project_id)"
            + " REFERENCES project (id))",
        "INSERT INTO added VALUES (1, 4)",
        "DROP TRIGGER project_name",
        "DROP VIEW enabled_names",
        "CREATE VIEW added_projects AS SELECT p.name FROM project p JOIN added a ON a.project_id ="
            + " p.id",
        "CREATE PROCEDURE added_procedure() SELECT 1",
        "DROP EVENT purge_audit",
        "CREATE EVENT added_event ON SCHEDULE EVERY 1 HOUR DO DELETE FROM audit WHERE id < 0");
    State before = State.of(source, KEYSTONE);
    String keep = "keystone_orig_20261121_031500";

    DatabaseRestorer.Outcome outcome = restore(source, KEYSTONE, KEYSTONE, "orig_20261121_031500");

    assertThat(outcome).isEqualTo(new DatabaseRestorer.Outcome(KEYSTONE, keep, 4, 4, 3, 3, 1));
    assertThat(State.of(source, KEYSTONE)).isEqualTo(backedUp.get(KEYSTONE));
    assertThat(State.of(source, keep)).isEqualTo(before);
    assertThat(databases(source)).doesNotContain("keystone_osbr_staging");
    assertThat(
            source.column(
                "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'keystone'"))
        .containsExactly("ENABLED");
    assertThat(
            source.column(
                "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '" + keep + "'"))
        .as("kept events do nothing on their own")
        .containsExactly("DISABLED");
    assertObjectsWork(source, KEYSTONE);
    assertThatThrownBy(() -> source.execute("INSERT INTO `" + keep + "`.added VALUES (2, 99)"))
        .as("the kept foreign keys still hold, within the kept schema")
        .hasMessageContaining("foreign key constraint fails");
    assertThat(source.column("SELECT COUNT(*) FROM `" + keep + "`.added_projects"))
        .containsExactly("1");
    assertThat(source.column("SELECT role FROM `" + keep + "`.roles_by_project"))
        .containsExactly("b");
    assertThat(
            source.column(
                "SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '"
                    + keep
                    + "' AND TABLE_NAME = 'blobs'"))
        .containsExactly("VIEW");

    source.execute("DROP DATABASE `" + keep + "`");
  }

  @Test
  void restoresUnderAnotherNameLeavingTheSourceAlone() throws Exception {
    State before = State.of(source, KEYSTONE);
    // An earlier attempt crashed and left its staging schema; the name is not ASCII.
    source.execute(
        "CREATE DATABASE `keystone_コピー_osbr_staging`",
        "CREATE TABLE `keystone_コピー_osbr_staging`.half_loaded (id INT)");

    DatabaseRestorer.Outcome outcome = restore(source, KEYSTONE, "keystone_コピー", "orig_1");

    assertThat(outcome.keptAs()).isNull();
    assertThat(State.of(source, "keystone_コピー")).isEqualTo(backedUp.get(KEYSTONE));
    assertThat(State.of(source, KEYSTONE)).isEqualTo(before);
    assertThat(databases(source))
        .contains("keystone_コピー")
        .doesNotContain("keystone_コピー_osbr_staging", "keystone_コピー_orig_1");
    assertObjectsWork(source, "keystone_コピー");
    assertThat(source.column("SELECT COUNT(*) FROM keystone.audit WHERE project_id = 100"))
        .as("the copy's triggers write to the copy")
        .containsExactly("0");

    source.execute("DROP DATABASE `keystone_コピー`");
  }

  @Test
  void restoresIntoAServerWithoutTheDatabase() throws Exception {
    DatabaseRestorer.Outcome cell = restore(other, CELL, CELL, "orig_1");
    DatabaseRestorer.Outcome keystone = restore(other, KEYSTONE, KEYSTONE, "orig_1");

    assertThat(cell).isEqualTo(new DatabaseRestorer.Outcome(CELL, null, 1, 0, 0, 0, 0));
    assertThat(keystone).isEqualTo(new DatabaseRestorer.Outcome(KEYSTONE, null, 4, 4, 3, 3, 1));
    assertThat(State.of(other, CELL)).isEqualTo(backedUp.get(CELL));
    assertThat(State.of(other, KEYSTONE)).isEqualTo(backedUp.get(KEYSTONE));
    assertThat(
            new DatabaseRestorer(other.clientCommand().toString())
                .survey(destination(other))
                .databases())
        .containsExactlyInAnyOrder(CELL, KEYSTONE);
    assertObjectsWork(other, KEYSTONE);

    other.execute("DROP DATABASE keystone", "DROP DATABASE `cell-1`");
  }

  @Test
  void aFailedCheckBeforeTheSwitchLeavesTheDestinationAlone() throws Exception {
    State before = State.of(source, KEYSTONE);
    StoredArtifact stored = artifacts.get(KEYSTONE);

    try (InputStream in = Files.newInputStream(sink.file(stored.key()))) {
      VerifiedStream verified =
          new VerifiedStream(in, stored.key(), "00".repeat(32), stored.size());
      assertThatThrownBy(
              () ->
                  restorer(source)
                      .restore(
                          destination(source),
                          KEYSTONE,
                          KEYSTONE,
                          stored.compression().decompress(verified),
                          verified::verify,
                          "orig_2"))
          .isInstanceOf(ArtifactMismatchException.class)
          .hasMessageContaining("does not match its manifest");
    }

    assertThat(State.of(source, KEYSTONE)).isEqualTo(before);
    assertThat(databases(source)).doesNotContain("keystone_osbr_staging", "keystone_orig_2");
  }

  @Test
  void sessionsHoldingTheTablesMakeTheSwitchGiveUpAndPutEverythingBack() throws Exception {
    State before = State.of(source, KEYSTONE);
    StoredArtifact stored = artifacts.get(KEYSTONE);
    DatabaseRestorer impatient =
        new DatabaseRestorer(source.clientCommand().toString(), Duration.ofSeconds(1));

    try (Connection holder = source.connect(KEYSTONE);
        Statement lock = holder.createStatement();
        InputStream in = Files.newInputStream(sink.file(stored.key()))) {
      lock.execute("LOCK TABLES blobs READ"); // the triggers are dropped before the RENAME waits
      VerifiedStream verified =
          new VerifiedStream(in, stored.key(), stored.sha256(), stored.size());
      assertThatThrownBy(
              () ->
                  impatient.restore(
                      destination(source),
                      KEYSTONE,
                      KEYSTONE,
                      stored.compression().decompress(verified),
                      verified::verify,
                      "orig_4"))
          .isInstanceOf(DatabaseRestoreException.class)
          .hasMessageStartingWith(
              "could not switch the tables of `keystone`: Lock wait timeout exceeded")
          .hasMessageContaining("stop the services using it")
          .hasMessageEndingWith("; `keystone` was not changed")
          .satisfies(
              e -> assertThat(((DatabaseRestoreException) e).destinationUntouched()).isTrue());
      lock.execute("UNLOCK TABLES");
    }

    assertThat(State.of(source, KEYSTONE)).isEqualTo(before);
    assertThat(databases(source)).doesNotContain("keystone_osbr_staging", "keystone_orig_4");
    assertObjectsWork(source, KEYSTONE);
  }

  @Test
  void aClientErrorLeavesTheDestinationAloneAndSaysWhatTheClientSaid() throws Exception {
    State before = State.of(source, KEYSTONE);
    String script = script(KEYSTONE);
    // a statement of an allowed shape that the server rejects (the gate refuses anything else)
    String broken =
        script.replaceFirst(
            "(?m)^UNLOCK TABLES;$", "UNLOCK TABLES;\nINSERT INTO `no_such_table` VALUES (1);");
    long line =
        broken.substring(0, broken.indexOf("INSERT INTO `no_such_table`")).lines().count() + 1;

    assertThatThrownBy(() -> restoreScript(broken, "orig_3"))
        .isInstanceOf(DatabaseRestoreException.class)
        .hasMessageStartingWith(
            "loading the backup of `keystone` into the staging schema `keystone_osbr_staging`"
                + " failed: mariadb failed with exit code 1: ERROR 1146 (42S02) at line "
                + line
                + ": Table 'keystone_osbr_staging.no_such_table' doesn't exist")
        .hasMessageEndingWith("; `keystone` was not changed")
        .satisfies(e -> assertThat(((DatabaseRestoreException) e).destinationUntouched()).isTrue());

    String cut = script.substring(0, script.indexOf("-- Dump completed"));
    assertThatThrownBy(() -> restoreScript(cut, "orig_3"))
        .isInstanceOf(DatabaseRestoreException.class)
        .hasMessageContaining("was cut short");

    assertThat(State.of(source, KEYSTONE)).isEqualTo(before);
    assertThat(databases(source)).doesNotContain("keystone_osbr_staging", "keystone_orig_3");
  }

  /**
   * The audit's tampered artifact and its variants, each in an artifact whose SHA-256 matches (as a
   * rewritten manifest would say): a client command, a switch to another database, a statement on
   * another database, hidden in every way the client and the server read a script. Each is refused
   * before the client runs it, naming the line; the shell command does not run, the other database
   * and the destination are untouched, and nothing is switched.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "\\! touch MARKER",
        "INSERT INTO `audit` VALUES (900,1,'x');\\! touch MARKER",
        "\\u other_db\nINSERT INTO t VALUES (666);\nDROP TABLE t2;",
        "system touch MARKER",
        "\\. MARKER_SCRIPT",
        "source MARKER_SCRIPT",
        "connect other_db",
        "use other_db;\nINSERT INTO t VALUES (666);",
        "INSERT INTO other_db.t VALUES (666);",
        "UPDATE other_db.t SET id = 666;",
        "DROP TABLE other_db.t2;",
        "CREATE TABLE other_db.t3 (id INT);",
        "/*!50000 USE other_db */;\nDROP TABLE t2;",
        "CREATE DATABASE other_db2;",
        "CREATE USER evil IDENTIFIED BY 'evil';",
        "GRANT ALL ON *.* TO backup;",
        "SET GLOBAL max_connections = 5;",
        "LOAD DATA LOCAL INFILE 'MARKER_SCRIPT' INTO TABLE `audit`;",
        "SELECT * FROM `audit` INTO OUTFILE 'MARKER';",
        "DELIMITER //\nDROP TABLE other_db.t2//\nDELIMITER ;",
        "DELIMITER ;;\nCREATE TRIGGER evil BEFORE INSERT ON `audit` FOR EACH ROW SET @a = 1; DROP TABLE"
            + " other_db.t2;;\nDELIMITER ;",
      })
  void aTamperedArtifactIsRefusedAndRunsNothing(String tampered) throws Exception {
    source.execute(
        "DROP DATABASE IF EXISTS other_db",
        "CREATE DATABASE other_db",
        "CREATE TABLE other_db.t (id INT)",
        "CREATE TABLE other_db.t2 (id INT)",
        "INSERT INTO other_db.t VALUES (1)");
    Path marker = work.resolve("marker-" + Integer.toHexString(tampered.hashCode()));
    Path markerScript = work.resolve("marker.sql");
    Files.writeString(markerScript, "CREATE TABLE other_db.from_file (id INT);\n");
    State keystone = State.of(source, KEYSTONE);
    State otherDb = State.of(source, "other_db");
    String lines =
        tampered
            .replace("MARKER_SCRIPT", markerScript.toString())
            .replace("MARKER", marker.toString());
    String script = script(KEYSTONE);
    String evil =
        script.replaceFirst(
            "(?m)^UNLOCK TABLES;$",
            "UNLOCK TABLES;\n" + java.util.regex.Matcher.quoteReplacement(lines));
    long line = evil.substring(0, evil.indexOf(lines)).lines().count() + 1;

    assertThatThrownBy(() -> restoreArtifact(evil, "orig_evil"))
        .isInstanceOf(DatabaseRestoreException.class)
        .hasMessageStartingWith("the backup script of `keystone` cannot be restored safely: ")
        .hasMessageFindingMatch("line (" + line + "|" + (line + 1) + "|" + (line + 2) + ")\\b")
        .hasMessageEndingWith("; `keystone` was not changed")
        .satisfies(e -> assertThat(((DatabaseRestoreException) e).destinationUntouched()).isTrue());

    assertThat(marker).as("the shell command did not run").doesNotExist();
    assertThat(State.of(source, "other_db")).isEqualTo(otherDb);
    assertThat(source.column("SHOW TABLES FROM other_db")).containsExactly("t", "t2");
    assertThat(State.of(source, KEYSTONE)).isEqualTo(keystone);
    assertThat(databases(source))
        .doesNotContain("keystone_osbr_staging", "keystone_orig_evil", "other_db2");
    assertThat(source.column("SELECT COUNT(*) FROM mysql.user WHERE user = 'evil'"))
        .containsExactly("0");
    assertThat(source.column("SELECT @@GLOBAL.max_connections")).doesNotContain("5");
  }

  /**
   * The audit's case: without mariadb-dump's first line (which turns on the client's sandbox) a
   * shell command ran during the restore and the client command "\\ u" (use) wrote into another
   * database.
   */
  @Test
  void aTamperedArtifactWithoutTheSandboxLineRunsNothing() throws Exception {
    source.execute(
        "DROP DATABASE IF EXISTS other_db",
        "CREATE DATABASE other_db",
        "CREATE TABLE other_db.t (id INT)",
        "INSERT INTO other_db.t VALUES (1)");
    Path marker = work.resolve("marker-unsandboxed");
    State keystone = State.of(source, KEYSTONE);
    State otherDb = State.of(source, "other_db");
    String script = script(KEYSTONE);
    assertThat(script).startsWith("/*M!999999\\- enable the sandbox mode */");
    String evil =
        script
            .substring(script.indexOf('\n') + 1)
            .replaceFirst(
                "(?m)^UNLOCK TABLES;$",
                "UNLOCK TABLES;\n\\\\! touch "
                    + marker
                    + "\n\\\\u other_db\nINSERT INTO t VALUES (666);\nDROP TABLE t;");

    assertThatThrownBy(() -> restoreArtifact(evil, "orig_evil"))
        .isInstanceOf(DatabaseRestoreException.class)
        .hasMessageContaining("cannot be restored safely: line ")
        .hasMessageContaining("client commands are not part of a backup script");

    assertThat(marker).as("the shell command did not run").doesNotExist();
    assertThat(State.of(source, "other_db")).isEqualTo(otherDb);
    assertThat(State.of(source, KEYSTONE)).isEqualTo(keystone);
    assertThat(databases(source)).doesNotContain("keystone_osbr_staging", "keystone_orig_evil");
  }

  @Test
  void theClientRunsInBinaryModeAndSandboxed() throws Exception {
    // the gate is the first line of defence; the client's own switches are the second
    Path args = work.resolve("client-arguments");
    Path wrapper = work.resolve("mariadb-wrapper");
    Files.writeString(
        wrapper,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '"
            + args
            + "'\nexec '"
            + source.clientCommand()
            + "' \"$@\"\n");
    wrapper.toFile().setExecutable(true);
    StoredArtifact stored = artifacts.get(CELL);

    try (InputStream in = Files.newInputStream(sink.file(stored.key()))) {
      VerifiedStream verified =
          new VerifiedStream(in, stored.key(), stored.sha256(), stored.size());
      new DatabaseRestorer(wrapper.toString())
          .restore(
              destination(source),
              CELL,
              "cell_wrapped",
              stored.compression().decompress(verified),
              verified::verify,
              "orig_1");
    }

    assertThat(Files.readAllLines(args))
        .contains("--binary-mode", "--sandbox", "--local-infile=0")
        .noneMatch(a -> a.contains(source.password()));
    assertThat(State.of(source, "cell_wrapped")).isEqualTo(backedUp.get(CELL));
    source.execute("DROP DATABASE `cell_wrapped`");
  }

  @Test
  void aKeepSchemaInUseIsRefusedBeforeAnythingIsLoaded() throws Exception {
    source.execute(
        "CREATE DATABASE keystone_orig_taken", "CREATE TABLE keystone_orig_taken.t (id INT)");
    State before = State.of(source, KEYSTONE);
    StoredArtifact stored = artifacts.get(KEYSTONE);

    try (InputStream in = Files.newInputStream(sink.file(stored.key()))) {
      VerifiedStream verified =
          new VerifiedStream(in, stored.key(), stored.sha256(), stored.size());
      InputStream script = stored.compression().decompress(verified); // reads the gzip header
      long headerBytes = verified.count();
      assertThatThrownBy(
              () ->
                  restorer(source)
                      .restore(
                          destination(source),
                          KEYSTONE,
                          KEYSTONE,
                          script,
                          verified::verify,
                          "orig_taken"))
          .isInstanceOf(DatabaseRestoreException.class)
          .hasMessage(
              "the schema `keystone_orig_taken` that would keep the previous contents of"
                  + " `keystone` already exists and holds 1 tables, 0 views, 0 triggers, 0"
                  + " routines, 0 events: an earlier restore may have switched `keystone` already;"
                  + " check it, then drop it or restore with another keep suffix; `keystone` was"
                  + " not changed");
      assertThat(verified.count()).as("nothing was loaded").isEqualTo(headerBytes);
    }

    assertThat(State.of(source, KEYSTONE)).isEqualTo(before);
    assertThat(source.column("SHOW TABLES FROM keystone_orig_taken")).containsExactly("t");
    assertThat(databases(source)).doesNotContain("keystone_osbr_staging");
    source.execute("DROP DATABASE keystone_orig_taken");
  }

  @Test
  void surveyListsTheUserDatabases() throws Exception {
    source.execute("CREATE DATABASE IF NOT EXISTS osbackup_restore");
    DatabaseRestorer.ServerSurvey survey = restorer(source).survey(destination(source));

    assertThat(survey.serverVersion()).contains("MariaDB");
    assertThat(survey.databases())
        .contains(KEYSTONE, CELL)
        .doesNotContain(
            "mysql", "sys", "information_schema", "performance_schema", "osbackup_restore");
  }

  @Test
  void theSwitchJournalIsNoDestination() {
    assertThatThrownBy(() -> restore(source, KEYSTONE, "osbackup_restore", "orig_5"))
        .isInstanceOf(DatabaseRestoreException.class)
        .hasMessage(
            "restoring into the server's own database `osbackup_restore` is not supported:"
                + " restore it under another name");
  }

  @Test
  void aJournalThatCannotBeWrittenStopsTheSwitchBeforeItChangesAnything() throws Exception {
    source.execute(
        "CREATE DATABASE IF NOT EXISTS osbackup_restore",
        "CREATE TABLE IF NOT EXISTS osbackup_restore.swap_journal (destination VARCHAR(64) NOT"
            + " NULL PRIMARY KEY, keep_schema VARCHAR(64) NOT NULL, staging_schema VARCHAR(64) NOT"
            + " NULL, state VARCHAR(16) NOT NULL, step VARCHAR(32) NOT NULL, last_statement TEXT"
            + " NULL, plan LONGTEXT NOT NULL, started_at TIMESTAMP(6) NOT NULL DEFAULT"
            + " CURRENT_TIMESTAMP(6), updated_at TIMESTAMP(6) NOT NULL DEFAULT"
            + " CURRENT_TIMESTAMP(6))",
        "CREATE TRIGGER osbackup_restore.refuse BEFORE INSERT ON osbackup_restore.swap_journal"
            + " FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal refused'");
    State before = State.of(source, KEYSTONE);

    try {
      assertThatThrownBy(() -> restore(source, KEYSTONE, KEYSTONE, "orig_6"))
          .isInstanceOf(DatabaseRestoreException.class)
          .hasMessageStartingWith(
              "could not write the journal of the switch to `osbackup_restore`.`swap_journal`"
                  + " (the restore login needs CREATE, SELECT, INSERT, UPDATE and DELETE on"
                  + " `osbackup_restore`.*): journal refused")
          .hasMessageEndingWith("; `keystone` was not changed")
          .satisfies(
              e -> assertThat(((DatabaseRestoreException) e).destinationUntouched()).isTrue());
    } finally {
      source.execute("DROP TRIGGER osbackup_restore.refuse");
    }

    assertThat(State.of(source, KEYSTONE)).isEqualTo(before);
    assertThat(databases(source)).doesNotContain("keystone_osbr_staging", "keystone_orig_6");
  }

  @Test
  void surveyWithAWrongPasswordSaysSoWithoutThePassword() {
    DatabaseRestorer.Destination wrong =
        new DatabaseRestorer.Destination(
            source.host(), source.port(), new DatabaseLogin(source.user(), "Not-The-Password-42"));

    assertThatThrownBy(() -> restorer(source).survey(wrong))
        .isInstanceOf(DatabaseRestoreException.class)
        .hasMessageStartingWith(
            "the server at 127.0.0.1:"
                + source.port()
                + " refused user 'backup': check username and password in the database credentials"
                + " Secret")
        .hasMessageNotContaining("Not-The-Password-42");
    assertThat(wrong.toString()).doesNotContain("Not-The-Password-42");
  }

  // ---- helpers ----

  static DatabaseLogin login(MariaDbServer server) {
    return new DatabaseLogin(server.user(), server.password());
  }

  static DatabaseRestorer.Destination destination(MariaDbServer server) {
    return new DatabaseRestorer.Destination(server.host(), server.port(), login(server));
  }

  static DatabaseRestorer restorer(MariaDbServer server) {
    return new DatabaseRestorer(server.clientCommand().toString());
  }

  /**
   * Restores the stored artifact of {@code database} as a restore does: decompressed, verified
   * before the switch.
   */
  static DatabaseRestorer.Outcome restore(
      MariaDbServer server, String database, String into, String keepSuffix) throws Exception {
    StoredArtifact stored = artifacts.get(database);
    try (InputStream in = Files.newInputStream(sink.file(stored.key()))) {
      VerifiedStream verified =
          new VerifiedStream(in, stored.key(), stored.sha256(), stored.size());
      return restorer(server)
          .restore(
              destination(server),
              database,
              into,
              stored.compression().decompress(verified),
              verified::verify,
              keepSuffix);
    }
  }

  static void restoreScript(String script, String keepSuffix) throws Exception {
    restorer(source)
        .restore(
            destination(source),
            KEYSTONE,
            KEYSTONE,
            new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)),
            () -> {},
            keepSuffix);
  }

  /**
   * Restores {@code script} as a restore reads an artifact: gzip-compressed, with its own SHA-256
   * and size (as a manifest rewritten along with it would say), verified before the switch.
   */
  static void restoreArtifact(String script, String keepSuffix) throws Exception {
    java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(compressed)) {
      gz.write(script.getBytes(StandardCharsets.UTF_8));
    }
    byte[] bytes = compressed.toByteArray();
    String sha256 =
        java.util.HexFormat.of()
            .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    VerifiedStream verified =
        new VerifiedStream(
            new ByteArrayInputStream(bytes), "tampered.sql.gz", sha256, bytes.length);
    restorer(source)
        .restore(
            destination(source),
            KEYSTONE,
            KEYSTONE,
            Compression.GZIP.decompress(verified),
            verified::verify,
            keepSuffix);
  }

  /** The decompressed backup script of {@code database}. */
  static String script(String database) throws IOException {
    StoredArtifact stored = artifacts.get(database);
    try (InputStream in =
        stored.compression().decompress(Files.newInputStream(sink.file(stored.key())))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static List<String> databases(MariaDbServer server) {
    return server.column("SHOW DATABASES");
  }

  /**
   * Foreign keys, triggers, views, the procedure and the function of a keystone-like database work.
   */
  static void assertObjectsWork(MariaDbServer server, String db) throws Exception {
    String q = "`" + db + "`";
    server.execute("INSERT INTO " + q + ".project VALUES (100, '  trimmed  ', NULL, 1)");
    try {
      assertThat(server.column("SELECT note FROM " + q + ".audit WHERE project_id = 100"))
          .containsExactly("created trimmed.");
      assertThat(server.column("SELECT name FROM " + q + ".enabled_names")).contains("trimmed");
      assertThat(server.column("SELECT " + q + ".project_name(100)")).containsExactly("trimmed");
      assertThat(server.column("SELECT " + q + ".greeting()")).containsExactly("héllo");
      assertThatThrownBy(
              () -> server.execute("INSERT INTO " + q + ".assignment (project_id) VALUES (999)"))
          .hasMessageContaining("foreign key constraint fails");
      try (Connection c = server.connect(db);
          CallableStatement call = c.prepareCall("{call count_projects(?)}")) {
        call.registerOutParameter(1, Types.INTEGER);
        call.execute();
        assertThat(call.getInt(1)).isEqualTo(4);
      }
    } finally {
      server.execute(
          "DELETE FROM " + q + ".project WHERE id = 100",
          "DELETE FROM " + q + ".audit WHERE project_id = 100");
    }
  }

  /**
   * Everything a database holds, with its own name replaced by {@code DB} so that copies under
   * other names compare equal: default collation, table checksums, foreign keys, and the
   * definitions of views, triggers, routines and events.
   */
  record State(String collation, Map<String, Long> checksums, List<String> objects) {

    static State of(MariaDbServer server, String db) {
      String q = "'" + db.replace("'", "''") + "'";
      List<String> all = new ArrayList<>();
      all.addAll(
          server.column(
              "SELECT CONCAT('fk ', CONSTRAINT_NAME, ' ', TABLE_NAME, ' -> ',"
                  + " IF(UNIQUE_CONSTRAINT_SCHEMA = CONSTRAINT_SCHEMA, 'DB',"
                  + " UNIQUE_CONSTRAINT_SCHEMA), '.', REFERENCED_TABLE_NAME, ' ', DELETE_RULE) FROM"
                  + " information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = "
                  + q
                  + " ORDER BY CONSTRAINT_NAME"));
      all.addAll(
          server.column(
              "SELECT CONCAT('view ', TABLE_NAME, ' ', DEFINER, ' ', SECURITY_TYPE, ' ',"
                  + " CHARACTER_SET_CLIENT, ' ', COLLATION_CONNECTION, ': ',"
                  + " VIEW_DEFINITION) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = "
                  + q
                  + " ORDER BY TABLE_NAME"));
      all.addAll(
          server.column(
              "SELECT CONCAT('trigger ', TRIGGER_NAME, ' ', ACTION_TIMING, ' ', EVENT_MANIPULATION,"
                  + " ' ', EVENT_OBJECT_TABLE, ' ', ACTION_ORDER, ' ', DEFINER, ' ', SQL_MODE, ' ',"
                  + " CHARACTER_SET_CLIENT, ' ', COLLATION_CONNECTION, ': ',"
                  + " ACTION_STATEMENT) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
                  + q
                  + " ORDER BY TRIGGER_NAME"));
      all.addAll(
          server.column(
              "SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME, ' ', DEFINER, ' ', SQL_MODE, ' ',"
                  + " CHARACTER_SET_CLIENT, ' ', COLLATION_CONNECTION, ': ',"
                  + " ROUTINE_DEFINITION) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = "
                  + q
                  + " ORDER BY ROUTINE_NAME"));
      all.addAll(
          server.column(
              "SELECT CONCAT('event ', EVENT_NAME, ' ', DEFINER, ' ', INTERVAL_VALUE, ' ',"
                  + " INTERVAL_FIELD, ' ', STARTS, ' ', TIME_ZONE, ' ', SQL_MODE, ' ',"
                  + " CHARACTER_SET_CLIENT, ' ', COLLATION_CONNECTION, ': ', EVENT_DEFINITION) FROM"
                  + " information_schema.EVENTS WHERE EVENT_SCHEMA = "
                  + q
                  + " ORDER BY EVENT_NAME"));
      String own = "`" + db.replace("`", "``") + "`.";
      List<String> objects = all.stream().map(o -> o.replace(own, "`DB`.")).toList();
      String collation =
          server
              .column(
                  "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME"
                      + " = "
                      + q)
              .get(0);
      return new State(collation, server.tableChecksums(db), objects);
    }
  }
}
