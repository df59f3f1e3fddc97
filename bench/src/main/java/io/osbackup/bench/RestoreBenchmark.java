package io.osbackup.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Json;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The database restore benchmark (docs/benchmarks.md, "Restore"): on the cached ~1 GiB
 * control-plane data set, the wall time of {@code mariadb < dump.sql} into a fresh server (the
 * baseline) against the agent restoring the same databases from a backup in Swift (download →
 * SHA-256 → gunzip → staging schema → swap) as a separate {@code -Xmx256m} JVM like a restore Job
 * runs it, into a fresh server and into one that already holds the databases; every restore is
 * checked against the source. Run with {@code bench/restore.sh [options]}.
 */
public final class RestoreBenchmark {

  private static final String BUCKET = "bench";
  private static final String AGENT_HEAP = "256m";
  private static final String BUFFER_POOL = "2G";
  private static final String TARGET = "control-plane";
  private static final String DATABASE_CREDENTIALS = RestorePlan.DATABASE_CREDENTIALS_ROOT + "/0";
  private static final List<String> ALL_SCENARIOS =
      List.of(
          "client",
          "client-gzip",
          "agent-fresh",
          "agent-replace",
          "agent-fresh-zstd",
          "agent-replace-zstd",
          "agent-verify",
          "gunzip");
  private static final List<String> DEFAULT_SCENARIOS =
      List.of("client", "client-gzip", "agent-fresh", "agent-replace", "agent-verify", "gunzip");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
  private static final Pattern LOG_TIME =
      Pattern.compile("^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) ");

  private final Path work;
  private final int instances;
  private final int runs;
  private final List<String> scenarios;
  private final Map<String, List<Sample>> samples = new LinkedHashMap<>();
  private final Map<String, Backup> backups = new LinkedHashMap<>();
  private final ObjectMapper json = Json.MAPPER;
  private Path runDir;
  private MariaDbServer source;
  private S3Server s3;
  private ObjectStore store;
  private Map<String, String> reference;
  private Path dumpFile;
  private Path gzipFile;

  /** The last server a scenario loaded the databases into once: where a replace restores into. */
  private Target loaded;

  /** One measured run of one scenario. */
  record Sample(
      int run, TimedCommand.Cost cost, long bytesRead, double loadAverage, Phases phases) {}

  /**
   * Where an agent restore's time went, from the timestamps of its log: loading the scripts into
   * the staging schemas (download, SHA-256, decompression and the {@code mariadb} client, all
   * streaming together), and checking the artifact's end plus the switch.
   */
  record Phases(double loadSeconds, double swapSeconds) {}

  /** The setup backup of one compression: the artifacts its agent's report lists. */
  record Backup(String compression, List<BackupReport.Artifact> artifacts) {

    long storedBytes() {
      return artifacts.stream().mapToLong(BackupReport.Artifact::size).sum();
    }

    long rawBytes() {
      return artifacts.stream().mapToLong(BackupReport.Artifact::rawSize).sum();
    }
  }

  /** A fresh server a scenario restores into, on its own data directory (deleted with it). */
  record Target(MariaDbServer server, Path dir) implements AutoCloseable {

    @Override
    public void close() throws IOException {
      server.close();
      DumpBenchmark.deleteTree(dir);
    }
  }

  private RestoreBenchmark(BenchOptions options) {
    this.work = options.work;
    this.instances = options.instances;
    this.runs = options.runs;
    this.scenarios = options.scenarios;
  }

  public static void main(String[] args) throws Exception {
    new RestoreBenchmark(
            BenchOptions.parse("RestoreBenchmark", args, 2, DEFAULT_SCENARIOS, ALL_SCENARIOS))
        .run();
    System.exit(0);
  }

