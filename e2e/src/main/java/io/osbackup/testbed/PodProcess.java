package io.osbackup.testbed;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a pod's single container runs here, shared by the {@link LocalKubelet} and the mock-only
 * {@link LocalJobRunner}: a JVM process ({@code java -cp <classpath> <mainClass> <args>}) in the
 * pod's folder with the container's resolved environment, and the container and pod statuses a
 * kubelet writes for it.
 */
final class PodProcess {

  /** What every pod process of one runner shares. */
  record Settings(
      String mainClass,
      String classpath,
      String maxHeap,
      List<String> jvmOptions,
      Map<String, String> extraEnv) {}

  private PodProcess() {}

  /**
   * What the {@link LocalKubelet} and the {@link LocalJobRunner} builders share: the API client,
   * the work folder, the nodes, and how each pod's process runs.
   */
  @SuppressWarnings("unchecked")
  abstract static class Options<B extends Options<B>> {
    KubernetesClient client;
    Path workDir;
    SimulatedNodes nodes;
    String mainClass = "io.osbackup.Main";
    String classpath = System.getProperty("java.class.path");
    final Map<String, String> env = new java.util.LinkedHashMap<>();
    String maxHeap = "256m";
    List<String> jvmOptions = List.of("-XX:+UseSerialGC");
    java.time.Duration maxGracePeriod = java.time.Duration.ofSeconds(2);

    /** Client of the API server to watch and write. Required. */
    public B client(KubernetesClient client) {
      this.client = client;
      return (B) this;
    }

    /** Folder for logs, per-pod files and volumes. Required. */
    public B workDir(Path workDir) {
      this.workDir = workDir;
      return (B) this;
    }

    /**
     * The nodes to run on; default a {@link SimulatedNodes} under {@code <work>/nodes} (with no
     * nodes yet).
     */
    public B nodes(SimulatedNodes nodes) {
      this.nodes = nodes;
      return (B) this;
    }

    /**
     * The class whose {@code main} plays the image's entrypoint; default {@code io.osbackup.Main}.
     */
    public B mainClass(String mainClass) {
      this.mainClass = mainClass;
      return (B) this;
    }

    /** Class path of the pod processes; default this JVM's {@code java.class.path}. */
    public B classpath(String classpath) {
      this.classpath = classpath;
      return (B) this;
    }

    /** An environment entry added to every pod, after (and over) the container's own env. */
    public B env(String name, String value) {
      env.put(name, value);
      return (B) this;
    }

    /** {@link #env(String, String)} for several entries. */
    public B env(Map<String, String> entries) {
      env.putAll(entries);
      return (B) this;
    }

    /** {@code -Xmx} of each pod process; default {@code 256m}. */
    public B maxHeap(String maxHeap) {
      this.maxHeap = maxHeap;
      return (B) this;
    }

    /**
     * Further JVM options of each pod process; default {@code -XX:+UseSerialGC} (small heaps, few
     * threads). Tests that start many short pods gain about a second per pod with {@code
     * -XX:TieredStopAtLevel=1}.
     */
    public B jvmOptions(String... options) {
      this.jvmOptions = List.of(options);
      return (B) this;
    }

    /** The longest a killed pod gets between SIGTERM and SIGKILL; default 2 s. */
    public B maxGracePeriod(java.time.Duration maxGracePeriod) {
      this.maxGracePeriod = maxGracePeriod;
      return (B) this;
    }

    Settings settings() {
      return new Settings(mainClass, classpath, maxHeap, List.copyOf(jvmOptions), Map.copyOf(env));
    }

