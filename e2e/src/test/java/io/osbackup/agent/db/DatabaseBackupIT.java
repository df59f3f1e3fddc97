package io.osbackup.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Compression;
import io.osbackup.testbed.DirectoryArtifactSink;
import io.osbackup.testbed.MariaDbServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backs up real MariaDB databases and restores each artifact alone with the stock client into a
 * fresh server.
 */
class DatabaseBackupIT {

  static final String FOLDER =
      "prod/openstack/control-plane-daily/control-plane-daily-20261121-020000";

  @TempDir static Path work;
  static MariaDbServer source;
  static MariaDbServer restore;

  @TempDir Path sinkDir;

  @BeforeAll
  static void startServers() throws Exception {
    // Both start at once.
    java.util.concurrent.CompletableFuture<MariaDbServer> second =
        MariaDbServer.startAsync(work.resolve("restore"));
    source = MariaDbServer.start(work.resolve("source"));
    restore = second.join();
    ControlPlaneData.load(source);
  }

  @AfterAll
  static void stopServers() {
    if (source != null) {
      source.close();
    }
    if (restore != null) {
      restore.close();
    }
  }

  static BackupPlan.Database target(int port, List<String> include, List<String> exclude) {
    return new BackupPlan.Database(
        "control-plane",
        "127.0.0.1",
        port,
        BackupPlan.DATABASE_CREDENTIALS_DIR,
        include,
        exclude,
        false);
  }

  static DatabaseLogin login() {
    return new DatabaseLogin(source.user(), source.password());
  }

  DatabaseBackup backup() {
    return new DatabaseBackup(source.dumpCommand().toString());
  }

  @Test
  void everyDatabaseRestoresAloneIntoAFreshServer() throws Exception {
    DirectoryArtifactSink sink = new DirectoryArtifactSink(sinkDir);

    DatabaseBackup.Result result =
        backup()
            .run(
                target(source.port(), List.of(), List.of("scratch")),
                login(),
                FOLDER,
                Compression.GZIP,
                sink);

    assertThat(result.databases()).containsExactlyElementsOf(ControlPlaneData.DATABASES);
    assertThat(result.serverVersion()).contains("MariaDB");
    assertThat(sink.maxOpenAtOnce()).isEqualTo(1);
    assertThat(sink.keys("ABORTED")).isEmpty();
    assertThat(result.source().databases()).containsExactlyElementsOf(ControlPlaneData.DATABASES);
    assertThat(result.reportArtifacts())
        .extracting(BackupReport.Artifact::database)
        .containsExactlyElementsOf(ControlPlaneData.DATABASES);

    for (DatabaseBackup.Artifact artifact : result.artifacts()) {
      String db = artifact.database();
      String key = BackupLayout.databaseArtifact(FOLDER, "control-plane", db, Compression.GZIP);
      assertThat(artifact.stored().key()).isEqualTo(key);
      Path stored = sink.file(key);
      assertThat(Files.size(stored)).isEqualTo(artifact.stored().size());
      assertThat(sha256(Files.readAllBytes(stored))).isEqualTo(artifact.stored().sha256());
      Path script = gunzip(stored, work.resolve(db + ".sql"));
      assertThat(Files.size(script)).isEqualTo(artifact.stored().rawSize());
      String text = Files.readString(script, StandardCharsets.UTF_8);
      for (String other : ControlPlaneData.DATABASES) {
        if (!other.equals(db)) {
          assertThat(text).doesNotContain("USE `" + other + "`");
        }
      }

      restore.load(script);
      try {
        assertThat(restore.column("SHOW DATABASES")).contains(db).doesNotContain("scratch");
        assertThat(restore.tableChecksums(db))
            .as("CHECKSUM TABLE of every table of %s", db)
            .isNotEmpty()
            .isEqualTo(source.tableChecksums(db));
        assertThat(objects(restore, db)).isEqualTo(objects(source, db));
      } finally {
        restore.execute("DROP DATABASE `" + db + "`");
      }
    }
  }

