package io.osbackup.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.agent.files.MountTable;
import io.osbackup.agent.restore.RestoreExecution;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import io.osbackup.testbed.DirectoryArtifactSink;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.SqlClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accounts and grants: captured with a target's databases (Relevant, All, None), restorable with
 * the stock client and by the agent into an empty server so that the services log in with their
 * passwords again; existing accounts kept and reported or replaced; a tampered script refused; a
 * restore login lacking privileges refused before any download.
 */
class AccountsIT {

  static final String FOLDER = "prod/openstack/cp/cp-20261205-020000";
  static final String NOVA_PASSWORD = "nova-Pw#1";

  @TempDir static Path work;
  static MariaDbServer source;
  static MariaDbServer empty;

  @BeforeAll
  static void startServers() throws Exception {
    CompletableFuture<MariaDbServer> second = MariaDbServer.startAsync(work.resolve("empty"));
    source = MariaDbServer.start(work.resolve("source"));
    empty = second.join();
    source.execute(
        "CREATE DATABASE nova",
        "CREATE TABLE nova.instances (id INT PRIMARY KEY, name VARCHAR(40))",
        "INSERT INTO nova.instances VALUES (1, 'vm-1')",
        "CREATE DATABASE nova_api",
        "CREATE TABLE nova_api.cells (id INT PRIMARY KEY)",
        "CREATE DATABASE keystone",
        "CREATE TABLE keystone.project (id INT PRIMARY KEY)",
        "CREATE DATABASE other",
        "CREATE USER 'nova'@'%' IDENTIFIED BY '" + NOVA_PASSWORD + "'",
        "GRANT ALL PRIVILEGES ON nova.* TO 'nova'@'%'",
        "GRANT ALL PRIVILEGES ON nova_api.* TO 'nova'@'%'",
        "CREATE ROLE svc_reader",
        "GRANT SELECT ON keystone.* TO svc_reader",
        "CREATE USER 'keystone'@'%' IDENTIFIED BY 'keystone-Pw#1' WITH MAX_USER_CONNECTIONS 50",
        "GRANT INSERT, UPDATE ON keystone.project TO 'keystone'@'%'",
        "GRANT svc_reader TO 'keystone'@'%'",
        "SET DEFAULT ROLE svc_reader FOR 'keystone'@'%'",
        "CREATE USER 'outsider'@'%' IDENTIFIED BY 'outsider-Pw#1'",
        "GRANT ALL ON other.* TO 'outsider'@'%'",
        "CREATE USER 'dba'@'localhost' IDENTIFIED BY 'dba-Pw#1'",
        "GRANT ALL PRIVILEGES ON *.* TO 'dba'@'localhost' WITH GRANT OPTION");
  }

  @AfterAll
  static void stopServers() {
    if (source != null) {
      source.close();
    }
    if (empty != null) {
      empty.close();
    }
  }

  static BackupPlan.Database target(String accounts) {
    return new BackupPlan.Database(
        "cp",
        "127.0.0.1",
        source.port(),
        BackupPlan.DATABASE_CREDENTIALS_DIR,
        List.of("nova", "nova_api", "keystone"),
        List.of(),
        false,
        null,
        accounts);
  }

  static DatabaseBackup.Result backup(String accounts, DirectoryArtifactSink sink)
      throws Exception {
    return new DatabaseBackup(source.dumpCommand().toString())
        .run(
            target(accounts),
            new DatabaseLogin(source.user(), source.password()),
            FOLDER,
            Compression.GZIP,
            sink);
  }