  private void run() throws Exception {
    TimedCommand.requireTime();
    Files.createDirectories(work);
    String machine = MachineFacts.describe(work);
    System.out.println(machine);
    long started = System.nanoTime();
    runDir = work.resolve("restore-run");
    if (Files.exists(runDir)) {
      DumpBenchmark.deleteTree(runDir);
    }
    Files.createDirectories(runDir);
    startSource();
    s3 = S3Server.start(Files.createTempDirectory(runDir, "s3-"));
    s3.createBucket(BUCKET);
    store = s3.store(BUCKET);
    System.out.println("S3: " + s3);
    AgentSecrets.write(runDir, s3, source);

    long t = System.nanoTime();
    reference = fingerprint(source.connect(""));
    if (reference.containsValue(null) || !reference.containsKey("nova.instances")) {
      throw new IOException("the source's checksums are incomplete: " + reference);
    }
    System.out.printf(
        Locale.ROOT,
        "source: %d tables checksummed in %.1f s%n",
        reference.keySet().stream().filter(k -> k.contains(".")).count(),
        (System.nanoTime() - t) / 1e9);
    writeDump();
    if (scenarios.stream().anyMatch(s -> s.startsWith("agent") && !s.endsWith("-zstd"))) {
      backups.put("gzip", backup("gzip"));
    }
    if (scenarios.stream().anyMatch(s -> s.endsWith("-zstd"))) {
      backups.put("zstd", backup("zstd"));
    }

    for (int r = 1; r <= runs; r++) {
      for (String scenario : scenarios) {
        Sample sample =
            switch (scenario) {
              case "client" -> client(scenario, r, false);
              case "client-gzip" -> client(scenario, r, true);
              case "agent-fresh" -> agentRestore(scenario, r, backups.get("gzip"), false);
              case "agent-replace" -> agentRestore(scenario, r, backups.get("gzip"), true);
              case "agent-fresh-zstd" -> agentRestore(scenario, r, backups.get("zstd"), false);
              case "agent-replace-zstd" -> agentRestore(scenario, r, backups.get("zstd"), true);
              case "agent-verify" -> agentVerify(scenario, r, backups.get("gzip"));
              case "gunzip" -> gunzip(r);
              default -> throw new IllegalStateException(scenario);
            };
        samples.computeIfAbsent(scenario, k -> new ArrayList<>()).add(sample);
        System.out.printf(
            Locale.ROOT,
            "run %d %-18s %s, peak %,d KiB, load %.1f%s%n",
            r,
            scenario,
            sample.cost().seconds(),
            peakKiB(scenario, sample),
            sample.loadAverage(),
            sample.phases() == null
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; staging load %.1f s, check+swap %.1f s",
                    sample.phases().loadSeconds(),
                    sample.phases().swapSeconds()));
      }
    }
    closeLoaded();
    Results.publish(
        work.resolve("restore-results-" + LocalDateTime.now().format(STAMP) + ".md"),
        markdown(machine),
        started);
    store.close();
    s3.close();
    source.close();
    Files.deleteIfExists(dumpFile);
    if (gzipFile != null) {
      Files.deleteIfExists(gzipFile);
    }
  }

  // ---- setup: the source, its dump and its backups ----

  private void startSource() throws IOException {
    Path dir = work.resolve("mariadb-v" + ControlPlaneDataset.VERSION + "-" + instances);
    if (!Files.exists(dir.resolve("dataset.done"))) {
      throw new IOException(
          "no generated data set in "
              + dir
              + ": run bench/run.sh --runs 1 --scenarios floor first, which generates and keeps"
              + " it");
    }
    source = MariaDbServer.startKept(dir, BUFFER_POOL);
    System.out.println("source: the cached data set in " + dir);
  }

  /** {@code dump.sql} with the agent's mariadb-dump flags, and {@code dump.sql.gz} (gzip -6). */
  private void writeDump() throws IOException {
    dumpFile = runDir.resolve("dump.sql");
    long t = System.nanoTime();
    exec(
        DumpBenchmark.dumpCommand("mariadb-dump", source),
        Map.of(),
        dumpFile,
        runDir.resolve("dump.log"));
    System.out.printf(
        Locale.ROOT,
        "dump.sql: %,d bytes in %.1f s%n",
        Files.size(dumpFile),
        (System.nanoTime() - t) / 1e9);
    if (scenarios.contains("client-gzip") || scenarios.contains("gunzip")) {
      gzipFile = runDir.resolve("dump.sql.gz");
      t = System.nanoTime();
      exec(
          List.of("gzip", "-c", dumpFile.toString()),
          Map.of(),
          gzipFile,
          runDir.resolve("gzip.log"));
      System.out.printf(
          Locale.ROOT,
          "dump.sql.gz: %,d bytes in %.1f s%n",
          Files.size(gzipFile),
          (System.nanoTime() - t) / 1e9);
    }
  }

  /** One backup of the data set's databases by the agent, as a backup Job runs it. */
  private Backup backup(String compression) throws IOException {
    String jobName = "restore-bench-" + compression;
    String folder = "bench/" + jobName;
    BackupPlan plan =
        ControlPlaneDataset.backupPlan(
            jobName, folder, storeOfPlan(), compression, TARGET, source.port());
    Map<String, String> env = agentEnvironment();
    env.put(BackupPlan.ENV, json.writeValueAsString(plan));
    env.put("OSBACKUP_DUMP_COMMAND", "/usr/bin/mariadb-dump");
    long t = System.nanoTime();
    exec(
        agentCommand(),
        env,
        runDir.resolve("backup-" + compression + ".out"),
        runDir.resolve("backup-" + compression + ".log"));
    BackupReport report =
        store
            .getJson(BackupLayout.report(folder, jobName), BackupReport.class)
            .orElseThrow(() -> new IOException("the backup agent wrote no report"));
    if (!report.succeeded()) {
      throw new IOException("the backup failed: " + report.message());
    }
    Backup backup = new Backup(compression, report.artifacts());
    System.out.printf(
        Locale.ROOT,
        "backup (%s): %,d bytes stored, %,d raw, in %.1f s%n",
        compression,
        backup.storedBytes(),
        backup.rawBytes(),
        (System.nanoTime() - t) / 1e9);
    for (BackupReport.Artifact a : report.artifacts()) {
      System.out.printf(
          "  %-10s %s %,d bytes sha256 %s %s%n",
          a.database(), a.key(), a.size(), a.sha256(), a.compression());
    }
    return backup;
  }

  // ---- scenarios ----

  /**
   * What an admin does with a plain dump: {@code mariadb < dump.sql}, or {@code zcat dump.sql.gz |
   * mariadb}, into a fresh server.
   */
  private Sample client(String scenario, int run, boolean gzip) throws IOException, SQLException {
    Target target = freshTarget(scenario, run);
    String pipeline =
        gzip
            ? "set -o pipefail; zcat " + quote(gzipFile) + " | " + clientCommand(target.server())
            : clientCommand(target.server()) + " < " + quote(dumpFile);
    Measured measured =
        measure(
            List.of("/bin/bash", "-c", pipeline),
            Map.of(),
            null,
            runDir.resolve(scenario + "-" + run + ".log"),
            target.server().pid());
    check(target, null);
    loaded = target;
    return new Sample(
        run, measured.cost(), Files.size(gzip ? gzipFile : dumpFile), measured.load(), null);
  }

  /**
   * The agent restoring every database of {@code backup} (mode restore), into a fresh server or,
   * with {@code replace}, into the server the previous scenario loaded (their tables then move to
   * the keep schemas).
   */
  private Sample agentRestore(String scenario, int run, Backup backup, boolean replace)
      throws IOException, SQLException {
    Target target;
    if (replace) {
      target = loaded != null ? loaded : preloadedTarget(scenario, run);
      loaded = null; // after a replace it holds the kept copies too: not reused
      awaitCleanBufferPool(target.server());
    } else {
      target = freshTarget(scenario, run);
    }
    String stamp = LocalDateTime.now().format(STAMP);
    String jobName = "restore-" + scenario + "-" + run;
    String reportKey = "bench/restores/" + jobName + ".json";
    Map<String, String> env =
        agentEnvironment(
            jobName, reportKey, RestorePlan.RESTORE, stamp, backup, items(backup, target.server()));
    env.put(DatabaseRestorer.CLIENT_COMMAND_ENV, "/usr/bin/mariadb");
    Path log = runDir.resolve(scenario + "-" + run + ".log");
    Measured measured =
        measure(
            agentCommand(),
            env,
            runDir.resolve(scenario + "-" + run + ".out"),
            log,
            target.server().pid());
    requireSucceeded(reportKey, log);
    check(target, replace ? "orig_" + stamp.replace('-', '_') : null);
    if (replace) {
      target.close();
    } else {
      loaded = target;
    }
    return new Sample(run, measured.cost(), backup.storedBytes(), measured.load(), phases(log));
  }

  /**
   * The agent's verify mode: downloads every artifact and checks its SHA-256, writing nothing (it
   * only lists the databases of the source server). Download and hashing alone, for the reading.
   */
  private Sample agentVerify(String scenario, int run, Backup backup) throws IOException {
    String jobName = "verify-" + run;
    String reportKey = "bench/restores/" + jobName + ".json";
    Map<String, String> env =
        agentEnvironment(
            jobName,
            reportKey,
            RestorePlan.VERIFY,
            LocalDateTime.now().format(STAMP),
            backup,
            items(backup, source));
    Path log = runDir.resolve(scenario + "-" + run + ".log");
    Measured measured =
        measure(
            agentCommand(), env, runDir.resolve(scenario + "-" + run + ".out"), log, source.pid());
    requireSucceeded(reportKey, log);
    return new Sample(run, measured.cost(), backup.storedBytes(), measured.load(), null);
  }

  /**
   * The environment of an agent run: its plan for {@code backup}'s {@code items}, in {@code mode}.
   */
  private Map<String, String> agentEnvironment(
      String jobName,
      String reportKey,
      String mode,
      String stamp,
      Backup backup,
      List<RestorePlan.DatabaseItem> items)
      throws IOException {
    RestorePlan plan =
        new RestorePlan(
            jobName,
            "bench",
            "restore-bench-" + backup.compression(),
            reportKey,
            storeOfPlan(),
            mode,
            stamp,
            items,
            List.of());
    Map<String, String> env = agentEnvironment();
    env.put(RestorePlan.ENV, json.writeValueAsString(plan));
    return env;
  }

  /** What one measured command cost, and the load average just before it. */
  private record Measured(TimedCommand.Cost cost, double load) {}

  /**
   * Runs {@code command} once the machine is quiet, counting the CPU of {@code serverPid} and of
   * the S3 server too.
   */
  private Measured measure(
      List<String> command, Map<String, String> env, Path out, Path log, long serverPid)
      throws IOException {
    DumpBenchmark.awaitQuietMachine();
    double load = loadAverage();
    return new Measured(
        TimedCommand.run(command, env, out, log, serverPid, DumpBenchmark.storePids()), load);
  }

  /** {@code gzip -dc dump.sql.gz > /dev/null}: what inflating the whole dump costs by itself. */
  private Sample gunzip(int run) throws IOException {
    Measured measured =
        measure(
            List.of("gzip", "-dc", gzipFile.toString()),
            Map.of(),
            null,
            runDir.resolve("gunzip-" + run + ".log"),
            source.pid());
    return new Sample(run, measured.cost(), Files.size(gzipFile), measured.load(), null);
  }

  private List<RestorePlan.DatabaseItem> items(Backup backup, MariaDbServer server) {
    return backup.artifacts().stream()
        .map(
            a ->
                new RestorePlan.DatabaseItem(
                    new RestorePlan.Artifact(a.key(), a.size(), a.sha256(), a.compression()),
                    TARGET,
                    a.database(),
                    a.database(),
                    "127.0.0.1",
                    server.port(),
                    DATABASE_CREDENTIALS))
        .toList();
  }

  private void requireSucceeded(String reportKey, Path log) throws IOException {
    RestoreReport report =
        store
            .getJson(reportKey, RestoreReport.class)
            .orElseThrow(() -> new IOException("the agent wrote no report; see " + log));
    if (!report.succeeded()) {
      throw new IOException(
          "the agent failed: " + report.reason() + ": " + report.message() + "; see " + log);
    }
  }

  // ---- target servers ----

  /** A new server on an empty data directory, the same settings and buffer pool as the source. */
  private Target freshTarget(String scenario, int run) throws IOException {
    closeLoaded();
    Path dir = runDir.resolve("targets").resolve(scenario + "-" + run);
    if (Files.exists(dir)) {
      DumpBenchmark.deleteTree(dir);
    }
    Files.createDirectories(dir);
    return new Target(MariaDbServer.startKept(dir, BUFFER_POOL), dir);
  }

  /** A fresh server loaded with dump.sql by the client, unmeasured: for a replace run alone. */
  private Target preloadedTarget(String scenario, int run) throws IOException {
    Target target = freshTarget(scenario, run);
    System.out.println("  (loading dump.sql into a fresh server first, not measured)");
    exec(
        List.of("/bin/bash", "-c", clientCommand(target.server()) + " < " + quote(dumpFile)),
        Map.of(),
        null,
        runDir.resolve(scenario + "-" + run + "-preload.log"));
    return target;
  }

  private void closeLoaded() throws IOException {
    if (loaded != null) {
      loaded.close();
      loaded = null;
    }
  }

  /**
   * Waits (at most 5 minutes) until InnoDB has written the pages the previous load left dirty, so a
   * replace run does not pay for the flushing of the load before it; as on a production server,
   * whose data is clean in the buffer pool. Flushes at full speed meanwhile, then puts the server's
   * settings back.
   */
  private static void awaitCleanBufferPool(MariaDbServer server) throws SQLException {
    try (Connection c = server.connect("");
        Statement s = c.createStatement()) {
      double before;
      long ioCapacity;
      long ioCapacityMax;
      try (ResultSet rs =
          s.executeQuery(
              "SELECT @@GLOBAL.innodb_max_dirty_pages_pct, @@GLOBAL.innodb_io_capacity,"
                  + " @@GLOBAL.innodb_io_capacity_max")) {
        rs.next();
        before = rs.getDouble(1);
        ioCapacity = rs.getLong(2);
        ioCapacityMax = rs.getLong(3);
      }
      s.execute("SET GLOBAL innodb_io_capacity_max = 100000");
      s.execute("SET GLOBAL innodb_io_capacity = 100000");
      s.execute("SET GLOBAL innodb_max_dirty_pages_pct = 0");
      long started = System.nanoTime();
      long dirty = Long.MAX_VALUE;
      while (System.nanoTime() - started < 300_000_000_000L) {
        try (ResultSet rs =
            s.executeQuery("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")) {
          rs.next();
          dirty = rs.getLong(2);
        }
        if (dirty < 100) {
          break;
        }
        sleep(1000);
      }
      s.execute("SET GLOBAL innodb_max_dirty_pages_pct = " + before);
      s.execute("SET GLOBAL innodb_io_capacity = " + ioCapacity);
      s.execute("SET GLOBAL innodb_io_capacity_max = " + ioCapacityMax);
      System.out.printf(
          Locale.ROOT,
          "  (waited %.0f s for the previous load's dirty pages: %,d left)%n",
          (System.nanoTime() - started) / 1e9,
          dirty);
    }
  }

  // ---- is it right? ----

  /**
   * What must be equal between the source and a restored server: each table's {@code CHECKSUM
   * TABLE}, and the number of views, routines, triggers and events of each database.
   */
  private static Map<String, String> fingerprint(Connection c) throws SQLException {
    try (c) {
      Map<String, String> print = new TreeMap<>();
      for (String db : ControlPlaneDataset.DATABASES) {
        List<String> tables = new ArrayList<>();
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
                    + " AND table_type = 'BASE TABLE' ORDER BY table_name")) {
          ps.setString(1, db);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              tables.add(rs.getString(1));
            }
          }
        }
        print.put(db + "#tables", Integer.toString(tables.size()));
        if (!tables.isEmpty()) {
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "CHECKSUM TABLE "
                          + tables.stream()
                              .map(t -> quoteName(db) + "." + quoteName(t))
                              .collect(Collectors.joining(", ")))) {
            while (rs.next()) {
              print.put(rs.getString(1), rs.getString(2));
            }
          }
        }
        for (String[] kind :
            new String[][] {
              {"views", "SELECT COUNT(*) FROM information_schema.views WHERE table_schema = ?"},
              {
                "routines",
                "SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = ?"
              },
              {
                "triggers",
                "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = ?"
              },
              {"events", "SELECT COUNT(*) FROM information_schema.events WHERE event_schema = ?"}
            }) {
          print.put(db + "#" + kind[0], Long.toString(count(c, kind[1], db)));
        }
      }
      return print;
    }
  }

  /**
   * Fails unless {@code target} holds what the source holds, no staging schema is left and, after a
   * replace, each keep schema holds the previous tables.
   */
  private void check(Target target, String keepSuffix) throws SQLException, IOException {
    long t = System.nanoTime();
    Map<String, String> actual = fingerprint(target.server().connect(""));
    List<String> differences = new ArrayList<>();
    for (String key : reference.keySet()) {
      if (!Objects.equals(reference.get(key), actual.get(key))) {
        differences.add(key + ": source " + reference.get(key) + ", restored " + actual.get(key));
      }
    }
    try (Connection c = target.server().connect("");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW DATABASES")) {
      while (rs.next()) {
        if (rs.getString(1).endsWith(DatabaseRestorer.STAGING_SUFFIX)) {
          differences.add("staging schema " + rs.getString(1) + " left behind");
        }
      }
    }
    if (keepSuffix != null) {
      try (Connection c = target.server().connect("")) {
        for (String db : ControlPlaneDataset.DATABASES) {
          String keep = DatabaseRestorer.keepSchema(db, keepSuffix);
          long tables =
              count(
                  c,
                  "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?"
                      + " AND table_type = 'BASE TABLE'",
                  keep);
          if (!Long.toString(tables).equals(reference.get(db + "#tables"))) {
            differences.add(keep + " holds " + tables + " tables, not the previous ones");
          }
        }
      }
    }
    if (!differences.isEmpty()) {
      throw new IOException(
          "the restore into "
              + target.dir()
              + " is not the source: "
              + String.join("; ", differences.subList(0, Math.min(10, differences.size()))));
    }
    System.out.printf(
        Locale.ROOT,
        "  checked: %d tables equal the source (CHECKSUM TABLE)%s, in %.1f s%n",
        reference.keySet().stream().filter(k -> k.contains(".")).count(),
        keepSuffix == null ? "" : ", previous tables kept",
        (System.nanoTime() - t) / 1e9);
  }

  private static long count(Connection c, String sql, String schema) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  // ---- the agent, as a Job runs it ----

  private List<String> agentCommand() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + AGENT_HEAP);
    command.add("-Djava.io.tmpdir=" + runDir);
    // time stamps on the agent's log lines, to split its time into load and switch
    command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.osbackup.Main");
    command.add("agent");
    return command;
  }

  private Map<String, String> agentEnvironment() throws IOException {
    Path termination = runDir.resolve("termination-log");
    Files.writeString(termination, "");
    Map<String, String> mounts = new LinkedHashMap<>();
    mounts.put(BackupPlan.STORE_CREDENTIALS_DIR, runDir.resolve("store").toString());
    mounts.put(BackupPlan.DATABASE_CREDENTIALS_DIR, runDir.resolve("database").toString());
    mounts.put(DATABASE_CREDENTIALS, runDir.resolve("database").toString());
    mounts.put("/dev/termination-log", termination.toString());
    Map<String, String> env = new LinkedHashMap<>();
    env.put("OSBACKUP_MOUNTS", json.writeValueAsString(mounts));
    return env;
  }

  private BackupPlan.Store storeOfPlan() {
    return new BackupPlan.Store(
        s3.endpoint(), BUCKET, s3.region(), true, BackupPlan.STORE_CREDENTIALS_DIR);
  }

  /**
   * Sums, over the databases of an agent restore, the time from "loading the backup into staging"
   * to "loaded" and from there to "restored", as {@code DatabaseRestorer} logs them.
   */
  static Phases phases(Path log) throws IOException {
    double load = 0;
    double swap = 0;
    double loadStart = -1;
    double swapStart = -1;
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      Matcher m = LOG_TIME.matcher(line);
      if (!m.find()) {
        continue;
      }
      double t =
          Integer.parseInt(m.group(1)) * 3600
              + Integer.parseInt(m.group(2)) * 60
              + Integer.parseInt(m.group(3))
              + Integer.parseInt(m.group(4)) / 1000.0;
      if (line.contains("loading the backup into staging schema")) {
        loadStart = t;
      } else if (line.contains(": loaded in ") && loadStart >= 0) {
        load += sinceThen(loadStart, t);
        loadStart = -1;
        swapStart = t;
      } else if (line.contains("DatabaseRestorer - restored ") && swapStart >= 0) {
        swap += sinceThen(swapStart, t);
        swapStart = -1;
      }
    }
    return new Phases(load, swap);
  }

  private static double sinceThen(double start, double end) {
    return end >= start ? end - start : end + 86_400 - start;
  }

  // ---- results ----

  private String markdown(String machine) throws IOException {
    long raw = Files.size(dumpFile);
    StringBuilder md = new StringBuilder();
    md.append("Machine:\n\n").append(machine).append("\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "Data set: %s; `dump.sql` %,d bytes (%.2f GiB)%s.%n",
            String.join(", ", ControlPlaneDataset.DATABASES),
            raw,
            raw / (double) (1L << 30),
            gzipFile == null
                ? ""
                : String.format(Locale.ROOT, ", `dump.sql.gz` %,d bytes", Files.size(gzipFile))));
    for (Backup b : backups.values()) {
      md.append(
          String.format(
              Locale.ROOT,
              "%nBackup by the agent (%s), the artifacts restored:%n%n| database | key | stored"
                  + " bytes | raw bytes | sha256 |%n|---|---|---|---|---|%n",
              b.compression()));
      for (BackupReport.Artifact a : b.artifacts()) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | `%s` | %,d | %,d | `%s…` |%n",
                a.database(),
                a.key(),
                a.size(),
                a.rawSize(),
                a.sha256().substring(0, 16)));
      }
      md.append(
          String.format(
              Locale.ROOT,
              "| all | | %,d | %,d (%.1f×) | |%n",
              b.storedBytes(),
              b.rawBytes(),
              b.rawBytes() / (double) b.storedBytes()));
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%n%d measured run(s) per scenario, interleaved; median (min–max).%n%n",
            runs));
    double client =
        samples.containsKey("client")
            ? median(samples.get("client"), s -> s.cost().wallSeconds())
            : Double.NaN;
    md.append(
        "| scenario | wall s | × client | raw MiB/s | CPU s (tool) | CPU s (mariadbd) |"
            + " CPU s (swift) | CPU s (other) | bytes read | peak RSS | staging load / check+swap s"
            + " |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, List<Sample>> e : samples.entrySet()) {
      List<Sample> s = e.getValue();
      double wall = median(s, x -> x.cost().wallSeconds());
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f (%.1f–%.1f) | %s | %.0f | %.1f | %.1f | %.1f | %.1f | %,d | %s | %s |%n",
              e.getKey(),
              wall,
              s.stream().mapToDouble(x -> x.cost().wallSeconds()).min().orElse(0),
              s.stream().mapToDouble(x -> x.cost().wallSeconds()).max().orElse(0),
              Double.isNaN(client) ? "?" : String.format(Locale.ROOT, "%.2f", wall / client),
              raw / wall / (1 << 20),
              median(s, x -> x.cost().cpuSeconds()),
              median(s, x -> x.cost().serverCpuSeconds()),
              median(s, x -> x.cost().storeCpuSeconds()),
              median(s, x -> x.cost().otherCpuSeconds()),
              s.get(0).bytesRead(),
              e.getKey().startsWith("agent")
                  ? String.format(
                      Locale.ROOT,
                      "%.0f MiB JVM (-Xmx%s)",
                      median(s, x -> x.cost().ownPeakRssKiB()) / 1024,
                      AGENT_HEAP)
                  : String.format(
                      Locale.ROOT, "%.0f MiB", median(s, x -> x.cost().peakRssKiB()) / 1024),
              s.get(0).phases() == null
                  ? "–"
                  : String.format(
                      Locale.ROOT,
                      "%.1f / %.1f",
                      median(s, x -> x.phases().loadSeconds()),
                      median(s, x -> x.phases().swapSeconds()))));
    }
    md.append(
        "\nEvery run:\n\n| run | scenario | wall s | CPU s (other) | load average before |\n");
    md.append("|---|---|---|---|---|\n");
    for (int r = 1; r <= runs; r++) {
      for (Map.Entry<String, List<Sample>> e : samples.entrySet()) {
        for (Sample x : e.getValue()) {
          if (x.run() == r) {
            md.append(
                String.format(
                    Locale.ROOT,
                    "| %d | %s | %.1f | %.1f | %.2f |%n",
                    r,
                    e.getKey(),
                    x.cost().wallSeconds(),
                    x.cost().otherCpuSeconds(),
                    x.loadAverage()));
          }
        }
      }
    }
    md.append(
        "\n"
            + "CPU s (tool): user+sys of the measured command and everything it waited for (the"
            + " agent JVM includes its mariadb client children; `client-gzip` includes zcat)."
            + " mariadbd: the target server's CPU (the source's for agent-verify and gunzip)."
            + " other: the machine's busy CPU during the run not spent by these (other work, the"
            + " kernel). Peak RSS of an agent is its JVM's own VmHWM, sampled every 100 ms;"
            + " otherwise the largest process (GNU time %M). Staging load: from \"loading the"
            + " backup into staging\" to \"loaded\" in the agent's log, summed over the databases"
            + " (download, SHA-256, decompression and the client's load stream together);"
            + " check+swap: from there to \"restored\".\n");
    return md.toString();
  }

  private static long peakKiB(String scenario, Sample sample) {
    return scenario.startsWith("agent")
        ? sample.cost().ownPeakRssKiB()
        : sample.cost().peakRssKiB();
  }

  private static double median(List<Sample> samples, ToDoubleFunction<Sample> value) {
    double[] v = samples.stream().mapToDouble(value).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  // ---- helpers ----

  /** The stock client with the flags the agent's load uses, as one shell command. */
  private static String clientCommand(MariaDbServer server) {
    return String.join(
        " ",
        "mariadb",
        quote(Path.of("--defaults-file=" + server.clientOptions())),
        "--protocol=TCP",
        "--host=127.0.0.1",
        "--port=" + server.port(),
        "--default-character-set=utf8mb4",
        "--max-allowed-packet=1G");
  }

  /** Runs an unmeasured command; fails unless it exits 0. */
  private static void exec(List<String> command, Map<String, String> env, Path stdout, Path log)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectOutput(
        stdout == null
            ? ProcessBuilder.Redirect.DISCARD
            : ProcessBuilder.Redirect.to(stdout.toFile()));
    pb.redirectError(ProcessBuilder.Redirect.to(log.toFile()));
    Process p = pb.start();
    try {
      int exit = p.waitFor();
      if (exit != 0) {
        throw new IOException(
            command.get(0)
                + " exited with "
                + exit
                + "; see "
                + log
                + ":\n"
                + TimedCommand.tail(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted", e);
    }
  }

  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static String quote(Path p) {
    return DumpBenchmark.shellQuote(p.toString());
  }

  private static String quoteName(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