    /** Checks the required options and makes the work folder. */
    void prepare() {
      java.util.Objects.requireNonNull(client, "client");
      try {
        Files.createDirectories(java.util.Objects.requireNonNull(workDir, "workDir"));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /**
   * Starts the container of {@code pod} as planned by {@link PodLaunch}; stdout and stderr go to
   * {@code log}.
   */
  static Process start(Settings settings, Pod pod, PodLaunch.Plan plan, Path podDir, Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + settings.maxHeap());
    command.addAll(settings.jvmOptions());
    // the container's own /tmp, kept in the pod's folder
    Path tmp = Files.createDirectories(podDir.resolve("tmp"));
    command.add("-Djava.io.tmpdir=" + tmp);
    command.add("-cp");
    command.add(settings.classpath());
    command.add(settings.mainClass());
    command.addAll(plan.args());
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(command).directory(podDir.toFile());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Map<String, String> env = pb.environment();
    env.keySet().retainAll(Set.of("PATH", "LANG", "LC_ALL", "TZ", "JAVA_HOME"));
    env.put("HOSTNAME", pod.getMetadata().getName());
    env.put("HOME", podDir.toString());
    env.put("TMPDIR", tmp.toString());
    env.putAll(plan.env());
    env.putAll(settings.extraEnv());
    return pb.start();
  }

  /** The folder pod {@code pod} runs in below {@code work}, created if missing. */
  static Path podDir(Path work, Pod pod) throws IOException {
    return Files.createDirectories(
        work.resolve("pods")
            .resolve(pod.getMetadata().getNamespace())
            .resolve(pod.getMetadata().getName()));
  }

  /** The waiting state of a container that cannot start yet, for the reason {@code blocked}. */
  static ContainerStatus waiting(Pod pod, PodLaunch.Blocked blocked) {
    return new ContainerStatusBuilder()
        .withName(containerName(pod))
        .withReady(false)
        .withNewState()
        .withNewWaiting()
        .withReason(blocked.reason)
        .withMessage(blocked.getMessage())
        .endWaiting()
        .endState()
        .build();
  }

  /** The reason of the Warning event a kubelet records for a container that cannot start yet. */
  static String eventReason(PodLaunch.Blocked blocked) {
    return "ContainerCreating".equals(blocked.reason) ? "FailedMount" : "Failed";
  }

  /**
   * The terminal status of a pod whose process ended on its own: the terminated state with exit
   * code, reason and termination message.
   */
  static PodStatus exited(Pod pod, LocalPod local) {
    int code = local.exitCode();
    var container = pod.getSpec().getContainers().get(0);
    boolean fallback = "FallbackToLogsOnError".equals(container.getTerminationMessagePolicy());
    String message = local.terminationMessage(fallback && code != 0);
    String phase = code == 0 ? "Succeeded" : "Failed";
    return ended(
        pod,
        terminated(pod, local, code, code == 0 ? "Completed" : "Error", message),
        phase,
        null,
        null,
        null);
  }

  /** The status of a pod whose container runs. */
  static PodStatus running(Pod pod, LocalPod local) {
    var container = pod.getSpec().getContainers().get(0);
    ContainerStatus cs =
        new ContainerStatusBuilder()
            .withName(container.getName())
            .withImage(container.getImage())
            .withImageID("")
            .withContainerID("local://" + local.process.pid())
            .withReady(true)
            .withStarted(true)
            .withRestartCount(0)
            .withNewState()
            .withNewRunning()
            .withStartedAt(local.startedAt.toString())
            .endRunning()
            .endState()
            .build();
    return new PodStatusBuilder()
        .withPhase("Running")
        .withHostIP("127.0.0.1")
        .withPodIP("127.0.0.1")
        .withStartTime(local.startedAt.toString())
        .withConditions(
            scheduled(),
            condition("Initialized", "True", null),
            condition("ContainersReady", "True", null),
            condition("Ready", "True", null))
        .withContainerStatuses(cs)
        .build();
  }

  /** The terminated state of the container of {@code local}. */
  static ContainerStatus terminated(
      Pod pod, LocalPod local, int code, String reason, String message) {
    return new ContainerStatusBuilder()
        .withName(containerName(pod))
        .withImage(pod.getSpec().getContainers().get(0).getImage())
        .withImageID("")
        .withContainerID("local://" + local.process.pid())
        .withReady(false)
        .withStarted(false)
        .withRestartCount(0)
        .withNewState()
        .withNewTerminated()
        .withExitCode(code)
        .withReason(reason)
        .withMessage(message == null || message.isEmpty() ? null : message)
        .withStartedAt(local.startedAt.toString())
        .withFinishedAt(local.finishedAt().toString())
        .withContainerID("local://" + local.process.pid())
        .endTerminated()
        .endState()
        .build();
  }

  /**
   * What a kubelet reports for a container it cannot find (after a restart): exit code 137, not
   * located.
   */
  static ContainerStatus unknown(Pod pod) {
    return new ContainerStatusBuilder()
        .withName(containerName(pod))
        .withReady(false)
        .withNewState()
        .withNewTerminated()
        .withExitCode(137)
        .withReason("ContainerStatusUnknown")
        .withMessage("The container could not be located when the pod was terminated")
        .withFinishedAt(Instant.now().toString())
        .endTerminated()
        .endState()
        .build();
  }

  /** A terminal pod status ({@code Succeeded} or {@code Failed}) with the container's state. */
  static PodStatus ended(
      Pod pod,
      ContainerStatus cs,
      String phase,
      String reason,
      String message,
      PodCondition extra) {
    PodStatus old = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
    String reasonOfPod = "Succeeded".equals(phase) ? "PodCompleted" : "PodFailed";
    List<PodCondition> conditions = new ArrayList<>();
    conditions.add(scheduled());
    conditions.add(condition("Initialized", "True", null));
    conditions.add(condition("ContainersReady", "False", reasonOfPod));
    conditions.add(condition("Ready", "False", reasonOfPod));
    if (old.getConditions() != null) {
      // conditions others wrote (DisruptionTarget from the Job controller or pod GC) stay
      old.getConditions().stream()
          .filter(
              c ->
                  !Set.of("PodScheduled", "Initialized", "ContainersReady", "Ready")
                      .contains(c.getType()))
          .forEach(conditions::add);
    }
    if (extra != null) {
      conditions.add(extra);
    }
    return new PodStatusBuilder(old)
        .withPhase(phase)
        .withReason(reason)
        .withMessage(message)
        .withConditions(conditions)
        .withContainerStatuses(cs)
        .build();
  }

  /**
   * Records a Warning Event about {@code pod} from {@code component}; best effort, as a kubelet's
   * events are.
   */
  static void warn(
      KubernetesClient client, Pod pod, String reason, String message, String component) {
    try {
      String now = Instant.now().toString();
      client
          .v1()
          .events()
          .inNamespace(pod.getMetadata().getNamespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(pod.getMetadata().getName() + "." + Long.toHexString(System.nanoTime()))
                  .withNamespace(pod.getMetadata().getNamespace())
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withApiVersion("v1")
                  .withKind("Pod")
                  .withName(pod.getMetadata().getName())
                  .withNamespace(pod.getMetadata().getNamespace())
                  .withUid(pod.getMetadata().getUid())
                  .endInvolvedObject()
                  .withType("Warning")
                  .withReason(reason)
                  .withMessage(message)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .withNewSource()
                  .withComponent(component)
                  .withHost(pod.getSpec().getNodeName())
                  .endSource()
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      // an Event is not worth failing the pod for
    }
  }

  static PodCondition scheduled() {
    return condition("PodScheduled", "True", null);
  }

  static PodCondition condition(String type, String status, String reason) {
    return new PodConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withLastTransitionTime(Instant.now().toString())
        .build();
  }

  static String containerName(Pod pod) {
    return pod.getSpec().getContainers().get(0).getName();
  }

  /**
   * Replaces the whole status with a JSON patch on the status subresource. Not a JSON merge patch:
   * the CRUD mock merges those with Jackson, which appends to arrays, so conditions and container
   * statuses would pile up. A resource that is gone (404) is left alone.
   */
  static void replaceStatus(NonDeletingOperation<?> resource, Object status) {
    String ops =
        "[{\"op\":\"add\",\"path\":\"/status\",\"value\":" + Serialization.asJson(status) + "}]";
    try {
      resource.subresource("status").patch(PatchContext.of(PatchType.JSON), ops);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }
}
