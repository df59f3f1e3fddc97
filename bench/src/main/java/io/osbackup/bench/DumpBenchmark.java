package io.osbackup.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.minio.MinioAsyncClient;
import io.minio.UploadObjectArgs;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.BackupReport;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The database backup benchmark (docs/benchmarks.md): on a generated control-plane data set of
 * about 1 GiB, the wall time of {@code mariadb-dump > /dev/null} (the floor), of the agent's dump →
 * compress → upload to Swift (gzip, zstd, none) as a separate {@code -Xmx256m} JVM like a Job runs
 * it, and of the Operations Guide's {@code mysqldump | gzip > file} followed by an upload of the
 * file; with CPU, peak memory and sizes. Run with {@code bench/run.sh [options]}.
 */
public final class DumpBenchmark {

  private static final String BUCKET = "bench";
  private static final String AGENT_HEAP = "256m";
  private static final List<String> ALL_SCENARIOS =
      List.of(
          "floor",
          "agent-gzip",
          "agent-zstd",
          "guide-gzip",
          "agent-none",
          "before-gzip",
          "before-zstd",
          "before-none");

  private final Path work;
  private final int instances;
  private final int runs;
  private final List<String> scenarios;
  private final Map<String, List<Sample>> samples = new LinkedHashMap<>();
  private MariaDbServer db;
  private S3Server s3;
  private ObjectStore store;
  private long rawDumpBytes;

  /** One measured run of one scenario. */
  record Sample(TimedCommand.Cost cost, long rawBytes, long storedBytes, double uploadSeconds) {}

  private DumpBenchmark(BenchOptions options) {
    this.work = options.work;
    this.instances = options.instances;
    this.runs = options.runs;
    this.scenarios = options.scenarios;
  }

  public static void main(String[] args) throws Exception {
    new DumpBenchmark(BenchOptions.parse("DumpBenchmark", args, 3, ALL_SCENARIOS, ALL_SCENARIOS))
        .run();
    System.exit(0);
  }

  private void run() throws Exception {
    TimedCommand.requireTime();
    Files.createDirectories(work);
    String machine = MachineFacts.describe(work);
    System.out.println(machine);
    long started = System.nanoTime();
    startDatabase();
    Path runDir = Files.createDirectories(work.resolve("run"));
    s3 = S3Server.start(Files.createTempDirectory(runDir, "s3-"));
    s3.createBucket(BUCKET);
    store = s3.store(BUCKET);
    System.out.println("S3: " + s3);
    AgentSecrets.write(runDir, s3, db);

    System.out.println("warm-up: one floor run (not counted)");
    floor(runDir);
    for (int r = 1; r <= runs; r++) {
      for (String scenario : scenarios) {
        awaitQuietMachine();
        Sample sample =
            switch (scenario) {
              case "floor" -> floor(runDir);
              case "agent-gzip" -> agent(runDir, "gzip", r, "");
              case "agent-zstd" -> agent(runDir, "zstd", r, "");
              case "agent-none" -> agent(runDir, "none", r, "");
              case "before-gzip" -> agent(runDir, "gzip", r, beforeJar());
              case "before-zstd" -> agent(runDir, "zstd", r, beforeJar());
              case "before-none" -> agent(runDir, "none", r, beforeJar());
              case "guide-gzip" -> guide(runDir, r);
              default -> throw new IllegalStateException(scenario);
            };
        samples.computeIfAbsent(scenario, k -> new ArrayList<>()).add(sample);
        System.out.printf(
            Locale.ROOT,
            "run %d %-11s %s, peak %,d KiB%n",
            r,
            scenario,
            sample.cost().seconds(),
            sample.cost().ownPeakRssKiB());
      }
    }
    Results.publish(
        work.resolve(
            "results-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + ".md"),
        Results.markdown(machine, rawDumpBytes, AGENT_HEAP, runs, samples),
        started);
    store.close();
    s3.close();
    db.close();
  }

  // ---- the database, generated once and cached ----

  private void startDatabase() throws Exception {
    Path dir = work.resolve("mariadb-v" + ControlPlaneDataset.VERSION + "-" + instances);
    Path done = dir.resolve("dataset.done");
    if (Files.exists(dir) && !Files.exists(done)) {
      System.out.println("removing an incomplete data set in " + dir);
      deleteTree(dir);
    }
    boolean cached = Files.exists(done);
    Files.createDirectories(dir);
    db = MariaDbServer.startKept(dir, "2G");
    if (cached) {
      System.out.println("using the cached data set in " + dir);
    } else {
      System.out.printf("generating the data set (%,d instances) in %s%n", instances, dir);
      long t = System.nanoTime();
      Path tmp = Files.createDirectories(dir.resolve("load"));
      new ControlPlaneDataset(instances).load(db, tmp);
      try (Connection c = db.connect("");
          Statement s = c.createStatement()) {
        s.execute("SET GLOBAL innodb_max_dirty_pages_pct = 0"); // flush before the dumps
      }
      System.out.printf(Locale.ROOT, "generated in %.0f s%n", (System.nanoTime() - t) / 1e9);
      Files.writeString(done, "instances=" + instances + "\n");
    }
    try (Connection c = db.connect("");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT table_schema, SUM(table_rows), SUM(data_length + index_length)"
                    + " FROM information_schema.tables WHERE table_schema IN ("
                    + ControlPlaneDataset.DATABASES.stream()
                        .map(d -> "'" + d + "'")
                        .collect(Collectors.joining(","))
                    + ") GROUP BY table_schema")) {
      while (rs.next()) {
        System.out.printf(
            "  %-10s ~%,d rows, %,d bytes on disk%n",
            rs.getString(1), rs.getLong(2), rs.getLong(3));
      }
    }
  }

