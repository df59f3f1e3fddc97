package io.osbackup.operator.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.javaoperatorsdk.operator.processing.retry.Retry;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's one failure policy for reconciliations that throw: every reconciler's {@code
 * updateErrorStatus} comes here. A failure is counted (JOSDK's retry state for the resource), told
 * to the user as a {@code ReconcileError} Warning Event naming the attempt and the next delay, and
 * retried with exponential backoff ({@link Timings#retryAfter}) without limit: a backup or restore
 * is never left alone because the API server or the bucket was away for a while. A status written
 * from a stale copy ({@link StatusWriter.StaleStatusException}) is retried at once without an
 * Event. The count starts again after a reconciliation succeeds.
 *
 * <p>Failures that are the user's to fix (bad input, missing Secret) are not exceptions: the
 * decisions put them in status conditions and Events themselves.
 */
public final class Failures {

  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

  /** Reason of the Event told about a failed reconciliation. */
  public static final String RECONCILE_ERROR = "ReconcileError";

  private final Timings timings;
  private final EventRecorder events;

  public Failures(Timings timings, EventRecorder events) {
    this.timings = timings;
    this.events = events;
  }

  /** JOSDK's retry for every controller: the backoff of {@link Timings#retryAfter}, unlimited. */
  public static Retry retry(Timings timings) {
    return new GenericRetry()
        .setInitialInterval(timings.retryInitial().toMillis())
        .setIntervalMultiplier(2)
        .setMaxInterval(timings.retryMax().toMillis())
        .withoutMaxAttempts();
  }

  /** Handles the failure of one reconciliation of {@code resource}. */
  public <P extends HasMetadata> ErrorStatusUpdateControl<P> failed(
      P resource, Context<P> context, Exception e) {
    if (e instanceof StatusWriter.StaleStatusException) {
      LOG.debug("{}: {}", name(resource), e.getMessage());
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    // JOSDK counts the retries already made; this is failure number count + 1 in a row
    int failure = context.getRetryInfo().map(RetryInfo::getAttemptCount).orElse(0) + 1;
    String message =
        "failed "
            + (failure == 1 ? "once" : failure + " times in a row")
            + ", retrying in "
            + text(timings.retryAfter(failure))
            + ": "
            + (e.getMessage() == null ? e.toString() : e.getMessage());
    LOG.warn("{}: {}", name(resource), message, e);
    events.warning(resource, RECONCILE_ERROR, message);
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  private static String text(Duration delay) {
    return delay.toSeconds() < 120 ? delay.toMillis() / 1000.0 + " s" : delay.toMinutes() + " min";
  }

  private static String name(HasMetadata resource) {
    return resource.getKind()
        + " "
        + resource.getMetadata().getNamespace()
        + "/"
        + resource.getMetadata().getName();
  }
}
