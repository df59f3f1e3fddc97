package io.osbackup.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.store.ArtifactSink;
import io.osbackup.store.ArtifactUpload;
import io.osbackup.testbed.DirectoryArtifactSink;
import io.osbackup.testbed.MariaDbServer;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The databases of a target form one snapshot even while the server is written to, and a dump
 * killed midway leaves no artifact for the database it was writing.
 */
class ConsistentSnapshotIT {

  static final String FOLDER = "prod/openstack/nightly/nightly-1";

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
    // nova_api is dumped first and holds a big table, so the dump of nova_cell1 starts a noticeable
    // time after the
    // snapshot was taken. Both get the same ids, committed together.
    source.execute(
        "CREATE DATABASE nova_api",
        "USE nova_api",
        "CREATE TABLE filler (id INT PRIMARY KEY, payload VARCHAR(200))",
        "INSERT INTO filler SELECT seq, REPEAT(CHAR(65 + seq % 26), 150) FROM seq_1_to_300000",
        "CREATE TABLE request_specs (id INT PRIMARY KEY)",
        "CREATE DATABASE nova_cell1",
        "CREATE TABLE nova_cell1.instances (id INT PRIMARY KEY)",
        "CREATE DATABASE glance",
        "CREATE TABLE glance.images (id INT PRIMARY KEY)",
        "INSERT INTO glance.images VALUES (1), (2)");
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

  static BackupPlan.Database target(List<String> include) {
    return new BackupPlan.Database(
        "nova",
        "127.0.0.1",
        source.port(),
        BackupPlan.DATABASE_CREDENTIALS_DIR,
        include,
        null,
        false);
  }

  static DatabaseLogin login() {
    return new DatabaseLogin(source.user(), source.password());
  }

  @Test
  void databasesWrittenTogetherAreRestoredTogether() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger committed = new AtomicInteger();
    AtomicReference<Exception> writerFailure = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = source.connect("");
                  PreparedStatement api =
                      c.prepareStatement("INSERT INTO nova_api.request_specs VALUES (?)");
                  PreparedStatement cell =
                      c.prepareStatement("INSERT INTO nova_cell1.instances VALUES (?)")) {
                c.setAutoCommit(false);
                for (int id = 1; !stop.get(); id++) {
                  api.setInt(1, id);
                  api.executeUpdate();
                  cell.setInt(1, id);
                  cell.executeUpdate();
                  c.commit();
                  committed.set(id);
                }
              } catch (Exception e) {
                writerFailure.set(e);
              }
            },
            "writer");
    writer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> committed.get() >= 100);
    Map<String, Integer> committedWhenOpened = new ConcurrentHashMap<>();
    DirectoryArtifactSink directory = new DirectoryArtifactSink(sinkDir);
    ArtifactSink sink =
        (key, compression) -> {
          committedWhenOpened.put(key, committed.get());
          return directory.open(key, compression);
        };

    DatabaseBackup.Result result;
    try {
      result =
          new DatabaseBackup(source.dumpCommand().toString())
              .run(
                  target(List.of("nova_api", "nova_cell1")),
                  login(),
                  FOLDER,
                  Compression.NONE,
                  sink);
    } finally {
      stop.set(true);
      writer.join();
    }
    assertThat(writerFailure.get()).isNull();

    for (DatabaseBackup.Artifact artifact : result.artifacts()) {
      restore.load(directory.file(artifact.stored().key()));
    }
    List<String> api = restore.column("SELECT id FROM nova_api.request_specs ORDER BY id");
    List<String> cell = restore.column("SELECT id FROM nova_cell1.instances ORDER BY id");
    assertThat(api).hasSizeGreaterThanOrEqualTo(100).isEqualTo(cell);
    assertThat(restore.column("SELECT COUNT(*) FROM nova_api.filler")).containsExactly("300000");
    // Proof that the writer kept committing while the dump ran: by the time nova_cell1's section
    // began, more ids
    // were committed than the snapshot holds. Dumped one database at a time, the two sets would
    // differ.
    String cellKey = BackupLayout.databaseArtifact(FOLDER, "nova", "nova_cell1", Compression.NONE);
    assertThat(committedWhenOpened.get(cellKey)).isGreaterThan(cell.size());
  }

  @Test
  void killedDumpAbortsTheOpenUploadAndFinishesNothingForIt() throws Exception {
    DirectoryArtifactSink directory = new DirectoryArtifactSink(sinkDir);
    AtomicReference<List<String>> dumpArguments = new AtomicReference<>();
    String bigKey = BackupLayout.databaseArtifact(FOLDER, "nova", "nova_api", Compression.GZIP);
    ArtifactSink sink =
        (key, compression) -> {
          ArtifactUpload upload = directory.open(key, compression);
          return key.equals(bigKey)
              ? killDumpAfter(upload, 2 * 1024 * 1024, dumpArguments)
              : upload;
        };

    assertThatThrownBy(
            () ->
                new DatabaseBackup(source.dumpCommand().toString())
                    .run(
                        target(List.of("glance", "nova_api", "nova_cell1")),
                        login(),
                        FOLDER,
                        Compression.GZIP,
                        sink))
        .isInstanceOf(DatabaseBackupException.class)
        .hasMessageStartingWith("mariadb-dump was killed by signal 9")
        .hasMessageContaining("cut short while writing database `nova_api`")
        .satisfies(
            e ->
                assertThat(((DatabaseBackupException) e).finished())
                    .extracting(a -> a.database())
                    .containsExactly("glance"));

    assertThat(directory.keys("FINISHED"))
        .containsExactly(BackupLayout.databaseArtifact(FOLDER, "nova", "glance", Compression.GZIP));
    assertThat(directory.keys("ABORTED")).containsExactly(bigKey);
    assertThat(directory.keys("OPENED")).hasSize(2);
    assertThat(directory.maxOpenAtOnce()).isEqualTo(1);
    try (var files = Files.walk(sinkDir)) {
      assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .containsExactly("glance.sql.gz");
    }
    assertThat(dumpArguments.get())
        .anyMatch(a -> a.startsWith("--defaults-file="))
        .noneMatch(a -> a.contains(source.password()));
  }

  /**
   * Passes writes through; after {@code limit} bytes, kills the running mariadb-dump child with
   * SIGKILL.
   */
  static ArtifactUpload killDumpAfter(
      ArtifactUpload upload, long limit, AtomicReference<List<String>> arguments) {
    return new ArtifactUpload() {
      long written;

      @Override
      public OutputStream stream() {
        return new FilterOutputStream(upload.stream()) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            written += len;
            if (written > limit && arguments.get() == null) {
              ProcessHandle dump =
                  ProcessHandle.current()
                      .descendants()
                      .filter(p -> p.info().command().orElse("").endsWith("mariadb-dump"))
                      .findFirst()
                      .orElseThrow();
              arguments.set(List.of(dump.info().arguments().orElse(new String[0])));
              dump.destroyForcibly();
            }
          }
        };
      }

      @Override
      public StoredArtifact finish() throws IOException {
        return upload.finish();
      }

      @Override
      public void abort(String reason) {
        upload.abort(reason);
      }

      @Override
      public void close() {
        upload.close();
      }
    };
  }
}
