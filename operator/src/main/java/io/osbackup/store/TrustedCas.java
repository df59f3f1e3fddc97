package io.osbackup.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The CAs of a PEM bundle (one or more {@code -----BEGIN CERTIFICATE-----} blocks), trusted instead
 * of the JVM's for a store or a database server with a private CA. Only the JDK's own certificate
 * parser and trust manager are used; host names are still checked.
 */
public final class TrustedCas {

  private final KeyStore keyStore;
  private final X509TrustManager trustManager;
  private final SSLContext context;

  private TrustedCas(KeyStore keyStore, X509TrustManager trustManager, SSLContext context) {
    this.keyStore = keyStore;
    this.trustManager = trustManager;
    this.context = context;
  }

  /**
   * The certificates of {@code pem}.
   *
   * @throws IllegalArgumentException when it holds no certificate or one does not parse
   */
  public static TrustedCas fromPem(byte[] pem) {
    Collection<? extends Certificate> certificates;
    try {
      certificates =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem));
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          "the CA bundle is not a PEM certificate bundle: " + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException(
          "the CA bundle holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)");
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (Certificate c : certificates) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      X509TrustManager trust = null;
      for (TrustManager m : factory.getTrustManagers()) {
        if (m instanceof X509TrustManager x) {
          trust = x;
        }
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {trust}, null);
      return new TrustedCas(store, trust, context);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust store from the CA bundle", e);
    }
  }

  /** {@link #fromPem} of a file; the message of a failure names the file. */
  public static TrustedCas fromFile(Path file) throws IOException {
    byte[] pem = Files.readAllBytes(file);
    try {
      return fromPem(pem);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  public X509TrustManager trustManager() {
    return trustManager;
  }

  public SSLSocketFactory socketFactory() {
    return context.getSocketFactory();
  }

  /** The certificates as a PKCS#12 trust store (for JDBC drivers that read one from a file). */
  public KeyStore keyStore() {
    return keyStore;
  }
}
