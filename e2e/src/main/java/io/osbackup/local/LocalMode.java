package io.osbackup.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.operator.OperatorSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Local mode: osbackup end to end on one machine with embedded defaults. It starts a MariaDB holding small OpenStack
 * service databases, an S3 server (OpenStack Swift if installed), the embedded Kubernetes API with four simulated
 * nodes holding OpenStack configuration, the local Job runner and the operator; applies a store and a control-plane
 * policy, and takes a first backup right away.
 */
@Command(
    name = "osbackup-local",
    mixinStandardHelpOptions = true,
    description = "Run osbackup end to end on this machine: MariaDB, S3, an embedded Kubernetes API and the operator.")
public final class LocalMode implements Callable<Integer> {

  static final String NS = "openstack";
  static final String BUCKET = "openstack-backups";

  @Option(
      names = "--work-dir",
      defaultValue = "target/osbackup-local",
      description = "Where servers, simulated nodes and Job logs live; emptied at start. Default: ${DEFAULT-VALUE}")
  Path workDir;

  @Option(
      names = "--once",
      defaultValue = "${sys:osbackup.local.once:-false}",
      description = "Take the first backup and the sample restore, print them and exit (0 when both succeeded).")
  boolean once;

  private final PrintStream out;

  public LocalMode() {
    this(System.out);
  }

