package io.osbackup.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.agent.db.DatabaseBackup;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.cli.RestoreCommand;
import io.osbackup.cli.StoreOptions;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.testbed.ControlPlane;
import io.osbackup.testbed.LocalCluster;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Local mode: osbackup end to end on one machine with embedded defaults. It starts a MariaDB
 * holding small OpenStack service databases, an S3 server (OpenStack Swift if installed), a real
 * Kubernetes control plane ({@link ControlPlane}; fabric8's mock with a warning where kubelocal
 * cannot be built) with four simulated nodes holding OpenStack configuration and a
 * PersistentVolumeClaim holding glance images, the local kubelet and the operator; then applies the
 * store, the control-plane policy and the on-demand run of {@code samples/} — pointed at these
 * servers by {@link SampleOverlay} — so a backup runs right away, and two sample restores after it.
 * Flags point it at an existing S3 endpoint and MariaDB instead.
 */
@Command(
    name = "osbackup-local",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run osbackup end to end on this machine: MariaDB, S3, an embedded Kubernetes API, simulated OpenStack nodes"
          + " and the operator, with samples/ applied.",
      "With --s3-endpoint or --db-host it uses that S3 server or MariaDB instead of starting one; their logins come"
          + " from the environment ($"
          + StoreOptions.ACCESS_KEY_ENV
          + ", $"
          + StoreOptions.SECRET_KEY_ENV
          + ", $"
          + RestoreCommand.DB_USERNAME_ENV
          + ", $"
          + RestoreCommand.DB_PASSWORD_ENV
          + "), never from the command line."
    })
public final class LocalMode implements Callable<Integer> {

  static final String NS = "openstack";
  static final String BUCKET = "openstack-backups";

  /** The samples local mode applies, in order. */
  static final String STORE_SAMPLE = "01-backupstore-swift.yaml";

  static final String POLICY_SAMPLE = "10-backuppolicy-control-plane.yaml";
  static final String RUN_SAMPLE = "20-backuprun-on-demand.yaml";
  static final String RESTORE_SAMPLE = "40-restore-in-local-mode.yaml";
  static final String DRY_RUN_SAMPLE = "31-restore-partial-dry-run.yaml";

  /** Where the sample policy's glance-images target reads from. */
  static final String GLANCE_CLAIM = "glance-images";

  @Option(
      names = "--work-dir",
      defaultValue = "target/osbackup-local",
      description =
          "Where servers, simulated nodes and Job logs live; emptied at start. Default: ${DEFAULT-VALUE}")
  Path workDir;

  @Option(
      names = "--once",
      defaultValue = "${sys:osbackup.local.once:-false}",
      description =
          "Take the first backup and the sample restores, print them and exit (0 when all succeeded).")
  boolean once;

  @Option(
      names = "--schedule",
      defaultValue = "*/5 * * * *",
      description =
          "Cron schedule local mode gives the sample policy, so scheduled runs and retention show within minutes;"
              + " 'sample' keeps the sample's (02:00 Tokyo time). Default: ${DEFAULT-VALUE}")
  String schedule;

  @Option(
      names = "--s3-endpoint",
      description =
          "Use this S3 endpoint (its bucket must exist) instead of starting an S3 server.")
  String s3Endpoint;

  @Option(
      names = "--s3-bucket",
      defaultValue = BUCKET,
      description = "Bucket on --s3-endpoint. Default: ${DEFAULT-VALUE}")
  String s3Bucket;

  @Option(
      names = "--s3-region",
      defaultValue = "us-east-1",
      description = "Region of --s3-endpoint. Default: ${DEFAULT-VALUE}")
  String s3Region;

  @Option(
      names = "--s3-prefix",
      defaultValue = "osbackup-local",
      description =
          "Key prefix on --s3-endpoint, so local mode's retention never meets a real policy's backups."
              + " Default: ${DEFAULT-VALUE}")
  String s3Prefix;

  @Option(
      names = "--db-host",
      description =
          "Back up this MariaDB instead of starting one (needs mariadb-dump and mariadb on the PATH).")
  String dbHost;