  // ---- scenarios ----

  private List<String> dumpCommand(String tool) {
    return dumpCommand(tool, db);
  }

  /**
   * {@code tool} with the flags the agent gives mariadb-dump (DatabaseBackup) and the data set's
   * databases, so every scenario (and the restore benchmark's {@code dump.sql}) dumps the same.
   */
  static List<String> dumpCommand(String tool, MariaDbServer db) {
    List<String> args = new ArrayList<>();
    args.add(tool);
    args.add("--defaults-file=" + db.clientOptions());
    args.addAll(
        List.of(
            "--protocol=TCP",
            "--host=127.0.0.1",
            "--port=" + db.port(),
            "--default-character-set=utf8mb4",
            "--max-allowed-packet=1G",
            "--single-transaction",
            "--quick",
            "--routines",
            "--triggers",
            "--events",
            "--hex-blob",
            "--databases"));
    args.addAll(ControlPlaneDataset.DATABASES);
    return args;
  }

  private Sample floor(Path runDir) throws IOException {
    TimedCommand.Cost cost =
        TimedCommand.run(
            dumpCommand("mariadb-dump"),
            Map.of(),
            null,
            runDir.resolve("floor.log"),
            db.pid(),
            storePids());
    return new Sample(cost, rawDumpBytes, 0, 0);
  }

  /**
   * An older build of the operator jar ({@code -Dbench.beforeJar=...}) put first on the agent's
   * class path by the {@code before-*} scenarios, to measure a change before and after.
   */
  private static String beforeJar() {
    String jar = System.getProperty("bench.beforeJar", "");
    if (jar.isBlank() || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalArgumentException(
          "before-* scenarios need -Dbench.beforeJar=<osbackup.jar>");
    }
    return jar + java.io.File.pathSeparator;
  }