  @Test
  void restoredObjectsWork() throws Exception {
    DirectoryArtifactSink sink = new DirectoryArtifactSink(sinkDir);
    backup()
        .run(
            target(source.port(), List.of("keystone"), null),
            login(),
            FOLDER,
            Compression.NONE,
            sink);

    restore.load(
        sink.file(
            BackupLayout.databaseArtifact(FOLDER, "control-plane", "keystone", Compression.NONE)));
    try {
      assertThat(restore.column("SELECT name FROM keystone.enabled_names ORDER BY name"))
          .isEqualTo(source.column("SELECT name FROM keystone.enabled_names ORDER BY name"))
          .contains("サービス");
      assertThat(restore.column("SELECT description FROM keystone.project WHERE id = 2"))
          .containsExactly("テスト — émoji 🚀 and 'quotes' \\ back\nslash");
      restore.execute("INSERT INTO keystone.project VALUES (9, '新しい', NULL, 1, NULL)");
      try (java.sql.Connection c = restore.connect("keystone");
          java.sql.CallableStatement call = c.prepareCall("{call count_projects(?)}")) {
        call.registerOutParameter(1, java.sql.Types.INTEGER);
        call.execute();
        assertThat(call.getInt(1)).isEqualTo(5);
      }
      assertThat(restore.column("SELECT note FROM keystone.audit WHERE project_id = 9"))
          .containsExactly("created 新しい");
    } finally {
      restore.execute("DROP DATABASE keystone");
    }
  }

  @Test
  void passwordWithOptionFileSpecialCharactersAndLeastPrivileges() throws Exception {
    String password = "p@ss \"wo#rd' \\ x;=";
    source.execute(
        "CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY '"
            + password.replace("\\", "\\\\").replace("'", "\\'")
            + "'",
        "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON *.* TO 'reader'@'%'");
    DirectoryArtifactSink sink = new DirectoryArtifactSink(sinkDir);

    DatabaseBackup.Result result =
        backup()
            .run(
                target(source.port(), List.of("nova_api"), null),
                new DatabaseLogin("reader", password),
                FOLDER,
                Compression.ZSTD,
                sink);

    assertThat(result.artifacts()).hasSize(1);
    assertThat(result.artifacts().get(0).stored().key())
        .endsWith("/db/control-plane/nova_api.sql.zst");
  }

  @Test
  void wrongPasswordSaysWhereToLook() {
    DirectoryArtifactSink sink = new DirectoryArtifactSink(sinkDir);

    assertThatThrownBy(
            () ->
                backup()
                    .run(
                        target(source.port(), List.of(), null),
                        new DatabaseLogin(source.user(), "Not-The-Password-42"),
                        FOLDER,
                        Compression.GZIP,
                        sink))
        .isInstanceOf(DatabaseBackupException.class)
        .hasMessageStartingWith(
            "the server at 127.0.0.1:"
                + source.port()
                + " refused user 'backup': check username and password in the credentials Secret")
        .hasMessageNotContaining("Not-The-Password-42")
        .satisfies(e -> assertThat(((DatabaseBackupException) e).finished()).isEmpty());
    assertThat(sink.events()).isEmpty();
  }

  @Test
  void unreachablePortSaysSo() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    DirectoryArtifactSink sink = new DirectoryArtifactSink(sinkDir);