  @Option(
      names = "--db-port",
      defaultValue = "3306",
      description = "Port of --db-host. Default: ${DEFAULT-VALUE}")
  int dbPort;

  @Option(
      names = "--databases",
      split = ",",
      description =
          "Databases to back up on --db-host, comma separated. Default: every user database.")
  List<String> databases = List.of();

  @Option(
      names = "--node-dir",
      paramLabel = "NODE:/PATH=DIR",
      description =
          "Copy DIR of this machine to /PATH on the simulated NODE (one of "
              + "controller-1, compute-1, compute-2,"
              + " network-1) and back it up with the policy, as a files target of its own. Repeatable.")
  List<String> nodeDirs = List.of();

  @Option(
      names = "--exit-with-parent",
      description =
          "Stop everything when the process that started local mode exits (Maven's exec:exec sets it).")
  boolean exitWithParent;

  /** The log file; the console holds local mode's own lines only. */
  static final String LOG_FILE = "osbackup-local.log";

  /** The file holding the logins of local mode's servers, for the break-glass CLI. */
  static final String CLI_ENV_FILE = "cli.env";

  private final PrintStream out;
  private final Map<String, String> env;

  /**
   * Whether logs go to {@link #LOG_FILE} (when run as a program) or stay where they are (in-process
   * tests).
   */
  private boolean logsToFile;

  private Path logFile;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile boolean exiting;

  public LocalMode() {
    this(System.out, System.getenv());
  }

  LocalMode(PrintStream out, Map<String, String> env) {
    this.out = out;
    this.env = env;
  }

