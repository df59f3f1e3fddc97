package io.osbackup.agent.db;

import io.osbackup.contract.BackupPlan;
import io.osbackup.store.TrustedCas;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import javax.net.ssl.SSLException;

/**
 * TLS to a database server over JDBC, as a target's {@code tls} says: Connector/J's sslMode
 * (REQUIRED, VERIFY_CA, VERIFY_IDENTITY) and a PKCS#12 trust store holding only the target's CA,
 * written to a private temporary directory for as long as the connection is being opened; and what
 * a failed handshake means, in the admin's terms. The backup's pre-flight and the restore connect
 * through it alike.
 */
public final class ServerTls implements AutoCloseable {

  private final Path dir;

  private ServerTls(Path dir) {
    this.dir = dir;
  }

  /**
   * Adds the TLS properties of {@code tls} (null: none, the driver's default) to {@code props};
   * close the result once the connection is open.
   *
   * @throws IOException naming {@code spec.databases[].tls.caSecret} when the CA cannot be read
   */
  public static ServerTls apply(Properties props, BackupPlan.DatabaseTls tls) throws IOException {
    if (tls == null) {
      return new ServerTls(null);
    }
    props.setProperty(
        "sslMode",
        tls.verifiesHost() ? "VERIFY_IDENTITY" : tls.verifiesCa() ? "VERIFY_CA" : "REQUIRED");
    if (!tls.verifiesCa()) {
      return new ServerTls(null);
    }
    Path dir =
        Files.createTempDirectory(
            "osbackup-tls-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    ServerTls handle = new ServerTls(dir);
    Path store = dir.resolve("ca.p12");
    String password = UUID.randomUUID().toString();
    try (OutputStream out = Files.newOutputStream(store)) {
      TrustedCas.fromFile(Path.of(tls.caFile())).keyStore().store(out, password.toCharArray());
    } catch (IOException | GeneralSecurityException e) {
      handle.close();
      throw new IOException(
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
    return handle;
  }

  /**
   * What a failed connection means when TLS is the cause: a server that takes only TLS, an
   * untrusted certificate, a certificate for another host, a server without TLS; null when TLS is
   * not the cause.
   */
  public static String explain(SQLException e, String host, int port, BackupPlan.DatabaseTls tls) {
    String server = host + ":" + port;
    String detail = null;
    boolean ssl = false;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SSLException || t instanceof CertificateException) {
        ssl = true;
      }
      if (t.getMessage() != null) {
        detail = t.getMessage();
      }
    }
    String text = (e.getMessage() + " " + detail).toLowerCase(Locale.ROOT);
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
    if (text.contains("identity")
        || text.contains("hostname")
        || text.contains("subject alternative")) {
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

  /** Deletes the temporary trust store. */
  @Override
  public void close() {
    if (dir == null) {
      return;
    }
    try {
      Files.deleteIfExists(dir.resolve("ca.p12"));
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // public certificates in a 0700 directory of our own
    }
  }
}
