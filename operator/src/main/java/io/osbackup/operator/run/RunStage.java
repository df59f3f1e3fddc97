package io.osbackup.operator.run;

import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.catalog.FoundBackups;

/**
 * Where a BackupRun is, finer than its {@link io.osbackup.api.v1alpha1.RunPhase}: the phase says
 * Pending or Running, the stage says which step comes next. It is read from the status and spec
 * alone (no schema field holds it), so a restarted operator finds the same stage.
 */
enum RunStage {
  /** Pending, no plan yet: copy the policy, list the nodes, name the Jobs. */
  PLANNING,
  /** Pending, created for a backup found in the store: read the manifest instead of planning. */
  ADOPTING,
  /** Running with Jobs to start or follow. */
  RUNNING,
  /**
   * Every Job ended: verify the artifacts and write the manifest, or, when a task failed, wait for
   * the run's pods to stop, then clean up the bucket.
   */
  FINISHING,
  /** Cancel asked of a planned run: stop its Jobs, wait for its pods, empty its folder. */
  CANCELLING,
  /** Ended; only {@code spec.deleteBackup} makes a finished run act. */
  ENDED;

  /** The stage of {@code run}. */
  static RunStage of(BackupRun run) {
    BackupRunStatus status = run.getStatus();
    if (status == null || status.getPhase() == null) {
      return beforePlan(run, status);
    }
    switch (status.getPhase()) {
      case Pending:
        return beforePlan(run, status);
      case Running:
        if (status.getPlan() == null) {
          return beforePlan(run, status);
        }
        if (cancelReason(run) != null) {
          return CANCELLING;
        }
        return status.getTasks().stream().map(RunTask::getPhase).allMatch(p -> p.isFinal())
            ? FINISHING
            : RUNNING;
      case Succeeded:
      case PartiallyFailed:
      case Failed:
      case Cancelled:
        return ENDED;
      default:
        throw new IllegalStateException("unknown phase " + status.getPhase());
    }
  }

  private static RunStage beforePlan(BackupRun run, BackupRunStatus status) {
    if (status != null && status.getPlan() != null) {
      // planned, and put back to Pending by nothing the operator does: carry on
      return cancelReason(run) != null ? CANCELLING : RUNNING;
    }
    return FoundBackups.isFound(run) ? ADOPTING : PLANNING;
  }

  /**
   * Why the run is to be cancelled: {@code spec.cancel} set by the user, or the operator's {@link
   * Api#CANCEL_ANNOTATION} (a run replaced under {@code concurrencyPolicy: Replace}); null when it
   * is not.
   */
  static String cancelReason(BackupRun run) {
    if (Boolean.TRUE.equals(run.getSpec().getCancel())) {
      return "spec.cancel is true";
    }
    var annotations = run.getMetadata().getAnnotations();
    String reason = annotations == null ? null : annotations.get(Api.CANCEL_ANNOTATION);
    return reason == null ? null : reason.isBlank() ? Api.CANCEL_ANNOTATION : reason;
  }
}