  public static void main(String[] args) {
    LocalMode mode = new LocalMode();
    mode.logsToFile = true;
    CommandLine command = new CommandLine(mode);
    command.setExecutionExceptionHandler(
        (e, cl, parsed) -> {
          e.printStackTrace(); // to the log file once it is open
          if (mode.stopping) {
            return 1;
          }
          mode.out.println(
              "osbackup local mode failed: "
                  + e.getMessage()
                  + (mode.logFile == null ? "" : " (details in " + mode.logFile + ")"));
          return 1;
        });
    int code = command.execute(args);
    mode.exiting = true;
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    String problem = checkFlags();
    if (problem != null) {
      out.println("osbackup local mode: " + problem);
      return 2;
    }
    Path samples = samplesDir();
    if (!Files.isDirectory(samples)) {
      out.println(
          "osbackup local mode: no samples/ directory here; run it from the project root or from e2e/");
      return 2;
    }
    Map<String, Map<String, Path>> nodeCopies = nodeCopies();
    if (nodeCopies == null) {
      return 2;
    }
    workDir = workDir.toAbsolutePath().normalize();
    deleteRecursively(workDir);
    Files.createDirectories(workDir);
    out.println("osbackup local mode, work dir " + workDir);
    if (logsToFile) {
      logFile = workDir.resolve(LOG_FILE);
      System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
      System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
      // slf4j-simple and java.util.logging write to System.err: into the log file, off the console
      System.setErr(new PrintStream(Files.newOutputStream(logFile), true, StandardCharsets.UTF_8));
      out.println("Logs: " + logFile);
    }
    Thread main = Thread.currentThread();
    Thread hook = new Thread(() -> onSignal(main), "osbackup-local-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    if (exitWithParent) {
      ProcessHandle.current()
          .parent()
          .ifPresent(
              parent ->
                  parent
                      .onExit()
                      .thenRun(
                          () -> {
                            out.println();
                            out.println(
                                "The process that started local mode (pid "
                                    + parent.pid()
                                    + ") has exited.");
                            System.exit(0); // the shutdown hook stops everything
                          }));
    }
    try (Watchdog watchdog = Watchdog.start(workDir.resolve("watchdog.pids"), workDir.toString());
        S3Server s3 = blank(s3Endpoint) ? S3Server.start(workDir.resolve("s3")) : null;
        MariaDbServer db = blank(dbHost) ? MariaDbServer.start(workDir.resolve("mariadb")) : null) {
      watchdog.watchDescendants();
      SampleOverlay.Local local = local(s3, db);
      if (s3 != null) {
        s3.createBucket(BUCKET);
        out.println("  S3 (" + s3.kind() + ")      " + s3.endpoint() + "  bucket " + BUCKET);
      } else {
        out.println(
            "  S3               " + s3Endpoint + "  bucket " + s3Bucket + ", prefix " + s3Prefix);
      }
      if (db != null) {
        OpenStackSample.seed(db);
        out.println(
            "  MariaDB          "
                + db.host()
                + ":"
                + db.port()
                + "  databases "
                + OpenStackSample.DATABASES);
      } else {
        out.println(
            "  MariaDB          "
                + dbHost
                + ":"
                + dbPort
                + "  databases "
                + (databases.isEmpty() ? "every user database" : databases));
      }
      Map<String, String> agentEnv =
          Map.of(
              DatabaseBackup.DUMP_COMMAND_ENV,
              db != null ? db.dumpCommand().toString() : tool(DatabaseBackup.DUMP_COMMAND_ENV),
              DatabaseRestorer.CLIENT_COMMAND_ENV,
              db != null
                  ? db.clientCommand().toString()
                  : tool(DatabaseRestorer.CLIENT_COMMAND_ENV));
      try (LocalCluster cluster =
          LocalCluster.start(
              workDir.resolve("cluster"),
              OperatorSettings.defaults().withPollInterval(Duration.ofSeconds(1)),
              agentEnv)) {
        cluster.namespace(NS);
        Path kubeconfig = cluster.writeKubeconfig(workDir.resolve("kubeconfig"), NS);
        if (cluster.backend() == LocalCluster.Backend.REAL) {
          ControlPlane api = cluster.controlPlane().orElseThrow();
          out.println(
              "  Kubernetes API   "
                  + cluster.apiUrl()
                  + "  (kubelocal: Kubernetes 1.36.3, started in "
                  + api.startup().toMillis() / 100 / 10.0
                  + " s)  kubeconfig "
                  + kubeconfig);
        } else {
          out.println("  Kubernetes API   " + cluster.apiUrl() + "  kubeconfig " + kubeconfig);
          out.println();
          out.println(
              "  WARNING: no kubelocal here, so local mode runs on fabric8's CRUD mock API server: it validates");
          out.println(
              "  nothing, enforces no RBAC, runs no Job controller or garbage collector, and kubectl explain,");
          out.println(
              "  edit, patch, logs and apply of a changed object do not work as on a cluster. "
                  + ControlPlane.unavailable().orElse(""));
          out.println();
        }
        for (var node : OpenStackSample.NODES.entrySet()) {
          cluster.nodes().add(node.getKey(), node.getValue());
          OpenStackSample.writeNodeFiles(
              cluster.nodes().root(node.getKey()),
              node.getKey(),
              node.getValue().get("openstack-role"));
        }
        out.println(
            "  nodes            "
                + cluster.nodes().names()
                + " under "
                + workDir.resolve("cluster/nodes"));
        Path images = cluster.claim(NS, GLANCE_CLAIM);
        glanceImages(images);
        out.println("  PVC " + GLANCE_CLAIM + "       " + images);

        for (var node : nodeCopies.entrySet()) {
          for (var copy : node.getValue().entrySet()) {
            Path into = cluster.nodes().root(node.getKey()).resolve(copy.getKey().substring(1));
            copyTree(copy.getValue(), into);
            out.println(
                "  node dir         "
                    + node.getKey()
                    + ":"
                    + copy.getKey()
                    + "  copied from "
                    + copy.getValue());
          }
        }

        SampleOverlay overlay =
            new SampleOverlay(local)
                .withNodePaths(
                    nodeCopies.entrySet().stream()
                        .collect(
                            java.util.stream.Collectors.toMap(
                                Map.Entry::getKey,
                                e -> List.copyOf(e.getValue().keySet()),
                                (a, b) -> a,
                                java.util.LinkedHashMap::new)));
        KubernetesClient client = cluster.client();
        applySample(client, overlay, samples.resolve(STORE_SAMPLE), null);
        applySample(client, overlay, samples.resolve(POLICY_SAMPLE), null);
        // kubectl apply of a sample as it stands (its placeholders) keeps local mode's values
        cluster.rewriteWrites(overlay::reapply);
        LocalSummary summary = new LocalSummary();
        BackupRun run = backup(client, overlay, samples.resolve(RUN_SAMPLE), local, summary);
        boolean backedUp = run != null && run.getStatus().getPhase() == RunPhase.Succeeded;
        if (!backedUp) {
          storeProblem(client).ifPresent(message -> out.println("  BackupStore: " + message));
        } else if (db == null) {
          out.println();
          out.println("(the sample restores expect the sample databases: skipped with --db-host)");
        } else {
          String id = run.getStatus().getBackupId();
          restore(client, overlay, samples.resolve(RESTORE_SAMPLE), id, summary);
          restore(client, overlay, samples.resolve(DRY_RUN_SAMPLE), id, summary);
        }
        out.println();
        List<String> cli = breakGlass(client, local, s3 != null, db != null);
        summary.note(
            "Logs: "
                + (logFile == null ? "where this process logs" : logFile)
                + "; Job logs: "
                + workDir.resolve("cluster/jobs/logs"));
        if (once) {
          summary.lines().forEach(out::println);
          cli.forEach(out::println);
          return summary.succeeded() ? 0 : 1;
        }
        summary.lines().forEach(out::println);
        cli.forEach(out::println);
        out.println();
        out.println(
            "Running: the policy "
                + (schedule.equals("sample")
                    ? "runs on the sample's schedule"
                    : "runs at '" + schedule + "'")
                + " and keeps what the sample's retention says (one a day, the newest always).");
        out.println(
            "Look around:  kubectl --kubeconfig " + kubeconfig + " get bstore,bpol,brun,rreq");
        out.println("Ctrl-C stops everything.");
        try {
          stop.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        out.println("Stopping: operator, kubelet, control plane, servers.");
        return 0;
      }
    } finally {
      stopped.countDown();
      if (!stopping) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // shutting down already
        }
      }
    }
  }

  /**
   * Ctrl-C, SIGTERM, or {@code System.exit} when the parent is gone: local mode stops what it
   * started (the main thread closes the operator, the Job runner and the servers) and exits 0 — a
   * signal is how a user ends it, not a failure for Maven to print with a stack trace; once mode
   * says it did not finish.
   */
  private void onSignal(Thread main) {
    if (exiting) {
      return; // local mode returned on its own: everything is closed already
    }
    stopping = true;
    stop.countDown();
    if (once) {
      out.println("Stopping: operator, kubelet, control plane, servers.");
      main.interrupt();
    }
    awaitQuietly(stopped, Duration.ofSeconds(60));
    if (once) {
      out.println("Stopped before the backup and the sample restores had all finished.");
    }
    out.flush();
    Runtime.getRuntime().halt(0);
  }

  /** Null when the flags make sense, else what to fix. */
  private String checkFlags() {
    if (!blank(s3Endpoint)
        && (blank(env.get(StoreOptions.ACCESS_KEY_ENV))
            || blank(env.get(StoreOptions.SECRET_KEY_ENV)))) {
      return "--s3-endpoint needs the S3 login in the environment: set "
          + StoreOptions.ACCESS_KEY_ENV
          + " and "
          + StoreOptions.SECRET_KEY_ENV;
    }
    if (!blank(dbHost)) {
      if (blank(env.get(RestoreCommand.DB_USERNAME_ENV))
          || blank(env.get(RestoreCommand.DB_PASSWORD_ENV))) {
        return "--db-host needs the database login in the environment: set "
            + RestoreCommand.DB_USERNAME_ENV
            + " and "
            + RestoreCommand.DB_PASSWORD_ENV;
      }
      List<String> missing =
          Stream.of(DatabaseBackup.DUMP_COMMAND_ENV, DatabaseRestorer.CLIENT_COMMAND_ENV)
              .filter(variable -> tool(variable) == null)
              .map(
                  variable ->
                      variable.equals(DatabaseBackup.DUMP_COMMAND_ENV) ? "mariadb-dump" : "mariadb")
              .toList();
      if (!missing.isEmpty()) {
        return "--db-host needs "
            + String.join(" and ", missing)
            + " for the agent: put them on the PATH"
            + " (Debian: apt-get install mariadb-client) or name them in "
            + DatabaseBackup.DUMP_COMMAND_ENV
            + " and "
            + DatabaseRestorer.CLIENT_COMMAND_ENV;
      }
    }
    if (!schedule.equals("sample") && schedule.isBlank()) {
      return "--schedule is empty: give a cron expression or 'sample'";
    }
    return null;
  }

  /**
   * The {@code --node-dir} copies by node, each {@code /PATH -> DIR}; null (after printing what to
   * fix) when one is malformed, names an unknown node or a folder that is not there.
   */
  private Map<String, Map<String, Path>> nodeCopies() {
    Map<String, Map<String, Path>> copies = new java.util.LinkedHashMap<>();
    for (String spec : nodeDirs) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("^([^:=]+):(/[^=]*)=(.+)$").matcher(spec);
      String problem = null;
      if (!m.matches()) {
        problem =
            "--node-dir "
                + spec
                + " is not NODE:/PATH=DIR, e.g. --node-dir controller-1:/etc/octavia=/etc/octavia";
      } else if (!OpenStackSample.NODES.containsKey(m.group(1))) {
        problem =
            "--node-dir "
                + spec
                + " names node '"
                + m.group(1)
                + "': use one of "
                + new java.util.TreeSet<>(OpenStackSample.NODES.keySet());
      } else if (!Files.isDirectory(Path.of(m.group(3)))) {
        problem = "--node-dir " + spec + ": " + m.group(3) + " is not a directory on this machine";
      } else if (Path.of(m.group(2)).normalize().getNameCount() == 0) {
        problem = "--node-dir " + spec + ": give a folder below /, e.g. /etc/octavia";
      }
      if (problem != null) {
        out.println("osbackup local mode: " + problem);
        return null;
      }
      copies
          .computeIfAbsent(m.group(1), n -> new java.util.LinkedHashMap<>())
          .put(
              Path.of(m.group(2)).normalize().toString(),
              Path.of(m.group(3)).toAbsolutePath().normalize());
    }
    return copies;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(
              p,
              target,
              java.nio.file.StandardCopyOption.COPY_ATTRIBUTES,
              java.nio.file.StandardCopyOption.REPLACE_EXISTING,
              java.nio.file.LinkOption.NOFOLLOW_LINKS);
        }
      }
    }
  }

  /**
   * Where the break-glass CLI finds local mode's backups: the store's endpoint, bucket and prefix
   * as flags, the logins of the servers local mode started in {@value #CLI_ENV_FILE} (only its
   * owner may read it; never printed), and the store's manifest signing Secret in a file for {@code
   * --signing-keys}. Returns the lines to print.
   */
  private List<String> breakGlass(
      KubernetesClient client, SampleOverlay.Local local, boolean ownS3, boolean ownDb)
      throws IOException {
    Path envFile = workDir.resolve(CLI_ENV_FILE);
    StringBuilder text =
        new StringBuilder(
            "# Logins of osbackup local mode's servers, for the break-glass CLI (docs/restore.md).\n"
                + "# Load them into a shell with:  . "
                + envFile
                + "\n");
    if (ownS3) {
      text.append(export(StoreOptions.ACCESS_KEY_ENV, local.accessKey()))
          .append(export(StoreOptions.SECRET_KEY_ENV, local.secretKey()));
    }
    if (ownDb) {
      text.append(export(RestoreCommand.DB_USERNAME_ENV, local.dbUser()))
          .append(export(RestoreCommand.DB_PASSWORD_ENV, local.dbPassword()));
    }
    writePrivate(envFile, text.toString());
    BackupStore store = client.resources(BackupStore.class).inNamespace(NS).withName("swift").get();
    String signing =
        store == null ? null : io.osbackup.operator.reconcile.ManifestKeys.secretName(store);
    io.fabric8.kubernetes.api.model.Secret keys =
        signing == null ? null : client.secrets().inNamespace(NS).withName(signing).get();
    Path keysFile = null;
    if (keys != null) {
      keys.getMetadata().setManagedFields(null);
      keysFile = workDir.resolve(signing + ".yaml");
      writePrivate(keysFile, io.fabric8.kubernetes.client.utils.Serialization.asYaml(keys));
    }
    List<String> lines = new ArrayList<>();
    lines.add("Break-glass CLI against this store (docs/restore.md):");
    lines.add(
        "  S3 endpoint "
            + local.s3Endpoint()
            + ", bucket "
            + local.s3Bucket()
            + ", prefix "
            + (local.s3Prefix() == null ? "prod (samples/01)" : local.s3Prefix())
            + ", region "
            + local.s3Region());
    List<String> from = new ArrayList<>();
    if (ownS3 || ownDb) {
      from.add(
          (ownS3 && ownDb ? "S3 and MariaDB" : ownS3 ? "S3" : "MariaDB") + " logins in " + envFile);
    }
    if (!ownS3) {
      from.add(
          "S3 login from your $"
              + StoreOptions.ACCESS_KEY_ENV
              + " and $"
              + StoreOptions.SECRET_KEY_ENV);
    }
    if (!ownDb) {
      from.add(
          "database login from your $"
              + RestoreCommand.DB_USERNAME_ENV
              + " and $"
              + RestoreCommand.DB_PASSWORD_ENV);
    }
    if (keysFile != null) {
      from.add("manifest signing keys in " + keysFile);
    }
    lines.add("  " + String.join("; ", from));
    lines.add("  . " + envFile);
    lines.add(
        "  java -jar "
            + cliJar()
            + " backups --endpoint "
            + local.s3Endpoint()
            + " --bucket "
            + local.s3Bucket()
            + " --prefix "
            + (local.s3Prefix() == null ? "prod" : local.s3Prefix())
            + " --region "
            + local.s3Region()
            + (keysFile == null ? "" : " --signing-keys " + keysFile));
    return lines;
  }

  private static String export(String name, String value) {
    return "export " + name + "='" + value.replace("'", "'\\''") + "'\n";
  }

  /** Writes {@code text} to a new file only its owner can read. */
  private static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file,
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  /** The break-glass CLI's jar as the build leaves it, relative to the project root. */
  private static String cliJar() {
    Path target =
        samplesDir().toAbsolutePath().normalize().resolveSibling("operator").resolve("target");
    if (Files.isRegularFile(target.resolve("osbackup-all.jar"))) {
      return target.resolve("osbackup-all.jar").toString();
    }
    try (Stream<Path> jars = Files.list(target)) {
      return jars.filter(j -> j.getFileName().toString().endsWith("-all.jar"))
          .map(Path::toString)
          .findFirst()
          .orElse(target.resolve("osbackup-all.jar").toString());
    } catch (IOException e) {
      return target.resolve("osbackup-all.jar").toString();
    }
  }

  private SampleOverlay.Local local(S3Server s3, MariaDbServer db) {
    return new SampleOverlay.Local(
        s3 != null ? s3.endpoint() : s3Endpoint,
        s3 != null ? s3.region() : s3Region,
        s3 != null ? BUCKET : s3Bucket,
        s3 != null ? null : s3Prefix,
        s3 != null ? s3.accessKey() : env.get(StoreOptions.ACCESS_KEY_ENV),
        s3 != null ? s3.secretKey() : env.get(StoreOptions.SECRET_KEY_ENV),
        db != null ? db.host() : dbHost,
        db != null ? db.port() : dbPort,
        db != null ? db.user() : env.get(RestoreCommand.DB_USERNAME_ENV),
        db != null ? db.password() : env.get(RestoreCommand.DB_PASSWORD_ENV),
        db != null
            ? null
            : databases.stream().map(String::strip).filter(d -> !d.isEmpty()).toList(),
        schedule.equals("sample") ? null : schedule);
  }

  /**
   * Applies one sample through the overlay, printing what the overlay changed; returns what was
   * applied.
   */
  private List<HasMetadata> applySample(
      KubernetesClient client, SampleOverlay overlay, Path sample, String backupId)
      throws IOException {
    SampleOverlay.Overlaid overlaid = overlay.read(sample, backupId);
    out.println();
    out.println(
        "Applied samples/"
            + sample.getFileName()
            + ": "
            + overlaid.objects().stream()
                .map(o -> o.getKind() + " " + o.getMetadata().getName())
                .toList());
    overlaid.changes().forEach(change -> out.println("  local: " + change));
    overlaid.objects().forEach(object -> apply(client, object));
    return overlaid.objects();
  }

  private BackupRun backup(
      KubernetesClient client,
      SampleOverlay overlay,
      Path sample,
      SampleOverlay.Local local,
      LocalSummary summary)
      throws IOException {
    String name =
        only(applySample(client, overlay, sample, null), BackupRun.class).getMetadata().getName();
    BackupRun run =
        follow(
            client,
            BackupRun.class,
            name,
            r ->
                r.getStatus() == null || r.getStatus().getPhase() == null
                    ? "Pending"
                    : r.getStatus().getPhase()
                        + (r.getStatus().getProgress() == null
                            ? ""
                            : "  " + r.getStatus().getProgress().getSummary())
                        + (r.getStatus().getMessage() == null
                            ? ""
                            : "  " + r.getStatus().getMessage()),
            r ->
                r.getStatus() != null
                    && r.getStatus().getPhase() != null
                    && r.getStatus().getPhase().isFinal());
    if (run != null && run.getStatus() != null) {
      for (ArtifactStatus a : run.getStatus().getArtifacts()) {
        out.printf(
            "  %-72s %9d  %s%n", a.getKey(), a.getSize(), a.getSha256().substring(0, 16) + "...");
      }
      run.getStatus()
          .getFailures()
          .forEach(f -> out.println("  FAILED " + f.getTarget() + " " + f.getMessage()));
    }
    var status = run == null ? null : run.getStatus();
    summary.add(
        new LocalSummary.Item(
            "backup",
            name,
            status == null || status.getPhase() == null ? "Pending" : status.getPhase().toString(),
            status != null && status.getPhase() == RunPhase.Succeeded,
            status == null ? null : status.getArtifacts().size(),
            status == null
                ? null
                : status.getArtifacts().stream()
                    .mapToLong(a -> a.getSize() == null ? 0 : a.getSize())
                    .sum(),
            status == null || status.getFolder() == null
                ? null
                : "s3://"
                    + local.s3Bucket()
                    + "/"
                    + status.getFolder().replaceAll("/*$", "/")
                    + " at "
                    + local.s3Endpoint(),
            status == null
                ? List.of()
                : status.getFailures().stream()
                    .map(f -> f.getTarget() + ": " + f.getMessage())
                    .toList()));
    return run != null && run.getStatus() != null && run.getStatus().getPhase() != null
        ? run
        : null;
  }

  /** Applies a restore sample, follows it and prints its plan; true when it succeeded. */
  private boolean restore(
      KubernetesClient client,
      SampleOverlay overlay,
      Path sample,
      String backupId,
      LocalSummary summary)
      throws IOException {
    String name =
        only(applySample(client, overlay, sample, backupId), RestoreRequest.class)
            .getMetadata()
            .getName();
    RestoreRequest request =
        follow(
            client,
            RestoreRequest.class,
            name,
            r ->
                r.getStatus() == null || r.getStatus().getPhase() == null
                    ? "Pending"
                    : r.getStatus().getPhase()
                        + (r.getStatus().getMessage() == null
                            ? ""
                            : "  " + r.getStatus().getMessage()),
            r ->
                r.getStatus() != null
                    && r.getStatus().getPhase() != null
                    && r.getStatus().getPhase().isFinal());
    var status = request == null ? null : request.getStatus();
    boolean succeeded = status != null && status.getPhase() == RestorePhase.Succeeded;
    if (status != null) {
      status.getPlan().forEach(i -> out.printf("  %-64s -> %s%n", i.getKey(), i.getDestination()));
    }
    summary.add(
        new LocalSummary.Item(
            "restore",
            name,
            status == null || status.getPhase() == null ? "Pending" : status.getPhase().toString(),
            succeeded,
            status == null ? null : status.getPlan().size(),
            null,
            status == null
                ? null
                : (Boolean.TRUE.equals(request.getSpec().getDryRun()) ? "would restore to " : "to ")
                    + status.getPlan().stream().map(i -> i.getDestination()).distinct().toList(),
            succeeded || status == null || status.getMessage() == null
                ? List.of()
                : List.of(status.getMessage())));
    return succeeded;
  }

  /**
   * Prints a line each time {@code line} of the object changes, until {@code done} or five minutes.
   */
  private <T extends HasMetadata> T follow(
      KubernetesClient client,
      Class<T> type,
      String name,
      Function<T, String> line,
      Predicate<T> done) {
    Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
    String last = null;
    T current = null;
    while (Instant.now().isBefore(deadline)) {
      if (stopping) {
        throw new IllegalStateException("stopped");
      }
      current = client.resources(type).inNamespace(NS).withName(name).get();
      String now = current == null ? "Pending" : line.apply(current);
      if (!Objects.equals(now, last)) {
        out.println("  " + now);
        last = now;
      }
      if (current != null && done.test(current)) {
        break;
      }
      sleep(Duration.ofMillis(500));
    }
    return current;
  }

  private static java.util.Optional<String> storeProblem(KubernetesClient client) {
    return client.resources(BackupStore.class).inNamespace(NS).list().getItems().stream()
        .filter(s -> s.getStatus() != null)
        .flatMap(s -> s.getStatus().getConditions().stream())
        .filter(c -> "Available".equals(c.getType()) && !"True".equals(c.getStatus()))
        .map(c -> c.getReason() + ": " + c.getMessage())
        .findFirst();
  }

  /** Two image files in the folder of the PVC the sample policy's glance-images target reads. */
  private static void glanceImages(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("images"));
    byte[] image = new byte[256 * 1024];
    for (int i = 0; i < image.length; i++) {
      image[i] = (byte) (i * 31 ^ i >>> 7);
    }
    Files.write(dir.resolve("images/5f0b8a5e-cirros-0.6.2.img"), image);
    Files.writeString(
        dir.resolve("images/README"), "glance file store (local mode)\n", StandardCharsets.UTF_8);
  }

  /**
   * Where the samples are: {@code samples/} of the project, seen from its root or from {@code
   * e2e/}.
   */
  static Path samplesDir() {
    for (Path candidate : List.of(Path.of("samples"), Path.of("..", "samples"))) {
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    return Path.of("samples");
  }

  private static <T> T only(List<HasMetadata> objects, Class<T> type) {
    return objects.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("the sample holds no " + type.getSimpleName()));
  }

  private static void apply(KubernetesClient client, HasMetadata object) {
    object.getMetadata().setNamespace(NS);
    client.resource(object).inNamespace(NS).createOr(existing -> existing.update());
  }

  /**
   * The MariaDB client tool the agent runs, for an existing server: the one {@code variable} names,
   * else {@code mariadb-dump} or {@code mariadb} on the PATH; null when there is none.
   */
  private String tool(String variable) {
    if (!blank(env.get(variable))) {
      return env.get(variable);
    }
    String name = variable.equals(DatabaseBackup.DUMP_COMMAND_ENV) ? "mariadb-dump" : "mariadb";
    String path = env.getOrDefault("PATH", System.getenv("PATH"));
    return path == null
        ? null
        : Arrays.stream(path.split(File.pathSeparator))
            .map(dir -> Path.of(dir, name))
            .filter(Files::isExecutable)
            .map(Path::toString)
            .findFirst()
            .orElse(null);
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }

  private static void awaitQuietly(CountDownLatch latch, Duration timeout) {
    try {
      latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
