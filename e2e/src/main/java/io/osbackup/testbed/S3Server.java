package io.osbackup.testbed;

import io.minio.BucketExistsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.RemoveBucketArgs;
import io.minio.Result;
import io.minio.messages.DeleteRequest;
import io.minio.messages.DeleteResult;
import io.minio.messages.Item;
import io.osbackup.store.Credentials;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 endpoint on loopback for the local environment and the tests: OpenStack Swift from
 * Debian with the s3api middleware when {@code /usr/bin/swift-proxy-server} exists, otherwise
 * S3Proxy (from Maven Central, run in a child JVM so its libraries stay off our classpath). System
 * property {@value #MODE_PROPERTY} = {@code swift} or {@code inprocess} (alias {@code s3proxy})
 * forces one.
 */
public final class S3Server implements AutoCloseable {

  /**
   * System property choosing the server: {@code swift}, {@code inprocess} / {@code s3proxy}; unset:
   * swift if installed.
   */
  public static final String MODE_PROPERTY = "osbackup.s3";

  /**
   * System property naming the S3Proxy jar-with-dependencies (the e2e build copies it to
   * target/s3proxy).
   */
  public static final String S3PROXY_JAR_PROPERTY = "osbackup.s3proxy.jar";

  static final String S3PROXY_VERSION = "4.1.0";

  private static final String SWIFT_PROXY = "/usr/bin/swift-proxy-server";
  private static final String REGION = "us-east-1";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final String kind;
  private final String endpoint;
  private final Credentials admin;
  private final Credentials denied;
  private final List<Process> processes;
  private final Path logDir;
  private final Thread shutdownHook;
  private boolean closed;

  private S3Server(
      String kind,
      String endpoint,
      Credentials admin,
      Credentials denied,
      List<Process> processes,
      Path logDir) {
    this.kind = kind;
    this.endpoint = endpoint;
    this.admin = admin;
    this.denied = denied;
    this.processes = processes;
    this.logDir = logDir;
    this.shutdownHook = new Thread(this::stopProcesses, "osbackup-s3-server-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** {@link #start(Path)} on another thread, so a test can start other servers meanwhile. */
  public static java.util.concurrent.CompletableFuture<S3Server> startAsync(Path workDir) {
    return AsyncStart.of(() -> start(workDir));
  }

  /**
   * Starts the server with its data, configuration and logs under {@code workDir}; returns when it
   * answers.
   */
  public static S3Server start(Path workDir) throws IOException {
    String mode = System.getProperty(MODE_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
    switch (mode) {
      case "swift":
        return startSwift(workDir, "");
      case "inprocess":
      case "s3proxy":
        return startS3Proxy(workDir);
      case "":
        return Files.isExecutable(Path.of(SWIFT_PROXY))
            ? startSwift(workDir, "")
            : startS3Proxy(workDir);
      default:
        throw new IllegalArgumentException(
            "-D" + MODE_PROPERTY + "=" + mode + " is not known: use swift or inprocess");
    }
  }

  /**
   * Starts Swift with s3api's {@code max_upload_part_num} set to {@code maxUploadParts} (Swift's
   * default is 1,000; AWS, MinIO and Ceph RGW allow 10,000), so the artifact size limit can be
   * reached with small uploads. Needs Swift: S3Proxy has no such setting.
   */
  public static S3Server startSwift(Path workDir, int maxUploadParts) throws IOException {
    return startSwift(workDir, "max_upload_part_num = " + maxUploadParts + "\n");
  }

  /** {@code swift} or {@code s3proxy}. */
  public String kind() {
    return kind;
  }

  /** {@code http://127.0.0.1:<port>}; buckets are addressed path-style. */
  public String endpoint() {
    return endpoint;
  }

  public String region() {
    return REGION;
  }

  public String accessKey() {
    return admin.accessKey();
  }

  public String secretKey() {
    return admin.secretKey();
  }

  /** The keys of a user who may create and use buckets. */
  public Credentials credentials() {
    return admin;
  }

  /**
   * A valid user who may not read or write the buckets (Swift: a tempauth user of the same account
   * without {@code .admin}); empty where the server has only one user.
   */
  public Optional<Credentials> deniedCredentials() {
    return Optional.ofNullable(denied);
  }

  /**
   * The keys of a second user with access to the buckets (Swift: tempauth user {@code test:agent}),
   * to give agent Jobs credentials other than the operator's; empty where the server has only one
   * user.
   */
  public Optional<Credentials> agentCredentials() {
    return "swift".equals(kind) ? Optional.of(AGENT) : Optional.empty();
  }

  private static final Credentials AGENT = new Credentials("test:agent", "agenting");

  /** Where the servers' logs are. */
  public Path logDir() {
    return logDir;
  }

  /** An {@link ObjectStore} for {@code bucket} with the admin keys. */
  public ObjectStore store(String bucket) {
    return ObjectStore.connect(endpoint, REGION, true, bucket, admin);
  }

  /** Creates the bucket (nothing happens if it exists). */
  public void createBucket(String bucket) {
    try (MinioAsyncClient client = client()) {
      if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()).join()) {
        client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build()).join();
      }
    } catch (CompletionException e) {
      throw new IllegalStateException("cannot create bucket " + bucket + ": " + e.getCause(), e);
    }
  }

  /** Deletes the bucket with every object and incomplete upload in it. */
  public void deleteBucket(String bucket) {
    try (MinioAsyncClient client = client();
        ObjectStore store = store(bucket)) {
      store.abortIncompleteUploads("");
      List<DeleteRequest.Object> objects = new ArrayList<>();
      for (Result<Item> r :
          client.listObjects(ListObjectsArgs.builder().bucket(bucket).recursive(true).build())) {
        objects.add(new DeleteRequest.Object(r.get().objectName()));
      }
      if (!objects.isEmpty()) {
        for (Result<DeleteResult.Error> r :
            client.removeObjects(
                io.minio.RemoveObjectsArgs.builder().bucket(bucket).objects(objects).build())) {
          throw new IllegalStateException("cannot delete " + r.get().objectName());
        }
      }
      client.removeBucket(RemoveBucketArgs.builder().bucket(bucket).build()).join();
    } catch (Exception e) {
      throw new IllegalStateException("cannot delete bucket " + bucket + ": " + e, e);
    }
  }

  private MinioAsyncClient client() {
    return MinioAsyncClient.builder()
        .endpoint(endpoint)
        .region(REGION)
        .credentials(admin.accessKey(), admin.secretKey())
        .build();
  }

  /** Stops every process of the server and waits until they are gone. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopProcesses();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  private void stopProcesses() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(3, TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  @Override
  public String toString() {
    return "S3Server[" + kind + " at " + endpoint + "]";
  }

  // ---------------------------------------------------------------- Swift

  private static final String RING_SCRIPT =
      """
      import sys
      from swift.common.ring import RingBuilder
      etc = sys.argv[1]
      for spec in sys.argv[2:]:
          name, port = spec.split(':')
          b = RingBuilder(8, 1, 1)  # 2^8 partitions, 1 replica, min_part_hours 1
          b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port),
                     'replication_ip': '127.0.0.1', 'replication_port': int(port),
                     'device': 'd1', 'weight': 100, 'meta': ''})
          b.rebalance()
          b.save('%s/%s.builder' % (etc, name))
          b.get_ring().save('%s/%s.ring.gz' % (etc, name))
      """;

  private static S3Server startSwift(Path workDir, String s3apiSettings) throws IOException {
    try {
      return startSwiftOnce(workDir.resolve("swift"), s3apiSettings);
    } catch (IOException first) {
      // the free ports are found before the servers bind them: another process on this machine (a
      // second test
      // run, a control plane starting) can take one in between; new ports, once, before giving up
      try {
        return startSwiftOnce(workDir.resolve("swift-again"), s3apiSettings);
      } catch (IOException second) {
        second.addSuppressed(first);
        throw second;
      }
    }
  }

  private static S3Server startSwiftOnce(Path base, String s3apiSettings) throws IOException {
    Files.createDirectories(base);
    Path etc = Files.createDirectories(base.resolve("etc"));
    Path devices = Files.createDirectories(base.resolve("node"));
    Files.createDirectories(devices.resolve("d1"));
    Path logs = Files.createDirectories(base.resolve("log"));
    Path cache = Files.createDirectories(base.resolve("cache"));
    int[] ports = freePorts(5);
    int object = ports[0];
    int container = ports[1];
    int account = ports[2];
    int proxy = ports[3];
    int noMemcached =
        ports[4]; // nothing listens: tempauth needs the cache filter, S3 requests do not need
    // memcached

    for (String[] server :
        new String[][] {
          {"account", "" + account}, {"container", "" + container}, {"object", "" + object}
        }) {
      String name = server[0];
      Files.writeString(
          etc.resolve(name + "-server.conf"),
          common(Integer.parseInt(server[1]), etc, devices, cache)
              + "[pipeline:main]\npipeline = healthcheck "
              + name
              + "-server\n[app:"
              + name
              + "-server]\nuse = egg:swift#"
              + name
              + "\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n");
    }
    Credentials admin = new Credentials("test:tester", "testing");
    Credentials reader = new Credentials("test:reader", "reading");
    Files.writeString(
        etc.resolve("proxy-server.conf"),
"""
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = %d
workers = 0
user = root
swift_dir = %s
log_name = swift-proxy
[pipeline:main]
# s3api must come before tempauth; slo is required for S3 multipart uploads
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
[filter:s3api]
use = egg:swift#s3api
location = %s
%s[filter:tempauth]
use = egg:swift#tempauth
# S3 access key = "<account>:<user>", secret key = password; reader has no .admin: no access to containers;
# agent is a second user of the account, for agent Jobs with credentials of their own
user_test_tester = %s .admin
user_test_reader = %s
user_test_agent = %s .admin
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:%d
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
"""
            .formatted(
                proxy,
                etc,
                REGION,
                s3apiSettings,
                admin.secretKey(),
                reader.secretKey(),
                AGENT.secretKey(),
                noMemcached));

    List<Process> processes = new ArrayList<>();
    try {
      // the storage servers read the rings only when they replicate; the proxy needs them at start
      for (String name : List.of("account", "container", "object")) {
        processes.add(swiftServer(name, etc, logs));
      }
      Files.writeString(base.resolve("rings.py"), RING_SCRIPT);
      run(
          logs.resolve("rings.log"),
          "/usr/bin/python3",
          base.resolve("rings.py").toString(),
          etc.toString(),
          "object:" + object,
          "container:" + container,
          "account:" + account);
      processes.add(swiftServer("proxy", etc, logs));
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      for (int port : new int[] {account, container, object, proxy}) {
        awaitHttp("http://127.0.0.1:" + port + "/healthcheck", processes, logs, deadline);
      }
    } catch (IOException | RuntimeException e) {
      processes.forEach(Process::destroyForcibly);
      throw e;
    }
    return new S3Server("swift", "http://127.0.0.1:" + proxy, admin, reader, processes, logs);
  }

  private static Process swiftServer(String name, Path etc, Path logs) throws IOException {
    return new ProcessBuilder(
            "/usr/bin/swift-" + name + "-server",
            etc.resolve(name + "-server.conf").toString(),
            "-v")
        .redirectErrorStream(true)
        .redirectOutput(logs.resolve(name + ".log").toFile())
        .start();
  }

  private static String common(int port, Path etc, Path devices, Path cache) {
    return """
    [DEFAULT]
    bind_ip = 127.0.0.1
    bind_port = %d
    workers = 0
    user = root
    swift_dir = %s
    devices = %s
    mount_check = false
    disable_fallocate = true
    log_name = swift
    recon_cache_path = %s
    """
        .formatted(port, etc, devices, cache);
  }

  // ---------------------------------------------------------------- S3Proxy

  private static S3Server startS3Proxy(Path workDir) throws IOException {
    Path jar = s3proxyJar();
    Path base = Files.createDirectories(workDir.resolve("s3proxy"));
    Path data = Files.createDirectories(base.resolve("data"));
    int port = freePorts(1)[0];
    Credentials admin = new Credentials("local-identity", "local-credential");
    Path conf = base.resolve("s3proxy.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + admin.accessKey(),
            "s3proxy.credential=" + admin.secretKey(),
            "jclouds.provider=filesystem",
            "jclouds.filesystem.basedir=" + data,
            ""));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                jar.toString(),
                "--properties",
                conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(base.resolve("s3proxy.log").toFile());
    pb.environment().put("LOG_LEVEL", "warn");
    Process process = pb.start();
    List<Process> processes = List.of(process);
    try {
      awaitHttp(
          "http://127.0.0.1:" + port + "/",
          processes,
          base,
          System.nanoTime() + START_TIMEOUT.toNanos());
    } catch (IOException | RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
    return new S3Server("s3proxy", "http://127.0.0.1:" + port, admin, null, processes, base);
  }

  private static Path s3proxyJar() throws IOException {
    String configured = System.getProperty(S3PROXY_JAR_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      Path jar = Path.of(configured);
      if (Files.isRegularFile(jar)) {
        return jar;
      }
      throw new IOException("-D" + S3PROXY_JAR_PROPERTY + "=" + configured + ": no such file");
    }
    String repo =
        System.getProperty(
            "maven.repo.local",
            Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
    Path jar =
        Path.of(
            repo,
            "org/gaul/s3proxy",
            S3PROXY_VERSION,
            "s3proxy-" + S3PROXY_VERSION + "-jar-with-dependencies.jar");
    if (Files.isRegularFile(jar)) {
      return jar;
    }
    throw new IOException(
        "S3Proxy is not available: "
            + jar
            + " does not exist. Build the e2e module (it copies org.gaul:s3proxy:"
            + S3PROXY_VERSION
            + ":jar:jar-with-dependencies to target/s3proxy) or set -D"
            + S3PROXY_JAR_PROPERTY);
  }

  // ---------------------------------------------------------------- processes and ports

  private static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  private static void run(Path log, String... command) throws IOException {
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " exited with " + p.exitValue() + ": " + tail(log));
    }
  }

  private static void awaitHttp(String url, List<Process> processes, Path logs, long deadline)
      throws IOException {
    while (true) {
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        int status = c.getResponseCode();
        c.disconnect();
        if (status > 0) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IOException(
              "S3 server process "
                  + p.info().commandLine().orElse("?")
                  + " exited with "
                  + p.exitValue()
                  + "; logs in "
                  + logs);
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            url + " did not answer within " + START_TIMEOUT + "; logs in " + logs);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + url, e);
      }
    }
  }

  private static String tail(Path log) {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