    assertThatThrownBy(
            () ->
                backup()
                    .run(target(closed, List.of(), null), login(), FOLDER, Compression.GZIP, sink))
        .hasMessageStartingWith("cannot connect to 127.0.0.1:" + closed + ": ")
        .hasMessageContaining("refused");
    assertThat(sink.events()).isEmpty();
  }

  @Test
  void unknownHostSaysSo() {
    BackupPlan.Database target =
        new BackupPlan.Database(
            "control-plane", "no-such-galera.invalid", 3306, "/x", List.of(), List.of(), false);

    assertThatThrownBy(
            () ->
                backup()
                    .run(
                        target,
                        login(),
                        FOLDER,
                        Compression.GZIP,
                        new DirectoryArtifactSink(sinkDir)))
        .hasMessageStartingWith(
            "unknown host 'no-such-galera.invalid': check spec.databases[].host");
  }

  @Test
  void missingIncludedDatabaseNamesTheField() {
    DirectoryArtifactSink sink = new DirectoryArtifactSink(sinkDir);

    assertThatThrownBy(
            () ->
                backup()
                    .run(
                        target(source.port(), List.of("keystone", "glance"), null),
                        login(),
                        FOLDER,
                        Compression.GZIP,
                        sink))
        .hasMessageStartingWith(
            "spec.databases[].include names database 'glance', which does not exist on 127.0.0.1:"
                + source.port());
    assertThat(sink.events()).isEmpty();
  }

  @Test
  void splitterOnARealDumpKeepsEveryByteOfTheBody() throws Exception {
    Path dump = work.resolve("real.sql");
    Process p =
        new ProcessBuilder(
                source.dumpCommand().toString(),
                "--defaults-file=" + source.clientOptions(),
                "--protocol=TCP",
                "--host=127.0.0.1",
                "--port=" + source.port(),
                "--single-transaction",
                "--routines",
                "--events",
                "--triggers",
                "--hex-blob",
                "--ignore-table=keystone.enabled_projects",
                "--ignore-table=keystone.enabled_names",
                "--databases",
                "cell-1",
                "keystone",
                "nova_api")
            .redirectOutput(dump.toFile())
            .start();
    assertThat(p.waitFor()).isZero();
    Map<String, ByteArrayOutputStream> scripts = new LinkedHashMap<>();
    List<Boolean> last = new ArrayList<>();

    try (InputStream in = Files.newInputStream(dump)) {
      new DumpSplitter(ControlPlaneData.DATABASES, Map.of())
          .split(
              in,
              new DumpSplitter.Target() {
                @Override
                public OutputStream open(String database) {
                  scripts.put(database, new ByteArrayOutputStream());
                  return scripts.get(database);
                }

                @Override
                public void finish(String database, boolean isLast) {
                  last.add(isLast);
                }
              });
    }

    String original = Files.readString(dump, StandardCharsets.ISO_8859_1);
    String body =
        original.substring(original.indexOf("--\n-- Current Database"), footerStart(original));
    StringBuilder bodies = new StringBuilder();
    for (ByteArrayOutputStream script : scripts.values()) {
      String text = script.toString(StandardCharsets.ISO_8859_1);
      bodies.append(text, text.indexOf("--\n-- Current Database"), footerStart(text));
    }
    assertThat(scripts.keySet()).containsExactlyElementsOf(ControlPlaneData.DATABASES);
    assertThat(last).containsExactly(false, false, true);
    assertThat(bodies.toString()).isEqualTo(body);
  }

  /** Names of views, triggers, routines and events of {@code db}, with their definitions. */
  static List<String> objects(MariaDbServer server, String db) {
    String q = "'" + db + "'";
    List<String> all = new ArrayList<>();
    all.addAll(
        server.column(
            "SELECT CONCAT('view ', TABLE_NAME, ': ', VIEW_DEFINITION) FROM"
                + " information_schema.VIEWS WHERE TABLE_SCHEMA = "
                + q
                + " ORDER BY TABLE_NAME"));
    all.addAll(
        server.column(
            "SELECT CONCAT('trigger ', TRIGGER_NAME, ': ', ACTION_STATEMENT) FROM"
                + " information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
                + q
                + " ORDER BY TRIGGER_NAME"));
    all.addAll(
        server.column(
            "SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME, ': ', ROUTINE_DEFINITION) FROM"
                + " information_schema.ROUTINES WHERE ROUTINE_SCHEMA = "
                + q
                + " ORDER BY ROUTINE_NAME"));
    all.addAll(
        server.column(
            "SELECT CONCAT('event ', EVENT_NAME, ': ', EVENT_DEFINITION) FROM"
                + " information_schema.EVENTS WHERE EVENT_SCHEMA = "
                + q
                + " ORDER BY EVENT_NAME"));
    return all;
  }

  static Path gunzip(Path gz, Path target) throws Exception {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return target;
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /**
   * Where the footer restoring the session settings starts: the first {@code SET X=@OLD_X} line
   * after the databases. Its first line differs between MariaDB versions (10.11: TIME_ZONE, 11.4:
   * NOTE_VERBOSITY).
   */
  static int footerStart(String dump) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?m)^/\\*[!M]\\d+ SET [A-Z_]+ *= *@OLD").matcher(dump);
    int from = dump.indexOf("--\n-- Current Database");
    if (!m.find(from)) {
      throw new AssertionError("no footer in the dump");
    }
    return m.start();
  }
}
