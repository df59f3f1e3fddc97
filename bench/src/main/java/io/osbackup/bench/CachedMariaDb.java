package io.osbackup.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code mariadbd} on a data directory that survives between benchmark runs, so the
 * generated gigabyte is loaded once. The e2e fixture {@code MariaDbServer} always starts from an
 * empty, temporary data directory, which is right for tests but would mean reloading every time;
 * this class starts the same binary with the same settings, except a buffer pool large enough to
 * hold the whole data set (as a production Galera node's would).
 */
final class CachedMariaDb implements AutoCloseable {

  static final String USER = "bench";
  static final String PASSWORD = "bench-Pw#1";
  private static final Path SERVER = Path.of("/usr/sbin/mariadbd");

  private final Process process;
  private final int port;
  private final Path clientOptions;
  private final Path dir;

  private CachedMariaDb(Process process, int port, Path dir) throws IOException {
    this.process = process;
    this.port = port;
    this.dir = dir;
    this.clientOptions = dir.resolve("client.cnf");
    Files.deleteIfExists(clientOptions);
    Files.createFile(
        clientOptions,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        clientOptions, "[client]\nuser=" + USER + "\npassword=\"" + PASSWORD + "\"\n");
  }

  /** Whether {@code dir} already holds an initialised data directory. */
  static boolean initialised(Path dir) {
    return Files.isDirectory(dir.resolve("data").resolve("mysql"));
  }

  /** Starts the server on {@code dir/data}, creating the data directory first when needed. */
  static CachedMariaDb start(Path dir, String bufferPool) throws IOException {
    if (!Files.isExecutable(SERVER)) {
      throw new IOException(SERVER + " is missing: install Debian's mariadb-server");
    }
    Path data = dir.resolve("data");
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    String osUser = System.getProperty("user.name");
    if (!initialised(dir)) {
      Files.createDirectories(data);
      run(
          dir.resolve("install-db.log"),
          "mariadb-install-db",
          "--no-defaults",
          "--datadir=" + data,
          "--user=" + osUser,
          "--auth-root-authentication-method=normal",
          "--skip-test-db");
    }
    Path init = dir.resolve("init.sql");
    Files.writeString(
        init,
        "CREATE USER IF NOT EXISTS '"
            + USER
            + "'@'%' IDENTIFIED BY '"
            + PASSWORD
            + "';\nGRANT ALL PRIVILEGES ON *.* TO '"
            + USER
            + "'@'%' WITH GRANT OPTION;\n");
    int port = freePort();
    Path errorLog = dir.resolve("error.log");
    Process process =
        new ProcessBuilder(
                SERVER.toString(),
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
                "--innodb-log-file-size=512M",
                "--innodb-flush-log-at-trx-commit=2",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
                "--event-scheduler=OFF",
                "--local-infile=ON",
                "--max-allowed-packet=256M")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("mariadbd.out").toFile())
            .start();
    CachedMariaDb server = new CachedMariaDb(process, port, dir);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mariadbd-stop"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("mariadbd exited during startup; see " + errorLog);
      }
      try (Connection c = server.connect("")) {
        return server;
      } catch (SQLException notYet) {
        if (System.nanoTime() > deadline) {
          server.close();
          throw new IOException("mariadbd did not accept logins within 120 s; see " + errorLog);
        }
        sleep(100);
      }
    }
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  /** A 0600 {@code [client]} option file with the login, for {@code --defaults-file}. */
  Path clientOptions() {
    return clientOptions;
  }

  Path dir() {
    return dir;
  }

  Connection connect(String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", USER);
    p.setProperty("password", PASSWORD);
    p.setProperty("useSSL", "false");
    p.setProperty("allowLoadLocalInfile", "true");
    p.setProperty("connectTimeout", "2000");
    return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port + "/" + db, p);
  }

  /** Stops the server cleanly (SIGTERM and wait), keeping its data directory. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static void run(Path log, String... command) throws IOException {
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        throw new IOException(
            command[0]
                + " failed: "
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
