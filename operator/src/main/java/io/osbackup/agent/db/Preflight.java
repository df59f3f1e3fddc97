package io.osbackup.agent.db;

import io.osbackup.contract.BackupPlan;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The JDBC look at the server before dumping: can we log in, which version is it, which databases
 * and views does it hold. Its failures are turned into messages an admin can act on.
 */
final class Preflight {

  static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  /** What the server told us. */
  record Survey(
      String serverVersion,
      List<String> databases,
      Map<String, List<String>> views,
      Map<String, Long> dataBytes) {

    Survey(String serverVersion, List<String> databases, Map<String, List<String>> views) {
      this(serverVersion, databases, views, Map.of());
    }
  }

  private Preflight() {}

  static Survey survey(String host, int port, DatabaseLogin login) throws PreflightException {
    return survey(host, port, login, null);
  }

  /**
   * Surveys the server over TLS as {@code tls} says (null: whatever the driver prefers): sslMode
   * REQUIRED, VERIFY_CA or VERIFY_IDENTITY, trusting only the CA file of {@code tls}, loaded into a
   * PKCS#12 trust store in a private temporary directory for the connection.
   */
  static Survey survey(String host, int port, DatabaseLogin login, BackupPlan.DatabaseTls tls)
      throws PreflightException {
    Properties props = new Properties();
    try (ServerTls handle = ServerTls.apply(props, tls)) {
      return survey(host, port, login, tls, props);
    } catch (IOException e) {
      throw new PreflightException(e.getMessage(), e);
    }
  }

  /** Work done on one JDBC connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} on a connection made as {@link #survey} makes it; its failures explained the
   * same way.
   */
  static <T> T withConnection(
      String host, int port, DatabaseLogin login, BackupPlan.DatabaseTls tls, Work<T> work)
      throws PreflightException {
    Properties props = new Properties();
    try (ServerTls handle = ServerTls.apply(props, tls);
        Connection c = connect(host, port, login, props)) {
      return work.run(c);
    } catch (SQLException e) {
      throw new PreflightException(explain(e, host, port, login.username(), tls), e);
    } catch (IOException e) {
      throw new PreflightException(e.getMessage(), e);
    }
  }

  private static Connection connect(String host, int port, DatabaseLogin login, Properties props)
      throws SQLException {
    props.setProperty("user", login.username());
    props.setProperty("password", login.password());
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_MILLIS));
    props.setProperty("socketTimeout", "60000");
    props.setProperty("connectionTimeZone", "SERVER");
    String url = "jdbc:mysql://" + hostForUrl(host) + ":" + port + "/";
    return DriverManager.getConnection(url, props);
  }

  /**
   * Checks that the login may read the grant tables, as capturing accounts needs.
   *
   * @return null when it may, else the problem naming the privilege and the SQL that grants it
   */
  static String accountsReadable(Connection c, String user) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String table :
          List.of(
              "global_priv", "db", "tables_priv", "columns_priv", "procs_priv", "roles_mapping")) {
        s.executeQuery("SELECT 1 FROM mysql." + table + " LIMIT 0").close();
      }
      return null;
    } catch (SQLException e) {
      if (e.getErrorCode() == 1142 || e.getErrorCode() == 1044 || e.getErrorCode() == 1143) {
        return "the backup login '"
            + user
            + "' may not read the grant tables, which capturing accounts needs"
            + " (spec.databases[].accounts): GRANT SELECT ON mysql.* TO '"
            + user
            + "'@'%'; (see"
            + " docs/sql/backup-account.sql), or set spec.databases[].accounts: None ("
            + e.getMessage()
            + ")";
      }
      throw e;
    }
  }

  private static Survey survey(
      String host, int port, DatabaseLogin login, BackupPlan.DatabaseTls tls, Properties props)
      throws PreflightException {
    try (Connection c = connect(host, port, login, props);
        Statement s = c.createStatement()) {
      String version;
      try (ResultSet rs = s.executeQuery("SELECT VERSION()")) {
        rs.next();
        version = rs.getString(1);
      }
      List<String> databases = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SHOW DATABASES")) {
        while (rs.next()) {
          databases.add(rs.getString(1));
        }
      }
      Map<String, List<String>> views = new LinkedHashMap<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
                  + " WHERE TABLE_TYPE = 'VIEW' ORDER BY TABLE_SCHEMA, TABLE_NAME")) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            views.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
          }
        }
      }
      // what the tables hold, as the server estimates it: the expected size of each artifact
      Map<String, Long> dataBytes = new LinkedHashMap<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT TABLE_SCHEMA, SUM(DATA_LENGTH) FROM information_schema.TABLES"
                  + " WHERE TABLE_TYPE = 'BASE TABLE' GROUP BY TABLE_SCHEMA")) {
        while (rs.next()) {
          dataBytes.put(rs.getString(1), rs.getLong(2));
        }
      }
      return new Survey(version, databases, views, dataBytes);
    } catch (SQLException e) {
      throw new PreflightException(explain(e, host, port, login.username(), tls), e);
    }
  }

  /**
   * A message for a tired admin; never includes the password (Connector/J's messages do not
   * either).
   */
  static String explain(SQLException e, String host, int port, String user) {
    return explain(e, host, port, user, null);
  }

  static String explain(
      SQLException e, String host, int port, String user, BackupPlan.DatabaseTls tls) {
    String server = host + ":" + port;
    String tlsProblem = ServerTls.explain(e, host, port, tls);
    if (tlsProblem != null) {
      return tlsProblem;
    }
    if (e.getErrorCode() == 1045 || "28000".equals(e.getSQLState())) {
      return "the server at "
          + server
          + " refused user '"
          + user
          + "': check username and password in the credentials Secret ("
          + e.getMessage()
          + ")";
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return "unknown host '" + host + "': check spec.databases[].host (" + t.getMessage() + ")";
      }
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return "cannot connect to " + server + ": " + t.getMessage();
      }
      if (t instanceof SocketTimeoutException) {
        return "cannot connect to "
            + server
            + ": no answer within "
            + CONNECT_TIMEOUT_MILLIS / 1000
            + " s ("
            + t.getMessage()
            + ")";
      }
    }
    if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
      return "cannot connect to " + server + ": " + e.getMessage();
    }
    return "the server at "
        + server
        + " answered with error "
        + e.getErrorCode()
        + ": "
        + e.getMessage();
  }

  private static String hostForUrl(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /** The pre-flight failed; the message says why in the admin's terms. */
  static final class PreflightException extends Exception {
    PreflightException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
