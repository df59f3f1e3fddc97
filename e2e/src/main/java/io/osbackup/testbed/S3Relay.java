package io.osbackup.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A relay on loopback in front of an S3 server: forwards each HTTP request on its own upstream
 * connection, can serve HTTPS with a test certificate (the S3 store behind TLS), and can fail
 * chosen requests the way a flaky network or an overloaded store does — a 503 answer or a reset
 * connection — so retries are tested against the real store, not a mock of it.
 */
public final class S3Relay implements AutoCloseable {

  /** What a failed request gets. */
  public enum Fault {
    /** {@code 503 ServiceUnavailable} with an S3 error document, after reading the whole body. */
    UNAVAILABLE,
    /** The connection is reset (TCP RST) after the request head was read. */
    RESET
  }

  private static final Pattern UPLOAD_PART =
      Pattern.compile(
          "^PUT [^ ]*[?&]partNumber=\\d+[^ ]*uploadId=|^PUT [^ ]*[?&]uploadId=[^ ]*partNumber=");

  private final ServerSocket server;
  private final String scheme;
  private final String upstreamHost;
  private final int upstreamPort;
  private final Thread acceptor;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger partFaultsLeft = new AtomicInteger();
  private final AtomicInteger faultsInjected = new AtomicInteger();
  private volatile Fault fault = Fault.UNAVAILABLE;
  private volatile boolean closed;

  private S3Relay(ServerSocket server, String scheme, URI upstream) {
    this.server = server;
    this.scheme = scheme;
    this.upstreamHost = upstream.getHost();
    this.upstreamPort = upstream.getPort();
    this.acceptor = new Thread(this::accept, "s3-relay " + server.getLocalPort());
    this.acceptor.setDaemon(true);
    this.acceptor.start();
  }

  /** A plain HTTP relay to {@code upstreamEndpoint} ({@code http://127.0.0.1:<port>}). */
  public static S3Relay start(String upstreamEndpoint) throws IOException {
    return new S3Relay(
        new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
        "http",
        URI.create(upstreamEndpoint));
  }

  /** An HTTPS relay serving {@code tls}'s certificate in front of {@code upstreamEndpoint}. */
  public static S3Relay startTls(String upstreamEndpoint, SSLContext tls) throws IOException {
    SSLServerSocket socket =
        (SSLServerSocket)
            tls.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    return new S3Relay(socket, "https", URI.create(upstreamEndpoint));
  }

  /** {@code http(s)://127.0.0.1:<port>}. */
  public String endpoint() {
    return scheme + "://127.0.0.1:" + server.getLocalPort();
  }

  /** The same relay addressed by host name: {@code http(s)://localhost:<port>}. */
  public String endpointByName() {
    return scheme + "://localhost:" + server.getLocalPort();
  }

  /** The next {@code count} UploadPart requests (any upload, any part) fail with {@code fault}. */
  public void failUploadParts(int count, Fault fault) {
    this.fault = fault;
    partFaultsLeft.set(count);
  }

  /** How many requests were failed on purpose so far. */
  public int faultsInjected() {
    return faultsInjected.get();
  }

  /**
   * The request lines seen, in order ({@code PUT /bucket/key?partNumber=1&uploadId=… HTTP/1.1}).
   */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        open.add(client);
        Thread t = new Thread(() -> serve(client), "s3-relay-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          System.err.println("s3 relay: accept failed: " + e);
        }
        return;
      }
    }
  }

  /** One request per client connection: the upstream answer is sent with Connection: close. */
  private void serve(Socket client) {
    try (client) {
      client.setSoTimeout(120_000);
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      byte[] head = readHead(in);
      if (head == null) {
        return;
      }
      String text = new String(head, StandardCharsets.ISO_8859_1);
      String requestLine = text.substring(0, text.indexOf("\r\n"));
      requests.add(requestLine);
      long length = contentLength(text);
      if (UPLOAD_PART.matcher(requestLine).find() && partFaultsLeft.getAndDecrement() > 0) {
        faultsInjected.incrementAndGet();
        if (fault == Fault.RESET) {
          client.setSoLinger(true, 0);
          return; // close with RST
        }
        in.skipNBytes(length);
        byte[] body =
            ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ServiceUnavailable</Code>"
                    + "<Message>Please reduce your request rate.</Message></Error>")
                .getBytes(StandardCharsets.UTF_8);
        out.write(
            ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: "
                    + body.length
                    + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        return;
      }
      try (Socket upstream = new Socket(upstreamHost, upstreamPort)) {
        upstream.setSoTimeout(120_000);
        OutputStream up = upstream.getOutputStream();
        up.write(withConnectionClose(text).getBytes(StandardCharsets.ISO_8859_1));
        copy(in, up, length);
        up.flush();
        upstream.getInputStream().transferTo(out);
        out.flush();
      }
    } catch (IOException e) {
      // the client or the server went away: nothing to relay any more
    } finally {
      open.remove(client);
    }
  }

  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > 64 * 1024) {
        throw new IOException("request head too long");
      }
    }
    return head.toByteArray();
  }

  private static long contentLength(String head) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
        return Long.parseLong(line.substring(colon + 1).trim());
      }
    }
    return 0;
  }

  private static String withConnectionClose(String head) {
    List<String> lines = new ArrayList<>();
    for (String line : head.split("\r\n")) {
      if (!line.toLowerCase(Locale.ROOT).startsWith("connection:") && !line.isEmpty()) {
        lines.add(line);
      }
    }
    lines.add("Connection: close");
    return String.join("\r\n", lines) + "\r\n\r\n";
  }

  private static void copy(InputStream in, OutputStream out, long length) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long left = length;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("client closed the request body early");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
