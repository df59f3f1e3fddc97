package io.osbackup.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one-container agent Jobs the test bed's runner tests submit, and what those tests read back
 * from their pods: shared by {@link LocalJobRunnerIT}, {@link LocalKubeletIT} and {@link
 * KubectlIT}.
 */
final class AgentJobs {
  private AgentJobs() {}

  /**
   * A Job as the operator labels it, running one container {@code agent} of {@code image} with
   * {@code args} ({@link TestContainer} steps), no retries; its env, volumes and mounts are empty
   * lists a test may add to.
   */
  static Job job(String namespace, String name, String image, String... args) {
    return new JobBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .addToLabels("app.kubernetes.io/managed-by", "osbackup")
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app.kubernetes.io/managed-by", "osbackup")
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withVolumes(new ArrayList<Volume>())
        .addNewContainer()
        .withName("agent")
        .withImage(image)
        .withArgs(args)
        .withEnv(new ArrayList<>())
        .withVolumeMounts(new ArrayList<VolumeMount>())
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /** The pod template's spec of {@code job}, to change before it is created. */
  static PodSpec podSpec(Job job) {
    return job.getSpec().getTemplate().getSpec();
  }

  /** The one pod in {@code pods}; fails when there are none or several. */
  static Pod only(List<Pod> pods) {
    assertThat(pods).hasSize(1);
    return pods.get(0);
  }

  /** The terminated state of the pod's container. */
  static ContainerStateTerminated terminated(Pod pod) {
    return pod.getStatus().getContainerStatuses().get(0).getState().getTerminated();
  }

  /**
   * The main and child pids of a job's running pod, the first of {@code pods}: from its container
   * ID, and from the child's {@code child-pid=} line in the log {@code logOf} names.
   */
  static long[] awaitRunningPids(
      Supplier<List<Pod>> pods, Function<Pod, Path> logOf, Duration wait) {
    return await()
        .atMost(wait)
        .until(
            () -> {
              List<Pod> now = pods.get();
              if (now.isEmpty()
                  || now.get(0).getStatus() == null
                  || !"Running".equals(now.get(0).getStatus().getPhase())) {
                return null;
              }
              Pod pod = now.get(0);
              long main =
                  Long.parseLong(
                      pod.getStatus().getContainerStatuses().get(0).getContainerID().substring(8));
              if (!pod.getSpec().getContainers().get(0).getArgs().contains("child")) {
                return new long[] {main};
              }
              Path log = logOf.apply(pod);
              Matcher m =
                  Pattern.compile("child-pid=(\\d+)")
                      .matcher(Files.exists(log) ? Files.readString(log) : "");
              return m.find() ? new long[] {main, Long.parseLong(m.group(1))} : null;
            },
            pids -> pids != null);
  }

  /** Waits until none of the processes {@code pids} is alive. */
  static void awaitGone(long[] pids, Duration wait) {
    for (long pid : pids) {
      await("process " + pid + " of " + Arrays.toString(pids) + " gone")
          .atMost(wait)
          .until(() -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }
  }
}
