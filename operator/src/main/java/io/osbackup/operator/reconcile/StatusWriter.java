package io.osbackup.operator.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.Objects;

/**
 * The one place osbackup writes the status of its resources. A status is written with the
 * resourceVersion it was computed from (optimistic locking): a reconciliation that started from a
 * stale copy fails with {@link StaleStatusException} and is retried on fresh state instead of, say,
 * recording an artifact twice. The written resource is cached, so the next reconciliation starts
 * from it. The same request works on a real API server and on the embedded one.
 */
public final class StatusWriter {

  /**
   * The resource changed since this reconciliation read it; the framework retries on fresh state.
   */
  public static final class StaleStatusException extends RuntimeException {
    StaleStatusException(String message) {
      super(message);
    }
  }

  private StatusWriter() {}

  /**
   * Carries out {@code outcome} for {@code resource}, whose status the decision changed in place:
   * writes the status when it changed, then records the outcome's Events (a status write that fails
   * records none, so a retried reconciliation does not tell twice), and returns a control that
   * reschedules as asked.
   */
  public static <P extends HasMetadata> UpdateControl<P> apply(
      Outcome outcome, P resource, Context<P> context, EventRecorder events) {
    UpdateControl<P> control =
        outcome.statusChanged() ? UpdateControl.patchStatus(resource) : UpdateControl.noUpdate();
    outcome.lookAgainAfter().ifPresent(control::rescheduleAfter);
    UpdateControl<P> next = write(control, resource, context);
    for (Outcome.Notice notice : outcome.notices()) {
      if (notice.warning()) {
        events.warning(resource, notice.reason(), notice.message());
      } else {
        events.normal(resource, notice.reason(), notice.message());
      }
    }
    return next;
  }

  /**
   * Writes the status held by {@code control}'s resource, then returns a control that only
   * reschedules.
   */
  public static <P extends HasMetadata> UpdateControl<P> write(
      UpdateControl<P> control, P resource, Context<P> context) {
    if (control.isPatchStatus() || control.isPatchResourceAndStatus()) {
      P desired = control.getResource().orElse(resource);
      String readVersion = resource.getMetadata().getResourceVersion();
      PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(
          resource,
          context,
          current -> {
            // On a conflict the framework hands the latest copy back; never overwrite it with a
            // stale status.
            if (!Objects.equals(current.getMetadata().getResourceVersion(), readVersion)) {
              throw new StaleStatusException(
                  resource.getKind()
                      + " "
                      + resource.getMetadata().getName()
                      + " changed while it was reconciled");
            }
            return desired;
          });
    }
    UpdateControl<P> next = UpdateControl.noUpdate();
    control.getScheduleDelay().ifPresent(next::rescheduleAfter);
    return next;
  }
}
