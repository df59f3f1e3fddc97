package io.osbackup.operator.store;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.StatusWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a store's bucket can be written, read and deleted with the credentials of its Secret,
 * and says in the {@code Available} condition why not: Secret or key missing, bucket missing,
 * access denied, endpoint unreachable, or a folder overlapping another store's. Once it is
 * available, syncs the catalog: every backup of the store's namespace without a BackupRun gets one,
 * which the run reconciler then reads from the backup's manifest. Probes and syncs again every
 * {@code probeIntervalSeconds}, sooner while unavailable. Each reconciliation observes ({@link
 * StoreObserver}), decides ({@link StoreDecision}, pure), creates the runs ({@link StoreActor}) and
 * writes the status through {@link StatusWriter#apply}.
 */
@ControllerConfiguration(name = "backupstore")
public class BackupStoreReconciler implements Reconciler<BackupStore> {

  private static final Logger LOG = LoggerFactory.getLogger(BackupStoreReconciler.class);

  private final OperatorSettings settings;
  private final OsbackupMetrics metrics;
  private final StoreObserver observer;

  /**
   * Per store (uid): the problems already told as Events, so each is told once, not at every sync.
   */
  private final Map<String, Set<String>> told = new ConcurrentHashMap<>();

  /**
   * @param buckets opens a store's bucket with the credentials of its Secret
   */
  public BackupStoreReconciler(
      OperatorSettings settings, OsbackupMetrics metrics, BucketOpener buckets) {
    this.settings = settings;
    this.metrics = metrics;
    this.observer = new StoreObserver(buckets, settings.clusterId(), settings.clock());
  }

  /**
   * Why {@code store} may not be used, if another store's folder overlaps its own ({@link
   * StoreOverlap}).
   */
  static Optional<String> overlap(BackupStore store, List<BackupStore> all) {
    return StoreOverlap.overlap(store, all);
  }

  @Override
  public UpdateControl<BackupStore> reconcile(BackupStore store, Context<BackupStore> context) {
    String uid = store.getMetadata().getUid();
    Set<String> before = told.getOrDefault(uid, Set.of());
    StoreObservation seen =
        observer.observe(
            store,
            context.getPrimaryCache().list().collect(Collectors.toList()),
            context.getClient(),
            before);
    Instant now = settings.clock().instant();
    StoreDecision.Decision decision = StoreDecision.decide(store, seen, now, settings.timings());
    Outcome outcome = decision.outcome();
    if (decision.catalog().isPresent()) {
      StoreActor.Synced synced =
          StoreActor.carryOut(store, decision.catalog().get(), before, context.getClient());
      told.put(uid, synced.problems());
      StoreDecision.synced(
          store, seen.catalog().orElseThrow().listing().orElseThrow(), synced.created(), now);
      outcome = synced.outcome();
    }
    boolean available = decision.state() == StoreDecision.State.AVAILABLE;
    metrics.storeObserved(
        store.getMetadata().getNamespace(), store.getMetadata().getName(), available);
    LOG.debug(
        "store {}/{}: {}",
        store.getMetadata().getNamespace(),
        store.getMetadata().getName(),
        decision.state());
    return StatusWriter.apply(
        outcome, store, context, new EventRecorder(context.getClient(), settings.clock()));
  }
}
