package io.osbackup.operator.reconcile;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the pods of an agent Job say, in the kubelet's, the scheduler's and the agent's own words:
 * why a pod cannot start (image not pulled, volume not mounted, nothing to schedule on) rather than
 * merely being slow, and why it ended.
 */
public final class JobPods {

  private JobPods() {}

  /**
   * Why a pod of {@code jobName} has not started after {@code timeout}, if it is stuck rather than
   * slow.
   */
  public static Optional<String> notStarting(
      KubernetesClient client, String ns, String jobName, Duration timeout) {
    for (Pod pod : client.pods().inNamespace(ns).withLabel("job-name", jobName).list().getItems()) {
      if (pod.getStatus() == null || !"Pending".equals(pod.getStatus().getPhase())) {
        continue;
      }
      String why = null;
      if (pod.getStatus().getConditions() != null) {
        why =
            pod.getStatus().getConditions().stream()
                .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
                .map(c -> c.getReason() + ": " + c.getMessage())
                .findFirst()
                .orElse(null);
      }
      if (why == null && pod.getStatus().getContainerStatuses() != null) {
        why =
            pod.getStatus().getContainerStatuses().stream()
                .filter(cs -> cs.getState() != null && cs.getState().getWaiting() != null)
                .map(cs -> cs.getState().getWaiting())
                .filter(w -> w.getReason() != null)
                .map(w -> w.getReason() + (w.getMessage() == null ? "" : ": " + w.getMessage()))
                .findFirst()
                .orElse(null);
      }
      if (why != null) {
        return Optional.of(
            "pod "
                + pod.getMetadata().getName()
                + " of Job "
                + jobName
                + " did not start within "
                + timeout.toSeconds()
                + " s: "
                + why);
      }
    }
    return Optional.empty();
  }

  /**
   * Why the Job of a node's target failed when its node is gone or no longer Ready: the machine was
   * lost with its pod (the pod garbage collector deletes such pods, so often nothing else is left
   * to tell); empty when the node is there and Ready, or the target has no node.
   */
  public static Optional<String> nodeLost(KubernetesClient client, String node, String jobName) {
    if (node == null) {
      return Optional.empty();
    }
    Node found = client.nodes().withName(node).get();
    if (found == null) {
      return Optional.of(
          "node "
              + node
              + " left the cluster while Job "
              + jobName
              + " ran on it (NodeLost): its pod"
              + " was lost with the node; back up its files again once the node is back");
    }
    boolean ready =
        found.getStatus() != null
            && found.getStatus().getConditions() != null
            && found.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    return ready
        ? Optional.empty()
        : Optional.of(
            "node "
                + node
                + " is not Ready while Job "
                + jobName
                + " ran on it (NodeLost): its pod was lost with the node; back up its files again once the node is back");
  }

  /**
   * What the Job's newest pod says about its end: the agent's termination message, else the pod's
   * own reason (a lost node, an eviction).
   */
  public static Optional<String> terminationMessage(
      KubernetesClient client, String ns, String jobName) {
    List<Pod> pods = client.pods().inNamespace(ns).withLabel("job-name", jobName).list().getItems();
    List<Pod> newestFirst =
        pods.stream()
            .sorted(
                Comparator.comparing(
                        (Pod p) -> String.valueOf(p.getMetadata().getCreationTimestamp()))
                    .reversed())
            .toList();
    for (Pod pod : newestFirst) {
      if (pod.getStatus() == null) {
        continue;
      }
      Optional<String> message =
          pod.getStatus().getContainerStatuses() == null
              ? Optional.empty()
              : pod.getStatus().getContainerStatuses().stream()
                  .map(
                      cs ->
                          cs.getState() == null || cs.getState().getTerminated() == null
                              ? null
                              : cs.getState().getTerminated().getMessage())
                  .filter(m -> m != null && !m.isBlank())
                  .map(String::strip)
                  .findFirst();
      if (message.isPresent()) {
        return message;
      }
      Optional<String> disrupted =
          pod.getStatus().getConditions() == null
              ? Optional.empty()
              : pod.getStatus().getConditions().stream()
                  .filter(
                      c -> "DisruptionTarget".equals(c.getType()) && "True".equals(c.getStatus()))
                  .map(
                      c ->
                          "pod "
                              + pod.getMetadata().getName()
                              + " was stopped: "
                              + c.getReason()
                              + (c.getMessage() == null ? "" : ": " + c.getMessage()))
                  .findFirst();
      if (disrupted.isPresent()) {
        return disrupted;
      }
      if (pod.getStatus().getReason() != null) {
        return Optional.of(
            "pod "
                + pod.getMetadata().getName()
                + " failed: "
                + pod.getStatus().getReason()
                + (pod.getStatus().getMessage() == null
                    ? ""
                    : ": " + pod.getStatus().getMessage()));
      }
    }
    return Optional.empty();
  }
}
