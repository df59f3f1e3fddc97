package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreItem;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.ItemState;
import io.osbackup.contract.RestoreReport;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Restoring: the reports of the restore Jobs go into the plan; once every Job ended → Resuming, or
 * Failed with the workloads kept at zero (spec.onFailure: KeepQuiesced). Pure.
 */
final class RestoringDecision {

  private final OperatorSettings settings;
  private final RestoreDecision common;

  RestoringDecision(OperatorSettings settings) {
    this.settings = settings;
    this.common = new RestoreDecision(settings);
  }

  /**
   * Restoring, once the Jobs of {@code restoreJobs} were followed: waits while any runs; then
   * Resuming, or Failed with the workloads kept at zero (spec.onFailure: KeepQuiesced).
   */
  Outcome restoring(
      RestoreRequest request, RestoreRequestStatus status, List<RestoreJob> restoreJobs) {
    long done = restoreJobs.stream().filter(j -> j.getPhase().isFinal()).count();
    long restored =
        status.getPlan().stream()
            .filter(i -> ItemState.of(i.getState()) == ItemState.RESTORED)
            .count();
    status.setProgress(
        restored
            + "/"
            + status.getPlan().size()
            + " artifacts restored, "
            + done
            + "/"
            + restoreJobs.size()
            + " Jobs done");
    if (done < restoreJobs.size()) {
      status.setMessage("restoring: " + status.getProgress());
      return Outcome.changed().lookAgainAfter(settings.timings().poll());
    }
    List<String> failures =
        restoreJobs.stream()
            .filter(j -> j.getPhase() == TaskPhase.Failed)
            .map(j -> j.getName() + ": " + j.getMessage())
            .toList();
    Optional<String> broken = quiesceBroken(status);
    if (failures.isEmpty() && broken.isEmpty()) {
      String progress = status.getProgress();
      return common
          .toResuming(
              status, "restored " + status.getPlan().size() + " artifacts; resuming workloads")
          .tell("Restored", progress);
    }
    String reason = failures.isEmpty() ? "QuiesceBroken" : failureReason(restoreJobs);
    String failure =
        failures.isEmpty()
            ? status.getProgress() + ", but " + broken.get()
            : "restore failed: "
                + String.join("; ", failures)
                + broken.map(b -> "; " + b).orElse("");
    boolean resume = request.getSpec().getOnFailure() == RestoreRequestSpec.OnRestoreFailure.Resume;
    if (resume || status.getQuiesced().isEmpty()) {
      // The Warning comes first, as it always did.
      Outcome told = Outcome.changed().warn(reason, failure);
      Outcome next =
          common.toResuming(status, failure + "; resuming workloads (spec.onFailure: Resume)");
      return new Outcome(true, told.notices(), next.lookAgainAfter());
    }
    String ns = request.getMetadata().getNamespace();
    String how =
        status.getQuiesced().stream()
            .map(
                q ->
                    "kubectl -n "
                        + ns
                        + " scale "
                        + q.getKind().toLowerCase()
                        + "/"
                        + q.getName()
                        + " --replicas="
                        + q.getReplicas())
            .collect(Collectors.joining("; "));
    Outcome ended =
        common.end(
            request,
            status,
            RestorePhase.Failed,
            reason,
            failure
                + ". Workloads stay scaled to zero"
                + " (spec.onFailure: KeepQuiesced): check the data, then resume them with: "
                + how);
    List<Outcome.Notice> notices = new ArrayList<>();
    notices.add(new Outcome.Notice(true, reason, failure));
    notices.addAll(ended.notices());
    return new Outcome(true, notices, ended.lookAgainAfter());
  }

  /** What came back while restoring, when anything did. */
  static Optional<String> quiesceBroken(RestoreRequestStatus status) {
    List<String> broken =
        status.getQuiesced().stream()
            .filter(q -> q.getBroken() != null)
            .map(QuiescedWorkload::getBroken)
            .toList();
    return broken.isEmpty()
        ? Optional.empty()
        : Optional.of(
            "quiesced workloads came back while restoring ("
                + String.join("; ", broken)
                + "): they were scaled to zero again, but may have used the data while it was"
                + " switched; check it (the previous contents are kept aside)");
  }

  /**
   * ArchiveRefused when an agent refused an archive (its report's reason leads the Job's message),
   * else RestoreFailed.
   */
  static String failureReason(List<RestoreJob> jobs) {
    return jobs.stream()
            .anyMatch(
                j ->
                    j.getPhase() == TaskPhase.Failed
                        && j.getMessage() != null
                        && j.getMessage().startsWith("ArchiveRefused: "))
        ? "ArchiveRefused"
        : "RestoreFailed";
  }

  /**
   * The items of a restore Job's report go into the plan; Events tell about recovered switches and
   * about database accounts.
   */
  static Outcome record(RestoreRequestStatus status, RestoreReport report) {
    Outcome outcome = Outcome.unchanged();
    for (RestoreReport.Item result : report.items()) {
      if (result.state() == ItemState.RESTORED && result.message() != null) {
        // The agent found a database switch an earlier attempt left half done, and finished or
        // rolled it back.
        outcome = outcome.warn("SwapRecovered", result.destination() + ": " + result.message());
      }
      for (RestoreItem item : status.getPlan()) {
        if (Objects.equals(item.getKey(), result.key())
            && (result.destination() == null
                || Objects.equals(item.getDestination(), result.destination()))) {
          if (RestoreDecision.ACCOUNTS.equals(item.getKind())
              && result.state() == ItemState.RESTORED
              && result.message() != null
              && !Objects.equals(item.getMessage(), result.message())) {
            String told =
                item.getTarget() + " on " + item.getDestination() + ": " + result.message();
            outcome =
                result.message().contains("left unchanged")
                    ? outcome.warn("AccountsKept", told)
                    : outcome.tell("AccountsRestored", told);
          }
          item.setState(result.state() == null ? null : result.state().value());
          item.setPreviousKeptAt(result.keptAt());
          item.setMessage(result.message());
        }
      }
    }
    return outcome;
  }
}
