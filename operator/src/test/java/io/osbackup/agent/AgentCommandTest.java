package io.osbackup.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.agent.files.MountTable;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Json;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.store.ArtifactUpload;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentCommandTest {

  private static final String FOLDER = "prod/openstack/daily/daily-20261121-020000";
  private static final String SECRET = "wJalrXUtnFEMI-K7MDENG";
  private static final String DB_PASSWORD = "it's-Tr0ub4dor&3";

  @TempDir Path tmp;
  private final MemoryBucket bucket = new MemoryBucket();
  private final Map<String, String> env = new HashMap<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private Path terminationLog;
  private BackupPlan.Store connectedTo;
  private BucketConnector connector =
      (store, credentials) -> {
        assertThat(credentials.accessKey()).isEqualTo("AKIAEXAMPLE");
        assertThat(credentials.secretKey()).isEqualTo(SECRET);
        connectedTo = store;
        return bucket;
      };
  private DatabaseDump databaseDump =
      (plan, login, sink, report) -> {
        throw new UnsupportedOperationException("no database in this test");
      };

  private Runnable shutdownHook;
  private boolean shutdownHookRemoved;
  private final ShutdownHooks shutdownHooks =
      hook -> {
        shutdownHook = hook;
        return () -> shutdownHookRemoved = true;
      };

  @BeforeEach
  void node() throws IOException {
    Path creds = Files.createDirectories(tmp.resolve("store-secret"));
    Files.writeString(creds.resolve("accessKey"), "AKIAEXAMPLE");
    Files.writeString(creds.resolve("secretKey"), SECRET + "\n");
    Path nova = Files.createDirectories(tmp.resolve("node/etc/nova"));
    Files.writeString(nova.resolve("nova.conf"), "[DEFAULT]\n");
    Path db = Files.createDirectories(tmp.resolve("db-secret"));
    Files.writeString(db.resolve("username"), "backup");
    Files.writeString(db.resolve("password"), DB_PASSWORD + "\n");
    terminationLog = tmp.resolve("termination-log");
    env.put(
        MountTable.ENV,
        Json.MAPPER.writeValueAsString(
            Map.of(
                BackupPlan.STORE_CREDENTIALS_DIR, creds.toString(),
                BackupPlan.DATABASE_CREDENTIALS_DIR, db.toString(),
                BackupPlan.HOST_ROOT, tmp.resolve("node").toString(),
                AgentCommand.TERMINATION_LOG, terminationLog.toString())));
  }

  private int agent(BackupPlan plan) throws IOException {
    if (plan != null) {
      env.put(BackupPlan.ENV, Json.MAPPER.writeValueAsString(plan));
    }
    AgentCommand command =
        new AgentCommand(
            env,
            connector,
            databaseDump,
            Clock.fixed(Instant.parse("2026-11-21T02:00:05Z"), ZoneOffset.UTC),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            shutdownHooks);
    return new CommandLine(command).execute();
  }

  private static BackupPlan filesPlan(String... paths) {
    return new BackupPlan(
        "daily-20261121-020000-nova-config-compute-07",
        "daily-20261121-020000",
        FOLDER,
        new BackupPlan.Store(
            "http://swift-proxy:8080",
            "openstack-backups",
            "us-east-1",
            true,
            BackupPlan.STORE_CREDENTIALS_DIR),
        "zstd",
        null,
        new BackupPlan.Files(
            "nova-config", "compute-07", BackupPlan.HOST_ROOT, List.of(paths), List.of()));
  }

  private static BackupPlan databasePlan() {
    return new BackupPlan(
        "daily-20261121-020000-control-plane",
        "daily-20261121-020000",
        FOLDER,
        new BackupPlan.Store(
            "http://swift-proxy:8080",
            "openstack-backups",
            "us-east-1",
            true,
            BackupPlan.STORE_CREDENTIALS_DIR),
        "gzip",
        new BackupPlan.Database(
            "control-plane",
            "galera",
            3306,
            BackupPlan.DATABASE_CREDENTIALS_DIR,
            List.of("nova", "keystone"),
            List.of(),
            false),
        null);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private String terminationLog() throws IOException {
    return Files.readString(terminationLog);
  }

  @Test
  void aFilesReportRecordsTheTargetsExcludesBesideItsPaths() throws IOException {
    BackupPlan paths = filesPlan("/etc/nova");
    BackupPlan plan =
        new BackupPlan(
            paths.jobName(),
            paths.backupId(),
            paths.folder(),
            paths.store(),
            paths.compression(),
            null,
            new BackupPlan.Files(
                "nova-config",
                "compute-07",
                BackupPlan.HOST_ROOT,
                List.of("/etc/nova"),
                List.of("*.bak", "/etc/nova/cache")));

    assertThat(agent(plan)).as(err()).isZero();

    JsonNode source = bucket.json(BackupLayout.report(FOLDER, plan.jobName())).get("source");
    assertThat(source.at("/paths/0").asText()).isEqualTo("/etc/nova");
    assertThat(source.at("/exclude/0").asText()).isEqualTo("*.bak");
    assertThat(source.at("/exclude/1").asText()).isEqualTo("/etc/nova/cache");
    // Nothing excluded, nothing recorded: manifests stay as they were.
    assertThat(agent(filesPlan("/etc/nova"))).isZero();
    assertThat(
            bucket.json(BackupLayout.report(FOLDER, plan.jobName())).get("source").has("exclude"))
        .isFalse();
  }

  @Test
  void filesPlanUploadsTheArchiveAndReportsSuccess() throws IOException {
    BackupPlan plan = filesPlan("/etc/nova");

    assertThat(agent(plan)).as(err()).isZero();

    String key = FOLDER + "/files/nova-config/compute-07.tar.zst";
    assertThat(bucket.objects).containsKey(key);
    assertThat(connectedTo).isEqualTo(plan.store());
    JsonNode report = bucket.json(BackupLayout.report(FOLDER, plan.jobName()));
    assertThat(report.get("succeeded").asBoolean()).isTrue();
    assertThat(report.has("message")).isFalse();
    assertThat(report.get("jobName").asText()).isEqualTo(plan.jobName());
    assertThat(report.get("target").asText()).isEqualTo("nova-config");
    assertThat(report.get("node").asText()).isEqualTo("compute-07");
    assertThat(report.get("startedAt").asText()).isEqualTo("2026-11-21T02:00:05Z");
    assertThat(report.get("finishedAt").asText()).isEqualTo("2026-11-21T02:00:05Z");
    assertThat(report.at("/source/paths/0").asText()).isEqualTo("/etc/nova");
    JsonNode artifact = report.at("/artifacts/0");
    assertThat(artifact.get("key").asText()).isEqualTo(key);
    assertThat(artifact.get("files").asLong()).isEqualTo(3); // etc/, etc/nova/, nova.conf
    assertThat(artifact.get("compression").asText()).isEqualTo("zstd");
    assertThat(artifact.get("sha256").asText())
        .isEqualTo(MemoryBucket.sha256(bucket.objects.get(key)));
    assertThat(out())
        .contains(
            "artifact "
                + key
                + " size="
                + bucket.objects.get(key).length
                + " sha256="
                + artifact.get("sha256").asText());
    assertThat(Files.exists(terminationLog)).isFalse();
    assertThat(out() + err()).doesNotContain(SECRET);
    assertThat(bucket.closed).isTrue();
  }

  @Test
  void warningsOfTheFilesHalfReachTheReport() throws Exception {
    Path fifo = tmp.resolve("node/etc/nova/control.fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    BackupPlan plan = filesPlan("/etc/nova");

    assertThat(agent(plan)).as(err()).isZero();

    JsonNode report = bucket.json(BackupLayout.report(FOLDER, plan.jobName()));
    assertThat(report.get("succeeded").asBoolean()).isTrue();
    assertThat(report.at("/warnings/0").asText())
        .isEqualTo(
            "skipped FIFO /etc/nova/control.fifo on node compute-07: only files, directories and"
                + " symlinks are archived");
    assertThat(err()).contains("warning: skipped FIFO /etc/nova/control.fifo");
  }

  @Test
  void aReportWithoutWarningsHasNoWarningsField() throws IOException {
    BackupPlan plan = filesPlan("/etc/nova");

    assertThat(agent(plan)).as(err()).isZero();

    assertThat(bucket.json(BackupLayout.report(FOLDER, plan.jobName())).has("warnings")).isFalse();
  }

  @Test
  void failingFilesPlanReportsFailureAndWritesTheTerminationLog() throws IOException {
    BackupPlan plan = filesPlan("/etc/nova", "/etc/glance");

    assertThat(agent(plan)).isEqualTo(1);

    JsonNode report = bucket.json(BackupLayout.report(FOLDER, plan.jobName()));
    assertThat(report.get("succeeded").asBoolean()).isFalse();
    assertThat(report.get("message").asText())
        .isEqualTo("path /etc/glance does not exist on node compute-07");
    assertThat(report.get("artifacts")).isEmpty();
    assertThat(bucket.aborted).containsKey(FOLDER + "/files/nova-config/compute-07.tar.zst");
    assertThat(terminationLog()).isEqualTo("path /etc/glance does not exist on node compute-07");
    assertThat(err()).contains("backup failed: path /etc/glance does not exist on node compute-07");
  }

  @Test
  void databaseHalfIsCalledAndItsPartialArtifactsAreReported() throws IOException {
    databaseDump =
        (plan, login, sink, report) -> {
          String key =
              BackupLayout.databaseArtifact(
                  plan.folder(), "control-plane", "keystone", Compression.GZIP);
          report.artifact(
              new StoredArtifact(key, 10, 40, "ab".repeat(32), Compression.GZIP), "keystone", null);
          throw new IOException("mariadb-dump exited 2: Access denied for user 'backup'");
        };

    assertThat(agent(databasePlan())).isEqualTo(1);

    JsonNode report =
        bucket.json(BackupLayout.report(FOLDER, "daily-20261121-020000-control-plane"));
    assertThat(report.get("succeeded").asBoolean()).isFalse();
    assertThat(report.get("target").asText()).isEqualTo("control-plane");
    assertThat(report.has("node")).isFalse();
    assertThat(report.at("/artifacts/0/database").asText()).isEqualTo("keystone");
    assertThat(report.at("/source/host").asText()).isEqualTo("galera");
    assertThat(terminationLog())
        .isEqualTo("mariadb-dump exited 2: Access denied for user 'backup'");
    assertThat(out())
        .contains("artifact " + FOLDER + "/db/control-plane/keystone.sql.gz size=10 sha256=abab");
  }

  @Test
  void theDatabasePasswordNeverLeavesTheAgent() throws IOException {
    databaseDump =
        (plan, login, sink, report) -> {
          assertThat(login).isEqualTo(new DatabaseLogin("backup", DB_PASSWORD));
          report.warning("server echoed '" + login.password() + "' in a notice");
          throw new IOException(
              "mariadb-dump: Got error: 1064: You have an error near '"
                  + login.password().replace("'", "''")
                  + "' and \""
                  + login.password().replace("'", "\\'")
                  + "\" (raw: "
                  + login.password()
                  + ")");
        };

    assertThat(agent(databasePlan())).isEqualTo(1);

    JsonNode report =
        bucket.json(BackupLayout.report(FOLDER, "daily-20261121-020000-control-plane"));
    assertThat(report.get("message").asText())
        .isEqualTo(
            "mariadb-dump: Got error: 1064: You have an error near '***' and \"***\" (raw: ***)");
    assertThat(report.at("/warnings/0").asText()).isEqualTo("server echoed '***' in a notice");
    assertThat(terminationLog()).doesNotContain("Tr0ub4dor").contains("(raw: ***)");
    assertThat(out() + err()).doesNotContain("Tr0ub4dor").contains("***");
    assertThat(
            new String(
                bucket.objects.get(
                    BackupLayout.report(FOLDER, "daily-20261121-020000-control-plane")),
                StandardCharsets.UTF_8))
        .doesNotContain("Tr0ub4dor");
  }

  @Test
  void aShortPasswordIsRedactedToo() throws IOException {
    Files.writeString(tmp.resolve("db-secret/password"), "pw");
    databaseDump =
        (plan, login, sink, report) -> {
          throw new IOException("rejected password pw for backup");
        };

    assertThat(agent(databasePlan())).isEqualTo(1);

    assertThat(terminationLog()).isEqualTo("rejected password *** for backup");
  }

  @Test
  void missingDatabaseCredentialsFailTheJobWithAReport() throws IOException {
    Files.delete(tmp.resolve("db-secret/password"));

    assertThat(agent(databasePlan())).isEqualTo(1);

    JsonNode report =
        bucket.json(BackupLayout.report(FOLDER, "daily-20261121-020000-control-plane"));
    assertThat(report.get("succeeded").asBoolean()).isFalse();
    assertThat(report.get("message").asText()).contains("'password'");
  }

  @Test
  void sigtermAbortsTheUploadInFlight() throws IOException {
    String key = BackupLayout.databaseArtifact(FOLDER, "control-plane", "nova", Compression.GZIP);
    databaseDump =
        (plan, login, sink, report) -> {
          ArtifactUpload upload = sink.open(key, Compression.GZIP);
          upload.stream().write("CREATE TABLE".getBytes(StandardCharsets.UTF_8));
          shutdownHook.run(); // what the JVM does on SIGTERM, on its own thread
          assertThat(bucket.aborted).containsEntry(key, "the agent was stopped (SIGTERM)");
          assertThatThrownBy(() -> sink.open(key + ".next", Compression.GZIP))
              .hasMessageContaining("the agent was stopped (SIGTERM)");
        };

    assertThat(agent(databasePlan())).isEqualTo(1);

    assertThat(bucket.objects).doesNotContainKey(key);
    assertThat(terminationLog()).isEqualTo("the agent was stopped (SIGTERM)");
    assertThat(err()).contains("stopped (SIGTERM): aborted 1 upload(s) in flight");
    assertThat(shutdownHookRemoved).isTrue();
  }

  @Test
  void theShutdownHookIsRemovedAfterARun() throws IOException {
    assertThat(agent(filesPlan("/etc/nova"))).isZero();

    assertThat(shutdownHook).isNotNull();
    assertThat(shutdownHookRemoved).isTrue();
    shutdownHook.run(); // nothing left to abort

    assertThat(bucket.aborted).isEmpty();
  }

  @Test
  void aDatabaseHalfThatThrowsFailsTheJobWithItsMessage() throws IOException {
    assertThat(agent(databasePlan())).isEqualTo(1);

    assertThat(terminationLog()).contains("no database in this test");
  }

  @Test
  void missingPlanIsBadUsage() throws IOException {
    assertThat(agent(null)).isEqualTo(2);

    assertThat(err()).contains("OSBACKUP_PLAN is not set: the agent reads its plan (JSON) from it");
    assertThat(terminationLog())
        .isEqualTo("OSBACKUP_PLAN is not set: the agent reads its plan (JSON) from it");
    assertThat(bucket.objects).isEmpty();
  }

  @Test
  void malformedPlanIsBadUsage() throws IOException {
    env.put(BackupPlan.ENV, "{\"jobName\": \"j\", \"store\": ");

    assertThat(agent(null)).isEqualTo(2);

    assertThat(terminationLog())
        .startsWith("OSBACKUP_PLAN is not a valid plan: ")
        .contains("line 1");
  }

  @Test
  void planWithoutStoreIsBadUsage() throws IOException {
    env.put(BackupPlan.ENV, "{\"jobName\": \"j\", \"folder\": \"f\"}");

    assertThat(agent(null)).isEqualTo(2);

    assertThat(terminationLog()).isEqualTo("OSBACKUP_PLAN is not a valid plan: store is missing");
  }

  @Test
  void planWithBadWorkIsReportedAsBadUsage() throws IOException {
    BackupPlan plan = filesPlan("etc/nova");

    assertThat(agent(plan)).isEqualTo(2);

    JsonNode report = bucket.json(BackupLayout.report(FOLDER, plan.jobName()));
    assertThat(report.get("succeeded").asBoolean()).isFalse();
    assertThat(report.get("message").asText())
        .isEqualTo("invalid plan: files.paths[0] must be an absolute path: 'etc/nova'");
  }

  @Test
  void malformedMountTableIsBadUsage() throws IOException {
    env.put(MountTable.ENV, "not json");

    assertThat(agent(filesPlan("/etc/nova"))).isEqualTo(2);

    assertThat(err()).contains(MountTable.ENV + " is not a JSON object");
  }

  @Test
  void unreachableStoreFailsWithoutLeakingTheSecret() throws IOException {
    connector =
        (store, credentials) -> {
          throw new IOException("signature mismatch for secret " + credentials.secretKey());
        };

    assertThat(agent(filesPlan("/etc/nova"))).isEqualTo(1);

    assertThat(terminationLog())
        .startsWith(
            "cannot reach bucket openstack-backups at http://swift-proxy:8080: signature mismatch")
        .doesNotContain(SECRET);
    assertThat(out() + err()).doesNotContain(SECRET).contains("***");
  }

  @Test
  void missingCredentialsNameTheFile() throws IOException {
    Files.delete(tmp.resolve("store-secret/secretKey"));

    assertThat(agent(filesPlan("/etc/nova"))).isEqualTo(1);

    assertThat(terminationLog())
        .isEqualTo(
            "the Secret mounted at "
                + tmp.resolve("store-secret")
                + " has no key 'secretKey': the store credentials Secret must have the keys"
                + " accessKey and secretKey (no report written)");
  }

  @Test
  void storeCredentialsAreReadByTheSharedRule() throws IOException {
    Files.writeString(tmp.resolve("store-secret/accessKey"), "AKIAEXAMPLE\r\n");

    assertThat(agent(filesPlan("/etc/nova"))).as(err()).isZero();
  }

  @Test
  void anEmptyStoreKeyIsNamed() throws IOException {
    Files.writeString(tmp.resolve("store-secret/accessKey"), "\n");

    assertThat(agent(filesPlan("/etc/nova"))).isEqualTo(1);

    assertThat(terminationLog())
        .startsWith(
            "key 'accessKey' is empty in the Secret mounted at " + tmp.resolve("store-secret"));
  }

  @Test
  void terminationMessageIsCutAt4096BytesOnACharacterBoundary() {
    byte[] cut = AgentCommand.truncate("あ".repeat(2000), 4096);

    assertThat(cut).hasSize(4095);
    assertThat(new String(cut, StandardCharsets.UTF_8)).isEqualTo("あ".repeat(1365));
  }

  // ---- restore plans ----

  private RestorePlan restorePlan(String mode, String toPath) throws IOException {
    assertThat(agent(filesPlan("/etc/nova"))).isZero();
    env.remove(BackupPlan.ENV);
    JsonNode artifact =
        bucket
            .json(BackupLayout.report(FOLDER, "daily-20261121-020000-nova-config-compute-07"))
            .get("artifacts")
            .get(0);
    String key = artifact.get("key").asText();
    return new RestorePlan(
        "back-" + mode,
        "back",
        "daily-20261121-020000",
        "prod/openstack/.restores/back-1234/back-" + mode + ".json",
        new BackupPlan.Store(
            "http://swift-proxy:8080",
            "openstack-backups",
            "us-east-1",
            true,
            BackupPlan.STORE_CREDENTIALS_DIR),
        mode,
        "20261121-031500",
        List.of(),
        List.of(
            new RestorePlan.FilesItem(
                new RestorePlan.Artifact(
                    key,
                    bucket.objects.get(key).length,
                    MemoryBucket.sha256(bucket.objects.get(key)),
                    "zstd"),
                "nova-config",
                "compute-07",
                List.of("/etc/nova"),
                toPath,
                BackupPlan.HOST_ROOT)));
  }

  private int restoreAgent(RestorePlan plan) throws IOException {
    env.put(RestorePlan.ENV, Json.MAPPER.writeValueAsString(plan));
    return agent(null);
  }

  @Test
  void aRestorePlanVerifiesTheArtifactAndReportsToTheBucket() throws IOException {
    var plan = restorePlan("verify", null);
    assertThat(restoreAgent(plan)).isZero();
    JsonNode report = bucket.json(plan.reportKey());
    assertThat(report.get("succeeded").asBoolean()).isTrue();
    assertThat(report.get("items").get(0).get("state").asText()).isEqualTo("Verified");
    assertThat(Files.readString(tmp.resolve("node/etc/nova/nova.conf"))).isEqualTo("[DEFAULT]\n");
  }

  @Test
  void aCorruptedArtifactFailsTheRestoreJobBeforeAnythingIsWritten() throws IOException {
    var plan = restorePlan("restore", "/srv/restore");
    byte[] stored = bucket.objects.get(plan.files().get(0).artifact().key());
    stored[stored.length - 1] ^= 0x01;
    assertThat(restoreAgent(plan)).isEqualTo(AgentCommand.FAILED);
    JsonNode report = bucket.json(plan.reportKey());
    assertThat(report.get("succeeded").asBoolean()).isFalse();
    assertThat(report.get("reason").asText()).isEqualTo("ArtifactCorrupted");
    assertThat(terminationLog())
        .startsWith("ArtifactCorrupted: artifact " + plan.files().get(0).artifact().key());
    assertThat(err()).contains("restore failed: ").doesNotContain(SECRET);
    assertThat(tmp.resolve("node/srv/restore/etc/nova")).doesNotExist();
  }

  @Test
  void aRestorePlanWritesBelowToPath() throws IOException {
    var plan = restorePlan("restore", "/srv/restore");
    assertThat(restoreAgent(plan)).isZero();
    assertThat(Files.readString(tmp.resolve("node/srv/restore/etc/nova/nova.conf")))
        .isEqualTo("[DEFAULT]\n");
    assertThat(bucket.json(plan.reportKey()).get("items").get(0).get("state").asText())
        .isEqualTo("Restored");
  }

  @Test
  void aRestorePlanThatIsNotJsonIsABadPlan() throws IOException {
    env.put(RestorePlan.ENV, "{not json");
    assertThat(agent(null)).isEqualTo(AgentCommand.BAD_PLAN);
    assertThat(terminationLog()).contains(RestorePlan.ENV);
  }
}
