package io.osbackup.operator.run;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.plan.KeepTerms;
import io.osbackup.plan.PlanProblem;
import io.osbackup.plan.RunPlanner;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a pending BackupRun starts: planned from its policy (the plan is stored before any Job
 * exists), or, for a backup found in the store, adopted from its manifest. Reads through {@link
 * PlanningObserver}, decides with {@link PlanningDecision} and {@link AdoptionDecision}, and writes
 * what a plan needs before its Jobs: the folder's owner marker and the store's signing keys.
 */
final class Planning {

  private static final Logger LOG = LoggerFactory.getLogger(Planning.class);

  private final BackupRun run;
  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final BucketOpener buckets;
  private final RunRecord record;
  private final PlanningObserver observer;
  private final String ns;

  Planning(
      RunRecord record, KubernetesClient client, OperatorSettings settings, BucketOpener buckets) {
    this.record = record;
    this.run = record.run();
    this.client = client;
    this.settings = settings;
    this.buckets = buckets;
    this.observer = new PlanningObserver(run, client, settings, buckets);
    this.ns = run.getMetadata().getNamespace();
  }

  Outcome plan() {
    KeepTerms keep = PlanningDecision.keep(record);
    Optional<Outcome> early = PlanningDecision.beforeReading(record, keep);
    if (early.isPresent()) {
      return early.get();
    }
    PlanningObservation seen = observer.observe(run.getSpec().getPolicyRef().getName());
    PlanningDecision.Result decided =
        PlanningDecision.plan(
            record,
            keep,
            seen,
            settings.clusterId(),
            settings.planRules(),
            settings.agentImage(),
            settings.timings());
    if (decided.proposal() == null) {
      return decided.outcome();
    }
    PlanningDecision.Proposal proposal = decided.proposal();
    Optional<PlanProblem> problem =
        PlanningDecision.folderInUse(run, proposal, observer.folder(proposal.result()));
    if (problem.isEmpty()) {
      problem = writeMarker(proposal.result(), proposal.owner());
    }
    if (problem.isEmpty()) {
      problem = signingKeys(seen.store().get());
    }
    return problem.isPresent()
        ? PlanningDecision.problem(record, problem.get(), settings.timings())
        : PlanningDecision.planned(record, proposal, settings.timings());
  }

  /**
   * A run created for a backup found in the store (annotated with its manifest and store) is not
   * planned: its status is read from the manifest.
   */
  Outcome adopt() {
    String key = FoundBackups.annotation(run, FoundBackups.MANIFEST_ANNOTATION).orElseThrow();
    String storeName = FoundBackups.annotation(run, FoundBackups.STORE_ANNOTATION).orElse(null);
    Outcome outcome =
        AdoptionDecision.adopt(
            record, key, storeName, observer.adoption(storeName, key), settings.timings());
    if (record.status().getFoundInStore() != null && record.status().getFoundInStore()) {
      LOG.info("run {}/{} {}", ns, run.getMetadata().getName(), record.status().getMessage());
    }
    return outcome;
  }

  /**
   * Writes {@code owner.json} into the backup's folder before anything else (no Job exists yet):
   * whatever happens to the run, the folder says who wrote it, and retention and the catalog of any
   * other owner leave it alone.
   */
  private Optional<PlanProblem> writeMarker(RunPlanner.Result result, Owner owner) {
    try (ObjectStore bucket = buckets.open(ns, result.plan().getS3())) {
      bucket.putJson(
          BackupLayout.owner(result.folder()),
          new Owner.Marker(
              Owner.Marker.FORMAT_VERSION, owner, result.backupId(), run.getMetadata().getName()));
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(
          new PlanProblem(
              "StoreUnavailable",
              "cannot write the owner marker "
                  + BackupLayout.owner(result.folder())
                  + ": "
                  + e.getMessage(),
              true));
    }
  }

  /**
   * Nothing is backed up that could not be signed: the signing Secret must be usable (it is created
   * when missing) before any Job starts.
   */
  private Optional<PlanProblem> signingKeys(BackupStore store) {
    try {
      new ManifestKeys(client, settings.clock()).forSigning(store);
      return Optional.empty();
    } catch (ManifestKeys.Problem p) {
      return Optional.of(
          new PlanProblem(
              p.reason(),
              "BackupStore '" + store.getMetadata().getName() + "': " + p.getMessage(),
              true));
    }
  }
}
