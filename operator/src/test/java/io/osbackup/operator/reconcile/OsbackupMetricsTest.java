package io.osbackup.operator.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.operator.MetricsEndpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The metrics the alerts are built on, as Prometheus scrapes them from the operator's port. */
class OsbackupMetricsTest {

  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final OsbackupMetrics metrics = new OsbackupMetrics(registry);

  static BackupRun run(String phase, String failureReason) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupRun
        metadata: {name: cp-20261121-020000, namespace: openstack}
        spec: {policyRef: {name: cp}}
        status:
          phase: %s
          startTime: "2026-11-21T02:00:00Z"
          completionTime: "2026-11-21T02:07:30Z"
          failures: %s
        """
            .formatted(
                phase,
                failureReason == null ? "[]" : "[{reason: " + failureReason + ", message: m}]"),
        BackupRun.class);
  }

  @Test
  void runsFailuresPoliciesStoresRetentionAndRestoresAreScraped() throws Exception {
    metrics.runEnded(run("Succeeded", null));
    metrics.runEnded(run("Failed", "DeadlineExceeded"));
    metrics.policyObserved(
        "openstack", "cp", Instant.parse("2026-11-21T02:07:30Z"), 123456, 9, Duration.ofDays(1), 7);
    metrics.storeObserved("openstack", "primary", false);
    metrics.retention("openstack", "cp", 2, 1, 0);
    metrics.clockSkewed("openstack", "cp", 3);
    metrics.restoreEnded("openstack", "Failed", "ConfirmRequired");

    AtomicBoolean ready = new AtomicBoolean(false);
    try (MetricsEndpoint endpoint = MetricsEndpoint.start(0, registry, () -> true, ready::get)) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + endpoint.port();
      HttpResponse<String> scrape =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body())
          .contains(
              "osbackup_backup_runs_total{namespace=\"openstack\",phase=\"Succeeded\",policy=\"cp\"} 1.0")
          .contains(
              "osbackup_backup_failures_total{namespace=\"openstack\",policy=\"cp\",reason=\"DeadlineExceeded\"} 1.0")
          .contains(
              "osbackup_backup_run_duration_seconds_sum{namespace=\"openstack\",phase=\"Succeeded\",policy=\"cp\"} 450.0")
          .contains(
              "osbackup_backup_last_success_timestamp_seconds{namespace=\"openstack\",policy=\"cp\"} 1.79522685E9")
          .contains(
              "osbackup_backup_last_success_bytes{namespace=\"openstack\",policy=\"cp\"} 123456.0")
          .contains(
              "osbackup_policy_schedule_interval_seconds{namespace=\"openstack\",policy=\"cp\"} 86400.0")
          .contains("osbackup_store_available{namespace=\"openstack\",store=\"primary\"} 0.0")
          .contains(
              "osbackup_retention_deleted_backups_total{namespace=\"openstack\",policy=\"cp\"} 2.0")
          .contains("osbackup_backups_clock_skewed{namespace=\"openstack\",policy=\"cp\"} 3.0")
          .contains(
              "osbackup_restore_requests_total{namespace=\"openstack\",phase=\"Failed\",reason=\"ConfirmRequired\"} 1.0");
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(503);
      ready.set(true);
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void aDeletedPolicysGaugesGoAwaySoNoAlertFiresForIt() {
    metrics.policyObserved("openstack", "cp", Instant.now(), 1, 1, Duration.ofHours(1), 1);
    metrics.policyObserved("openstack", "gone", Instant.now(), 1, 1, Duration.ofHours(1), 1);
    metrics.retainPolicies(Set.of("openstack/cp"));
    assertThat(registry.scrape()).contains("policy=\"cp\"").doesNotContain("policy=\"gone\"");
  }

  @Test
  void aPolicyWithoutSuccessOrScheduleReportsNaN() {
    metrics.policyObserved("openstack", "new", null, 0, 0, null, 0);
    assertThat(registry.scrape())
        .contains(
            "osbackup_backup_last_success_timestamp_seconds{namespace=\"openstack\",policy=\"new\"} NaN");
  }
}
