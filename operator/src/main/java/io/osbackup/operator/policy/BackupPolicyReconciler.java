package io.osbackup.operator.policy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
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
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicyStatus;
import io.osbackup.api.v1alpha1.BackupPolicyStatus.RunReference;
import io.osbackup.api.v1alpha1.BackupPolicyStatus.SkippedSlot;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunSpec;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.ConcurrencyPolicy;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.Failures;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.StatusWriter;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.plan.JobNames;
import io.osbackup.retention.Backup;
import io.osbackup.retention.ClockSkew;
import io.osbackup.retention.RetentionPass;
import io.osbackup.retention.RetentionPolicy;
import io.osbackup.retention.RetentionResult;
import io.osbackup.schedule.InvalidScheduleException;
import io.osbackup.schedule.Schedule;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a policy's scheduled BackupRuns: at each cron slot (in the policy's time zone) one run
 * named {@code <policy>-<yyyyMMdd-HHmmss>} of the slot in UTC, honouring suspend, concurrencyPolicy
 * and startingDeadlineSeconds, and keeps the policy's status (last and next slot, last success,
 * active runs, Ready) in step with its runs.
 */
@ControllerConfiguration(name = "backuppolicy")
public class BackupPolicyReconciler implements Reconciler<BackupPolicy> {

  private static final Logger LOG = LoggerFactory.getLogger(BackupPolicyReconciler.class);
  private static final DateTimeFormatter RUN_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private static final String RUNS_BY_POLICY = "byPolicy";

  private final OperatorSettings settings;

  /**
   * When retention last ran per policy; after a restart it runs again at once, which is harmless.
   */
  private final Map<ResourceID, Instant> lastRetention = new ConcurrentHashMap<>();

  /**
   * Retention passes in flight, per policy. A pass lists, reads and deletes in the bucket for
   * minutes on a large folder; it runs on its own threads so reconciliations (and the schedule)
   * never wait for it, and its result is applied by the policy's next reconciliation.
   */
  private final Map<ResourceID, CompletableFuture<RetentionResult>> retentionPasses =
      new ConcurrentHashMap<>();

  private static final ExecutorService RETENTION_THREADS =
      Executors.newFixedThreadPool(
          2,
          r -> {
            Thread t = new Thread(r, "osbackup-retention");
            t.setDaemon(true);
            return t;
          });
  private InformerEventSource<BackupRun, BackupPolicy> runs;
  private InformerEventSource<BackupStore, BackupPolicy> stores;

  private final OsbackupMetrics metrics;

  public BackupPolicyReconciler(OperatorSettings settings) {
    this(settings, OsbackupMetrics.inMemory());
  }

  public BackupPolicyReconciler(OperatorSettings settings, OsbackupMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
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
    return List.of(runs, stores);
  }

