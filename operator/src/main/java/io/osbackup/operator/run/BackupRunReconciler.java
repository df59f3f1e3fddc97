package io.osbackup.operator.run;

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
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.Failures;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.StatusWriter;
import io.osbackup.operator.reconcile.StoreBuckets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a BackupRun through its {@link RunStage}s: plan it (copy the policy, list the nodes, name
 * the Jobs) or adopt a backup found in the store, start its Jobs within the parallelism cap, follow
 * them, read each agent's report from the bucket, verify every artifact, and write the manifest
 * last; or cancel it. Every step reads its state from the run's status and the cluster, so a
 * restarted operator picks up where it left. Each reconciliation observes, decides, acts, and hands
 * the {@link Outcome} to {@link StatusWriter#apply}.
 */
@ControllerConfiguration(name = "backuprun")
public class BackupRunReconciler implements Reconciler<BackupRun> {

  private static final Logger LOG = LoggerFactory.getLogger(BackupRunReconciler.class);

  private final OperatorSettings settings;
  private final OsbackupMetrics metrics;

  public BackupRunReconciler(OperatorSettings settings) {
    this(settings, OsbackupMetrics.inMemory());
  }

  public BackupRunReconciler(OperatorSettings settings, OsbackupMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public List<EventSource<?, BackupRun>> prepareEventSources(
      EventSourceContext<BackupRun> context) {
    var jobs =
        InformerEventSourceConfiguration.from(Job.class, BackupRun.class)
            .withLabelSelector(Api.MANAGED_BY_LABEL + "=" + Api.MANAGED_BY)
            .build();
    return List.of(new InformerEventSource<>(jobs, context));
  }

  @Override
  public UpdateControl<BackupRun> reconcile(BackupRun run, Context<BackupRun> context) {
    if (run.getStatus() == null) {
      run.setStatus(new BackupRunStatus());
    }
    BackupRunStatus status = run.getStatus();
    RunStage stage = RunStage.of(run);
    if (stage != RunStage.ENDED) {
      status.setObservedGeneration(run.getMetadata().getGeneration());
    }
    var client = context.getClient();
    EventRecorder events = new EventRecorder(client, settings.clock());
    BucketOpener buckets = new StoreBuckets(client)::connect;
    RunRecord record = new RunRecord(run, settings.clock());
    Outcome outcome;
    try (RunObserver world = new RunObserver(run, client, settings, buckets, events)) {
      outcome =
          switch (stage) {
            case PLANNING -> new Planning(record, client, settings, buckets).plan();
            case ADOPTING -> new Planning(record, client, settings, buckets).adopt();
            case RUNNING -> run(record, world, context);
            case FINISHING -> finishing(record, world).finish();
            case CANCELLING -> finishing(record, world).cancel(RunStage.cancelReason(run));
            case ENDED -> deleteBackup(record, client, buckets);
          };
    }
    UpdateControl<BackupRun> control = StatusWriter.apply(outcome, run, context, events);
    if (record.ended()) {
      LOG.info(
          "run {}/{} {}: {}",
          run.getMetadata().getNamespace(),
          run.getMetadata().getName(),
          status.getPhase(),
          status.getMessage());
      metrics.runEnded(run);
    }
    return control;
  }

  /**
   * Starts and follows the run's Jobs; once every one ended, finishes the run in the same
   * reconciliation.
   */
  private Outcome run(RunRecord record, RunObserver world, Context<BackupRun> context) {
    TaskObservation seen = world.observe(context.getSecondaryResources(Job.class));
    TaskDecision.Result decided =
        TaskDecision.decide(record, seen, settings.timings(), settings.agentImage());
    decided.create().forEach(world::create);
    decided.delete().forEach(world::deleteJob);
    if (RunStage.of(record.run()) == RunStage.FINISHING) {
      return finishing(record, world).finish();
    }
    return decided.outcome();
  }

  private Finishing finishing(RunRecord record, RunObserver world) {
    return new Finishing(record, world::bucket, world, settings.timings());
  }

  /** A finished run acts only when spec.deleteBackup asks it to. */
  private Outcome deleteBackup(
      RunRecord record,
      io.fabric8.kubernetes.client.KubernetesClient client,
      BucketOpener buckets) {
    String asked = record.run().getSpec().getDeleteBackup();
    if (asked == null || asked.isBlank()) {
      return Outcome.unchanged();
    }
    return new BackupDeletion(record, client, settings, buckets).deleteBackup(asked.trim());
  }

  @Override
  public ErrorStatusUpdateControl<BackupRun> updateErrorStatus(
      BackupRun run, Context<BackupRun> context, Exception e) {
    return new Failures(settings.timings(), new EventRecorder(client(context), settings.clock()))
        .failed(run, context, e);
  }

  private static io.fabric8.kubernetes.client.KubernetesClient client(Context<BackupRun> context) {
    return context.getClient();
  }
}