  private Sample agent(Path runDir, String compression, int run, String classpathPrefix)
      throws IOException {
    String jobName = "bench-" + compression + "-" + run + (classpathPrefix.isEmpty() ? "" : "-b");
    String folder = "bench/" + jobName;
    BackupPlan plan =
        ControlPlaneDataset.backupPlan(
            jobName,
            folder,
            new BackupPlan.Store(
                s3.endpoint(), BUCKET, s3.region(), true, BackupPlan.STORE_CREDENTIALS_DIR),
            compression,
            "control-plane",
            db.port());
    ObjectMapper json = io.osbackup.contract.Json.MAPPER;
    Path termination = runDir.resolve("termination-log");
    Files.writeString(termination, "");
    Map<String, String> mounts =
        Map.of(
            BackupPlan.STORE_CREDENTIALS_DIR,
            runDir.resolve("store").toString(),
            BackupPlan.DATABASE_CREDENTIALS_DIR,
            runDir.resolve("database").toString(),
            "/dev/termination-log",
            termination.toString());
    Map<String, String> env = new LinkedHashMap<>();
    env.put(BackupPlan.ENV, json.writeValueAsString(plan));
    env.put("OSBACKUP_MOUNTS", json.writeValueAsString(mounts));
    env.put("OSBACKUP_DUMP_COMMAND", "/usr/bin/mariadb-dump");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + AGENT_HEAP);
    command.addAll(jvmOptions(compression, run));
    command.add("-Djava.io.tmpdir=" + runDir);
    command.add("-cp");
    command.add(classpathPrefix + System.getProperty("java.class.path"));
    command.add("io.osbackup.Main");
    command.add("agent");
    Path log = runDir.resolve("agent-" + compression + ".log");
    TimedCommand.Cost cost = TimedCommand.run(command, env, log, log, db.pid(), storePids());
    BackupReport report =
        store
            .getJson(BackupLayout.report(folder, jobName), BackupReport.class)
            .orElseThrow(() -> new IOException("the agent wrote no report; see " + log));
    if (!report.succeeded()) {
      throw new IOException("the agent failed: " + report.message());
    }
    long raw = report.artifacts().stream().mapToLong(BackupReport.Artifact::rawSize).sum();
    long stored = report.artifacts().stream().mapToLong(BackupReport.Artifact::size).sum();
    rawDumpBytes = raw;
    store.delete(store.list(folder + "/").stream().map(ObjectInfo::key).toList());
    return new Sample(cost, raw, stored, 0);
  }

  /**
   * Extra agent JVM options from {@code -Dbench.agentJvmOptions="-XX:... -XX:..."}; {@code {run}}
   * in them becomes the compression and run number (for JFR file names).
   */
  private static List<String> jvmOptions(String compression, int run) {
    String options =
        System.getProperty("bench.agentJvmOptions", "")
            .strip()
            .replace("{run}", compression + "-" + run);
    return options.isEmpty() ? List.of() : Arrays.asList(options.split("\\s+"));
  }

  /**
   * The Operations Guide's way: {@code mysqldump ... | gzip > file}, then the file uploaded to the
   * same bucket (minio-java, multipart, from this JVM).
   */
  private Sample guide(Path runDir, int run) throws Exception {
    Path file = runDir.resolve("control-plane.sql.gz");
    String pipeline =
        "set -o pipefail; "
            + dumpCommand("mysqldump").stream()
                .map(DumpBenchmark::shellQuote)
                .collect(Collectors.joining(" "))
            + " | gzip > "
            + shellQuote(file.toString());
    TimedCommand.Cost dump =
        TimedCommand.run(
            List.of("/bin/bash", "-c", pipeline),
            Map.of(),
            null,
            runDir.resolve("guide.log"),
            db.pid(),
            storePids());
    long size = Files.size(file);
    String key = "bench/guide-" + run + "/control-plane.sql.gz";
    List<Long> pids = storePids();
    double storeBefore = pids.stream().mapToDouble(TimedCommand::cpuSeconds).sum();
    long t = System.nanoTime();
    try (MinioAsyncClient client =
        MinioAsyncClient.builder()
            .endpoint(s3.endpoint())
            .region(s3.region())
            .credentials(s3.accessKey(), s3.secretKey())
            .build()) {
      client
          .uploadObject(
              UploadObjectArgs.builder()
                  .bucket(BUCKET)
                  .object(key)
                  .filename(file.toString(), ObjectStore.PART_SIZE)
                  .build())
          .join();
    }
    double upload = (System.nanoTime() - t) / 1e9;
    double storeCpu = pids.stream().mapToDouble(TimedCommand::cpuSeconds).sum() - storeBefore;
    store.delete(List.of(key));
    Files.delete(file);
    TimedCommand.Cost total =
        new TimedCommand.Cost(
            dump.wallSeconds() + upload,
            dump.cpuSeconds(),
            dump.peakRssKiB(),
            dump.ownPeakRssKiB(),
            dump.serverCpuSeconds(),
            dump.storeCpuSeconds() + storeCpu,
            dump.otherCpuSeconds());
    return new Sample(total, rawDumpBytes, size, upload);
  }

  /**
   * Waits (at most 20 seconds) until the machine's other work uses less than a third of a core, so
   * a run is less likely to share the CPUs with someone's build; says so when it gives up.
   */
  static void awaitQuietMachine() {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < deadline) {
      double before = TimedCommand.machineBusySeconds();
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (TimedCommand.machineBusySeconds() - before < 0.33) {
        return;
      }
    }
    System.out.println("  (the machine stayed busy for 20 s; measuring anyway)");
  }

  /** The Swift processes this JVM started (through S3Server), whose CPU a run accounts for. */
  static List<Long> storePids() {
    return ProcessHandle.current()
        .descendants()
        .filter(p -> p.info().commandLine().orElse("").contains("swift-"))
        .map(ProcessHandle::pid)
        .toList();
  }

  static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
