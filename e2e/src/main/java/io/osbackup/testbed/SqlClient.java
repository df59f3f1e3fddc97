package io.osbackup.testbed;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What a test asks of a MariaDB server over JDBC — run statements, read a column, checksum a
 * database's tables — for the throw-away {@link MariaDbServer} and for a server in a real cluster
 * alike.
 */
public final class SqlClient {

  private final String host;
  private final int port;
  private final Properties login = new Properties();

  public SqlClient(String host, int port, String user, String password) {
    this(host, port, user, password, false);
  }

  /**
   * {@code tls}: connect with TLS (not checking the certificate), for a server that requires it.
   */
  public SqlClient(String host, int port, String user, String password, boolean tls) {
    this.host = host;
    this.port = port;
    login.setProperty("user", user);
    login.setProperty("password", password);
    login.setProperty("sslMode", tls ? "REQUIRED" : "DISABLED");
    login.setProperty("allowPublicKeyRetrieval", "true");
    login.setProperty("connectTimeout", "5000");
  }

  private SqlClient(String host, int port, Properties login) {
    this.host = host;
    this.port = port;
    this.login.putAll(login);
  }

  /** This login with {@code LOAD DATA LOCAL INFILE} allowed (the server must allow it too). */
  public SqlClient allowingLocalInfile() {
    SqlClient client = new SqlClient(host, port, login);
    client.login.setProperty("allowLoadLocalInfile", "true");
    return client;
  }

  /** A JDBC URL (without credentials) for {@code db}, or the server for "". */
  public String jdbcUrl(String db) {
    return "jdbc:mysql://" + host + ":" + port + "/" + db;
  }

  public Connection connect(String db) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(db), login);
  }

  /** Runs each statement in turn on one connection (so {@code USE db} carries over). */
  public void execute(String... sql) {
    try (Connection c = connect("");
        Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The first column of every row of {@code sql}, as text (null for SQL NULL). */
  public List<String> column(String sql) {
    try (Connection c = connect("");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<String> values = new ArrayList<>();
      while (rs.next()) {
        values.add(rs.getString(1));
      }
      return values;
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** {@code CHECKSUM TABLE} of every base table of {@code db}, by table name. */
  public Map<String, Long> tableChecksums(String db) {
    Map<String, Long> sums = new TreeMap<>();
    try (Connection c = connect("");
        PreparedStatement tables =
            c.prepareStatement(
                "SELECT TABLE_NAME FROM information_schema.TABLES"
                    + " WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'")) {
      tables.setString(1, db);
      List<String> names = new ArrayList<>();
      try (ResultSet rs = tables.executeQuery()) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      try (Statement s = c.createStatement()) {
        for (String name : names) {
          try (ResultSet rs =
              s.executeQuery("CHECKSUM TABLE " + quote(db) + "." + quote(name) + " EXTENDED")) {
            rs.next();
            sums.put(name, rs.getLong(2));
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    return sums;
  }

  static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
