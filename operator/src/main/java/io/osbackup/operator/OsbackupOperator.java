package io.osbackup.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.osbackup.operator.policy.BackupPolicyReconciler;
import io.osbackup.operator.reconcile.Failures;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.operator.restore.RestoreRequestReconciler;
import io.osbackup.operator.run.BackupRunReconciler;
import io.osbackup.operator.store.BackupStoreReconciler;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Builds the osbackup operator: every reconciler, registered on one client with the given settings.
 */
public final class OsbackupOperator {

  private OsbackupOperator() {}

  /** Creates (but does not start) the operator, its metrics kept in memory. */
  public static Operator create(KubernetesClient client, OperatorSettings settings) {
    return create(client, settings, OsbackupMetrics.inMemory());
  }

  /**
   * Creates (but does not start) the operator, recording osbackup's and JOSDK's metrics in {@code
   * metrics}.
   */
  public static Operator create(
      KubernetesClient client, OperatorSettings settings, OsbackupMetrics metrics) {
    // Retention passes run beside the reconciliations, on threads the operator owns and stops.
    ExecutorService retentionThreads =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "osbackup-retention");
              t.setDaemon(true);
              return t;
            });
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withCloseClientOnStop(false)
                  // Status is written by StatusWriter (a locked PUT), never by the framework's
                  // patch.
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  // reconcile counts and times per controller; no per-resource meters (thousands of
                  // runs)
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics.registry()));
              if (settings.leaderElectionNamespace() != null) {
                o.withLeaderElectionConfiguration(
                    new LeaderElectionConfiguration(
                        OperatorSettings.LEASE, settings.leaderElectionNamespace()));
              }
            }) {
          @Override
          public void stop() {
            try {
              super.stop();
            } finally {
              retentionThreads.shutdownNow();
            }
          }
        };
    StoreBuckets buckets = new StoreBuckets(client);
    operator.register(
        new BackupStoreReconciler(settings, metrics, buckets::connect),
        c -> configure(c, settings));
    operator.register(new BackupRunReconciler(settings, metrics), c -> configure(c, settings));
    operator.register(
        new BackupPolicyReconciler(settings, metrics, retentionThreads, buckets::connect),
        c -> configure(c, settings));
    operator.register(new RestoreRequestReconciler(settings, metrics), c -> configure(c, settings));
    return operator;
  }

  private static void configure(
      ControllerConfigurationOverrider<?> config, OperatorSettings settings) {
    config.withRetry(Failures.retry(settings.timings()));
    if (!settings.namespaces().isEmpty()) {
      config.settingNamespaces(settings.namespaces());
    }
  }
}
