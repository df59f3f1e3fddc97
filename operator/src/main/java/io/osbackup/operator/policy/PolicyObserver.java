package io.osbackup.operator.policy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.plan.JobNames;
import io.osbackup.retention.RetentionResult;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gathers what a policy's reconciliation decides from: its runs (from the cache), its store (from
 * the cache, else the API), its retention pass, and, when a slot is due, the slot's runs from the
 * API, so that a run created a moment ago counts.
 */
final class PolicyObserver {

  private final InformerEventSource<BackupRun, BackupPolicy> runs;
  private final InformerEventSource<BackupStore, BackupPolicy> stores;
  private final RetentionPasses passes;

  PolicyObserver(
      InformerEventSource<BackupRun, BackupPolicy> runs,
      InformerEventSource<BackupStore, BackupPolicy> stores,
      RetentionPasses passes) {
    this.runs = runs;
    this.stores = stores;
    this.passes = passes;
  }

  /** Every run naming the policy, from the cache. */
  List<BackupRun> runsOf(BackupPolicy policy) {
    return runs.byIndex(
        BackupPolicyReconciler.RUNS_BY_POLICY,
        policy.getMetadata().getNamespace() + "/" + policy.getMetadata().getName());
  }

  PolicyObservation observe(BackupPolicy policy, KubernetesClient client, Instant now) {
    String ns = policy.getMetadata().getNamespace();
    String name = policy.getMetadata().getName();
    ResourceID id = ResourceID.fromResource(policy);
    // Runs imported read-only from another cluster's or store's backups are not this policy's.
    List<BackupRun> own = runsOf(policy).stream().filter(r -> !FoundBackups.isForeign(r)).toList();
    String store = PolicyDecision.storeOf(policy);
    Optional<BackupStore> found =
        stores
            .get(new ResourceID(store, ns))
            .or(
                () ->
                    Optional.ofNullable(
                        client.resources(BackupStore.class).inNamespace(ns).withName(store).get()));
    boolean running = passes.running(id);
    // A finished pass is recorded where retention is decided: with a valid schedule and a store.
    Optional<RetentionResult> finished =
        running || found.isEmpty() || !PolicyDecision.scheduleParses(policy)
            ? Optional.empty()
            : passes.takeFinished(id);
    Optional<PolicyObservation.SlotRuns> slot =
        found.isEmpty()
            ? Optional.empty()
            : PolicyDecision.dueSlot(policy, now)
                .filter(s -> !PolicyDecision.missedDeadline(policy, s, now))
                .map(s -> slotRuns(policy, client, s));
    return new PolicyObservation(own, found, running, finished, passes.lastDue(id), slot);
  }

  private PolicyObservation.SlotRuns slotRuns(
      BackupPolicy policy, KubernetesClient client, Instant slot) {
    String ns = policy.getMetadata().getNamespace();
    String name = policy.getMetadata().getName();
    String runName = BackupPolicyReconciler.runName(name, slot);
    if (client.resources(BackupRun.class).inNamespace(ns).withName(runName).get() != null) {
      return new PolicyObservation.SlotRuns(slot, true, List.of());
    }
    // The cache has every run of the policy; the scheduler's own runs (labelled) are also asked of
    // the API, so one created a moment ago counts. Never a list of every run in the namespace: with
    // thousands of runs and hundreds of policies due in the same minute, that alone exhausted the
    // heap (docs/benchmarks.md, Scale).
    Map<String, BackupRun> candidates = new LinkedHashMap<>();
    runsOf(policy).forEach(r -> candidates.put(r.getMetadata().getName(), r));
    client
        .resources(BackupRun.class)
        .inNamespace(ns)
        .withLabel(Api.POLICY_LABEL, JobNames.labelValue(name))
        .list()
        .getItems()
        .stream()
        .filter(r -> BackupPolicyReconciler.policyOf(r).filter(name::equals).isPresent())
        .forEach(r -> candidates.put(r.getMetadata().getName(), r));
    List<BackupRun> active = candidates.values().stream().filter(PolicyDecision::isActive).toList();
    return new PolicyObservation.SlotRuns(slot, false, active);
  }
}
