package io.osbackup.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Optional;

/**
 * Tells a Job whose pod cannot start (image not pulled, volume not mounted, nothing to schedule on) from one that is
 * merely slow, in the kubelet's and scheduler's own words.
 */
final class StuckPods {

  private StuckPods() {}

  /** Why a pod of {@code jobName} has not started after {@code timeout}, if it is stuck rather than slow. */
  static Optional<String> why(KubernetesClient client, String ns, String jobName, Duration timeout) {
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
            "pod " + pod.getMetadata().getName() + " of Job " + jobName + " did not start within "
                + timeout.toSeconds() + " s: " + why);
      }
    }
    return Optional.empty();
  }
}
