package io.osbackup.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.operator.reconcile.OperatorSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator of a test cluster runs with the chart's RBAC and nothing more: take a right away
 * from the chart's ClusterRole and the API server refuses the operator, and closing the cluster
 * fails the test, naming the request.
 */
class OperatorRbacIT {

  @TempDir Path work;

  @Test
  void aCallTheChartDoesNotAllowFailsTheTest() throws Exception {
    LocalCluster cluster = LocalCluster.start(work, OperatorSettings.defaults(), Map.of());
    boolean refusedSeen = false;
    try {
      assertThat(cluster.backend()).isEqualTo(LocalCluster.Backend.REAL);
      cluster.namespace("openstack");
      // the chart's namespaced rules, without the right to record Events
      ClusterRole role =
          cluster.client().rbac().clusterRoles().list().getItems().stream()
              .filter(
                  r ->
                      r.getRules() != null
                          && r.getRules().stream()
                              .anyMatch(
                                  rule ->
                                      rule.getResources() != null
                                          && rule.getResources().contains("events")))
              .findFirst()
              .orElseThrow();
      role.getRules()
          .removeIf(rule -> rule.getResources() != null && rule.getResources().contains("events"));
      cluster.client().rbac().clusterRoles().resource(role).update();

      // a store whose Secret is missing: the operator says so in its status and with an Event
      cluster
          .client()
          .resources(BackupStore.class)
          .inNamespace("openstack")
          .resource(
              Serialization.unmarshal(
                  """
          apiVersion: osbackup.io/v1alpha1
          kind: BackupStore
          metadata: {name: primary, namespace: openstack}
          spec:
            s3: {endpoint: "http://127.0.0.1:9", bucket: backups, region: us-east-1, credentialsSecret: {name: missing}}
          """,
                  BackupStore.class))
          .create();

      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> !cluster.refusedOperatorRequests().isEmpty());
      assertThat(cluster.refusedOperatorRequests())
          .anyMatch(r -> r.startsWith("create ") && r.contains("/events"));
      refusedSeen = true;
    } finally {
      if (!refusedSeen) {
        try {
          cluster.close();
        } catch (IllegalStateException e) {
          // the failure above is the one to report
        }
      }
    }
    assertThatThrownBy(cluster::close)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("the chart's RBAC does not allow")
        .hasMessageContaining("/events");
  }
}
