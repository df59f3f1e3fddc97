package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
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
 * Verifying → Quiescing once the verify Job succeeded; Succeeded for a dry run; Failed when it
 * failed or an existing destination is not confirmed. Pure.
 */
final class VerifyDecision {

  private final OperatorSettings settings;
  private final RestoreDecision common;

  VerifyDecision(OperatorSettings settings) {
    this.settings = settings;
    this.common = new RestoreDecision(settings);
  }

  /**
   * Verifying → Quiescing once the verify Job succeeded (or Succeeded for a dry run, Failed when it
   * failed or an existing destination is not confirmed); {@code verifyJob} was followed already.
   */
  Outcome verified(
      RestoreRequest request,
      RestoreRequestStatus status,
      RestoreJob verifyJob,
      Optional<RestoreReport> report) {
    if (verifyJob.getPhase() == TaskPhase.Running || verifyJob.getPhase() == TaskPhase.Pending) {
      status.setProgress("verifying " + status.getPlan().size() + " artifacts");
      return Outcome.changed().lookAgainAfter(settings.timings().poll());
    }
    if (verifyJob.getPhase() == TaskPhase.Failed || report.isEmpty()) {
      String reason =
          report.map(RestoreReport::reason).filter(Objects::nonNull).orElse("VerifyFailed");
      return common.end(
          request,
          status,
          RestorePhase.Failed,
          reason,
          "verification failed, nothing was written: " + verifyJob.getMessage());
    }
    for (RestoreItem item : status.getPlan()) {
      item.setState(ItemState.VERIFIED.value());
    }
    RestoreRequestSpec spec = request.getSpec();
    List<String> existing = existingDestinations(status, report.get());
    String id = status.getBackupId();
    boolean dryRun = Boolean.TRUE.equals(spec.getDryRun());
    if (!existing.isEmpty() && !dryRun && !id.equals(spec.getConfirm())) {
      return common.refuse(
          request,
          status,
          spec.getConfirm() == null ? "ConfirmRequired" : "ConfirmMismatch",
          "the destination "
              + String.join(", ", existing)
              + " already exists: set spec.confirm: "
              + id
              + " to replace it (the previous contents are kept aside)");
    }
    if (dryRun) {
      List<String> workloads =
          spec.getQuiesce().stream().map(w -> w.getKind() + "/" + w.getName()).toList();
      String message =
          "dry run: "
              + status.getPlan().size()
              + " artifacts ("
              + status.getBytes()
              + " bytes) verified; would restore to "
              + status.getPlan().stream()
                  .map(RestoreItem::getDestination)
                  .collect(Collectors.joining(", "))
              + (workloads.isEmpty() ? "" : "; would quiesce " + workloads)
              + (status.getPlan().stream().anyMatch(i -> Boolean.TRUE.equals(i.getInPlace()))
                  ? "; writes in place, so a real run needs spec.confirm: " + id
                  : "")
              + "; nothing was changed";
      return common.end(request, status, RestorePhase.Succeeded, "DryRun", message);
    }
    status.setStartedGeneration(request.getMetadata().getGeneration());
    status.setPhase(RestorePhase.Quiescing);
    status.setPhaseTime(settings.now());
    status.setMessage(
        "verified "
            + status.getPlan().size()
            + " artifacts; quiescing "
            + spec.getQuiesce().size()
            + " workloads");
    return Outcome.changed()
        .lookAgainAfter(settings.timings().nextStep())
        .tell("Verified", status.getMessage());
  }

  /**
   * The databases of the plan a verify Job found to exist already on their server: they are
   * replaced in place from now on.
   */
  private static List<String> existingDestinations(
      RestoreRequestStatus status, RestoreReport report) {
    List<String> out = new ArrayList<>();
    for (RestoreItem item : status.getPlan()) {
      if (!RestoreDecision.DATABASE.equals(item.getKind())
          || Boolean.TRUE.equals(item.getInPlace())) {
        continue;
      }
      for (RestoreReport.Server server : report.servers()) {
        String prefix = server.host() + ":" + server.port() + "/";
        if (item.getDestination().startsWith(prefix)
            && server.databases().contains(item.getDestination().substring(prefix.length()))) {
          item.setInPlace(true);
          out.add("database " + item.getDestination());
        }
      }
    }
    return out;
  }
}
