package io.osbackup.testbed;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiPredicate;
import java.util.function.BinaryOperator;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The kubelet's HTTPS endpoint for container logs, which the API server calls for {@code kubectl
 * logs}: {@code GET /containerLogs/<namespace>/<pod>/<container>} with {@code tailLines}, {@code
 * limitBytes} and {@code follow}. It serves with the control plane's kubelet certificate and takes
 * only clients with a certificate of the control plane's CA (the API server's kubelet client), as a
 * kubelet with client-certificate authentication does.
 */
final class KubeletServer implements AutoCloseable {

  private static final char[] PASSWORD = "kubelet-in-memory".toCharArray();

  private final HttpsServer server;
  private final ExecutorService threads;
  private final BinaryOperator<String> logOf;
  private final BiPredicate<String, String> running;

  /**
   * @param pki the control plane's {@code pki} folder: {@code kubelet.crt}, {@code
   *     kubelet.pkcs8.key}, {@code ca.crt}
   * @param logOf the log file of a pod ({@code namespace}, {@code name}), as a path string
   * @param running whether the pod's container still runs, so {@code follow} knows when to end
   */
  KubeletServer(Path pki, BinaryOperator<String> logOf, BiPredicate<String, String> running)
      throws IOException {
    this.logOf = logOf;
    this.running = running;
    SSLContext tls = tls(pki);
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(
        new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            var ssl = tls.getDefaultSSLParameters();
            ssl.setNeedClientAuth(true);
            params.setSSLParameters(ssl);
          }
        });
    threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "kubelet-server");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(threads);
    server.createContext("/containerLogs/", this::logs);
    server.createContext("/healthz", exchange -> reply(exchange, 200, "ok"));
    server.start();
  }

  /**
   * TLS with the control plane's kubelet certificate ({@code kubelet.crt}, {@code
   * kubelet.pkcs8.key}: loopback, signed by {@code ca.crt}), trusting client certificates of that
   * CA.
   */
  static SSLContext tls(Path pki) throws IOException {
    try {
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      X509Certificate cert;
      X509Certificate ca;
      try (var in = Files.newInputStream(pki.resolve("kubelet.crt"))) {
        cert = (X509Certificate) x509.generateCertificate(in);
      }
      try (var in = Files.newInputStream(pki.resolve("ca.crt"))) {
        ca = (X509Certificate) x509.generateCertificate(in);
      }
      String pem = Files.readString(pki.resolve("kubelet.pkcs8.key"));
      byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
      PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("kubelet", key, PASSWORD, new Certificate[] {cert, ca});
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca);
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, PASSWORD);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return tls;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(
          "the kubelet certificate in " + pki + " cannot be used: " + e.getMessage(), e);
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void logs(HttpExchange exchange) throws IOException {
    String[] parts = exchange.getRequestURI().getPath().split("/");
    // "", "containerLogs", namespace, pod, container
    if (parts.length != 5 || !"GET".equals(exchange.getRequestMethod())) {
      reply(exchange, 404, "not found: " + exchange.getRequestURI().getPath());
      return;
    }
    String ns = parts[2];
    String pod = parts[3];
    Path log = Path.of(logOf.apply(ns, pod));
    if (!Files.exists(log)) {
      reply(exchange, 404, "pod " + ns + "/" + pod + " has no log on this node");
      return;
    }
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    long tailLines = Long.parseLong(query.getOrDefault("tailLines", "-1"));
    long limitBytes = Long.parseLong(query.getOrDefault("limitBytes", "-1"));
    boolean follow = Boolean.parseBoolean(query.getOrDefault("follow", "false"));
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(200, 0);
    try (OutputStream out = exchange.getResponseBody();
        RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long position = tailLines >= 0 ? tailStart(file, tailLines) : 0;
      long sent = 0;
      byte[] buffer = new byte[8192];
      while (true) {
        file.seek(position);
        int n;
        while ((n = file.read(buffer)) > 0) {
          int allowed = limitBytes >= 0 ? (int) Math.min(n, limitBytes - sent) : n;
          out.write(buffer, 0, allowed);
          sent += allowed;
          position += n;
          if (limitBytes >= 0 && sent >= limitBytes) {
            return;
          }
        }
        out.flush();
        if (!follow || !running.test(ns, pod)) {
          if (file.length() <= position) {
            return;
          }
          continue;
        }
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client went away (kubectl logs -f ended with Ctrl-C)
    }
  }

  /** Where the last {@code lines} lines of the file start. */
  private static long tailStart(RandomAccessFile file, long lines) throws IOException {
    long length = file.length();
    if (lines == 0) {
      return length;
    }
    long position = length;
    long newlines = 0;
    // a final newline ends the last line rather than starting an empty one
    if (position > 0) {
      file.seek(position - 1);
      if (file.read() == '\n') {
        position--;
      }
    }
    while (position > 0) {
      file.seek(position - 1);
      if (file.read() == '\n' && ++newlines == lines) {
        return position;
      }
      position--;
    }
    return 0;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name =
          URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "true" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(name, value);
    }
    return out;
  }

  private static void reply(HttpExchange exchange, int code, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(code, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      new ByteArrayInputStream(body).transferTo(out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
