package io.osbackup.operator.store;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.operator.reconcile.Outcome;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Carries out a catalog sync: creates the BackupRuns the plan names, telling each once. */
final class StoreActor {

  private static final Logger LOG = LoggerFactory.getLogger(StoreActor.class);

  /** What the sync did: the outcome with its Events, the runs created, the problems now known. */
  record Synced(Outcome outcome, int created, Set<String> problems) {}

  static Synced carryOut(
      BackupStore store, CatalogPlan plan, Set<String> before, KubernetesClient client) {
    Outcome outcome = plan.outcome();
    Set<String> problems = new HashSet<>(plan.problems());
    int created = 0;
    for (CatalogPlan.NewRun run : plan.toCreate()) {
      try {
        client.resource(run.run()).create();
        created++;
        outcome = outcome.tell(run.createdReason(), run.createdMessage());
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409 && !run.foreign()) {
          continue; // created meanwhile (another store on the same bucket, or a new run): the next
          // sync judges
        }
        if (e.getCode() != 409 && !before.contains(run.key())) {
          outcome =
              outcome.warn(
                  "BackupRunNotCreated",
                  "backup "
                      + run.key()
                      + ": the BackupRun could not be created: "
                      + e.getMessage());
        }
        problems.add(run.key());
      }
    }
    if (created > 0) {
      LOG.info(
          "store {}/{}: {} BackupRuns created",
          store.getMetadata().getNamespace(),
          store.getMetadata().getName(),
          created);
    }
    return new Synced(outcome, created, problems);
  }
}
