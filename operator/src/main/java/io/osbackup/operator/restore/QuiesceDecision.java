package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Quiescing: replica counts recorded, then waiting for the workloads to stop (giving up after the
 * quiesce timeout), → Restoring with the restore Jobs in status; or, when a workload is gone or
 * came back, → Resuming with nothing restored. Pure.
 */
final class QuiesceDecision {

  private final OperatorSettings settings;
  private final RestoreDecision common;

  QuiesceDecision(OperatorSettings settings) {
    this.settings = settings;
    this.common = new RestoreDecision(settings);
  }

  /** The replica count of a workload of spec.quiesce as seen before it was recorded. */
  record SeenReplicas(RestoreRequestSpec.WorkloadRef workload, Optional<Integer> replicas) {}

  /**
   * Quiescing, first: the replica counts of the workloads of spec.quiesce not recorded yet go into
   * status before anything is scaled, so a crash never loses them (a workload that is gone stops
   * the request, nothing restored). Empty when every workload was recorded already.
   */
  Optional<Outcome> recordReplicas(RestoreRequestStatus status, List<SeenReplicas> seen) {
    boolean added = false;
    for (SeenReplicas s : seen) {
      RestoreRequestSpec.WorkloadRef w = s.workload();
      boolean known =
          status.getQuiesced().stream()
              .anyMatch(
                  q -> q.getKind().equals(w.getKind().name()) && q.getName().equals(w.getName()));
      if (known) {
        continue;
      }
      if (s.replicas().isEmpty()) {
        return Optional.of(
            failedBeforeRestore(
                status, "WorkloadNotFound", w.getKind() + " '" + w.getName() + "' is gone"));
      }
      QuiescedWorkload q = new QuiescedWorkload();
      q.setKind(w.getKind().name());
      q.setName(w.getName());
      q.setReplicas(s.replicas().get());
      q.setResumed(false);
      status.getQuiesced().add(q);
      added = true;
    }
    return added ? Optional.of(recorded(status)) : Optional.empty();
  }

  /**
   * Every recorded workload is scaled to zero (again: scaling is idempotent); when each was first
   * scaled goes into status.
   */
  List<RestoreAction> toZero(RestoreRequestStatus status) {
    List<RestoreAction> actions = new ArrayList<>();
    for (QuiescedWorkload q : status.getQuiesced()) {
      actions.add(new RestoreAction.Scale(q.getKind(), q.getName(), 0));
      if (q.getQuiescedAt() == null) {
        q.setQuiescedAt(settings.now());
      }
    }
    return actions;
  }

  /** Quiescing: replica counts were recorded before anything is scaled. */
  Outcome recorded(RestoreRequestStatus status) {
    status.setMessage(
        "recorded the replica counts of " + status.getQuiesced().size() + " workloads");
    return Outcome.changed().lookAgainAfter(settings.timings().nextStep());
  }

  /**
   * Quiescing, workloads scaled to zero: waits for their pods to stop, and gives up (resuming them)
   * after the quiesce timeout.
   */
  Outcome stillRunning(RestoreRequestStatus status, List<String> running) {
    Duration waited = settings.age(status.getPhaseTime());
    if (waited.compareTo(settings.timings().quiesce()) > 0) {
      return failedBeforeRestore(
          status, "QuiesceTimeout", "still running after being scaled to zero: " + running);
    }
    status.setMessage("waiting for quiesced workloads to stop: " + running);
    return Outcome.changed().lookAgainAfter(settings.timings().settle());
  }

  /** Quiescing → Restoring once every workload stopped: the restore Jobs go into status. */
  Outcome quiesced(RestoreRequest request, RestoreRequestStatus status, List<RestoreJob> jobs) {
    status.getJobs().addAll(jobs);
    status.setPhase(RestorePhase.Restoring);
    status.setMessage(
        "restoring "
            + status.getPlan().size()
            + " artifacts with "
            + (status.getJobs().size() - 1)
            + " Jobs");
    Conditions.set(
        status,
        RestoreRequestStatus.COMPLETE,
        false,
        "Restoring",
        status.getMessage(),
        request.getMetadata().getGeneration(),
        settings.clock());
    Outcome outcome = Outcome.changed().lookAgainAfter(settings.timings().nextStep());
    if (!status.getQuiesced().isEmpty()) {
      outcome =
          outcome.tell(
              "Quiesced",
              "scaled to zero: "
                  + status.getQuiesced().stream()
                      .map(q -> q.getKind() + "/" + q.getName() + " (was " + q.getReplicas() + ")")
                      .collect(Collectors.joining(", ")));
    }
    return outcome;
  }

  /** Quiesced workloads came back before anything was restored: nothing is restored. */
  Outcome cameBackBeforeRestore(RestoreRequestStatus status, List<String> cameBack) {
    return failedBeforeRestore(
        status,
        "QuiesceBroken",
        "quiesced workloads came back before the restore started: "
            + String.join(", ", cameBack)
            + "; pause what scales them and create the request again");
  }

  /**
   * Nothing was restored: workloads go back at once, whatever onFailure says, and the request fails
   * (in Resuming, with the reason a {@code quiesce} marker Job keeps).
   */
  Outcome failedBeforeRestore(RestoreRequestStatus status, String reason, String message) {
    RestoreJob marker =
        RestoreDecision.job(RestoreDecision.QUIESCE, RestoreDecision.QUIESCE, null, null);
    marker.setPhase(TaskPhase.Failed);
    marker.setMessage(reason + ": " + message);
    status.getJobs().add(marker);
    return common
        .toResuming(status, message + "; nothing was restored, resuming the workloads")
        .warn(reason, message);
  }
}