  LocalMode(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new LocalMode()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    workDir = workDir.toAbsolutePath().normalize();
    deleteRecursively(workDir);
    Files.createDirectories(workDir);
    out.println("osbackup local mode, work dir " + workDir.toAbsolutePath());
    CountDownLatch stop = new CountDownLatch(1);
    try (S3Server s3 = S3Server.start(workDir.resolve("s3"));
        MariaDbServer db = MariaDbServer.start(workDir.resolve("mariadb"))) {
      s3.createBucket(BUCKET);
      out.println("  S3 (" + s3.kind() + ")      " + s3.endpoint() + "  bucket " + BUCKET);
      OpenStackSample.seed(db);
      out.println("  MariaDB          " + db.host() + ":" + db.port() + "  databases " + OpenStackSample.DATABASES);
      try (LocalCluster cluster =
          LocalCluster.start(
              workDir.resolve("cluster"),
              OperatorSettings.defaults().withPollInterval(Duration.ofSeconds(1)),
              Map.of(
                  "OSBACKUP_DUMP_COMMAND", db.dumpCommand().toString(),
                  "OSBACKUP_MARIADB_CLIENT", db.clientCommand().toString()))) {
        Path kubeconfig = cluster.writeKubeconfig(workDir.resolve("kubeconfig"), NS);
        out.println("  Kubernetes API   " + cluster.apiUrl() + "  kubeconfig " + kubeconfig);
        for (var node : OpenStackSample.NODES.entrySet()) {
          cluster.nodes().add(node.getKey(), node.getValue());
          OpenStackSample.writeNodeFiles(
              cluster.nodes().root(node.getKey()), node.getKey(), node.getValue().get("openstack-role"));
        }
        out.println("  nodes            " + cluster.nodes().names() + " under " + workDir.resolve("cluster/nodes"));
        BackupRun run = firstBackup(cluster.client(), s3, db);
        boolean backedUp = run != null && run.getStatus() != null && run.getStatus().getPhase() == RunPhase.Succeeded;
        boolean restored = backedUp && sampleRestore(cluster.client());
        if (once) {
          return backedUp && restored ? 0 : 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        out.println();
        out.println(
            "Running: the policy takes a backup every 5 minutes and keeps the last 3 (and one per hour for a day).");
        out.println("Job logs: " + workDir.resolve("cluster/jobs/logs") + ". Ctrl-C stops everything.");
        out.println("Look around:  kubectl --kubeconfig " + kubeconfig + " get bstore,bpol,brun,rreq");
        stop.await();
        return 0;
      }
    }
  }

  private BackupRun firstBackup(KubernetesClient client, S3Server s3, MariaDbServer db) {
    apply(client, secret("backup-s3", Map.of("accessKey", s3.accessKey(), "secretKey", s3.secretKey())));
    apply(client, secret("backup-db", Map.of("username", db.user(), "password", db.password())));
    apply(
        client,
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupStore
            metadata: {name: local}
            spec:
              s3: {endpoint: "%s", bucket: %s, region: %s, prefix: local, forcePathStyle: true,
                   credentialsSecret: {name: backup-s3}}
            """
                .formatted(s3.endpoint(), BUCKET, s3.region()),
            BackupStore.class));
    apply(
        client,
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupPolicy
            metadata: {name: control-plane}
            spec:
              storeRef: {name: local}
              schedule: "*/5 * * * *"
              timeZone: UTC
              retention: {keepLast: 3, keepHourly: 24}
              compression: gzip
              maxParallelNodes: 2
              databases:
                - name: galera
                  host: %s
                  port: %d
                  credentialsSecret: {name: backup-db}
                  include: [%s]
              files:
                - name: controller-config
                  nodeSelector: {openstack-role: controller}
                  paths: [/etc/keystone, /etc/glance, /etc/nova]
                - name: swift-rings
                  nodeSelector: {openstack-role: controller}
                  paths: [/etc/swift]
                - name: nova-config
                  nodeSelector: {openstack-role: compute}
                  paths: [/etc/nova, /var/lib/nova]
                  exclude: [/var/lib/nova/instances]
                - name: neutron-config
                  nodeSelector: {openstack-role: network}
                  paths: [/etc/neutron]
            """
                .formatted(db.host(), db.port(), String.join(", ", OpenStackSample.DATABASES)),
            BackupPolicy.class));
    String name = "control-plane-first";
    apply(
        client,
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupRun
            metadata: {name: %s}
            spec: {policyRef: {name: control-plane}}
            """
                .formatted(name),
            BackupRun.class));
    out.println();
    out.println("BackupRun " + NS + "/" + name + ":");
    Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
    String last = null;
    BackupRun run = null;
    while (Instant.now().isBefore(deadline)) {
      run = client.resources(BackupRun.class).inNamespace(NS).withName(name).get();
      var status = run == null ? null : run.getStatus();
      String line =
          status == null || status.getPhase() == null
              ? "Pending"
              : status.getPhase()
                  + (status.getProgress() == null ? "" : "  " + status.getProgress().getSummary())
                  + (status.getMessage() == null ? "" : "  " + status.getMessage());
      if (!Objects.equals(line, last)) {
        out.println("  " + line);
        last = line;
      }
      if (status != null && status.getPhase() != null && status.getPhase().isFinal()) {
        break;
      }
      sleep(Duration.ofMillis(500));
    }
    if (run != null && run.getStatus() != null) {
      for (ArtifactStatus a : run.getStatus().getArtifacts()) {
        out.printf("  %-72s %9d  %s%n", a.getKey(), a.getSize(), a.getSha256().substring(0, 16) + "...");
      }
      run.getStatus().getFailures().forEach(f -> out.println("  FAILED " + f.getTarget() + " " + f.getMessage()));
    }
    return run;
  }

  /** Where the samples are: {@code samples/} of the project, seen from its root or from {@code e2e/}. */
  static Path samplesDir() {
    for (Path candidate : List.of(Path.of("samples"), Path.of("..", "samples"))) {
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    return Path.of("samples");
  }

  /** Applies {@value #RESTORE_SAMPLE} from samples/ and prints how it went; true when it succeeded. */
  private boolean sampleRestore(KubernetesClient client) throws IOException {
    Path sample = samplesDir().resolve(RESTORE_SAMPLE);
    if (!Files.exists(sample)) {
      out.println("(no " + sample + ": skipping the sample restore)");
      return true;
    }
    RestoreRequest request;
    try (var in = Files.newInputStream(sample)) {
      request = Serialization.unmarshal(in, RestoreRequest.class);
    }
    apply(client, request);
    String name = request.getMetadata().getName();
    out.println();
    out.println("RestoreRequest " + NS + "/" + name + " (" + sample + "):");
    Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
    String last = null;
    RestoreRequest current = null;
    while (Instant.now().isBefore(deadline)) {
      current = client.resources(RestoreRequest.class).inNamespace(NS).withName(name).get();
      var status = current == null ? null : current.getStatus();
      String line = status == null || status.getPhase() == null ? "Pending"
          : status.getPhase() + (status.getMessage() == null ? "" : "  " + status.getMessage());
      if (!Objects.equals(line, last)) {
        out.println("  " + line);
        last = line;
      }
      if (status != null && status.getPhase() != null && status.getPhase().isFinal()) {
        break;
      }
      sleep(Duration.ofMillis(500));
    }
    if (current != null && current.getStatus() != null) {
      current.getStatus().getPlan().forEach(i -> out.printf("  %-60s -> %s%n", i.getKey(), i.getDestination()));
    }
    return current != null && current.getStatus() != null
        && current.getStatus().getPhase() == io.osbackup.api.v1alpha1.RestorePhase.Succeeded;
  }

  static final String RESTORE_SAMPLE = "40-restore-in-local-mode.yaml";

  private static HasMetadata secret(String name, Map<String, String> values) {
    Map<String, String> data = new java.util.TreeMap<>();
    values.forEach(
        (k, v) -> data.put(k, java.util.Base64.getEncoder().encodeToString(v.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    return new SecretBuilder().withNewMetadata().withName(name).endMetadata().withData(data).build();
  }

  private static void apply(KubernetesClient client, HasMetadata object) {
    object.getMetadata().setNamespace(NS);
    client.resource(object).inNamespace(NS).createOr(existing -> existing.update());
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
