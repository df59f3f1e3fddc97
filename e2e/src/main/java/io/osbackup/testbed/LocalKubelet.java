package io.osbackup.testbed;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet of the {@link SimulatedNodes simulated nodes} on a real API server: the real Job
 * controller creates the pods and the real scheduler binds them; this runs each pod bound to one of
 * the nodes, writes its status and completes its deletion, and keeps the nodes' heartbeat Leases
 * fresh so the node lifecycle controller sees them Ready.
 *
 * <p>A pod labelled {@code app.kubernetes.io/managed-by=osbackup} (an agent) runs as a local JVM
 * process ({@code java -cp <classpath> <mainClass> <args>}) with the pod's environment, Secrets,
 * ConfigMaps and host paths resolved as a kubelet resolves them ({@link PodLaunch}); when it exits
 * the pod becomes Succeeded or Failed with the container's exit code and termination message. Any
 * other pod (the OpenStack services that a restore quiesces) runs as a placeholder without a
 * process: Running and Ready until it is deleted, like a container that never exits; deleted, it
 * stops at once, or at the end of its grace period when annotated {@value #IGNORES_SIGTERM}.
 *
 * <p>Deleting a pod sends its process SIGTERM, then SIGKILL after the pod's grace period (at most
 * {@code maxGracePeriod}); once the process is gone the pod's final status is written and the pod
 * deleted with a grace period of 0, as a kubelet does. A node removed from the API is a lost
 * machine: its processes are killed without a word to the API, and the pod garbage collector deals
 * with its pods. After a restart of the kubelet, a pod that the API shows Running but that has no
 * process is marked Failed with reason {@code ContainerStatusUnknown} (exit code 137), as a kubelet
 * does for a container it cannot find.
 *
 * <p>Given the control plane's certificates ({@link Builder#pki}), it serves the container log
 * endpoint the API server calls for {@code kubectl logs} ({@link KubeletServer}).
 *
 * <p>What it still fakes: one container per pod and no init containers; restartPolicy {@code
 * OnFailure} and {@code Always} containers are not restarted (agents run with {@code Never}); no
 * probes, no resource limits beyond the heap, {@code readOnly} mounts not enforced, pod and host
 * IPs are 127.0.0.1, the node's capacity is a constant, and the container command is ignored in
 * favour of {@code mainClass}.
 */
