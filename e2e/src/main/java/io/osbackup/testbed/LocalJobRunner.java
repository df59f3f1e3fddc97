package io.osbackup.testbed;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the Job controller and the kubelet of the local cluster: it watches the Jobs in the API,
 * creates their Pods, runs each Pod's container as a local JVM process ({@code java -cp <classpath>
 * <mainClass> <args>}) on a {@link SimulatedNodes simulated node}, and writes Pod and Job status as
 * a real cluster would (backoffLimit, deadlines, lost nodes, deletion).
 *
 * <p>Limits, by design: one container per pod, {@code completions}/{@code parallelism} of 1, no
 * retry back-off delay, no resource limits beyond the heap, {@code readOnly} mounts not enforced,
 * taints ignored, and of a {@code podFailurePolicy} only its exit-code rules. All state changes
 * happen on one thread, so the runner is a level-triggered loop like the real controllers.
 *
 * <p>After a restart of the runner (the old one closed, its processes killed like a rebooted node),
 * a Job that already has a final condition is left alone; a pod still marked Running whose process
 * is gone is marked Failed with reason {@code ContainerStatusUnknown} (exit code 137), as a kubelet
 * does for a container it cannot find, and the Job then retries it within its backoffLimit like any
 * other failure.
 */
public final class LocalJobRunner implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalJobRunner.class);
  private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KubernetesClient client;
  private final Path work;
  private final SimulatedNodes nodes;
  private final String mainClass;
  private final PodProcess.Settings processSettings;
  private final Map<String, String> selector;
  private final Duration maxGracePeriod;
  private final Duration resyncPeriod;
  private final PodLaunch launch;

  private final ScheduledExecutorService loop;
  private final Map<String, LocalPod> pods = new ConcurrentHashMap<>();

  /** Exit codes of pods whose process ended, until their Job's next sync reads them. */
  private final Map<String, Integer> exitCodes = new ConcurrentHashMap<>();

  private final Map<String, String> jobUids = new ConcurrentHashMap<>();
  private final Map<String, String> blockedPods = new ConcurrentHashMap<>();
  private final RunningPods running = new RunningPods();
  private SharedIndexInformer<Job> informer;
  private volatile boolean closed;

  private LocalJobRunner(Builder b) {
    this.client = Objects.requireNonNull(b.client, "client");
    this.work = Objects.requireNonNull(b.workDir, "workDir").toAbsolutePath();
    this.nodes = b.nodes != null ? b.nodes : new SimulatedNodes(client, work.resolve("nodes"));
    this.mainClass = b.mainClass;
    this.processSettings = b.settings();
    this.selector = parseSelector(b.labelSelector);
    this.maxGracePeriod = b.maxGracePeriod;
    this.resyncPeriod = b.resyncPeriod;
    this.launch = new PodLaunch(client, nodes, work);
    this.loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "local-job-runner");
              t.setDaemon(true);
              return t;
            });
  }

  /** A builder; {@code client} and {@code workDir} are required. */
  public static Builder builder() {
    return new Builder();
  }

  private LocalJobRunner start() {
    var jobs = client.batch().v1().jobs().inAnyNamespace();
    informer =
        (selector.isEmpty() ? jobs : jobs.withLabels(selector))
            .inform(
                new ResourceEventHandler<Job>() {
                  @Override
                  public void onAdd(Job job) {
                    submit(key(job));
                  }

                  @Override
                  public void onUpdate(Job old, Job job) {
                    submit(key(job));
                  }

                  @Override
                  public void onDelete(Job job, boolean unknownFinalState) {
                    submit(key(job));
                  }
                },
                0);
    loop.scheduleWithFixedDelay(
        this::resync, resyncPeriod.toMillis(), resyncPeriod.toMillis(), TimeUnit.MILLISECONDS);
    LOG.info("local job runner started: work {}, selector {}", work, selector);
    return this;
  }

  // ---------------------------------------------------------------- observability

  /** The most pods that ran (as processes) at the same time since the runner started. */
  public int maxConcurrentPods() {
    return running.max();
  }

  /** Pods whose process is running now. */
  public int runningPods() {
    return running.now();
  }

  /** The nodes this runner places pods on. */
  /**
   * The folder that plays PersistentVolumeClaim {@code claim} of {@code namespace} for the pods
   * that mount it.
   */
  public Path volumeDir(String namespace, String claim) {
    return PodLaunch.volumeDir(work, namespace, claim);
  }

  public SimulatedNodes nodes() {
    return nodes;
  }

  /** Where the stdout and stderr of a pod go: {@code <work>/logs/<namespace>/<pod>.log}. */
  public Path logOf(String namespace, String pod) {
    return work.resolve("logs").resolve(namespace).resolve(pod + ".log");
  }

  /** {@link #logOf(String, String)} for a Pod object. */
  public Path logOf(Pod pod) {
    return logOf(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
  }

  /** The Pods the runner created for a Job (by its {@code job-name} label), oldest first. */
  public List<Pod> podsOf(String namespace, String job) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("job-name", job)
        .list()
        .getItems()
        .stream()
        .sorted(
            (a, b) ->
                String.valueOf(a.getMetadata().getCreationTimestamp())
                    .compareTo(String.valueOf(b.getMetadata().getCreationTimestamp())))
        .toList();
  }

  /**
   * Waits until the Job has a final condition ({@code Complete} or {@code Failed}) and returns it.
   *
   * @throws TimeoutException with the Job's last status when it does not end in time
   */
  public Job awaitFinished(String namespace, String name, Duration timeout)
      throws TimeoutException, InterruptedException {
    Instant end = Instant.now().plus(timeout);
    Job job = null;
    while (Instant.now().isBefore(end)) {
      job = client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
      if (job != null && finalCondition(job.getStatus()).isPresent()) {
        return job;
      }
      Thread.sleep(50);
    }
    throw new TimeoutException(
        "Job "
            + namespace
            + "/"
            + name
            + " did not finish in "
            + timeout
            + "; status: "
            + (job == null ? "no such Job" : Serialization.asJson(job.getStatus())));
  }

  /** {@code Complete} or {@code Failed} when the status carries that condition as True. */
  public static Optional<String> finalCondition(JobStatus status) {
    if (status == null || status.getConditions() == null) {
      return Optional.empty();
    }
    return status.getConditions().stream()
        .filter(c -> "True".equals(c.getStatus()))
        .map(JobCondition::getType)
        .filter(t -> "Complete".equals(t) || "Failed".equals(t))
        .findFirst();
  }

  // ---------------------------------------------------------------- the loop

  private void submit(String jobKey) {
    if (closed) {
      return;
    }
    try {
      loop.execute(() -> reconcile(jobKey));
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private void resync() {
    Set<String> keys = new HashSet<>();
    if (informer != null) {
      // finished Jobs only matter again for their ttl; their updates still arrive as events
      informer.getStore().list().stream()
          .filter(
              j ->
                  finalCondition(j.getStatus()).isEmpty()
                      || j.getSpec().getTtlSecondsAfterFinished() != null)
          .forEach(j -> keys.add(key(j)));
    }
    pods.values().forEach(p -> keys.add(p.jobKey));
    pods.values().forEach(LocalPod::observeTree);
    keys.forEach(this::reconcile);
  }

  private void reconcile(String jobKey) {
    if (closed) {
      return;
    }
    try {
      String[] parts = jobKey.split("/", 2);
      Job job = client.batch().v1().jobs().inNamespace(parts[0]).withName(parts[1]).get();
      if (job == null || !selected(job)) {
        jobGone(jobKey, parts[0]);
        return;
      }
      syncJob(jobKey, job);
    } catch (KubernetesClientException e) {
      LOG.warn("sync of Job {} failed, will retry: {}", jobKey, e.getMessage());
    } catch (RuntimeException | IOException e) {
      LOG.error("sync of Job {} failed, will retry", jobKey, e);
    }
  }

  private boolean selected(Job job) {
    Map<String, String> labels = job.getMetadata().getLabels();
    return selector.entrySet().stream()
        .allMatch(e -> labels != null && e.getValue().equals(labels.get(e.getKey())));
  }

  /**
   * The Job is gone: kill its processes and delete its pods, as the garbage collector would — a pod
   * stays in the API until its process has exited, as a terminating pod does on a kubelet, so
   * nobody takes it for stopped while its SIGTERM handler still writes.
   */
  private void jobGone(String jobKey, String namespace) {
    List<CompletableFuture<Process>> exits = new ArrayList<>();
    for (LocalPod p : localPodsOf(jobKey, null)) {
      LOG.info("Job {} is gone: killing pod {}", jobKey, p.key());
      kill(p, "its Job was deleted");
      exits.add(p.process.onExit());
    }
    String uid = jobUids.remove(jobKey);
    if (uid != null) {
      CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new))
          .whenComplete(
              (done, e) ->
                  client.pods().inNamespace(namespace).withLabel("controller-uid", uid).delete());
    }
  }

  private void syncJob(String jobKey, Job job) throws IOException {
    String ns = job.getMetadata().getNamespace();
    String uid = uid(job);
    jobUids.put(jobKey, uid);
    // processes of an older Job of the same name
    for (LocalPod p : localPodsOf(jobKey, null)) {
      if (!p.jobUid.equals(uid)) {
        kill(p, "its Job was replaced");
      }
    }
    JobStatus old = job.getStatus() == null ? new JobStatus() : job.getStatus();
    if (finalCondition(old).isPresent()) {
      for (LocalPod p : localPodsOf(jobKey, uid)) {
        kill(p, "its Job has finished");
      }
      expireIfDue(job, old);
      return;
    }
    if (Boolean.TRUE.equals(job.getSpec().getSuspend())) {
      return;
    }
    JobStatus st = Serialization.clone(old);
    Instant now = Instant.now();
    if (st.getStartTime() == null) {
      st.setStartTime(now.toString());
    }
    List<Pod> apiPods =
        client.pods().inNamespace(ns).withLabel("controller-uid", uid).list().getItems();
    Set<String> apiNames =
        apiPods.stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    int failed = 0;
    int succeeded = 0;
    // pods deleted from the API while their process ran: killed, and counted as failed as with job
    // tracking
    for (LocalPod p : localPodsOf(jobKey, uid)) {
      if (!apiNames.contains(p.name)) {
        LOG.info("pod {} was deleted: killing its process", p.key());
        kill(p, "the pod was deleted");
        failed++;
      }
    }
    List<Pod> active = new ArrayList<>();
    String failJob = null;
    for (Pod pod : apiPods) {
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
        continue;
      }
      String outcome = syncPod(job, pod);
      if ("Succeeded".equals(outcome)) {
        succeeded++;
      } else if ("Failed".equals(outcome)) {
        failed++;
        Integer code = exitCodes.remove(podKey(pod));
        if (failJob == null && code != null) {
          failJob = failJobRule(job, pod, code);
        }
      } else {
        active.add(pod);
      }
    }
    st.setFailed(nz(st.getFailed()) + failed);
    st.setSucceeded(nz(st.getSucceeded()) + succeeded);
    int backoffLimit =
        job.getSpec().getBackoffLimit() == null ? 6 : job.getSpec().getBackoffLimit();
    Long deadline = job.getSpec().getActiveDeadlineSeconds();
    if (st.getSucceeded() >= 1) {
      for (Pod pod : active) {
        deletePod(pod, "the Job has completed");
      }
      st.setActive(0);
      st.setReady(0);
      st.setCompletionTime(now.toString());
      finish(
          st,
          now,
          "SuccessCriteriaMet",
          "Complete",
          "CompletionsReached",
          "Reached expected number of succeeded pods");
    } else if (failJob != null || st.getFailed() > backoffLimit) {
      failActive(st, active, "the Job has failed");
      finish(
          st,
          now,
          "FailureTarget",
          "Failed",
          failJob != null ? "PodFailurePolicy" : "BackoffLimitExceeded",
          failJob != null ? failJob : "Job has reached the specified backoff limit");
    } else if (deadline != null
        && !now.isBefore(Instant.parse(st.getStartTime()).plusSeconds(deadline))) {
      failActive(st, active, "the Job's activeDeadlineSeconds was exceeded");
      finish(
          st,
          now,
          "FailureTarget",
          "Failed",
          "DeadlineExceeded",
          "Job was active longer than specified deadline");
      LOG.info("Job {} exceeded its deadline of {} s", jobKey, deadline);
    } else {
      if (active.isEmpty()) {
        Pod pod = createPod(job);
        String outcome = syncPod(job, pod);
        if (!"Failed".equals(outcome) && !"Succeeded".equals(outcome)) {
          active.add(pod);
        } else {
          // ends right away only when its process cannot even be started; the next sync counts it
          submit(jobKey);
        }
      }
      st.setActive(active.size());
      st.setReady((int) active.stream().filter(p -> pods.containsKey(podKey(p))).count());
    }
    if (!Objects.equals(Serialization.asJson(st), Serialization.asJson(old))) {
      patchJobStatus(job, st);
    }
  }

  /**
   * The message of the Job's {@code podFailurePolicy} rule that fails the Job for a pod that ended
   * with {@code code}, as the Job controller words it; null when the first matching exit-code rule
   * does not say FailJob, or none matches.
   */
  private static String failJobRule(Job job, Pod pod, int code) {
    var policy = job.getSpec().getPodFailurePolicy();
    if (policy == null || policy.getRules() == null) {
      return null;
    }
    String container = containerName(pod);
    for (int i = 0; i < policy.getRules().size(); i++) {
      var rule = policy.getRules().get(i);
      var onExit = rule.getOnExitCodes();
      if (onExit == null
          || (onExit.getContainerName() != null && !onExit.getContainerName().equals(container))) {
        continue;
      }
      boolean in = onExit.getValues() != null && onExit.getValues().contains(code);
      if ("In".equals(onExit.getOperator()) == in) {
        return "FailJob".equals(rule.getAction())
            ? "Container "
                + container
                + " for pod "
                + pod.getMetadata().getNamespace()
                + "/"
                + pod.getMetadata().getName()
                + " failed with exit code "
                + code
                + " matching FailJob rule at index "
                + i
            : null;
      }
    }
    return null;
  }

  private void finish(
      JobStatus st,
      Instant now,
      String targetType,
      String finalType,
      String reason,
      String message) {
    List<JobCondition> conditions =
        st.getConditions() == null ? new ArrayList<>() : new ArrayList<>(st.getConditions());
    for (String type : List.of(targetType, finalType)) {
      conditions.add(
          new JobConditionBuilder()
              .withType(type)
              .withStatus("True")
              .withReason(reason)
              .withMessage(message)
              .withLastProbeTime(now.toString())
              .withLastTransitionTime(now.toString())
              .build());
    }
    st.setConditions(conditions);
  }

  /** ttlSecondsAfterFinished: deletes the finished Job and its pods when due. */
  private void expireIfDue(Job job, JobStatus st) {
    Integer ttl = job.getSpec().getTtlSecondsAfterFinished();
    if (ttl == null) {
      return;
    }
    String finished =
        st.getCompletionTime() != null
            ? st.getCompletionTime()
            : st.getConditions().stream()
                .filter(c -> "Failed".equals(c.getType()))
                .map(JobCondition::getLastTransitionTime)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
    if (finished != null && !Instant.now().isBefore(Instant.parse(finished).plusSeconds(ttl))) {
      String ns = job.getMetadata().getNamespace();
      LOG.info(
          "Job {}/{} expired after ttlSecondsAfterFinished={}",
          ns,
          job.getMetadata().getName(),
          ttl);
      client.batch().v1().jobs().inNamespace(ns).withName(job.getMetadata().getName()).delete();
      client.pods().inNamespace(ns).withLabel("controller-uid", uid(job)).delete();
    }
  }

  // ---------------------------------------------------------------- pods

  private Pod createPod(Job job) {
    String ns = job.getMetadata().getNamespace();
    String jobName = job.getMetadata().getName();
    String prefix = jobName.length() > 57 ? jobName.substring(0, 57) : jobName;
    StringBuilder name = new StringBuilder(prefix).append('-');
    for (int i = 0; i < 5; i++) {
      name.append(NAME_CHARS.charAt(RANDOM.nextInt(NAME_CHARS.length())));
    }
    var template = job.getSpec().getTemplate();
    Map<String, String> labels = new LinkedHashMap<>();
    if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
      labels.putAll(template.getMetadata().getLabels());
    }
    labels.put("job-name", jobName);
    labels.put("batch.kubernetes.io/job-name", jobName);
    labels.put("controller-uid", uid(job));
    labels.put("batch.kubernetes.io/controller-uid", uid(job));
    Map<String, String> annotations =
        template.getMetadata() == null || template.getMetadata().getAnnotations() == null
            ? Map.of()
            : template.getMetadata().getAnnotations();
    Pod pod =
        new PodBuilder()
            .withMetadata(
                new ObjectMetaBuilder()
                    .withName(name.toString())
                    .withNamespace(ns)
                    .withLabels(labels)
                    .withAnnotations(annotations)
                    .addNewOwnerReference()
                    .withApiVersion("batch/v1")
                    .withKind("Job")
                    .withName(jobName)
                    .withUid(uid(job))
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                    .endOwnerReference()
                    .build())
            .withSpec(Serialization.clone(template.getSpec()))
            .withNewStatus()
            .withPhase("Pending")
            .endStatus()
            .build();
    Pod created = client.pods().inNamespace(ns).resource(pod).create();
    LOG.info("Job {}/{}: created pod {}", ns, jobName, name);
    return created;
  }

  /**
   * Brings one non-terminal pod forward; returns its phase after the step (Pending, Running,
   * Succeeded, Failed).
   */
  private String syncPod(Job job, Pod pod) throws IOException {
    String key = podKey(pod);
    LocalPod local = pods.get(key);
    if (local != null) {
      if (local.exited()) {
        return podEnded(pod, local);
      }
      String node = local.node;
      if (client.nodes().withName(node).get() == null) {
        LOG.info("node {} is gone: pod {} is lost", node, key);
        kill(local, "its node was removed");
        patchPodStatus(
            pod,
            PodProcess.ended(
                pod,
                PodProcess.terminated(pod, local, 137, "Error", ""),
                "Failed",
                "NodeLost",
                "Node "
                    + node
                    + " which was running pod "
                    + pod.getMetadata().getName()
                    + " is unresponsive",
                disruption()));
        return "Failed";
      }
      return "Running";
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Running".equals(phase)) {
      // the runner restarted (or lost the process): a kubelet reports a container it cannot find
      // like this
      LOG.info("pod {} was Running but has no process: marking it Failed", key);
      patchPodStatus(
          pod, PodProcess.ended(pod, PodProcess.unknown(pod), "Failed", null, null, null));
      return "Failed";
    }
    return startPod(job, pod);
  }

  private String startPod(Job job, Pod pod) throws IOException {
    String key = podKey(pod);
    PodSpec spec = pod.getSpec();
    List<Node> allNodes = client.nodes().list().getItems();
    Map<String, Long> load =
        pods.values().stream().collect(Collectors.groupingBy(p -> p.node, Collectors.counting()));
    Optional<Node> node = PodPlacement.choose(spec, allNodes, load);
    if (node.isEmpty()) {
      pending(
          pod,
          new PodConditionBuilder()
              .withType("PodScheduled")
              .withStatus("False")
              .withReason("Unschedulable")
              .withMessage(PodPlacement.unschedulable(spec, allNodes))
              .withLastTransitionTime(Instant.now().toString())
              .build(),
          null,
          "FailedScheduling");
      return "Pending";
    }
    String nodeName = PodPlacement.name(node.get());
    Path podDir = PodProcess.podDir(work, pod);
    PodLaunch.Plan plan;
    try {
      plan = launch.prepare(pod, nodeName, podDir);
    } catch (PodLaunch.Blocked blocked) {
      pending(pod, scheduled(), PodProcess.waiting(pod, blocked), PodProcess.eventReason(blocked));
      return "Pending";
    }
    var container = spec.getContainers().get(0);
    if (container.getCommand() != null && !container.getCommand().isEmpty()) {
      LOG.info(
          "pod {}: container command {} ignored, running {} instead",
          key,
          container.getCommand(),
          mainClass);
    }
    // bind to the node before the process starts, as the scheduler does
    if (spec.getNodeName() == null) {
      pod =
          client
              .pods()
              .inNamespace(pod.getMetadata().getNamespace())
              .withName(pod.getMetadata().getName())
              .edit(p -> new PodBuilder(p).editSpec().withNodeName(nodeName).endSpec().build());
    }
    Path log = logOf(pod);
    Process process = PodProcess.start(processSettings, pod, plan, podDir, log);
    String jobKey = key(job);
    LocalPod local =
        new LocalPod(
            pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(),
            jobKey,
            uid(job),
            nodeName,
            log,
            plan.terminationLog(),
            plan.secretDirs(),
            process);
    pods.put(key, local);
    blockedPods.remove(key);
    running.add(process, () -> submit(jobKey));
    LOG.info(
        "pod {} started on node {} (pid {}, {} args)",
        key,
        nodeName,
        process.pid(),
        plan.args().size());
    patchPodStatus(pod, PodProcess.running(pod, local));
    return "Running";
  }

  /**
   * The process ended on its own: the kubelet's terminated state with exit code, reason and
   * message.
   */
  private String podEnded(Pod pod, LocalPod local) {
    pods.remove(local.key());
    local.killTree();
    local.removeSecrets();
    int code = local.exitCode();
    exitCodes.put(local.key(), code);
    LOG.info("pod {} ended with exit code {}", local.key(), code);
    PodStatus status = PodProcess.exited(pod, local);
    patchPodStatus(pod, status);
    return status.getPhase();
  }

  /**
   * Keeps a pod Pending with a reason; writes (and records an Event) only when the reason changes.
   */
  private void pending(
      Pod pod, PodCondition scheduledCondition, ContainerStatus waiting, String eventReason) {
    String key = podKey(pod);
    String message =
        waiting != null
            ? waiting.getState().getWaiting().getMessage()
            : scheduledCondition.getMessage();
    if (message.equals(blockedPods.get(key))) {
      return;
    }
    blockedPods.put(key, message);
    LOG.info("pod {} cannot start yet: {}", key, message);
    PodStatusBuilder status =
        new PodStatusBuilder().withPhase("Pending").withConditions(scheduledCondition);
    if (waiting != null) {
      status.withContainerStatuses(waiting);
    }
    patchPodStatus(pod, status.build());
    PodProcess.warn(client, pod, eventReason, message, "local-job-runner");
  }

  private void patchPodStatus(Pod pod, PodStatus status) {
    Pod target =
        new PodBuilder()
            .withNewMetadata()
            .withName(pod.getMetadata().getName())
            .withNamespace(pod.getMetadata().getNamespace())
            .endMetadata()
            .build();
    replaceStatus(
        client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(target), status);
  }

  private void patchJobStatus(Job job, JobStatus st) {
    Job target =
        new JobBuilder()
            .withNewMetadata()
            .withName(job.getMetadata().getName())
            .withNamespace(job.getMetadata().getNamespace())
            .endMetadata()
            .build();
    replaceStatus(
        client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace()).resource(target),
        st);
  }

  private static void replaceStatus(NonDeletingOperation<?> resource, Object status) {
    PodProcess.replaceStatus(resource, status);
  }

  /**
   * Terminates an active pod as the Job controller does: the process tree is killed and the Pod
   * deleted.
   */
  private void deletePod(Pod pod, String because) {
    LocalPod local = pods.get(podKey(pod));
    CompletableFuture<?> exited = CompletableFuture.completedFuture(null);
    if (local != null) {
      kill(local, because);
      exited = local.process.onExit();
    }
    blockedPods.remove(podKey(pod));
    // gone from the API only once its process has exited, as a terminating pod on a kubelet
    exited.whenComplete(
        (done, e) ->
            client
                .pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .delete());
  }

  /** Deletes the job's active pods, each counted as failed, as the job controller does. */
  private void failActive(JobStatus st, List<Pod> active, String because) {
    for (Pod pod : active) {
      deletePod(pod, because);
      st.setFailed(st.getFailed() + 1);
    }
    st.setActive(0);
    st.setReady(0);
  }

  private void kill(LocalPod local, String because) {
    pods.remove(local.key());
    LOG.info("killing pod {}: {}", local.key(), because);
    local.kill(because, maxGracePeriod);
    local.removeSecrets();
  }

  private List<LocalPod> localPodsOf(String jobKey, String uid) {
    return pods.values().stream()
        .filter(p -> p.jobKey.equals(jobKey) && (uid == null || p.jobUid.equals(uid)))
        .toList();
  }

  private static PodCondition scheduled() {
    return PodProcess.scheduled();
  }

  private static PodCondition disruption() {
    return new PodConditionBuilder()
        .withType("DisruptionTarget")
        .withStatus("True")
        .withReason("DeletionByPodGC")
        .withMessage("PodGC: node no longer exists")
        .withLastTransitionTime(Instant.now().toString())
        .build();
  }

  private static PodCondition condition(String type, String status, String reason) {
    return PodProcess.condition(type, status, reason);
  }

  private static String containerName(Pod pod) {
    return PodProcess.containerName(pod);
  }

  private static String key(Job job) {
    return job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
  }

  private static String podKey(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  private static String uid(Job job) {
    String uid = job.getMetadata().getUid();
    return uid != null ? uid : key(job).replace('/', '.');
  }

  private static int nz(Integer i) {
    return i == null ? 0 : i;
  }

  /** {@code a=b,c=d} → map; only equality selectors are supported. */
  private static Map<String, String> parseSelector(String selector) {
    Map<String, String> map = new LinkedHashMap<>();
    if (selector == null || selector.isBlank()) {
      return map;
    }
    for (String part : selector.split(",")) {
      String[] kv = part.trim().split("==?", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException(
            "only equality label selectors are supported: " + selector);
      }
      map.put(kv[0].trim(), kv[1].trim());
    }
    return map;
  }

  /**
   * Stops watching and kills every pod process, as if the node rebooted: no status is written, so a
   * runner started later against the same API finds the pods Running without a process (see the
   * class comment).
   */
  @Override
  public void close() {
    closed = true;
    if (informer != null) {
      informer.close();
    }
    loop.shutdownNow();
    try {
      loop.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LocalPod.stopAll(pods.values(), maxGracePeriod);
    pods.clear();
    LOG.info("local job runner stopped");
  }

  /** Options of a {@link LocalJobRunner}. */
  public static final class Builder extends PodProcess.Options<Builder> {
    private String labelSelector = "app.kubernetes.io/managed-by=osbackup";
    private Duration resyncPeriod = Duration.ofMillis(200);

    private Builder() {}

    /**
     * Equality label selector ({@code a=b,c=d}) of the Jobs to run; default {@code
     * app.kubernetes.io/managed-by=osbackup}; null or empty for every Job.
     */
    public Builder labelSelector(String labelSelector) {
      this.labelSelector = labelSelector;
      return this;
    }

    /** How often every Job is re-checked (deadlines, lost nodes, deleted pods); default 200 ms. */
    public Builder resyncPeriod(Duration resyncPeriod) {
      this.resyncPeriod = resyncPeriod;
      return this;
    }

    /** Creates the runner and starts watching Jobs. */
    public LocalJobRunner start() {
      prepare();
      return new LocalJobRunner(this).start();
    }
  }
}