  @Override
  public UpdateControl<BackupPolicy> reconcile(BackupPolicy policy, Context<BackupPolicy> context) {
    if (!runs.isRunning() || !stores.isRunning()) {
      // The operator is stopping: its caches are being emptied and would tell of no runs and no
      // store.
      return UpdateControl.noUpdate();
    }
    String before = Serialization.asJson(policy.getStatus());
    BackupPolicyStatus status =
        policy.getStatus() == null ? new BackupPolicyStatus() : policy.getStatus();
    policy.setStatus(status);
    Duration recheck = new Step(policy, status, context.getClient()).run();
    recordMetrics(policy, status, context);
    if (retentionPasses.containsKey(ResourceID.fromResource(policy))
        && recheck.compareTo(settings.timings().retentionRecheck()) > 0) {
      recheck =
          settings.timings().retentionRecheck(); // pick the pass's result up soon after it ends
    }
    UpdateControl<BackupPolicy> control =
        Objects.equals(before, Serialization.asJson(status))
            ? UpdateControl.noUpdate()
            : UpdateControl.patchStatus(policy);
    return StatusWriter.write(control.rescheduleAfter(recheck), policy, context);
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
      for (BackupRun run : runs.byIndex(RUNS_BY_POLICY, ns + "/" + name)) {
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

  private static Optional<String> policyOf(BackupRun run) {
    return Optional.ofNullable(run.getSpec())
        .map(BackupRunSpec::getPolicyRef)
        .map(LocalRef::getName);
  }

  private static String storeOf(BackupPolicy policy) {
    return policy.getSpec() == null || policy.getSpec().getStoreRef() == null
        ? null
        : policy.getSpec().getStoreRef().getName();
  }

  private static boolean isActive(BackupRun run) {
    return run.getStatus() == null
        || run.getStatus().getPhase() == null
        || !run.getStatus().getPhase().isFinal();
  }

  /** One reconciliation of one policy; {@link #run()} returns when to look again. */
  private final class Step {
    private final BackupPolicy policy;
    private final BackupPolicyStatus status;
    private final KubernetesClient client;
    private final EventRecorder events;
    private final String ns;
    private final String name;
    private final Instant now;
    private boolean newSuccess;

    Step(BackupPolicy policy, BackupPolicyStatus status, KubernetesClient client) {
      this.policy = policy;
      this.status = status;
      this.client = client;
      this.events = new EventRecorder(client, settings.clock());
      this.ns = policy.getMetadata().getNamespace();
      this.name = policy.getMetadata().getName();
      this.now = settings.clock().instant();
    }

    Duration run() {
      status.setObservedGeneration(policy.getMetadata().getGeneration());
      // Runs imported read-only from another cluster's or store's backups are not this policy's.
      List<BackupRun> own =
          runs.byIndex(RUNS_BY_POLICY, ns + "/" + name).stream()
              .filter(r -> !FoundBackups.isForeign(r))
              .toList();
      observeRuns(own);

      String cron = policy.getSpec().getSchedule();
      Schedule schedule = null;
      if (cron != null && !cron.isBlank()) {
        try {
          schedule = Schedule.parse(cron, policy.getSpec().getTimeZone());
        } catch (InvalidScheduleException e) {
          status.setNextScheduleTime(null);
          String reason = "spec.timeZone".equals(e.field()) ? "InvalidTimeZone" : "InvalidSchedule";
          ready(false, reason, e.getMessage());
          return settings.timings().poll();
        }
      }
      String store = storeOf(policy);
      if (stores.get(new ResourceID(store, ns)).isEmpty()
          && client.resources(BackupStore.class).inNamespace(ns).withName(store).get() == null) {
        status.setNextScheduleTime(null);
        ready(
            false,
            "StoreNotFound",
            "spec.storeRef names BackupStore '"
                + store
                + "', which does not exist in namespace "
                + ns
                + ": create it or fix spec.storeRef");
        return settings.timings().poll();
      }
      retentionSafety();
      applyRetention(own);
      if (schedule == null) {
        status.setNextScheduleTime(null);
        ready(
            true,
            "OnDemandOnly",
            "no spec.schedule: runs start only when a BackupRun names this policy");
        return idleRecheck();
      }
      if (Boolean.TRUE.equals(policy.getSpec().getSuspend())) {
        status.setNextScheduleTime(null);
        ready(
            true,
            "Suspended",
            "spec.suspend is true: no scheduled runs; runs created by hand still start");
        return idleRecheck();
      }

      schedule.due(now, after()).ifPresent(this::startSlot);
      Optional<Instant> next = schedule.next(now);
      status.setNextScheduleTime(next.map(Instant::toString).orElse(null));
      ready(
          true,
          "Scheduled",
          "schedule \""
              + schedule.expression()
              + "\" in "
              + schedule.zone()
              + next.map(n -> ", next run at " + n).orElse(""));
      Duration untilNext = next.map(n -> Duration.between(now, n)).orElse(idleRecheck());
      return untilNext.compareTo(idleRecheck()) < 0 ? untilNext : idleRecheck();
    }

    /**
     * Flags, before any pass deletes, rules that keep only the newest backup: the RetentionSafe
     * condition False and a Warning Event when it becomes so. Retention still runs: such rules may
     * be meant.
     */
    private void retentionSafety() {
      Optional<String> onlyOne =
          RetentionPolicy.keepsOnlyTheNewest(policy.getSpec().getRetention());
      boolean changed =
          Conditions.set(
              status,
              BackupPolicyStatus.RETENTION_SAFE,
              onlyOne.isEmpty(),
              onlyOne.isPresent() ? "KeepsOnlyOneBackup" : "KeepsMoreThanOne",
              onlyOne.orElse("the retention rules can keep more than one backup"),
              policy.getMetadata().getGeneration(),
              settings.clock());
      if (changed && onlyOne.isPresent()) {
        events.warning(policy, "KeepsOnlyOneBackup", onlyOne.get());
      }
    }

    /**
     * How long a healthy policy waits before it looks again when nothing happens: its runs, its
     * store and its own edits wake it up through their informers, and the next slot through the
     * returned delay, so the periodic look only catches what no event announces (the hourly
     * retention pass). At 500 policies a look every pollInterval cost a whole core
     * (docs/benchmarks.md, Scale).
     */
    private Duration idleRecheck() {
      return settings.timings().poll().multipliedBy(12);
    }

    /**
     * Applies the policy's retention to its folder in the bucket after a new success, and at least
     * every {@link Timings#retentionInterval}: keeps what the rules keep (always the newest
     * successful backup), deletes the rest manifest first, removes failed runs' leftovers beyond
     * {@code failedRunsHistoryLimit}, and deletes the BackupRuns of what it removed. A listing or
     * read error deletes nothing.
     */
    private void applyRetention(List<BackupRun> own) {
      ResourceID id = ResourceID.fromResource(policy);
      CompletableFuture<RetentionResult> pass = retentionPasses.get(id);
      if (pass != null) {
        if (!pass.isDone()) {
          return; // its result is applied by a later reconciliation
        }
        retentionPasses.remove(id);
        record(pass.join(), own);
      }
      Instant last = lastRetention.get(id);
      if (!newSuccess
          && last != null
          && Duration.between(last, now).compareTo(settings.timings().retentionInterval()) < 0) {
        return;
      }
      lastRetention.put(id, now);
      BackupStore store =
          stores
              .get(new ResourceID(storeOf(policy), ns))
              .orElseGet(
                  () ->
                      client
                          .resources(BackupStore.class)
                          .inNamespace(ns)
                          .withName(storeOf(policy))
                          .get());
      if (store == null) {
        return;
      }
      Optional<String> overlap =
          Optional.ofNullable(store.getStatus())
              .flatMap(st -> st.condition(io.osbackup.api.v1alpha1.BackupStoreStatus.AVAILABLE))
              .filter(
                  c ->
                      "False".equals(c.getStatus())
                          && io.osbackup.api.v1alpha1.BackupStoreStatus.PREFIX_OVERLAP.equals(
                              c.getReason()))
              .map(c -> c.getMessage());
      if (overlap.isPresent()) {
        events.warning(
            policy,
            "RetentionSkipped",
            "retention did not run, nothing was deleted: BackupStore '"
                + store.getMetadata().getName()
                + "' overlaps another store ("
                + io.osbackup.api.v1alpha1.BackupStoreStatus.PREFIX_OVERLAP
                + "): "
                + overlap.get());
        return;
      }
      ZoneId zone = zone();
      Long deadline =
          policy.getSpec().getJob() == null
              ? null
              : policy.getSpec().getJob().getActiveDeadlineSeconds();
      Duration longestRun =
          Duration.ofSeconds(deadline == null ? 7200 : deadline).plus(Duration.ofMinutes(15));
      var s3 = store.getSpec().getS3();
      String folder = BackupLayout.policyFolder(s3.getPrefix(), ns, name);
      var rules = policy.getSpec().getRetention();
      Instant at = now;
      Owner owner =
          new Owner(
              settings.clusterId(),
              ns,
              store.getMetadata().getName(),
              store.getMetadata().getUid());
      StoreBuckets connector = new StoreBuckets(client);
      // A backup being restored is not deleted under the restore's feet.
      Set<String> inUse =
          client.resources(RestoreRequest.class).inNamespace(ns).list().getItems().stream()
              .map(RestoreRequest::getStatus)
              .filter(
                  s ->
                      s != null
                          && s.getBackupId() != null
                          && s.getPhase() != null
                          && !s.getPhase().isFinal())
              .map(RestoreRequestStatus::getBackupId)
              .collect(java.util.stream.Collectors.toSet());
      retentionPasses.put(
          id,
          CompletableFuture.supplyAsync(
              () -> {
                try (ObjectStore bucket = connector.connect(ns, s3)) {
                  return RetentionPass.run(
                      bucket, folder, rules, zone, at, longestRun, false, inUse, owner);
                } catch (IOException | RuntimeException e) {
                  return RetentionResult.failed(
                      "retention did not run, nothing was deleted: " + e.getMessage());
                }
              },
              RETENTION_THREADS));
    }

    private ZoneId zone() {
      try {
        return Schedule.zone(policy.getSpec().getTimeZone());
      } catch (InvalidScheduleException e) {
        return ZoneOffset.UTC;
      }
    }

    /**
     * Applies the result of a finished pass: status, Events, and the BackupRuns of the backups it
     * removed.
     */
    private void record(RetentionResult result, List<BackupRun> own) {
      if (result.refused()) {
        events.warning(policy, "RetentionFailed", String.join("; ", result.errors()));
        metrics.retention(ns, name, 0, 0, 1);
        return;
      }
      status.setKeptBackups(result.kept().size());
      status.setDueForDeletion(preview(result, zone()));
      reportClockSkew(result);
      reportNotOwned(result);
      if (!result.ok()) {
        events.warning(
            policy,
            "RetentionFailed",
            "nothing more was deleted after: " + String.join("; ", result.errors()));
      }
      metrics.retention(
          ns,
          name,
          result.deleted().size(),
          result.leftoversRemoved().size(),
          result.errors().size());
      if (!result.deleted().isEmpty()) {
        events.normal(policy, "BackupsDeleted", "retention deleted " + result.deleted());
      }
      if (!result.leftoversRemoved().isEmpty()) {
        events.normal(
            policy,
            "LeftoversRemoved",
            "failed runs' leftovers removed: " + result.leftoversRemoved());
      }
      Set<String> gone = new HashSet<>(result.deleted());
      gone.addAll(result.leftoversRemoved());
      for (BackupRun run : own) {
        if (run.getStatus() != null
            && gone.contains(run.getStatus().getBackupId())
            && !isActive(run)
            && !FoundBackups.isForeign(run)) {
          client
              .resources(BackupRun.class)
              .inNamespace(ns)
              .withName(run.getMetadata().getName())
              .delete();
        }
      }
    }

    /**
     * Folders retention left alone as not ours: listed in status, told in an Event when the list
     * changes.
     */
    private void reportNotOwned(RetentionResult result) {
      List<String> listed = result.notOwned().stream().limit(20).toList();
      if (!listed.isEmpty() && !listed.equals(status.getNotOwnedFolders())) {
        events.normal(
            policy,
            "FoldersNotOwned",
            result.notOwned().size()
                + " folders under the policy's folder were not written by this store (cluster "
                + settings.clusterId()
                + ") and are neither counted nor deleted: "
                + String.join("; ", listed));
      }
      status.setNotOwnedFolders(new ArrayList<>(listed));
    }

    /**
     * Backups written by a wrong clock: listed in status, counted in a gauge, and told in a Warning
     * Event whenever the list changes.
     */
    private void reportClockSkew(RetentionResult result) {
      List<String> skewed = result.clockSkew().stream().map(ClockSkew::describe).toList();
      metrics.clockSkewed(ns, name, skewed.size());
      List<String> before =
          status.getClockSkewedBackups().stream()
              .map(d -> d.substring(0, Math.max(0, d.indexOf(' '))))
              .toList();
      List<String> ids = result.clockSkew().stream().map(ClockSkew::backupId).toList();
      status.setClockSkewedBackups(new ArrayList<>(skewed));
      if (!skewed.isEmpty() && !before.equals(ids)) {
        events.warning(
            policy,
            "ClockSkew",
            skewed.size()
                + " backups were stamped by a clock that disagrees with the store's (more than "
                + RetentionPass.CLOCK_TOLERANCE.toMinutes()
                + " min ahead, or more than the longest run behind);"
                + " retention ages them by the store's time and never counts one stamped ahead as the newest: "
                + String.join(", ", skewed)
                + ". Check the clocks (NTP) of the operator and of any other cluster"
                + " writing to this bucket.");
      }
    }

    /**
     * What the next pass will delete once the next backup succeeds (at the next slot, or now for a
     * policy run on demand), plus whatever this pass could not delete: a preview a user can check a
     * new rule against.
     */
    private List<String> preview(RetentionResult result, ZoneId zone) {
      Instant next = now;
      String cron = policy.getSpec().getSchedule();
      if (cron != null && !cron.isBlank()) {
        try {
          next = Schedule.parse(cron, policy.getSpec().getTimeZone()).next(now).orElse(now);
        } catch (InvalidScheduleException e) {
          next = now;
        }
      }
      List<Backup> backups = new ArrayList<>();
      result.kept().forEach(k -> backups.add(k.backup()));
      backups.add(new Backup("(next backup)", next));
      List<String> due = new ArrayList<>(result.dueForDeletion());
      try {
        for (String id :
            RetentionPolicy.keep(backups, policy.getSpec().getRetention(), zone, next)
                .deletedIds()) {
          if (!due.contains(id)) {
            due.add(id);
          }
        }
      } catch (IllegalArgumentException e) {
        // a bad maxAge: the pass reported it already
      }
      return due;
    }

    /** Sets activeRuns and lastSuccessfulRun from the policy's runs. */
    private void observeRuns(List<BackupRun> own) {
      List<BackupRun> active =
          own.stream()
              .filter(BackupPolicyReconciler::isActive)
              .sorted(Comparator.comparing(r -> r.getMetadata().getName()))
              .toList();
      status.setActiveRuns(
          active.stream().map(r -> r.getMetadata().getName()).collect(Collectors.toList()));
      own.stream()
          .filter(r -> r.getStatus() != null && r.getStatus().getPhase() == RunPhase.Succeeded)
          .filter(r -> r.getStatus().getCompletionTime() != null)
          .max(
              Comparator.comparing(
                      (BackupRun r) -> Instant.parse(r.getStatus().getCompletionTime()))
                  .thenComparing(r -> r.getMetadata().getName()))
          .ifPresent(
              r -> {
                RunReference last = new RunReference();
                last.setName(r.getMetadata().getName());
                last.setBackupId(r.getStatus().getBackupId());
                last.setTime(r.getStatus().getCompletionTime());
                if (!last.equals(status.getLastSuccessfulRun())) {
                  status.setLastSuccessfulRun(last);
                  newSuccess = true;
                }
              });
    }

    /**
     * Slots up to this instant are handled: the last one run or skipped, or the policy's creation
     * (a new policy does not run slots from before it existed).
     */
    private Instant after() {
      String created = policy.getMetadata().getCreationTimestamp();
      Instant after = created == null ? Instant.EPOCH : Instant.parse(created);
      for (String handled :
          new String[] {
            status.getLastScheduleTime(),
            status.getLastSkippedSlot() == null ? null : status.getLastSkippedSlot().getTime()
          }) {
        if (handled != null && Instant.parse(handled).isAfter(after)) {
          after = Instant.parse(handled);
        }
      }
      return after;
    }

    private void startSlot(Instant slot) {
      String runName = runName(name, slot);
      Long deadline = policy.getSpec().getStartingDeadlineSeconds();
      if (deadline != null && slot.plusSeconds(deadline).isBefore(now)) {
        skip(
            slot,
            SkippedSlot.MISSED_DEADLINE,
            "slot "
                + slot
                + " missed: noticed at "
                + now
                + ", more than startingDeadlineSeconds ("
                + deadline
                + ") late; the next slot runs as usual");
        return;
      }
      if (client.resources(BackupRun.class).inNamespace(ns).withName(runName).get() != null) {
        // Created before, by this or an earlier operator whose status write was lost.
        status.setLastScheduleTime(slot.toString());
        return;
      }
      // The cache has every run of the policy; the scheduler's own runs (labelled) are also asked
      // of the API, so
      // one created a moment ago counts. Never a list of every run in the namespace: with thousands
      // of runs and
      // hundreds of policies due in the same minute, that alone exhausted the heap
      // (docs/benchmarks.md, Scale).
      Map<String, BackupRun> candidates = new java.util.LinkedHashMap<>();
      runs.byIndex(RUNS_BY_POLICY, ns + "/" + name)
          .forEach(r -> candidates.put(r.getMetadata().getName(), r));
      client
          .resources(BackupRun.class)
          .inNamespace(ns)
          .withLabel(Api.POLICY_LABEL, JobNames.labelValue(name))
          .list()
          .getItems()
          .stream()
          .filter(r -> policyOf(r).filter(name::equals).isPresent())
          .forEach(r -> candidates.put(r.getMetadata().getName(), r));
      List<BackupRun> active =
          candidates.values().stream().filter(BackupPolicyReconciler::isActive).toList();
      if (!active.isEmpty()
          && policy.getSpec().getConcurrencyPolicy() != ConcurrencyPolicy.Replace) {
        skip(
            slot,
            SkippedSlot.CONCURRENCY_FORBID,
            "slot "
                + slot
                + " skipped: run "
                + names(active)
                + " still active (concurrencyPolicy Forbid)");
        return;
      }
      for (BackupRun old : active) {
        client
            .resources(BackupRun.class)
            .inNamespace(ns)
            .withName(old.getMetadata().getName())
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                Serialization.asJson(
                    Map.of(
                        "metadata",
                        Map.of(
                            "annotations",
                            Map.of(
                                Api.CANCEL_ANNOTATION,
                                "replaced by run "
                                    + runName
                                    + " of slot "
                                    + slot
                                    + " (concurrencyPolicy Replace)")))));
        events.normal(
            policy,
            "RunReplaced",
            "slot "
                + slot
                + ": cancelled run "
                + old.getMetadata().getName()
                + " (concurrencyPolicy Replace)");
      }
      create(runName, slot);
      status.setLastScheduleTime(slot.toString());
      if (!status.getActiveRuns().contains(runName)) {
        status.getActiveRuns().add(runName);
      }
    }

    private void create(String runName, Instant slot) {
      BackupRun run = new BackupRun();
      run.setMetadata(
          new ObjectMetaBuilder()
              .withName(runName)
              .withNamespace(ns)
              .addToLabels(Api.POLICY_LABEL, JobNames.labelValue(name))
              .addToLabels(Api.MANAGED_BY_LABEL, Api.MANAGED_BY)
              .addToAnnotations(Api.GROUP + "/scheduled-at", slot.toString())
              .build());
      BackupRunSpec spec = new BackupRunSpec();
      spec.setPolicyRef(new LocalRef(name));
      run.setSpec(spec);
      // No owner reference: deleting a policy must not delete the runs that describe its backups.
      try {
        client.resource(run).create();
        events.normal(policy, "RunCreated", "slot " + slot + ": created BackupRun " + runName);
        LOG.info("policy {}/{}: slot {} created run {}", ns, name, slot, runName);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }

    private void skip(Instant slot, String reason, String message) {
      SkippedSlot skipped = new SkippedSlot();
      skipped.setTime(slot.toString());
      skipped.setReason(reason);
      skipped.setMessage(message);
      status.setLastSkippedSlot(skipped);
      events.warning(policy, reason, message);
      LOG.info("policy {}/{}: {}", ns, name, message);
    }

    private void ready(boolean ready, String reason, String message) {
      Optional<String> previous =
          status
              .condition(BackupPolicyStatus.READY)
              .map(c -> c.getReason() + ": " + c.getMessage());
      Conditions.set(
          status,
          BackupPolicyStatus.READY,
          ready,
          reason,
          message,
          policy.getMetadata().getGeneration(),
          settings.clock());
      if (!ready && !previous.equals(Optional.of(reason + ": " + message))) {
        events.warning(policy, reason, message);
      }
    }
  }

  private static String names(List<BackupRun> runs) {
    return runs.stream().map(r -> r.getMetadata().getName()).collect(Collectors.joining(", "));
  }
}
