package io.osbackup.operator.reconcile;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RunFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * osbackup's own Prometheus metrics (names in docs/metrics.md). Counters count what this operator
 * process saw end; gauges are recomputed from the resources' status on every reconciliation, so
 * they are right again right after a restart, which is what the alerts rely on.
 */
public final class OsbackupMetrics {

  private final MeterRegistry registry;
  private final Map<String, PolicyState> policies = new ConcurrentHashMap<>();
  private final Map<String, AtomicReference<Double>> stores = new ConcurrentHashMap<>();

  public OsbackupMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Metrics kept in memory only: for tests and local mode without a metrics port. */
  public static OsbackupMetrics inMemory() {
    return new OsbackupMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** A BackupRun reached a final phase. */
  public void runEnded(BackupRun run) {
    String ns = run.getMetadata().getNamespace();
    String policy = run.getSpec().getPolicyRef().getName();
    String phase = run.getStatus().getPhase().name();
    Counter.builder("osbackup_backup_runs")
        .description("BackupRuns that ended, by phase")
        .tags("namespace", ns, "policy", policy, "phase", phase)
        .register(registry)
        .increment();
    if (run.getStatus().getStartTime() != null && run.getStatus().getCompletionTime() != null) {
      Timer.builder("osbackup_backup_run_duration")
          .description("How long BackupRuns took, from plan to manifest")
          .tags("namespace", ns, "policy", policy, "phase", phase)
          .register(registry)
          .record(
              Duration.between(
                  Instant.parse(run.getStatus().getStartTime()),
                  Instant.parse(run.getStatus().getCompletionTime())));
    }
    for (RunFailure failure : run.getStatus().getFailures()) {
      Counter.builder("osbackup_backup_failures")
          .description("Failures of BackupRuns, by reason (one per failed target or node)")
          .tags(
              "namespace",
              ns,
              "policy",
              policy,
              "reason",
              failure.getReason() == null ? "Unknown" : failure.getReason())
          .register(registry)
          .increment();
    }
  }

  /**
   * What a policy's status says now.
   *
   * @param lastSuccess completion of its newest successful run, null when none
   * @param interval time between two scheduled slots, null without a schedule
   */
  public void policyObserved(
      String ns,
      String policy,
      Instant lastSuccess,
      long bytes,
      int artifacts,
      Duration interval,
      int kept) {
    PolicyState state = policies.computeIfAbsent(ns + "/" + policy, k -> register(ns, policy));
    state.lastSuccess = lastSuccess == null ? Double.NaN : lastSuccess.toEpochMilli() / 1000.0;
    state.bytes = bytes;
    state.artifacts = artifacts;
    state.interval = interval == null ? Double.NaN : interval.toSeconds();
    state.kept = kept;
  }

  /**
   * Forgets the gauges of policies that no longer exist, so no alert fires for a deleted policy.
   */
  public void retainPolicies(Set<String> namespacedNames) {
    for (String key : Set.copyOf(policies.keySet())) {
      if (!namespacedNames.contains(key)) {
        PolicyState state = policies.remove(key);
        state.gauges.forEach(registry::remove);
      }
    }
  }

  /** A retention pass ended. */
  public void retention(String ns, String policy, int deleted, int leftovers, int errors) {
    Tags tags = Tags.of("namespace", ns, "policy", policy);
    Counter.builder("osbackup_retention_deleted_backups")
        .description("Backups deleted by retention")
        .tags(tags)
        .register(registry)
        .increment(deleted);
    Counter.builder("osbackup_retention_removed_leftovers")
        .description("Failed runs' leftovers removed")
        .tags(tags)
        .register(registry)
        .increment(leftovers);
    Counter.builder("osbackup_retention_errors")
        .description("Retention passes that did not finish cleanly")
        .tags(tags)
        .register(registry)
        .increment(errors > 0 ? 1 : 0);
  }

  /**
   * Backups of a policy whose manifest's times disagree with the store's clock, at its last
   * retention pass.
   */
  public void clockSkewed(String ns, String policy, int backups) {
    policies.computeIfAbsent(ns + "/" + policy, k -> register(ns, policy)).skewed = backups;
  }

  /** A store was probed. */
  public void storeObserved(String ns, String store, boolean available) {
    stores
        .computeIfAbsent(
            ns + "/" + store,
            k -> {
              AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
              Gauge.builder("osbackup_store_available", value, AtomicReference::get)
                  .description(
                      "1 when the store's bucket answered the last write-read-delete probe, else 0")
                  .tags("namespace", ns, "store", store)
                  .register(registry);
              return value;
            })
        .set(available ? 1.0 : 0.0);
  }

  /** A RestoreRequest reached a final phase. */
  public void restoreEnded(String ns, String phase, String reason) {
    Counter.builder("osbackup_restore_requests")
        .description("RestoreRequests that ended, by phase and reason")
        .tags("namespace", ns, "phase", phase, "reason", reason)
        .register(registry)
        .increment();
  }

  private PolicyState register(String ns, String policy) {
    PolicyState state = new PolicyState();
    Tags tags = Tags.of("namespace", ns, "policy", policy);
    state.gauges.add(
        Gauge.builder("osbackup_backup_last_success_timestamp_seconds", state, s -> s.lastSuccess)
            .description("When the policy's newest successful backup completed (Unix time)")
            .tags(tags)
            .register(registry)
            .getId());
    state.gauges.add(
        Gauge.builder("osbackup_backup_last_success_bytes", state, s -> s.bytes)
            .description("Bytes stored by the policy's newest successful backup")
            .tags(tags)
            .register(registry)
            .getId());
    state.gauges.add(
        Gauge.builder("osbackup_backup_last_success_artifacts", state, s -> s.artifacts)
            .description("Artifacts of the policy's newest successful backup")
            .tags(tags)
            .register(registry)
            .getId());
    state.gauges.add(
        Gauge.builder("osbackup_policy_schedule_interval_seconds", state, s -> s.interval)
            .description("Time between two scheduled backups of the policy")
            .tags(tags)
            .register(registry)
            .getId());
    state.gauges.add(
        Gauge.builder("osbackup_policy_kept_backups", state, s -> s.kept)
            .description("Backups the policy's retention keeps")
            .tags(tags)
            .register(registry)
            .getId());
    state.gauges.add(
        Gauge.builder("osbackup_backups_clock_skewed", state, s -> s.skewed)
            .description("Backups of the policy written by a clock ahead of or behind the store's")
            .tags(tags)
            .register(registry)
            .getId());
    return state;
  }

  /** The values behind one policy's gauges. */
  private static final class PolicyState {
    final List<io.micrometer.core.instrument.Meter.Id> gauges = new ArrayList<>();
    volatile double lastSuccess = Double.NaN;
    volatile double bytes;
    volatile double artifacts;
    volatile double interval = Double.NaN;
    volatile double kept;
    volatile double skewed;
  }
}
