package io.osbackup.operator.restore;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.catalog.Catalog;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.Failures;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.StatusWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a RestoreRequest through Validating → Verifying → Quiescing → Restoring → Resuming.
 * Nothing is written before every selected artifact was downloaded and checked by the verify Job;
 * each restore Job checks again while it writes into a staging place and switches over only then,
 * keeping the previous contents aside. Every step reads its state from the request's status and the
 * cluster, so a restarted operator goes on where it stopped; once workloads were quiesced the
 * request runs once, whatever happens to its spec.
 */
@ControllerConfiguration(name = "restorerequest")
public class RestoreRequestReconciler implements Reconciler<RestoreRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreRequestReconciler.class);

  /** How long quiesced workloads may take to stop their pods before the restore gives up. */
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  static final String VERIFY = "verify";
  static final String DATABASE = "database";
  static final String FILES = "files";
  static final String ACCOUNTS = "accounts";

  private final OperatorSettings settings;

  /**
   * The manifests of the backups being restored, by namespace, bucket and key: a manifest never
   * changes once written, so a restore reads it once rather than at every poll while its Jobs run.
   * Bounded; an evicted one is read again.
   */
  private final Map<String, Catalog.Backup> manifests =
      java.util.Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Catalog.Backup> eldest) {
              return size() > 64;
            }
          });

  private final OsbackupMetrics metrics;
  private final RestoreDecision decision;
  private final RestoreBuckets buckets;

  public RestoreRequestReconciler(OperatorSettings settings) {
    this(settings, OsbackupMetrics.inMemory());
  }

  public RestoreRequestReconciler(OperatorSettings settings, OsbackupMetrics metrics) {
    this(settings, metrics, RestoreBuckets.ofStores());
  }

  RestoreRequestReconciler(
      OperatorSettings settings, OsbackupMetrics metrics, RestoreBuckets buckets) {
    this.settings = settings;
    this.metrics = metrics;
    this.buckets = buckets;
    this.decision = new RestoreDecision(settings);
  }

  @Override
  public List<EventSource<?, RestoreRequest>> prepareEventSources(
      EventSourceContext<RestoreRequest> context) {
    var jobs =
        InformerEventSourceConfiguration.from(Job.class, RestoreRequest.class)
            .withLabelSelector(
                Api.MANAGED_BY_LABEL + "=" + Api.MANAGED_BY + "," + Api.RESTORE_LABEL)
            .build();
    return List.of(new InformerEventSource<>(jobs, context));
  }

  @Override
  public UpdateControl<RestoreRequest> reconcile(
      RestoreRequest request, Context<RestoreRequest> context) {
    RestoreRequestStatus status =
        request.getStatus() == null ? new RestoreRequestStatus() : request.getStatus();
    request.setStatus(status);
    RestorePhase before = status.getPhase();
    List<Outcome.Notice> notices = new ArrayList<>();
    if (before != null && before.isFinal()) {
      switch (decision.edit(request, status)) {
        case NONE:
          return StatusWriter.apply(Outcome.unchanged(), request, context, events(context));
        case IGNORED:
          return StatusWriter.apply(
              decision.ignoreEdit(request, status), request, context, events(context));
        case NEW_ATTEMPT:
        default:
          // Nothing was written (it failed validation, was a dry run, or was cancelled before
          // any write): the edited spec is a new attempt.
          notices.add(
              new Outcome.Notice(
                  false,
                  "SpecChanged",
                  "spec changed (generation "
                      + request.getMetadata().getGeneration()
                      + "): validating again"));
          actions(request, context)
              .carryOut(
                  RestoreDecision.jobsOfEndedAttempt(status).stream()
                      .map(RestoreAction.DeleteJob::new)
                      .toList());
          request.setStatus(RestoreDecision.nextAttempt(status));
      }
    }
    Outcome decided;
    try (RestoreObserver observer =
        new RestoreObserver(request, context, settings, buckets, manifests)) {
      decided =
          new RestoreStep(request, observer, actions(request, context), decision, settings).next();
    }
    notices.addAll(decided.notices());
    ended(request, before);
    Outcome outcome = new Outcome(decided.statusChanged(), notices, decided.lookAgainAfter());
    return StatusWriter.apply(outcome, request, context, events(context));
  }

  private RestoreActions actions(RestoreRequest request, Context<RestoreRequest> context) {
    return new RestoreActions(
        context.getClient(),
        request,
        settings,
        new Quiesce.Workloads(context.getClient(), request.getMetadata().getNamespace()));
  }

  private EventRecorder events(Context<RestoreRequest> context) {
    return new EventRecorder(context.getClient(), settings.clock());
  }

  /** Counts and logs a request that reached a final phase in this reconciliation. */
  private void ended(RestoreRequest request, RestorePhase before) {
    RestoreRequestStatus status = request.getStatus();
    RestorePhase after = status.getPhase();
    if (after == null || !after.isFinal() || after == before) {
      return;
    }
    String reason =
        status
            .condition(RestoreRequestStatus.COMPLETE)
            .map(c -> c.getReason())
            .orElse(after.name());
    LOG.info(
        "restore {}/{} {}: {}",
        request.getMetadata().getNamespace(),
        request.getMetadata().getName(),
        after,
        status.getMessage());
    metrics.restoreEnded(request.getMetadata().getNamespace(), after.name(), reason);
  }

  @Override
  public ErrorStatusUpdateControl<RestoreRequest> updateErrorStatus(
      RestoreRequest request, Context<RestoreRequest> context, Exception e) {
    return new Failures(settings.timings(), events(context)).failed(request, context, e);
  }
}
