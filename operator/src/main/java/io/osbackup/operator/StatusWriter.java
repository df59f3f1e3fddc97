package io.osbackup.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/**
 * The one place osbackup writes the status of its resources. A status is written with the resourceVersion it was
 * computed from (optimistic locking), so a reconciliation that started from a stale copy fails with a conflict and
 * is retried on fresh state instead of, say, recording an artifact twice; the written resource is cached, so the
 * next reconciliation starts from it. The same request works on a real API server and on the embedded one.
 */
final class StatusWriter {

  private StatusWriter() {}

  /** Writes the status held by {@code control}'s resource, then returns a control that only reschedules. */
  static <P extends HasMetadata> UpdateControl<P> write(UpdateControl<P> control, P resource, Context<P> context) {
    if (control.isPatchStatus() || control.isPatchResourceAndStatus()) {
      P desired = control.getResource().orElse(resource);
      PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(resource, context, current -> desired);
    }
    UpdateControl<P> next = UpdateControl.noUpdate();
    control.getScheduleDelay().ifPresent(next::rescheduleAfter);
    return next;
  }
}
