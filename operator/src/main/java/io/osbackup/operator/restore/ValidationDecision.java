package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreItem;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import java.util.ArrayList;
import java.util.List;

/**
 * Validating → Verifying, decided from the selection found fit: the plan and the verify Job go into
 * status, a restore in place without spec.confirm is refused. Pure.
 */
final class ValidationDecision {

  private final OperatorSettings settings;
  private final RestoreDecision common;

  ValidationDecision(OperatorSettings settings) {
    this.settings = settings;
    this.common = new RestoreDecision(settings);
  }

  /**
   * Validating → Verifying, once the selection, the cluster and the bucket were found fit: the plan
   * and the verify Job go into status. A restore in place without spec.confirm is refused.
   *
   * @param keptAside an example of where the previous contents go, for the confirm message
   */
  Outcome validated(
      RestoreRequest request,
      RestoreRequestStatus status,
      List<String> inPlace,
      String keptAside,
      List<RestoreItem> plan,
      String verifyJob) {
    RestoreRequestSpec spec = request.getSpec();
    String id = status.getBackupId();
    boolean dryRun = Boolean.TRUE.equals(spec.getDryRun());
    if (!inPlace.isEmpty() && !dryRun && !id.equals(spec.getConfirm())) {
      return common.refuse(
          request,
          status,
          spec.getConfirm() == null ? "ConfirmRequired" : "ConfirmMismatch",
          "this restore writes in place ("
              + String.join(", ", inPlace)
              + "): set spec.confirm: "
              + id
              + " to allow"
              + " it"
              + (spec.getConfirm() == null ? "" : " (spec.confirm is '" + spec.getConfirm() + "')")
              + "; the previous contents are kept aside ("
              + keptAside
              + ")");
    }
    status.setPlan(new ArrayList<>(plan));
    status.setBytes(
        status.getPlan().stream().mapToLong(i -> i.getSize() == null ? 0 : i.getSize()).sum());
    status.setJobs(
        new ArrayList<>(
            List.of(RestoreDecision.job(verifyJob, RestoreDecision.VERIFY, null, null))));
    status.setPhase(RestorePhase.Verifying);
    status.setMessage(
        "verifying "
            + status.getPlan().size()
            + " artifacts ("
            + status.getBytes()
            + " bytes) of "
            + id
            + " before anything is written");
    Conditions.set(
        status,
        RestoreRequestStatus.COMPLETE,
        false,
        "Verifying",
        status.getMessage(),
        request.getMetadata().getGeneration(),
        settings.clock());
    return Outcome.changed()
        .lookAgainAfter(settings.timings().nextStep())
        .tell(
            "Validated",
            "backup "
                + id
                + ": "
                + status.getPlan().size()
                + " artifacts selected"
                + (dryRun ? " (dry run)" : ""));
  }
}
