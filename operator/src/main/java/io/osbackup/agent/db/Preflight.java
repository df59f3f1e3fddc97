package io.osbackup.agent.db;

import io.osbackup.plan.AgentPlan;
import io.osbackup.store.TrustedCas;
import java.io.IOException;
import java.io.OutputStream;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

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
   * Surveys the server over TLS as {@code tls} says (null: whatever the driver prefers):
   * sslMode REQUIRED, VERIFY_CA or VERIFY_IDENTITY, trusting only the CA file of {@code tls},
   * loaded into a PKCS#12 trust store in a private temporary directory for the connection.
   */
  static Survey survey(String host, int port, DatabaseLogin login, AgentPlan.DatabaseTls tls)
      throws PreflightException {
    Path trustDir = null;
    try {
      Properties props = new Properties();
      if (tls != null) {
        props.setProperty(
            "sslMode",
            tls.verifiesHost() ? "VERIFY_IDENTITY" : tls.verifiesCa() ? "VERIFY_CA" : "REQUIRED");
        if (tls.verifiesCa()) {
          trustDir =
              Files.createTempDirectory(
                  "osbackup-tls-",
                  PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
          Path store = trustDir.resolve("ca.p12");
          String password = java.util.UUID.randomUUID().toString();
          try (OutputStream out = Files.newOutputStream(store)) {
            TrustedCas.fromFile(Path.of(tls.caFile())).keyStore().store(out, password.toCharArray());
          } catch (IOException | java.security.GeneralSecurityException e) {
            throw new PreflightException(
                "cannot read the CA of spec.databases[].tls.caSecret mounted at "
                    + tls.caFile()
                    + ": "
                    + e.getMessage(),
                e);
          }
          props.setProperty("trustCertificateKeyStoreUrl", store.toUri().toString());
          props.setProperty("trustCertificateKeyStoreType", "PKCS12");
          props.setProperty("trustCertificateKeyStorePassword", password);
          props.setProperty("fallbackToSystemTrustStore", "false");
        }
      }
      return survey(host, port, login, tls, props);
    } catch (IOException e) {
      throw new PreflightException("cannot prepare TLS to " + host + ":" + port + ": " + e.getMessage(), e);
    } finally {
      if (trustDir != null) {
        try {
          Files.deleteIfExists(trustDir.resolve("ca.p12"));
          Files.deleteIfExists(trustDir);
        } catch (IOException e) {
          // a public certificate in a 0700 directory of our own
        }
      }
    }
  }

  private static Survey survey(
      String host, int port, DatabaseLogin login, AgentPlan.DatabaseTls tls, Properties props)
      throws PreflightException {
    props.setProperty("user", login.username());
    props.setProperty("password", login.password());
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_MILLIS));
    props.setProperty("socketTimeout", "60000");
    props.setProperty("connectionTimeZone", "SERVER");
    String url = "jdbc:mysql://" + hostForUrl(host) + ":" + port + "/";
    try (Connection c = DriverManager.getConnection(url, props);
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
      SQLException e, String host, int port, String user, AgentPlan.DatabaseTls tls) {
    String server = host + ":" + port;
    String tlsProblem = explainTls(e, server, host, tls);
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

  /** A failed TLS handshake or a server that refuses a connection without TLS; null otherwise. */
  private static String explainTls(
      SQLException e, String server, String host, AgentPlan.DatabaseTls tls) {
    String detail = null;
    boolean ssl = false;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException
          || t instanceof java.security.cert.CertificateException) {
        ssl = true;
      }
      if (t.getMessage() != null) {
        detail = t.getMessage();
      }
    }
    String text = (e.getMessage() + " " + detail).toLowerCase(java.util.Locale.ROOT);
    if (e.getErrorCode() == 3159 || text.contains("secure transport")) {
      return "the server at "
          + server
          + " accepts only TLS connections ("
          + e.getMessage()
          + "): set spec.databases[].tls (mode required, verify-ca or verify-full)";
    }
    if (!ssl && !text.contains("ssl") && !text.contains("tls")) {
      return null;
    }
    String why;
    if (text.contains("identity") || text.contains("hostname") || text.contains("subject alternative")) {
      why =
          "the server's certificate does not name the host "
              + host
              + ": use a host name the certificate names in spec.databases[].host, or tls.mode"
              + " verify-ca";
    } else if (text.contains("pkix")
        || text.contains("certification path")
        || text.contains("trust")
        || text.contains("certificate")) {
      why =
          "the server's certificate is not signed by the CA in spec.databases[].tls.caSecret: put"
              + " the CA that signed it there";
    } else if (tls != null) {
      why = "check that the server has TLS enabled (ssl-cert, ssl-key)";
    } else {
      why = "set spec.databases[].tls to match the server";
    }
    return "TLS to the database server at " + server + " failed (" + detail + "): " + why;
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