  static String script(DirectoryArtifactSink sink) throws Exception {
    try (InputStream in =
        new GZIPInputStream(
            Files.newInputStream(
                sink.file(BackupLayout.accountsArtifact(FOLDER, "cp", Compression.GZIP))))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void relevantAccountsAreCapturedAsTheirOwnArtifactWithHashesOnly() throws Exception {
    DirectoryArtifactSink sink =
        new DirectoryArtifactSink(Files.createTempDirectory(work, "relevant"));
    DatabaseBackup.Result result = backup("Relevant", sink);

    DatabaseBackup.Artifact accounts = result.artifacts().get(0);
    assertThat(accounts.database()).isNull();
    assertThat(accounts.stored().key()).isEqualTo(FOLDER + "/accounts/cp.sql.gz");
    assertThat(accounts.accounts()).isEqualTo(3L);
    assertThat(result.reportArtifacts().get(0).accounts()).isEqualTo(3L);
    assertThat(result.artifacts())
        .extracting(DatabaseBackup.Artifact::database)
        .containsExactly(null, "nova", "nova_api", "keystone");
    String script = script(sink);
    assertThat(script)
        .contains("CREATE ROLE IF NOT EXISTS `svc_reader`;")
        .contains("CREATE USER IF NOT EXISTS `nova`@`%` IDENTIFIED BY PASSWORD '*")
        .contains("GRANT ALL PRIVILEGES ON `nova`.* TO `nova`@`%`;")
        .contains("GRANT `svc_reader` TO `keystone`@`%`;")
        .contains("SET DEFAULT ROLE `svc_reader` FOR `keystone`@`%`;")
        .doesNotContain(NOVA_PASSWORD)
        .doesNotContain("keystone-Pw#1")
        .doesNotContain("outsider")
        .doesNotContain("`dba`")
        .doesNotContain("`root`")
        .doesNotContain("`" + source.user() + "`")
        .doesNotContain("mariadb.sys");
  }

  @Test
  void allTakesEveryAccountButTheServersOwnAndTheBackupLogin() throws Exception {
    DirectoryArtifactSink sink = new DirectoryArtifactSink(Files.createTempDirectory(work, "all"));
    DatabaseBackup.Result result = backup("All", sink);
    assertThat(result.artifacts().get(0).accounts()).isEqualTo(5L);
    assertThat(script(sink))
        .contains("`outsider`@`%`")
        .contains("`dba`@`localhost`")
        .contains("GRANT ALL PRIVILEGES ON *.* TO `dba`@`localhost` WITH GRANT OPTION;")
        .doesNotContain("`root`")
        .doesNotContain("mariadb.sys")
        .doesNotContain("`" + source.user() + "`@");
  }

  @Test
  void noneTakesNoAccounts() throws Exception {
    DirectoryArtifactSink sink = new DirectoryArtifactSink(Files.createTempDirectory(work, "none"));
    DatabaseBackup.Result result = backup("None", sink);
    assertThat(result.artifacts())
        .extracting(DatabaseBackup.Artifact::database)
        .containsExactly("nova", "nova_api", "keystone");
    assertThat(
            Files.exists(sink.file(BackupLayout.accountsArtifact(FOLDER, "cp", Compression.GZIP))))
        .isFalse();
  }

  @Test
  void aBackupLoginThatCannotReadTheGrantTablesFailsBeforeTheDump() throws Exception {
    source.execute(
        "CREATE USER IF NOT EXISTS 'dumper'@'%' IDENTIFIED BY 'dumper-Pw#1'",
        "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON nova.* TO 'dumper'@'%'");
    DirectoryArtifactSink sink = new DirectoryArtifactSink(Files.createTempDirectory(work, "weak"));
    try {
      assertThatThrownBy(
              () ->
                  new DatabaseBackup(source.dumpCommand().toString())
                      .run(
                          new BackupPlan.Database(
                              "cp",
                              "127.0.0.1",
                              source.port(),
                              BackupPlan.DATABASE_CREDENTIALS_DIR,
                              List.of("nova"),
                              List.of(),
                              false,
                              null,
                              "Relevant"),
                          new DatabaseLogin("dumper", "dumper-Pw#1"),
                          FOLDER,
                          Compression.GZIP,
                          sink))
          .isInstanceOf(DatabaseBackupException.class)
          .hasMessageContaining("GRANT SELECT ON mysql.* TO 'dumper'@'%'")
          .hasMessageContaining("accounts: None");
      assertThat(sink.events()).isEmpty();
    } finally {
      source.execute(
          "DROP USER 'dumper'@'%'"); // it holds a privilege on nova: other tests would capture it
    }
  }

  /**
   * A plan restoring nova, nova_api and keystone and the accounts of {@code sink} into {@code
   * into}.
   */
  static RestorePlan plan(
      DirectoryArtifactSink sink, MariaDbServer into, boolean replace, String stamp)
      throws Exception {
    List<RestorePlan.DatabaseItem> dbs = new ArrayList<>();
    for (String db : List.of("nova", "nova_api", "keystone")) {
      dbs.add(
          new RestorePlan.DatabaseItem(
              artifact(sink, BackupLayout.databaseArtifact(FOLDER, "cp", db, Compression.GZIP)),
              "cp",
              db,
              db,
              "127.0.0.1",
              into.port(),
              "login"));
    }
    RestorePlan.AccountsItem accounts =
        new RestorePlan.AccountsItem(
            artifact(sink, BackupLayout.accountsArtifact(FOLDER, "cp", Compression.GZIP)),
            "cp",
            "127.0.0.1",
            into.port(),
            "login",
            null,
            replace);
    return new RestorePlan(
        "it",
        "it",
        "cp-20261205-020000",
        null,
        null,
        RestorePlan.RESTORE,
        stamp,
        dbs,
        List.of(),
        List.of(accounts));
  }

  static RestorePlan.Artifact artifact(DirectoryArtifactSink sink, String key) throws Exception {
    byte[] bytes = Files.readAllBytes(sink.file(key));
    return new RestorePlan.Artifact(key, bytes.length, sha256(bytes), "gzip");
  }

  static String sha256(byte[] bytes) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  static RestoreExecution execution(
      DirectoryArtifactSink sink,
      DatabaseLogin login,
      AtomicInteger opened,
      List<String> warnings) {
    return new RestoreExecution(
        key -> {
          opened.incrementAndGet();
          return Files.newInputStream(sink.file(key));
        },
        new DatabaseRestorer(empty.clientCommand().toString()),
        MountTable.of(Map.of()),
        dir -> login,
        line -> {},
        warnings::add);
  }

  static boolean logsIn(MariaDbServer server, String user, String password) {
    try (Connection c = new SqlClient("127.0.0.1", server.port(), user, password).connect("")) {
      return true;
    } catch (java.sql.SQLException e) {
      return false;
    }
  }

  @Test
  void theServicesLogInAgainAfterARestoreIntoAnEmptyServerAndExistingAccountsAreKeptOrReplaced()
      throws Exception {
    DirectoryArtifactSink sink =
        new DirectoryArtifactSink(Files.createTempDirectory(work, "restore"));
    backup("Relevant", sink);
    DatabaseLogin admin = new DatabaseLogin(empty.user(), empty.password());
    List<String> warnings = new ArrayList<>();

    RestorePlan plan = plan(sink, empty, false, "20261205-030000");
    RestoreExecution execution = execution(sink, admin, new AtomicInteger(), warnings);
    execution.verify(plan, new ArrayList<>());
    RestoreExecution.Outcome restored = execution.restore(plan, new ArrayList<>());

    assertThat(restored.items())
        .last()
        .satisfies(
            i -> {
              assertThat(i.destination()).isEqualTo("127.0.0.1:" + empty.port() + " (accounts)");
              assertThat(i.message()).contains("created 3").doesNotContain("left unchanged");
            });
    assertThat(logsIn(empty, "nova", NOVA_PASSWORD)).isTrue();
    assertThat(logsIn(empty, "nova", "wrong")).isFalse();
    SqlClient nova = new SqlClient("127.0.0.1", empty.port(), "nova", NOVA_PASSWORD);
    assertThat(nova.column("SELECT name FROM nova.instances")).containsExactly("vm-1");
    assertThat(nova.column("SHOW GRANTS"))
        .contains("GRANT ALL PRIVILEGES ON `nova_api`.* TO `nova`@`%`");
    SqlClient keystone = new SqlClient("127.0.0.1", empty.port(), "keystone", "keystone-Pw#1");
    assertThat(keystone.column("SELECT CURRENT_ROLE()")).containsExactly("svc_reader");
    assertThat(keystone.column("SELECT COUNT(*) FROM keystone.project")).containsExactly("0");

    // An existing account is left as it is, and said so.
    empty.execute("ALTER USER 'nova'@'%' IDENTIFIED BY 'changed-Pw#1'");
    warnings.clear();
    RestorePlan again = plan(sink, empty, false, "20261205-040000");
    RestoreReport.Item kept = execution.restore(again, new ArrayList<>()).items().get(3);
    assertThat(kept.message())
        .contains("left unchanged 3 that exist already")
        .contains("'nova'@'%'")
        .contains("spec.accounts.existing: Replace replaces them")
        .doesNotContain("*");
    assertThat(warnings).anySatisfy(w -> assertThat(w).contains("left unchanged"));
    assertThat(logsIn(empty, "nova", "changed-Pw#1")).isTrue();

    // Replace makes it as in the backup.
    RestoreReport.Item replaced =
        execution
            .restore(plan(sink, empty, true, "20261205-050000"), new ArrayList<>())
            .items()
            .get(3);
    assertThat(replaced.message()).contains("replaced 3");
    assertThat(logsIn(empty, "nova", NOVA_PASSWORD)).isTrue();
    assertThat(logsIn(empty, "nova", "changed-Pw#1")).isFalse();
  }

  @Test
  void theStockClientRestoresTheAccountsArtifactIntoAnEmptyServer() throws Exception {
    DirectoryArtifactSink sink =
        new DirectoryArtifactSink(Files.createTempDirectory(work, "stock"));
    backup("Relevant", sink);
    try (MariaDbServer fresh = MariaDbServer.start(work.resolve("fresh"))) {
      Path sql = work.resolve("accounts.sql");
      Files.writeString(sql, script(sink));
      // Table grants need their tables: in a disaster the databases are loaded first.
      fresh.execute(
          "CREATE DATABASE keystone", "CREATE TABLE keystone.project (id INT PRIMARY KEY)");
      fresh.load(sql);
      fresh.load(sql); // again: IF NOT EXISTS, grants are idempotent
      assertThat(logsIn(fresh, "nova", NOVA_PASSWORD)).isTrue();
      assertThat(logsIn(fresh, "keystone", "keystone-Pw#1")).isTrue();
    }
  }

  @Test
  void aTamperedAccountsScriptIsRefusedBeforeAnyOfItRuns() throws Exception {
    DirectoryArtifactSink sink =
        new DirectoryArtifactSink(Files.createTempDirectory(work, "tampered"));
    backup("Relevant", sink);
    String key = BackupLayout.accountsArtifact(FOLDER, "cp", Compression.GZIP);
    for (String line :
        List.of(
            "\\! touch " + work.resolve("pwned"),
            "DROP DATABASE nova;",
            "CREATE USER IF NOT EXISTS `evil`@`%`; GRANT ALL ON *.* TO `evil`@`%`;")) {
      String tampered =
          script(sink)
              .replace(
                  "CREATE ROLE IF NOT EXISTS `svc_reader`;",
                  "CREATE USER IF NOT EXISTS `evil`@`%`;\n"
                      + line
                      + "\nCREATE ROLE IF NOT EXISTS `svc_reader`;");
      DirectoryArtifactSink copy =
          new DirectoryArtifactSink(Files.createTempDirectory(work, "copy"));
      for (String k :
          List.of(
              key,
              BackupLayout.databaseArtifact(FOLDER, "cp", "nova", Compression.GZIP),
              BackupLayout.databaseArtifact(FOLDER, "cp", "nova_api", Compression.GZIP),
              BackupLayout.databaseArtifact(FOLDER, "cp", "keystone", Compression.GZIP))) {
        Files.createDirectories(copy.file(k).getParent());
        Files.copy(sink.file(k), copy.file(k));
      }
      try (OutputStream out =
          new java.util.zip.GZIPOutputStream(Files.newOutputStream(copy.file(key)))) {
        out.write(tampered.getBytes(StandardCharsets.UTF_8));
      }
      try (MariaDbServer fresh = MariaDbServer.start(work.resolve("fresh-tampered"))) {
        RestorePlan plan = plan(copy, fresh, false, "20261205-060000");
        RestoreExecution execution =
            new RestoreExecution(
                k -> Files.newInputStream(copy.file(k)),
                new DatabaseRestorer(fresh.clientCommand().toString()),
                MountTable.of(Map.of()),
                dir -> new DatabaseLogin(fresh.user(), fresh.password()),
                l -> {},
                w -> {});
        assertThatThrownBy(() -> execution.verify(plan, new ArrayList<>()))
            .isInstanceOfSatisfying(
                RestoreExecution.Failure.class,
                f -> assertThat(f.reason()).isEqualTo("AccountsRefused"))
            .hasMessageContaining("line 6 of the accounts script");
        assertThatThrownBy(() -> execution.restore(plan, new ArrayList<>()))
            .hasMessageContaining("line 6 of the accounts script");
        assertThat(fresh.column("SELECT User FROM mysql.user WHERE User = 'evil'")).isEmpty();
        assertThat(Files.exists(work.resolve("pwned"))).isFalse();
      }
    }
  }

  @Test
  void aRestoreLoginLackingPrivilegesFailsBeforeAnyDownload() throws Exception {
    DirectoryArtifactSink sink =
        new DirectoryArtifactSink(Files.createTempDirectory(work, "weak-restore"));
    backup("Relevant", sink);
    empty.execute(
        "CREATE USER IF NOT EXISTS 'weak'@'%' IDENTIFIED BY 'weak-Pw#1'",
        "GRANT SELECT, SHOW DATABASES ON *.* TO 'weak'@'%'",
        "CREATE USER IF NOT EXISTS 'dbonly'@'%' IDENTIFIED BY 'dbonly-Pw#1'",
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, LOCK TABLES, CREATE VIEW, SHOW VIEW,"
            + " TRIGGER, CREATE ROUTINE, ALTER ROUTINE, EVENT ON *.* TO 'dbonly'@'%'");
    AtomicInteger opened = new AtomicInteger();
    RestorePlan plan = plan(sink, empty, false, "20261205-070000");
    assertThatThrownBy(
            () ->
                execution(sink, new DatabaseLogin("weak", "weak-Pw#1"), opened, new ArrayList<>())
                    .verify(plan, new ArrayList<>()))
        .isInstanceOfSatisfying(
            RestoreExecution.Failure.class,
            f -> assertThat(f.reason()).isEqualTo("MissingPrivileges"))
        .hasMessageContaining(
            "the restore login 'weak'@'%' lacks INSERT, UPDATE, DELETE, CREATE, DROP")
        .hasMessageContaining("GRANT INSERT, UPDATE, DELETE, CREATE, DROP")
        .hasMessageContaining("cannot restore accounts")
        .hasMessageContaining("docs/sql/restore-account.sql");
    // enough for the databases, not for the accounts
    assertThatThrownBy(
            () ->
                execution(
                        sink, new DatabaseLogin("dbonly", "dbonly-Pw#1"), opened, new ArrayList<>())
                    .verify(plan, new ArrayList<>()))
        .hasMessageContaining(
            "the restore login 'dbonly'@'%' cannot restore accounts: it lacks CREATE USER and"
                + " GRANT OPTION on *.*");
    assertThat(opened.get()).isZero();
    assertThat(empty.column("SHOW DATABASES LIKE '%osbr_staging%'")).isEmpty();
  }
}
