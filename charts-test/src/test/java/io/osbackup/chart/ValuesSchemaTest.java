package io.osbackup.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * values.schema.json: Helm checks the values against it before rendering anything (as {@code helm
 * install} and {@code helm upgrade} do), so a typo or a wrong type fails the release with the path
 * of the bad value.
 */
class ValuesSchemaTest {

  /** Each row: values (YAML flow style), then what Helm's message must contain. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          watchNamespace: [openstack]                          | additional properties 'watchNamespace' not allowed
          replicas: 0                                          | at '/replicas'
          replicas: '2'                                        | at '/replicas'
          replicas: 2, leaderElection: {enabled: false}        | at '/leaderElection/enabled': value must be true
          watchNamespaces: openstack                           | at '/watchNamespaces'
          watchNamespaces: [OpenStack]                         | at '/watchNamespaces/0'
          watchNamespaces: [openstack, openstack]              | at '/watchNamespaces'
          image: {repository: ''}                              | at '/image/repository'
          image: {tag: 'latest please'}                        | at '/image/tag'
          image: {digest: 'sha256:abc'}                        | at '/image/digest'
          image: {pullPolicy: Sometimes}                       | at '/image/pullPolicy'
          image: {registry: docker.io}                         | additional properties 'registry' not allowed
          leaderElection: {enabled: 'yes'}                     | at '/leaderElection/enabled'
          allowedAgentImages: ['a:1,b:2']                      | at '/allowedAgentImages/0'
          deniedHostPaths: [etc/kubernetes]                    | at '/deniedHostPaths/0'
          resources: {limits: {memory: lots}}                  | at '/resources/limits/memory'
          resources: {limit: {memory: 1Gi}}                    | additional properties 'limit' not allowed
          podSecurityContext: [runAsNonRoot]                   | at '/podSecurityContext'
          metrics: {port: 80}                                  | at '/metrics/port'
          serviceMonitor: {enabled: true}                      | at '/metrics/enabled': value must be true
          serviceMonitor: {enabled: true, interval: soon}      | at '/serviceMonitor/interval'
          prometheusRule: {enabled: 'true'}                    | at '/prometheusRule/enabled'
          prometheusRule: {noSuccessfulBackupHours: 0}         | at '/prometheusRule/noSuccessfulBackupHours'
          probes: {liveness: {enabled: true, path: healthz}}   | at '/probes/liveness/path'
          nodeSelector: {disk: 1}                              | at '/nodeSelector/disk'
          tolerations: {key: x}                                | at '/tolerations'
          affinity: []                                         | at '/affinity'
          """)
  void badValuesAreRejected(String values, String message) {
    assertThatThrownBy(() -> Chart.template("{" + values + "}"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining(message);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "watchNamespaces: [openstack, openstack-cells]",
        "image: {repository: 'registry.example:5000/mirror/osbackup', tag: 0.1.0-rc.1}",
        "resources: {requests: {cpu: 0.5, memory: 512Mi}, limits: {cpu: '1', memory: 1Gi}}",
        "replicas: 3",
        "deniedHostPaths: [/proc, /etc/kubernetes]",
        "metrics: {enabled: true}, serviceMonitor: {enabled: true, interval: 1m30s}",
        "global: {imageRegistry: example}",
      })
  void goodValuesAreAccepted(String values) {
    assertThat(Chart.template("{" + values + "}")).contains("kind: Deployment");
  }
}
