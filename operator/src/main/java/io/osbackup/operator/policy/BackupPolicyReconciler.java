package io.osbackup.operator.policy;

import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicyStatus;
import io.osbackup.api.v1alpha1.BackupPolicyStatus.RunReference;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunSpec;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.Failures;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.StatusWriter;
import io.osbackup.retention.RetentionResult;
import io.osbackup.schedule.InvalidScheduleException;
import io.osbackup.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/**
 * Starts a policy's scheduled BackupRuns: at each cron slot (in the policy's time zone) one run
 * named {@code <policy>-<yyyyMMdd-HHmmss>} of the slot in UTC, honouring suspend, concurrencyPolicy
 * and startingDeadlineSeconds, and keeps the policy's status (last and next slot, last success,
 * active runs, Ready) in step with its runs. Each reconciliation observes ({@link PolicyObserver}),
 * decides ({@link PolicyDecision}, pure), acts ({@link PolicyActor}) and writes the status through
 * {@link StatusWriter#apply}; retention passes run on the operator's retention threads ({@link
 * RetentionPasses}).
 */
@ControllerConfiguration(name = "backuppolicy")
public class BackupPolicyReconciler implements Reconciler<BackupPolicy> {

  private static final DateTimeFormatter RUN_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  static final String RUNS_BY_POLICY = "byPolicy";

  private final OperatorSettings settings;
  private final OsbackupMetrics metrics;
  private final RetentionPasses passes;
  private final PolicyActor actor;
  private InformerEventSource<BackupRun, BackupPolicy> runs;
  private InformerEventSource<BackupStore, BackupPolicy> stores;
  private PolicyObserver observer;

  /**
   * @param retentionThreads where retention passes run; owned (and shut down) by the operator
   * @param buckets opens a store's bucket for a retention pass
   */
  public BackupPolicyReconciler(
      OperatorSettings settings,
      OsbackupMetrics metrics,
      Executor retentionThreads,
      BucketOpener buckets) {
    this.settings = settings;
    this.metrics = metrics;
    this.passes = new RetentionPasses(retentionThreads, buckets);
    this.actor = new PolicyActor(passes);
  }

  /**
   * The name of the run of {@code policy} for {@code slot}: the same name on every operator, so it
   * is made once.
   */
  public static String runName(String policy, Instant slot) {
    return policy + "-" + RUN_TIME.format(slot);
  }

  @Override
  public List<EventSource<?, BackupPolicy>> prepareEventSources(
      EventSourceContext<BackupPolicy> context) {
    // Every run of a policy, scheduled or made by hand, maps to it through spec.policyRef: its end
    // updates the
    // policy's last success and active runs, and a hand-made active run counts for
    // concurrencyPolicy.
    runs =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(BackupRun.class, BackupPolicy.class)
                .withSecondaryToPrimaryMapper(
                    run ->
                        policyOf(run)
                            .map(p -> Set.of(new ResourceID(p, run.getMetadata().getNamespace())))
                            .orElse(Set.of()))
                .build(),
            context);
    // Runs indexed by <namespace>/<policy>: a reconciliation reads its own runs, not every run of
    // the namespace.
    runs.addIndexers(
        Map.of(
            RUNS_BY_POLICY,
            run ->
                policyOf(run)
                    .map(p -> List.of(run.getMetadata().getNamespace() + "/" + p))
                    .orElse(List.of())));
    var policies = context.getPrimaryCache();
    stores =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(BackupStore.class, BackupPolicy.class)
                .withSecondaryToPrimaryMapper(
                    store ->
                        policies
                            .list(
                                store.getMetadata().getNamespace(),
                                p -> store.getMetadata().getName().equals(storeOf(p)))
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    observer = new PolicyObserver(runs, stores, passes);
    return List.of(runs, stores);
  }

