package io.osbackup.agent.db;

import io.osbackup.contract.BackupPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A {@code [client]} option file holding the login for the MariaDB tools, readable only by us, in a
 * private temporary directory deleted on {@link #close()}: the password reaches {@code
 * mariadb-dump} through {@code --defaults-file}, never through its arguments or environment.
 */
public final class ClientOptionFile implements AutoCloseable {

  private final Path dir;
  private final Path file;

  private ClientOptionFile(Path dir, Path file) {
    this.dir = dir;
    this.file = file;
  }

  public static ClientOptionFile write(DatabaseLogin login) throws IOException {
    return write(login, null);
  }

  /**
   * The login and, when {@code tls} is given, TLS for the MariaDB tools: {@code ssl} (required),
   * {@code ssl-ca} (the mounted CA file) and, for verify-full, {@code ssl-verify-server-cert}.
   */
  public static ClientOptionFile write(DatabaseLogin login, BackupPlan.DatabaseTls tls)
      throws IOException {
    Path dir =
        Files.createTempDirectory(
            "osbackup-db-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path file =
        Files.createFile(
            dir.resolve("client.cnf"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(file, contents(login) + tlsOptions(tls), StandardCharsets.UTF_8);
    } catch (IOException e) {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
      throw e;
    }
    return new ClientOptionFile(dir, file);
  }

  /**
   * The option file text; values are double-quoted with the escapes MariaDB's option file reader
   * understands.
   */
  static String contents(DatabaseLogin login) {
    return "[client]\nuser="
        + quoted(login.username())
        + "\npassword="
        + quoted(login.password())
        + "\n";
  }

  /**
   * TLS lines of the option file. MariaDB's 10.11 tools check the CA only together with the host
   * name ({@code ssl-verify-server-cert}), so verify-ca gives them {@code ssl-ca} and encryption,
   * while the JDBC pre-flight on the same server checks the chain (VERIFY_CA) before they run.
   */
  static String tlsOptions(BackupPlan.DatabaseTls tls) {
    if (tls == null) {
      return "";
    }
    StringBuilder out = new StringBuilder("ssl\n");
    if (tls.caFile() != null) {
      out.append("ssl-ca=").append(quoted(tls.caFile())).append('\n');
    }
    if (tls.verifiesHost()) {
      out.append("ssl-verify-server-cert\n");
    }
    return out.toString();
  }

  static String quoted(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        default -> out.append(c);
      }
    }
    return out.append('"').toString();
  }

  /** The argument that must come first on the tool's command line. */
  public String argument() {
    return "--defaults-file=" + file;
  }

  Path path() {
    return file;
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // A leftover 0600 file in a 0700 directory of our own; nothing more to do.
    }
  }
}
