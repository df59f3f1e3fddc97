package io.osbackup.bench;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunSpec;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.api.v1alpha1.Retention;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.retention.RetentionPass;
import io.osbackup.retention.RetentionResult;
import io.osbackup.retention.RetentionStore;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.LocalCluster;
import io.osbackup.testbed.S3Server;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scale benchmarks (not timed tests), see the "Scale" section of docs/benchmarks.md:
 *
 * <ul>
 *   <li>{@code fanout}: a files target over 200 simulated nodes, run by the local Job runner, at
 *       several maxParallelNodes, and a node removed mid-run;
 *   <li>{@code operator}: the operator on the mock API with 500 policies and 20,000 finished
 *       BackupRuns: full resync time, heap, scheduling delay;
 *   <li>{@code retention}: one retention pass over a policy folder of many objects on Swift.
 * </ul>
 *
 * Usage: {@code ScaleBenchmark <fanout|operator|retention> [--name value]...}; every figure is
 * printed and written to {@code bench/work/scale-<mode>-<time>.md}.
 */
public final class ScaleBenchmark {

  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final String BUCKET = "openstack-backups";
  private static final String NS = "openstack";

  private final Map<String, String> options;
  private final Path work;
  private final StringBuilder report = new StringBuilder();

  private ScaleBenchmark(Map<String, String> options) throws IOException {
    this.options = options;
    this.work = Files.createDirectories(Path.of(option("work", "bench/work")).toAbsolutePath());
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: ScaleBenchmark <fanout|operator|retention> [--name value]...");
      System.exit(2);
    }
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    ScaleBenchmark bench = new ScaleBenchmark(options);
    bench.line("# Scale benchmark: " + args[0] + " (" + Instant.now() + ")");
    bench.line("");
    bench.line("options: " + options);
    bench.line("");
    bench.line(MachineFacts.describe(bench.work));
    bench.line("load average at start: " + loadAverage());
    bench.line("");
    try {
      switch (args[0]) {
        case "fanout" -> bench.fanout();
        case "operator" -> bench.operator();
        case "retention" -> bench.retention();
        default -> throw new IllegalArgumentException("unknown mode " + args[0]);
      }
    } finally {
      bench.line("");
      bench.line("load average at end: " + loadAverage());
      Path out =
          bench.work.resolve("scale-" + args[0] + "-" + ID_TIME.format(Instant.now()) + ".md");
      Files.writeString(out, bench.report);
      System.out.println("results written to " + out);
    }
    System.exit(0);
  }

  // -------------------------------------------------------------------------------------------
  // the cluster

  /**
   * The shared {@link LocalCluster} below {@code dir/cluster}, its operator not started yet; every
   * pod's JVM with {@code podJvmOptions}. On fabric8's CRUD mock API server unless {@code
   * -Dosbackup.kubernetes=real} asks for the real control plane: the figures in docs/benchmarks.md
   * were taken on the mock, and with it the operator's heap includes the API server's store.
   */
  private static LocalCluster cluster(Path dir, String... podJvmOptions) throws IOException {
    LocalCluster.Builder builder =
        LocalCluster.builder(dir.resolve("cluster"))
            .backend(
                System.getProperty(LocalCluster.BACKEND_PROPERTY) == null
                    ? LocalCluster.Backend.MOCK
                    : LocalCluster.Backend.configured())
            .startOperator(false);
    if (podJvmOptions.length > 0) {
      builder.podJvmOptions(podJvmOptions);
    }
    return builder.start().namespace(NS);
  }

  /**
   * The credentials Secret and a BackupStore {@code primary} on the S3 server, prefix {@code prod}.
   */
  private static void storeOn(LocalCluster cluster, S3Server s3) {
    Map<String, String> data = new HashMap<>();
    data.put("accessKey", b64(s3.accessKey()));
    data.put("secretKey", b64(s3.secretKey()));
    apply(
        cluster,
        new SecretBuilder()
            .withNewMetadata()
            .withName("backup-s3")
            .withNamespace(NS)
            .endMetadata()
            .withData(data)
            .build());
    apply(
        cluster,
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupStore
            metadata: {name: primary, namespace: %s}
            spec:
              probeIntervalSeconds: 300
              s3: {endpoint: "%s", bucket: %s, region: %s, prefix: prod, forcePathStyle: true,
                   credentialsSecret: {name: backup-s3}}
            """
                .formatted(NS, s3.endpoint(), BUCKET, s3.region()),
            BackupStore.class));
  }

  private static void apply(LocalCluster cluster, HasMetadata object) {
    object.getMetadata().setNamespace(NS);
    cluster.client().resource(object).inNamespace(NS).createOr(existing -> existing.update());
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  // -------------------------------------------------------------------------------------------
  // fan-out

  private void fanout() throws Exception {
    int nodeCount = Integer.parseInt(option("nodes", "200"));
    List<Integer> parallels =
        java.util.Arrays.stream(option("parallel", "5,20").split(","))
            .filter(s -> !s.isBlank())
            .map(Integer::parseInt)
            .toList();
    int lostParallel = Integer.parseInt(option("lost-parallel", "20"));
    String[] jvm = option("agent-jvm", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1").split(" ");
    Path dir = fresh("fanout");
    try (S3Server s3 = S3Server.start(dir.resolve("s3"));
        LocalCluster cluster = cluster(dir, jvm)) {
      s3.createBucket(BUCKET);
      List<String> names = new ArrayList<>();
      for (int i = 1; i <= nodeCount; i++) {
        String node = "compute-%03d".formatted(i);
        names.add(node);
        cluster.nodes().add(node, Map.of("openstack-role", "compute"));
        Path nova = Files.createDirectories(cluster.nodes().root(node).resolve("etc/nova"));
        Files.writeString(
            nova.resolve("nova.conf"),
            "[DEFAULT]\nhost = " + node + "\nmy_ip = 10.0.0." + i % 250 + "\n");
        Files.writeString(
            nova.resolve("api-paste.ini"), "[composite:osapi_compute]\nuse = call:nova.api\n");
        Files.writeString(nova.resolve("policy.yaml"), "# defaults\n");
      }
      storeOn(cluster, s3);
      cluster.startOperator();
      awaitStoreAvailable(cluster, Duration.ofSeconds(60));
      line(
          "S3: "
              + s3.kind()
              + "; "
              + nodeCount
              + " nodes, 3 small files each in /etc/nova; agent JVM options "
              + String.join(" ", jvm)
              + " (-Xmx256m)");
      line("");
      line(
          "| run | maxParallelNodes | wall s | most Jobs unfinished at once | Jobs created | artifacts | failures | phase |");
      line("|---|---|---|---|---|---|---|---|");
      for (int parallel : parallels) {
        fanoutRun(cluster, "fan-p" + parallel, parallel, null, nodeCount);
      }
      if (lostParallel > 0) {
        String doomed = names.get(names.size() / 2);
        // Enough incompressible data that the doomed node's agent is still reading when the node
        // goes.
        Path big = cluster.nodes().root(doomed).resolve("etc/nova/big.bin");
        byte[] chunk = new byte[1 << 20];
        new Random(1).nextBytes(chunk);
        try (OutputStream out = Files.newOutputStream(big)) {
          for (int i = 0; i < Integer.parseInt(option("lost-mib", "300")); i++) {
            out.write(chunk);
          }
        }
        fanoutRun(cluster, "fan-lost", lostParallel, doomed, nodeCount);
      }
    }
  }

  private void fanoutRun(
      LocalCluster cluster, String policy, int parallel, String doomed, int nodeCount)
      throws Exception {
    apply(
        cluster,
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupPolicy
            metadata: {name: %s}
            spec:
              storeRef: {name: primary}
              maxParallelNodes: %d
              compression: gzip
              job: {activeDeadlineSeconds: 1800}
              files:
                - name: nova-config
                  nodeSelector: {openstack-role: compute}
                  paths: [/etc/nova]
            """
                .formatted(policy, parallel),
            BackupPolicy.class));
    String runName = policy + "-now";
    ActiveJobs jobs = new ActiveJobs();
    Watch watch =
        cluster
            .client()
            .batch()
            .v1()
            .jobs()
            .inNamespace(NS)
            .withLabel(Api.RUN_LABEL, runName)
            .watch(jobs);
    Instant t0 = Instant.now();
    BackupRun run = new BackupRun();
    run.setMetadata(new ObjectMetaBuilder().withName(runName).withNamespace(NS).build());
    BackupRunSpec spec = new BackupRunSpec();
    spec.setPolicyRef(new LocalRef(policy));
    run.setSpec(spec);
    cluster.client().resource(run).create();
    boolean removed = false;
    BackupRun current;
    Instant deadline = t0.plus(Duration.ofMinutes(Long.parseLong(option("run-timeout-min", "30"))));
    while (true) {
      current = cluster.client().resources(BackupRun.class).inNamespace(NS).withName(runName).get();
      if (current != null
          && current.getStatus() != null
          && current.getStatus().getPhase() != null
          && current.getStatus().getPhase().isFinal()) {
        break;
      }
      if (Instant.now().isAfter(deadline)) {
        line(
            "run "
                + runName
                + " did not end in time: "
                + Serialization.asJson(current == null ? null : current.getStatus()));
        watch.close();
        return;
      }
      if (doomed != null && !removed && podRunningOn(cluster, runName, doomed)) {
        Thread.sleep(1000);
        cluster.nodes().remove(doomed);
        removed = true;
        System.out.println(
            "removed node "
                + doomed
                + " at "
                + Duration.between(t0, Instant.now()).toMillis()
                + " ms");
      }
      Thread.sleep(250);
    }
    double wall = Duration.between(t0, Instant.now()).toMillis() / 1000.0;
    watch.close();
    BackupRunStatus status = current.getStatus();
    List<String> failures =
        status.getFailures().stream()
            .map(f -> f.getNode() + ": " + f.getReason() + ": " + f.getMessage())
            .toList();
    Set<String> artifactNodes = new HashSet<>();
    for (ArtifactStatus a : status.getArtifacts()) {
      artifactNodes.add(a.getNode());
    }
    line(
        "| "
            + runName
            + " | "
            + parallel
            + " | "
            + "%.1f".formatted(wall)
            + " | "
            + jobs.max()
            + " | "
            + jobs.created()
            + " | "
            + status.getArtifacts().size()
            + " ("
            + artifactNodes.size()
            + " nodes) | "
            + status.getFailures().size()
            + " | "
            + status.getPhase()
            + " |");
    if (doomed != null) {
      boolean onlyDoomed =
          status.getFailures().size() == 1
              && doomed.equals(status.getFailures().get(0).getNode())
              && !artifactNodes.contains(doomed)
              && artifactNodes.size() == nodeCount - 1;
      line("");
      line(
          "node "
              + doomed
              + " removed mid-run ("
              + (removed ? "yes" : "NO: its pod was never seen Running")
              + "); only that node failed: "
              + onlyDoomed
              + "; failures: "
              + failures);
      line("");
    } else if (!failures.isEmpty()) {
      line("");
      line("failures of " + runName + ": " + failures.subList(0, Math.min(5, failures.size())));
      line("");
    }
    System.out.println("run " + runName + ": " + status.getPhase() + " " + status.getMessage());
  }

  private static boolean podRunningOn(LocalCluster cluster, String run, String node) {
    for (Pod p :
        cluster.client().pods().inNamespace(NS).withLabel(Api.RUN_LABEL, run).list().getItems()) {
      if (node.equals(p.getMetadata().getLabels().get(Api.NODE_LABEL))
          && p.getStatus() != null
          && "Running".equals(p.getStatus().getPhase())) {
        return true;
      }
    }
    return false;
  }

  /** Watches Jobs and records the most that existed unfinished at once. */
  private static final class ActiveJobs implements Watcher<Job> {
    private final Set<String> active = new HashSet<>();
    private final Set<String> seen = new HashSet<>();
    private int max;

    @Override
    public synchronized void eventReceived(Action action, Job job) {
      String name = job.getMetadata().getName();
      seen.add(name);
      boolean finished =
          action == Action.DELETED
              || (job.getStatus() != null
                  && job.getStatus().getConditions() != null
                  && job.getStatus().getConditions().stream()
                      .anyMatch(
                          c ->
                              ("Complete".equals(c.getType()) || "Failed".equals(c.getType()))
                                  && "True".equals(c.getStatus())));
      if (finished) {
        active.remove(name);
      } else {
        active.add(name);
      }
      max = Math.max(max, active.size());
    }

    @Override
    public void onClose(WatcherException cause) {}

    synchronized int max() {
      return max;
    }

    synchronized int created() {
      return seen.size();
    }
  }

  // -------------------------------------------------------------------------------------------
  // operator load

  private void operator() throws Exception {
    int policyCount = Integer.parseInt(option("policies", "500"));
    int runCount = Integer.parseInt(option("runs", "20000"));
    int slots = Integer.parseInt(option("slots", "2"));
    String schedule = option("schedule", "* * * * *");
    int threads = Integer.parseInt(option("threads", "8"));
    Path dir = fresh("operator");
    try (S3Server s3 = S3Server.start(dir.resolve("s3"));
        LocalCluster cluster = cluster(dir)) {
      s3.createBucket(BUCKET);
      storeOn(cluster, s3);

      ExecutorService pool = Executors.newFixedThreadPool(threads);
      Instant seed0 = Instant.now();
      List<Future<?>> tasks = new ArrayList<>();
      for (int p = 0; p < policyCount; p++) {
        String name = policyName(p);
        tasks.add(pool.submit(() -> apply(cluster, policy(name, schedule))));
      }
      await(tasks);
      double policySeed = secondsSince(seed0);
      Instant runs0 = Instant.now();
      AtomicLong statusBytes = new AtomicLong();
      for (int r = 0; r < runCount; r++) {
        int index = r;
        tasks.add(
            pool.submit(
                () -> {
                  statusBytes.addAndGet(
                      seedRun(cluster, policyName(index % policyCount), index / policyCount));
                  return null;
                }));
      }
      await(tasks);
      pool.shutdown();
      double runSeed = secondsSince(runs0);
      line(
          "Seeded "
              + policyCount
              + " BackupPolicies (schedule \""
              + schedule
              + "\") in "
              + "%.1f".formatted(policySeed)
              + " s and "
              + runCount
              + " finished BackupRuns (create + status update, "
              + threads
              + " threads) in "
              + "%.1f".formatted(runSeed)
              + " s; mean status JSON "
              + statusBytes.get() / Math.max(1, runCount)
              + " bytes.");
      line(
          "Policies target `nodeSelector: {openstack-role: none}`, which no Node matches, so each scheduled run fails at"
              + " once (NoMatchingNodes) and the next slot is not skipped by concurrencyPolicy Forbid.");

      long heapBefore = usedHeapAfterGc();
      line(
          "Heap used (after GC) with the mock API holding everything, before the operator starts: "
              + mib(heapBefore));

      // Scheduling delay: every BackupRun the operator creates, as the watch delivers it.
      Map<Instant, List<Long>> delays = new ConcurrentHashMap<>();
      Watch runWatch =
          cluster
              .client()
              .resources(BackupRun.class)
              .inNamespace(NS)
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, BackupRun run) {
                      if (action != Action.ADDED || run.getMetadata().getAnnotations() == null) {
                        return;
                      }
                      String at =
                          run.getMetadata().getAnnotations().get(Api.GROUP + "/scheduled-at");
                      if (at != null) {
                        Instant slot = Instant.parse(at);
                        delays
                            .computeIfAbsent(
                                slot,
                                k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                            .add(Duration.between(slot, Instant.now()).toMillis());
                      }
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });

      var os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpu0 = os.getProcessCpuTime();
      Instant start = Instant.now();
      cluster.startOperator(); // returns once the informers' caches are synced
      Duration startCall = Duration.between(start, Instant.now());
      Instant allReconciled = null;
      int reconciled = 0;
      while (Duration.between(start, Instant.now()).compareTo(Duration.ofMinutes(5)) < 0) {
        reconciled =
            (int)
                cluster
                    .client()
                    .resources(BackupPolicy.class)
                    .inNamespace(NS)
                    .list()
                    .getItems()
                    .stream()
                    .filter(ScaleBenchmark::reconciledOnce)
                    .count();
        if (reconciled == policyCount) {
          allReconciled = Instant.now();
          break;
        }
        Thread.sleep(200);
      }
      double cpuResync = (os.getProcessCpuTime() - cpu0) / 1e9;
      line("");
      line(
          "- `Operator.start()` returned after "
              + "%.1f".formatted(startCall.toMillis() / 1000.0)
              + " s (informer caches synced)");
      line(
          "- full resync (start until every policy's status shows a reconciliation): "
              + (allReconciled == null
                  ? "NOT REACHED in 5 min (" + reconciled + " of " + policyCount + ")"
                  : "%.1f s".formatted(Duration.between(start, allReconciled).toMillis() / 1000.0))
              + "; process CPU in that time "
              + "%.1f".formatted(cpuResync)
              + " s (operator and mock API together)");
      Thread.sleep(10_000);
      long heapAfter = usedHeapAfterGc();
      line(
          "- heap used after GC, 10 s after the resync: "
              + mib(heapAfter)
              + "; the operator's share (minus the"
              + " figure before it started): "
              + mib(heapAfter - heapBefore));

      // Idle cost between slots
      Instant firstSlot = nextMinute(Instant.now());
      long idleMs = Math.min(20_000, Duration.between(Instant.now(), firstSlot).toMillis() - 2000);
      if (idleMs > 3000) {
        long c0 = os.getProcessCpuTime();
        Thread.sleep(idleMs);
        double cpu = (os.getProcessCpuTime() - c0) / 1e9;
        line(
            "- between slots (nothing due; each policy re-reconciled every pollInterval = 5 s): process CPU "
                + "%.0f %%".formatted(100 * cpu / (idleMs / 1000.0))
                + " of one core over "
                + idleMs / 1000
                + " s");
      }
      Instant lastSlot = firstSlot.plus(Duration.ofMinutes(slots - 1));
      Instant waitUntil =
          lastSlot.plus(Duration.ofSeconds(Long.parseLong(option("grace-s", "90"))));
      long cpuSlots0 = os.getProcessCpuTime();
      while (Instant.now().isBefore(waitUntil)) {
        List<Long> last = delays.get(lastSlot);
        if (last != null && last.size() >= policyCount) {
          break;
        }
        Thread.sleep(500);
      }
      double cpuSlots = (os.getProcessCpuTime() - cpuSlots0) / 1e9;
      runWatch.close();
      line(
          "- process CPU from the first slot's minute until the last slot's runs were all created: "
              + "%.0f s".formatted(cpuSlots));
      line("");
      line(
          "Scheduling delay: when the watch delivered the BackupRun the operator created for a slot, minus the slot.");
      line("");
      line("| slot | runs created | median s | p99 s | max s |");
      line("|---|---|---|---|---|");
      for (Instant slot : new java.util.TreeSet<>(delays.keySet())) {
        List<Long> d = new ArrayList<>(delays.get(slot));
        d.sort(null);
        line(
            "| "
                + slot
                + " | "
                + d.size()
                + " | "
                + sec(pct(d, 50))
                + " | "
                + sec(pct(d, 99))
                + " | "
                + sec(d.get(d.size() - 1))
                + " |");
      }
      long skipped =
          cluster.client().resources(BackupPolicy.class).inNamespace(NS).list().getItems().stream()
              .filter(p -> p.getStatus() != null && p.getStatus().getLastSkippedSlot() != null)
              .count();
      line("");
      line("Policies with a skipped slot: " + skipped);
      line("Heap used after GC at the end: " + mib(usedHeapAfterGc()));
    }
  }

  private static boolean reconciledOnce(BackupPolicy p) {
    return p.getStatus() != null
        && p.getStatus().getObservedGeneration() != null
        && p.getStatus().getConditions() != null
        && !p.getStatus().getConditions().isEmpty();
  }

  private static String policyName(int p) {
    return "policy-%03d".formatted(p);
  }

  private static BackupPolicy policy(String name, String schedule) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: %s}
        spec:
          schedule: "%s"
          storeRef: {name: primary}
          retention: {keepLast: 40}
          files:
            - name: nova-config
              nodeSelector: {openstack-role: none}
              paths: [/etc/nova]
        """
            .formatted(name, schedule),
        BackupPolicy.class);
  }

  /**
   * Creates one finished run of the policy, status through the status subresource; returns its
   * status size.
   */
  private static int seedRun(LocalCluster cluster, String policy, int index) {
    Instant time = Instant.parse("2026-01-01T02:00:00Z").plus(Duration.ofHours(index));
    String id = policy + "-" + ID_TIME.format(time);
    BackupRun run = new BackupRun();
    run.setMetadata(
        new ObjectMetaBuilder()
            .withName(id)
            .withNamespace(NS)
            .addToLabels(Api.POLICY_LABEL, policy)
            .addToLabels(Api.MANAGED_BY_LABEL, Api.MANAGED_BY)
            .build());
    BackupRunSpec spec = new BackupRunSpec();
    spec.setPolicyRef(new LocalRef(policy));
    run.setSpec(spec);
    BackupRun created = cluster.client().resource(run).create();
    BackupRunStatus status = new BackupRunStatus();
    status.setPhase(RunPhase.Succeeded);
    status.setObservedGeneration(1L);
    status.setBackupId(id);
    String folder = BackupLayout.backupFolder("prod", NS, policy, id);
    status.setFolder(folder);
    status.setManifestKey(BackupLayout.manifest(folder));
    status.setStartTime(time.toString());
    status.setCompletionTime(time.plusSeconds(95).toString());
    status.setSize(5L * 14_000_000L);
    status.setMessage("5 artifacts, 70000000 bytes");
    for (String db : List.of("keystone", "nova", "nova_api", "placement", "neutron")) {
      ArtifactStatus a = new ArtifactStatus();
      a.setTarget("control-plane");
      a.setDatabase(db);
      a.setKey(folder + "/db/control-plane/" + db + ".sql.gz");
      a.setSize(14_000_000L);
      a.setSha256(
          "%064x".formatted(new java.math.BigInteger(1, (id + db).getBytes())).substring(0, 64));
      status.getArtifacts().add(a);
    }
    created.setStatus(status);
    cluster.client().resource(created).updateStatus();
    return Serialization.asJson(status).length();
  }

  private static void awaitStoreAvailable(LocalCluster cluster, Duration timeout)
      throws InterruptedException {
    Instant end = Instant.now().plus(timeout);
    while (Instant.now().isBefore(end)) {
      BackupStore store =
          cluster.client().resources(BackupStore.class).inNamespace(NS).withName("primary").get();
      if (store != null
          && store.getStatus() != null
          && store
              .getStatus()
              .condition("Available")
              .map(c -> "True".equals(c.getStatus()))
              .orElse(false)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the BackupStore did not become Available");
  }

  private static Instant nextMinute(Instant now) {
    return now.truncatedTo(java.time.temporal.ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
  }

  // -------------------------------------------------------------------------------------------
  // retention

  private void retention() throws Exception {
    int backups = Integer.parseInt(option("backups", "2000"));
    int perBackup = Integer.parseInt(option("objects-per-backup", "10"));
    int keepLast = Integer.parseInt(option("keep-last", "10"));
    int threads = Integer.parseInt(option("threads", "16"));
    Path dir = fresh("retention");
    try (S3Server s3 = S3Server.start(dir.resolve("s3"));
        ObjectStore bucket = s3.store(BUCKET)) {
      s3.createBucket(BUCKET);
      String policy = "control-plane-daily";
      String policyFolder = BackupLayout.policyFolder("prod", NS, policy);
      Instant first = Instant.parse("2025-01-01T02:00:00Z");
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> tasks = new ArrayList<>();
      AtomicLong puts = new AtomicLong();
      Instant seed0 = Instant.now();
      for (int b = 0; b < backups; b++) {
        Instant time = first.plus(Duration.ofHours(b));
        String id = policy + "-" + ID_TIME.format(time);
        tasks.add(
            pool.submit(
                () -> {
                  String folder = BackupLayout.backupFolder("prod", NS, policy, id);
                  List<Manifest.Entry> entries = new ArrayList<>();
                  for (int i = 0; i < perBackup - 1; i++) {
                    String key = folder + "/db/control-plane/db" + i + ".sql.gz";
                    bucket.putJson(key, "artifact " + i + " of " + id);
                    puts.incrementAndGet();
                    entries.add(
                        new Manifest.Entry(
                            "database",
                            "control-plane",
                            "db" + i,
                            null,
                            key,
                            20,
                            20,
                            "0".repeat(64),
                            "gzip",
                            null,
                            null,
                            time,
                            time.plusSeconds(60),
                            List.of()));
                  }
                  bucket.putJson(
                      BackupLayout.manifest(folder),
                      new Manifest(
                          Manifest.FORMAT_VERSION,
                          id,
                          NS,
                          policy,
                          id,
                          "primary",
                          BUCKET,
                          folder,
                          "gzip",
                          time,
                          time.plusSeconds(90),
                          20L * entries.size(),
                          entries));
                  long n = puts.incrementAndGet();
                  if (n % 5000 < perBackup) {
                    System.out.println("seeded " + n + " objects");
                  }
                  return null;
                }));
      }
      await(tasks);
      pool.shutdown();
      double seedSeconds = secondsSince(seed0);
      long objects = (long) backups * perBackup;
      line(
          "Seeded "
              + objects
              + " objects ("
              + backups
              + " backups x "
              + perBackup
              + ", manifests included, ~20-1000"
              + " bytes each) on "
              + s3.kind()
              + " with "
              + threads
              + " threads in "
              + "%.0f".formatted(seedSeconds)
              + " s ("
              + "%.0f".formatted(objects / seedSeconds)
              + " PUT/s)");

      CountingStore counting = new CountingStore(RetentionStore.of(bucket));
      Retention rules = new Retention();
      rules.setKeepLast(keepLast);
      Instant t0 = Instant.now();
      RetentionResult result =
          RetentionPass.run(
              counting,
              policyFolder,
              rules,
              ZoneOffset.UTC,
              Instant.now(),
              Duration.ofHours(2),
              false);
      double total = secondsSince(t0);
      int remaining = bucket.list(policyFolder + "/").size();
      line("");
      line(
          "RetentionPass with keepLast "
              + keepLast
              + ": ok "
              + result.ok()
              + ", kept "
              + result.kept().size()
              + ", deleted "
              + result.deleted().size()
              + " backups, "
              + remaining
              + " objects left (expected "
              + (long) keepLast * perBackup
              + ")"
              + (result.errors().isEmpty() ? "" : "; errors: " + result.errors()));
      line("");
      line("| step | calls | S3 requests | s | per second |");
      line("|---|---|---|---|---|");
      line(
          counting.row(
              "list (ListObjectsV2, 1,000 keys a page)", "list", counting.listed.get(), "objects"));
      line(
          counting.row(
              "manifest reads (GET)", "manifest", counting.calls("manifest"), "manifests"));
      line(counting.row("owner-marker reads (GET)", "marker", counting.calls("marker"), "markers"));
      line(
          counting.row("incomplete-upload listing", "uploads", counting.calls("uploads"), "calls"));
      line(
          counting.row(
              "deletes (DeleteObjects, 1,000 keys a request)",
              "delete",
              counting.deletedKeys.get(),
              "objects"));
      line(counting.row("aborts", "abort", counting.calls("abort"), "calls"));
      line(
          "| **whole pass** | "
              + counting.totalCalls()
              + " | "
              + counting.totalRequests()
              + " | "
              + "%.1f".formatted(total)
              + " | "
              + "%.0f objects/s".formatted(objects / total)
              + " |");
    }
  }

  /** Counts and times the requests of a retention pass at the {@link RetentionStore} interface. */
  private static final class CountingStore implements RetentionStore {
    private final RetentionStore store;
    private final Map<String, AtomicLong> calls = new LinkedHashMap<>();
    private final Map<String, AtomicLong> requests = new LinkedHashMap<>();
    private final Map<String, AtomicLong> nanos = new LinkedHashMap<>();
    final AtomicLong listed = new AtomicLong();
    final AtomicLong deletedKeys = new AtomicLong();

    CountingStore(RetentionStore store) {
      this.store = store;
      for (String op : List.of("list", "manifest", "marker", "uploads", "delete", "abort")) {
        calls.put(op, new AtomicLong());
        requests.put(op, new AtomicLong());
        nanos.put(op, new AtomicLong());
      }
    }

    private void count(String op, long requestCount, long started) {
      calls.get(op).incrementAndGet();
      requests.get(op).addAndGet(requestCount);
      nanos.get(op).addAndGet(System.nanoTime() - started);
    }

    long calls(String op) {
      return calls.get(op).get();
    }

    long totalCalls() {
      return calls.values().stream().mapToLong(AtomicLong::get).sum();
    }

    long totalRequests() {
      return requests.values().stream().mapToLong(AtomicLong::get).sum();
    }

    String row(String label, String op, long units, String unit) {
      double s = nanos.get(op).get() / 1e9;
      return "| "
          + label
          + " | "
          + calls.get(op).get()
          + " | "
          + requests.get(op).get()
          + " | "
          + "%.1f".formatted(s)
          + " | "
          + (s > 0 ? "%.0f %s/s".formatted(units / s, unit) : "-")
          + " |";
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
      long t = System.nanoTime();
      List<ObjectInfo> out = store.list(prefix);
      listed.addAndGet(out.size());
      count("list", Math.max(1, (out.size() + 999) / 1000), t);
      return out;
    }

    @Override
    public Optional<Manifest> manifest(String key) throws IOException {
      long t = System.nanoTime();
      Optional<Manifest> out = store.manifest(key);
      count("manifest", 1, t);
      return out;
    }

    @Override
    public Optional<Owner.Marker> marker(String key) throws IOException {
      long t = System.nanoTime();
      Optional<Owner.Marker> out = store.marker(key);
      count("marker", 1, t);
      return out;
    }

    @Override
    public void delete(Collection<String> keys) throws IOException {
      long t = System.nanoTime();
      store.delete(keys);
      deletedKeys.addAndGet(keys.size());
      count("delete", keys.isEmpty() ? 0 : (keys.size() + 999) / 1000, t);
    }

    @Override
    public List<String> incompleteUploads(String prefix) throws IOException {
      long t = System.nanoTime();
      List<String> out = store.incompleteUploads(prefix);
      count("uploads", 1, t);
      return out;
    }

    @Override
    public int abortIncompleteUploads(String prefix) throws IOException {
      long t = System.nanoTime();
      int n = store.abortIncompleteUploads(prefix);
      count("abort", 1 + n, t);
      return n;
    }
  }

  // -------------------------------------------------------------------------------------------
  // helpers

  private String option(String name, String fallback) {
    return options.getOrDefault(name, fallback);
  }

  private Path fresh(String name) throws IOException {
    Path dir = work.resolve("scale-" + name);
    if (Files.exists(dir)) {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return Files.createDirectories(dir);
  }

  private void line(String text) {
    System.out.println(text);
    report.append(text).append('\n');
  }

  private static void await(List<Future<?>> tasks) throws Exception {
    for (Future<?> f : tasks) {
      f.get();
    }
    tasks.clear();
  }

  private static double secondsSince(Instant t0) {
    return Duration.between(t0, Instant.now()).toMillis() / 1000.0;
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(300);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static String mib(long bytes) {
    return "%.0f MiB".formatted(bytes / 1048576.0);
  }

  private static long pct(List<Long> sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  private static String sec(long ms) {
    return "%.1f".formatted(ms / 1000.0);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