  @Override
  public UpdateControl<BackupPolicy> reconcile(BackupPolicy policy, Context<BackupPolicy> context) {
    if (!runs.isRunning() || !stores.isRunning()) {
      // The operator is stopping: its caches are being emptied and would tell of no runs and no
      // store.
      return UpdateControl.noUpdate();
    }
    Instant now = settings.clock().instant();
    PolicyObservation seen = observer.observe(policy, context.getClient(), now);
    PolicyDecision.Decision decision =
        PolicyDecision.decide(policy, seen, now, settings.timings(), settings.clusterId());
    Outcome outcome =
        actor.carryOut(policy, decision.actions(), context.getClient(), decision.outcome());
    seen.finishedPass().ifPresent(result -> recordRetention(policy, result));
    recordMetrics(policy, policy.getStatus(), context);
    return StatusWriter.apply(
        outcome, policy, context, new EventRecorder(context.getClient(), settings.clock()));
  }

  /** The counters of a finished retention pass. */
  private void recordRetention(BackupPolicy policy, RetentionResult result) {
    String ns = policy.getMetadata().getNamespace();
    String name = policy.getMetadata().getName();
    if (result.refused()) {
      metrics.retention(ns, name, 0, 0, 1);
      return;
    }
    metrics.clockSkewed(ns, name, result.clockSkew().size());
    metrics.retention(
        ns,
        name,
        result.deleted().size(),
        result.leftoversRemoved().size(),
        result.errors().size());
  }

  private volatile Instant lastPrune = Instant.EPOCH;

  /** The policy's gauges, from its status and its newest successful run. */
  private void recordMetrics(
      BackupPolicy policy, BackupPolicyStatus status, Context<BackupPolicy> context) {
    String ns = policy.getMetadata().getNamespace();
    String name = policy.getMetadata().getName();
    Instant last = null;
    long bytes = 0;
    int artifacts = 0;
    RunReference success = status.getLastSuccessfulRun();
    if (success != null && success.getTime() != null) {
      last = Instant.parse(success.getTime());
      for (BackupRun run : observer.runsOf(policy)) {
        if (run.getMetadata().getName().equals(success.getName()) && run.getStatus() != null) {
          bytes = run.getStatus().getSize() == null ? 0 : run.getStatus().getSize();
          artifacts = run.getStatus().getArtifacts().size();
        }
      }
    }
    Duration interval = null;
    String cron = policy.getSpec().getSchedule();
    if (cron != null && !cron.isBlank()) {
      try {
        Schedule schedule = Schedule.parse(cron, policy.getSpec().getTimeZone());
        Optional<Instant> next = schedule.next(settings.clock().instant());
        Optional<Instant> after = next.flatMap(schedule::next);
        if (next.isPresent() && after.isPresent()) {
          interval = Duration.between(next.get(), after.get());
        }
      } catch (InvalidScheduleException e) {
        interval = null;
      }
    }
    metrics.policyObserved(
        ns,
        name,
        last,
        bytes,
        artifacts,
        interval,
        status.getKeptBackups() == null ? 0 : status.getKeptBackups());
    Instant now = settings.clock().instant();
    if (Duration.between(lastPrune, now).compareTo(Duration.ofMinutes(1)) > 0) {
      lastPrune = now;
      metrics.retainPolicies(
          context
              .getPrimaryCache()
              .list()
              .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
              .collect(Collectors.toSet()));
    }
  }

  @Override
  public ErrorStatusUpdateControl<BackupPolicy> updateErrorStatus(
      BackupPolicy policy, Context<BackupPolicy> context, Exception e) {
    return new Failures(
            settings.timings(), new EventRecorder(context.getClient(), settings.clock()))
        .failed(policy, context, e);
  }

  static Optional<String> policyOf(BackupRun run) {
    return Optional.ofNullable(run.getSpec())
        .map(BackupRunSpec::getPolicyRef)
        .map(LocalRef::getName);
  }

  private static String storeOf(BackupPolicy policy) {
    return PolicyDecision.storeOf(policy);
  }
}