public final class LocalKubelet implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalKubelet.class);
  private static final String LEASE_NAMESPACE = "kube-node-lease";
  private static final int LEASE_SECONDS = 40;

  /**
   * Pod annotation: {@code "true"} makes a placeholder pod behave like a container that ignores
   * SIGTERM — once deleted it stays Terminating for its whole grace period, as a slow shutdown
   * does.
   */
  public static final String IGNORES_SIGTERM = "local.osbackup.io/ignores-sigterm";

  private final KubernetesClient client;
  private final Path work;
  private final SimulatedNodes nodes;
  private final PodProcess.Settings processSettings;
  private final Map<String, String> selector;
  private final Duration maxGracePeriod;
  private final PodLaunch launch;
  private final ScheduledExecutorService loop;
  private final Map<String, LocalPod> pods = new ConcurrentHashMap<>();
  private final Map<String, String> placeholders = new ConcurrentHashMap<>();

  /** Uids of pods whose container ended here: never started again, whatever an older cache says. */
  private final Set<String> ended = ConcurrentHashMap.newKeySet();

  private final Map<String, String> blocked = new ConcurrentHashMap<>();
  private final Set<String> waitingForGrace = ConcurrentHashMap.newKeySet();
  private final RunningPods running = new RunningPods();
  private final Path pki;
  private KubeletServer server;
  private SharedIndexInformer<Pod> podInformer;
  private SharedIndexInformer<Node> nodeInformer;
  private volatile boolean closed;

  private LocalKubelet(Builder b) {
    this.client = Objects.requireNonNull(b.client, "client");
    this.work = Objects.requireNonNull(b.workDir, "workDir").toAbsolutePath();
    this.nodes = b.nodes != null ? b.nodes : new SimulatedNodes(client, work.resolve("nodes"));
    this.processSettings = b.settings();
    this.selector = Map.copyOf(b.selector);
    this.maxGracePeriod = b.maxGracePeriod;
    this.launch = new PodLaunch(client, nodes, work);
    this.pki = b.pki;
    this.loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "local-kubelet");
              t.setDaemon(true);
              return t;
            });
  }

  /** A builder; {@code client} and {@code workDir} are required. */
  public static Builder builder() {
    return new Builder();
  }

  private LocalKubelet start() {
    if (pki != null) {
      try {
        server =
            new KubeletServer(
                pki,
                (ns, pod) -> logOf(ns, pod).toString(),
                (ns, pod) -> {
                  LocalPod local = pods.get(ns + "/" + pod);
                  return local != null && !local.exited();
                });
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      nodes.kubeletPort(server.port());
    }
    nodeInformer =
        client
            .nodes()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Node node) {
                    loop.execute(LocalKubelet.this::heartbeat);
                  }

                  @Override
                  public void onUpdate(Node old, Node node) {}

                  @Override
                  public void onDelete(Node node, boolean unknownFinalState) {
                    String name = node.getMetadata().getName();
                    pods.values().stream()
                        .filter(p -> p.node.equals(name))
                        .forEach(p -> submit(p.key()));
                    placeholders.keySet().forEach(LocalKubelet.this::submit);
                  }
                },
                0);
    podInformer =
        client
            .pods()
            .inAnyNamespace()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    submit(key(pod));
                  }

                  @Override
                  public void onUpdate(Pod old, Pod pod) {
                    submit(key(pod));
                  }

                  @Override
                  public void onDelete(Pod pod, boolean unknownFinalState) {
                    ended.remove(pod.getMetadata().getUid());
                    submit(key(pod));
                  }
                },
                0);
    loop.scheduleWithFixedDelay(this::resync, 500, 500, TimeUnit.MILLISECONDS);
    loop.scheduleWithFixedDelay(this::heartbeat, 0, 10, TimeUnit.SECONDS);
    LOG.info("local kubelet started: work {}", work);
    return this;
  }

  // ---------------------------------------------------------------- observability

  /** The most pods that ran (as processes) at the same time since the kubelet started. */
  public int maxConcurrentPods() {
    return running.max();
  }

  /** Pods whose process is running now. */
  public int runningPods() {
    return running.now();
  }

  public SimulatedNodes nodes() {
    return nodes;
  }

  /**
   * The folder that plays PersistentVolumeClaim {@code claim} of {@code namespace} for the pods
   * that mount it.
   */
  public Path volumeDir(String namespace, String claim) {
    return PodLaunch.volumeDir(work, namespace, claim);
  }

  /** Where the stdout and stderr of a pod go: {@code <work>/logs/<namespace>/<pod>.log}. */
  public Path logOf(String namespace, String pod) {
    return work.resolve("logs").resolve(namespace).resolve(pod + ".log");
  }

  // ---------------------------------------------------------------- the loop

  private void submit(String podKey) {
    if (closed) {
      return;
    }
    try {
      loop.execute(() -> reconcile(podKey));
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  /**
   * Pods waiting for something (a Secret, a volume) are retried, and process trees are recorded for
   * the kill.
   */
  private void resync() {
    pods.values().forEach(LocalPod::observeTree);
    blocked.keySet().forEach(this::reconcile);
  }

  private void heartbeat() {
    if (closed || nodeInformer == null) {
      return;
    }
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    for (Node node : nodeInformer.getStore().list()) {
      String name = node.getMetadata().getName();
      try {
        Lease lease =
            new LeaseBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(LEASE_NAMESPACE)
                .addNewOwnerReference()
                .withApiVersion("v1")
                .withKind("Node")
                .withName(name)
                .withUid(node.getMetadata().getUid())
                .endOwnerReference()
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity(name)
                .withLeaseDurationSeconds(LEASE_SECONDS)
                .withRenewTime(now)
                .endSpec()
                .build();
        client
            .leases()
            .inNamespace(LEASE_NAMESPACE)
            .resource(lease)
            .createOr(NonDeletingOperation::update);
        if (server != null
            && (node.getStatus() == null
                || node.getStatus().getDaemonEndpoints() == null
                || node.getStatus().getDaemonEndpoints().getKubeletEndpoint() == null
                || node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort()
                    != server.port())) {
          // a node added before this kubelet started, or served by an earlier one: where its logs
          // are now
          client
              .nodes()
              .withName(name)
              .subresource("status")
              .patch(
                  PatchContext.of(PatchType.STRATEGIC_MERGE),
                  "{\"status\":{\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":"
                      + server.port()
                      + "}}}}");
        }
      } catch (KubernetesClientException e) {
        LOG.debug("heartbeat of node {} not written: {}", name, e.getMessage());
      }
    }
  }

  private void reconcile(String podKey) {
    if (closed) {
      return;
    }
    try {
      sync(podKey);
    } catch (KubernetesClientException e) {
      LOG.warn("sync of pod {} failed, will retry: {}", podKey, e.getMessage());
      blocked.putIfAbsent(podKey, "");
    } catch (RuntimeException | IOException e) {
      LOG.error("sync of pod {} failed, will retry", podKey, e);
      blocked.putIfAbsent(podKey, "");
    }
  }

  private void sync(String podKey) throws IOException {
    Pod pod = podInformer.getStore().getByKey(podKey);
    LocalPod local = pods.get(podKey);
    if (pod == null) {
      placeholders.remove(podKey);
      blocked.remove(podKey);
      if (local != null) {
        kill(local, "the pod was deleted");
      }
      return;
    }
    String uid = pod.getMetadata().getUid();
    // a kubelet's LocalPod carries the pod's own uid as its jobUid: a new pod of the same name is
    // another pod
    if (local != null && !local.jobUid.equals(uid)) {
      kill(local, "the pod was replaced");
      local = null;
    }
    String node = pod.getSpec().getNodeName();
    if (node == null) {
      return;
    }
    if (nodeInformer.getStore().getByKey(node) == null) {
      // a lost machine: its containers die with it and nobody reports them
      placeholders.remove(podKey);
      blocked.remove(podKey);
      if (local != null) {
        LOG.info("node {} is gone: pod {} is lost", node, podKey);
        kill(local, "its node was removed");
      }
      return;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    boolean terminal = "Succeeded".equals(phase) || "Failed".equals(phase);
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      terminate(pod, local, terminal);
      return;
    }
    if (terminal) {
      placeholders.remove(podKey);
      if (local != null) {
        pods.remove(podKey);
        local.killTree();
        local.removeSecrets();
      }
      return;
    }
    if (local != null) {
      if (local.exited()) {
        ended(pod, local);
      }
      return;
    }
    if (ended.contains(uid) || placeholders.containsKey(podKey)) {
      return;
    }
    if (!selected(pod)) {
      // a placeholder; one already Running was this node's before a restart of the kubelet, and
      // still is
      placeholders.put(podKey, uid);
      if (!"Running".equals(phase)) {
        PodProcess.replaceStatus(statusOf(pod), placeholderStatus(pod));
      }
      return;
    }
    if ("Running".equals(phase)) {
      LOG.info("pod {} was Running but has no process: marking it Failed", podKey);
      ended.add(uid);
      PodProcess.replaceStatus(
          statusOf(pod),
          PodProcess.ended(pod, PodProcess.unknown(pod), "Failed", null, null, null));
      return;
    }
    startPod(pod, node);
  }

  /**
   * The pod is being deleted: stop its container within the grace period, report it, then let it
   * go.
   */
  private void terminate(Pod pod, LocalPod local, boolean terminal) {
    String podKey = key(pod);
    blocked.remove(podKey);
    if (local != null && !local.exited()) {
      Long podGrace = pod.getMetadata().getDeletionGracePeriodSeconds();
      Duration grace =
          podGrace == null
              ? maxGracePeriod
              : Duration.ofSeconds(podGrace).compareTo(maxGracePeriod) < 0
                  ? Duration.ofSeconds(podGrace)
                  : maxGracePeriod;
      if (local.killedBecause() == null) {
        LOG.info(
            "pod {} is being deleted: stopping its process within {} s", podKey, grace.toSeconds());
        local.kill("the pod is being deleted", grace);
      }
      return; // its exit brings us back
    }
    boolean placeholder = local == null && !selected(pod);
    if (placeholder && !terminal && "true".equals(annotation(pod, IGNORES_SIGTERM))) {
      // a container that ignores SIGTERM runs until its grace period is over: the deletion
      // timestamp
      Instant killAt = Instant.parse(pod.getMetadata().getDeletionTimestamp());
      Duration left = Duration.between(Instant.now(), killAt);
      if (!left.isNegative() && !left.isZero()) {
        if (waitingForGrace.add(podKey)) {
          LOG.info(
              "pod {} ignores SIGTERM: it stops at the end of its grace period, {}",
              podKey,
              killAt);
          loop.schedule(
              () -> {
                waitingForGrace.remove(podKey);
                reconcile(podKey);
              },
              left.toMillis() + 10,
              TimeUnit.MILLISECONDS);
        }
        return;
      }
    }
    if (!terminal) {
      ContainerStatus cs;
      String phase;
      if (local != null) {
        int code = local.exitCode();
        cs = PodProcess.terminated(pod, local, code, code == 0 ? "Completed" : "Error", "");
        phase = code == 0 ? "Succeeded" : "Failed";
      } else {
        cs =
            new ContainerStatusBuilder()
                .withName(PodProcess.containerName(pod))
                .withReady(false)
                .withNewState()
                .withNewTerminated()
                .withExitCode(placeholder ? 0 : 137)
                .withReason(placeholder ? "Completed" : "ContainerStatusUnknown")
                .withFinishedAt(Instant.now().toString())
                .endTerminated()
                .endState()
                .build();
        phase = placeholder ? "Succeeded" : "Failed";
      }
      PodProcess.replaceStatus(statusOf(pod), PodProcess.ended(pod, cs, phase, null, null, null));
    }
    if (local != null) {
      pods.remove(podKey);
      local.removeSecrets();
    }
    placeholders.remove(podKey);
    ended.add(pod.getMetadata().getUid());
    client
        .pods()
        .inNamespace(pod.getMetadata().getNamespace())
        .withName(pod.getMetadata().getName())
        .withGracePeriod(0)
        .delete();
  }

  private void startPod(Pod pod, String node) throws IOException {
    String podKey = key(pod);
    Path podDir = PodProcess.podDir(work, pod);
    PodLaunch.Plan plan;
    try {
      plan = launch.prepare(pod, node, podDir);
    } catch (PodLaunch.Blocked why) {
      if (!why.getMessage().equals(blocked.put(podKey, why.getMessage()))) {
        LOG.info("pod {} cannot start yet: {}", podKey, why.getMessage());
        PodProcess.replaceStatus(
            statusOf(pod),
            new PodStatusBuilder()
                .withPhase("Pending")
                .withConditions(PodProcess.scheduled())
                .withContainerStatuses(PodProcess.waiting(pod, why))
                .build());
        PodProcess.warn(client, pod, PodProcess.eventReason(why), why.getMessage(), "kubelet");
      }
      return;
    }
    blocked.remove(podKey);
    Path log = logOf(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
    Process process = PodProcess.start(processSettings, pod, plan, podDir, log);
    LocalPod local =
        new LocalPod(
            pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(),
            ownerOf(pod),
            pod.getMetadata().getUid(),
            node,
            log,
            plan.terminationLog(),
            plan.secretDirs(),
            process);
    pods.put(podKey, local);
    running.add(process, () -> submit(podKey));
    LOG.info(
        "pod {} started on node {} (pid {}, {} args)",
        podKey,
        node,
        process.pid(),
        plan.args().size());
    PodProcess.replaceStatus(statusOf(pod), PodProcess.running(pod, local));
  }

  /**
   * The process ended on its own: the terminated state with exit code, reason and termination
   * message.
   */
  private void ended(Pod pod, LocalPod local) {
    pods.remove(local.key());
    ended.add(pod.getMetadata().getUid());
    local.killTree();
    local.removeSecrets();
    LOG.info("pod {} ended with exit code {}", local.key(), local.exitCode());
    PodProcess.replaceStatus(statusOf(pod), PodProcess.exited(pod, local));
  }

  private static PodStatus placeholderStatus(Pod pod) {
    var container = pod.getSpec().getContainers().get(0);
    String now = Instant.now().toString();
    return new PodStatusBuilder()
        .withPhase("Running")
        .withHostIP("127.0.0.1")
        .withPodIP("127.0.0.1")
        .withStartTime(now)
        .withConditions(
            PodProcess.scheduled(),
            PodProcess.condition("Initialized", "True", null),
            PodProcess.condition("ContainersReady", "True", null),
            PodProcess.condition("Ready", "True", null))
        .addNewContainerStatus()
        .withName(container.getName())
        .withImage(container.getImage())
        .withImageID("")
        .withContainerID("local://placeholder")
        .withReady(true)
        .withStarted(true)
        .withRestartCount(0)
        .withNewState()
        .withNewRunning()
        .withStartedAt(now)
        .endRunning()
        .endState()
        .endContainerStatus()
        .build();
  }

  private void kill(LocalPod local, String because) {
    pods.remove(local.key());
    LOG.info("killing pod {}: {}", local.key(), because);
    local.kill(because, maxGracePeriod);
    local.removeSecrets();
  }

  private boolean selected(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return selector.entrySet().stream()
        .allMatch(e -> labels != null && e.getValue().equals(labels.get(e.getKey())));
  }

  private NonDeletingOperation<Pod> statusOf(Pod pod) {
    return client
        .pods()
        .inNamespace(pod.getMetadata().getNamespace())
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(pod.getMetadata().getName())
                .withNamespace(pod.getMetadata().getNamespace())
                .endMetadata()
                .build());
  }

  private static String annotation(Pod pod, String name) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(name);
  }

  private static String ownerOf(Pod pod) {
    var owners = pod.getMetadata().getOwnerReferences();
    String owner =
        owners == null || owners.isEmpty() ? pod.getMetadata().getName() : owners.get(0).getName();
    return pod.getMetadata().getNamespace() + "/" + owner;
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  /**
   * Stops watching and kills every pod process, as if the node rebooted: no status is written, so a
   * kubelet started later against the same API finds the pods Running without a process (see the
   * class comment).
   */
  @Override
  public void close() {
    closed = true;
    if (podInformer != null) {
      podInformer.close();
    }
    if (nodeInformer != null) {
      nodeInformer.close();
    }
    loop.shutdownNow();
    try {
      loop.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (server != null) {
      server.close();
    }
    LocalPod.stopAll(pods.values(), maxGracePeriod);
    pods.clear();
    LOG.info("local kubelet stopped");
  }

  /** Options of a {@link LocalKubelet}. */
  public static final class Builder extends PodProcess.Options<Builder> {
    private Map<String, String> selector = Map.of("app.kubernetes.io/managed-by", "osbackup");
    private Path pki;

    private Builder() {}

    /**
     * The control plane's {@code pki} folder: with it the kubelet serves container logs ({@code
     * kubectl logs}) with the control plane's kubelet certificate; without, {@code kubectl logs}
     * finds nothing to call.
     */
    public Builder pki(Path pki) {
      this.pki = pki;
      return this;
    }

    /** Labels a pod needs to run as a process; other pods run as placeholders. */
    public Builder selector(Map<String, String> selector) {
      this.selector = selector;
      return this;
    }

    /** Creates the kubelet, starts watching and heartbeating. */
    public LocalKubelet start() {
      prepare();
      return new LocalKubelet(this).start();
    }
  }
}
