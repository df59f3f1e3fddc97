package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.ItemState;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Resuming, once every quiesced workload was scaled back: the request ends Succeeded, Failed (with
 * the reason of what stopped it) or Cancelled. Pure.
 */
final class ResumeDecision {

  private final OperatorSettings settings;
  private final RestoreDecision common;

  ResumeDecision(OperatorSettings settings) {
    this.settings = settings;
    this.common = new RestoreDecision(settings);
  }

  /** Resuming, once every quiesced workload was scaled back: the request ends. */
  Outcome resumed(RestoreRequest request, RestoreRequestStatus status) {
    String resumed =
        status.getQuiesced().isEmpty()
            ? ""
            : "; workloads scaled back: "
                + status.getQuiesced().stream()
                    .map(q -> q.getKind() + "/" + q.getName() + "=" + q.getReplicas())
                    .collect(Collectors.joining(", "));
    Optional<RestoreJob> failed =
        status.getJobs().stream().filter(j -> j.getPhase() == TaskPhase.Failed).findFirst();
    if (failed.isPresent()) {
      // A request stopped before restoring (QuiesceTimeout, QuiesceBroken, ...) ends with its own
      // reason.
      String message = failed.get().getMessage();
      boolean beforeRestore = RestoreDecision.QUIESCE.equals(failed.get().getKind());
      String reason =
          beforeRestore && message != null && message.indexOf(':') > 0
              ? message.substring(0, message.indexOf(':'))
              : RestoringDecision.failureReason(List.of(failed.get()));
      boolean noJobRan =
          status.getJobs().stream()
              .noneMatch(
                  j ->
                      (RestoreDecision.DATABASE.equals(j.getKind())
                              || RestoreDecision.FILES.equals(j.getKind()))
                          && j.getPhase() != TaskPhase.Pending);
      return common.end(
          request,
          status,
          RestorePhase.Failed,
          reason,
          message + (beforeRestore && noJobRan ? "; nothing was restored" : "") + resumed);
    }
    Optional<String> broken = RestoringDecision.quiesceBroken(status);
    if (broken.isPresent()) {
      return common.end(
          request,
          status,
          RestorePhase.Failed,
          "QuiesceBroken",
          "restored "
              + status.getPlan().size()
              + " artifacts of "
              + status.getBackupId()
              + ", but "
              + broken.get()
              + resumed);
    }
    if (Boolean.TRUE.equals(request.getSpec().getCancel())
        && status.getPlan().stream()
            .noneMatch(i -> ItemState.of(i.getState()) == ItemState.RESTORED)) {
      return common.end(
          request,
          status,
          RestorePhase.Cancelled,
          "Cancelled",
          "cancelled before restoring" + resumed);
    }
    String kept =
        status.getPlan().stream()
            .filter(i -> i.getPreviousKeptAt() != null)
            .map(i -> i.getDestination() + " → " + i.getPreviousKeptAt())
            .collect(Collectors.joining(", "));
    return common.end(
        request,
        status,
        RestorePhase.Succeeded,
        "Succeeded",
        "restored "
            + status.getPlan().size()
            + " artifacts of "
            + status.getBackupId()
            + (kept.isEmpty() ? "" : "; previous contents kept: " + kept)
            + resumed);
  }
}
