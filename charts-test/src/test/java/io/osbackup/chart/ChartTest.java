package io.osbackup.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.osbackup.Main;
import io.osbackup.operator.OperatorCommand;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.plan.PlanRules;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * charts/osbackup lints clean, and renders into the objects the operator needs: with default values
 * (cluster-wide) and with the other modes (namespaced, monitoring, probes, no leader election,
 * image by digest, an existing account). The Deployment's args are parsed by the operator's own
 * command line, so a flag the chart passes must exist.
 */
class ChartTest {

  static final String IMAGE = "ghcr.io/osbackup/osbackup:0.1.0";

  @Test
  void lintsStrictly() {
    LintResult result = new Helm(Chart.DIR).lint().strict().call();
    assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void defaultsInstallTheOperatorForEveryNamespace() {
    Chart.Rendered chart = Chart.render();
    assertThat(chart.objects().stream().map(HasMetadata::getKind).distinct())
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment");
    assertThat(chart.all(ClusterRole.class))
        .extracting(r -> r.getMetadata().getName())
        .containsExactlyInAnyOrder("osbackup", "osbackup-nodes");
    assertThat(chart.all(Role.class))
        .extracting(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName())
        .containsExactly(Chart.NAMESPACE + "/osbackup-leader-election");

    Deployment deployment = chart.one(Deployment.class);
    assertThat(deployment.getMetadata().getNamespace()).isEqualTo(Chart.NAMESPACE);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName())
        .isEqualTo(chart.one(ServiceAccount.class).getMetadata().getName());
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

    Container operator = operator(chart);
    // The chart's default image is the operator's default agent image: one image, one version.
    assertThat(operator.getImage()).isEqualTo(IMAGE).isEqualTo(OperatorSettings.DEFAULT_IMAGE);
    assertThat(operator.getCommand()).isEmpty();
    assertThat(operator.getArgs())
        .containsExactly(
            "operator", "--agent-image=" + IMAGE, "--metrics-port=8080", "--leader-election");
    assertThat(operator.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(operator.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(operator.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(operator.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(operator.getVolumeMounts()).anyMatch(m -> "/tmp".equals(m.getMountPath()));
    EnvVar podNamespace = env(operator, "POD_NAMESPACE");
    assertThat(podNamespace.getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(operator.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("metrics");
              assertThat(p.getContainerPort()).isEqualTo(8080);
            });
    // The operator's /healthz and /readyz on its metrics port.
    assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(operator.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("metrics");
    assertThat(operator.getResources().getLimits()).containsKey("memory");

    CommandSpec command = operatorCommand(operator.getArgs());
    assertThat(command.findOption("--agent-image").<String>getValue()).isEqualTo(IMAGE);
    assertThat(command.findOption("--leader-election").<Boolean>getValue()).isTrue();
    // The Lease namespace comes from POD_NAMESPACE (the flag's default), not from an arg.
    assertThat(operator.getArgs()).noneMatch(a -> a.startsWith("--leader-election-namespace"));
    assertThat(declaredDefault("--leader-election-namespace")).contains("env:POD_NAMESPACE");
    assertThat(operator.getArgs()).noneMatch(a -> a.startsWith("--namespace"));
  }

  @Test
  void namespacedModeWatchesOnlyTheListedNamespaces() {
    Chart.Rendered chart = Chart.render("watchNamespaces: [openstack, openstack-cells]");
    Container operator = operator(chart);
    assertThat(operator.getArgs()).contains("--namespace=openstack,openstack-cells");
    assertThat(
            operatorCommand(operator.getArgs()).findOption("--namespace").<List<String>>getValue())
        .containsExactly("openstack", "openstack-cells");
    assertThat(chart.all(ClusterRole.class))
        .extracting(r -> r.getMetadata().getName())
        .containsExactly("osbackup-nodes");
    assertThat(chart.all(Role.class))
        .extracting(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName())
        .containsExactlyInAnyOrder(
            "openstack/osbackup",
            "openstack-cells/osbackup",
            Chart.NAMESPACE + "/osbackup-leader-election");
    assertThat(chart.all(RoleBinding.class))
        .allSatisfy(
            b ->
                assertThat(b.getSubjects())
                    .singleElement()
                    .satisfies(
                        s -> {
                          assertThat(s.getName()).isEqualTo("osbackup");
                          assertThat(s.getNamespace()).isEqualTo(Chart.NAMESPACE);
                        }));
  }

  @Test
  void metricsServiceMonitorAndRulesWhenTurnedOn() throws IOException {
    Chart.Rendered chart =
        Chart.render(
            """
            metrics: {enabled: true}
            serviceMonitor: {enabled: true, labels: {release: prometheus}}
            prometheusRule: {enabled: true, noSuccessfulBackupHours: 30, severity: critical}
            """);
    Service service = chart.one(Service.class);
    Map<String, String> podLabels =
        chart.one(Deployment.class).getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
    assertThat(service.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("metrics");
              assertThat(p.getTargetPort().getStrVal()).isEqualTo("metrics");
            });

    GenericKubernetesResource monitor =
        (GenericKubernetesResource) chart.kind("ServiceMonitor").get(0);
    assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
    Map<String, String> selected = monitor.get("spec", "selector", "matchLabels");
    assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(selected);
    assertThat(monitor.<String>get("spec", "endpoints", 0, "port")).isEqualTo("metrics");

    GenericKubernetesResource rules =
        (GenericKubernetesResource) chart.kind("PrometheusRule").get(0);
    List<Map<String, Object>> alerts = rules.get("spec", "groups", 0, "rules");
    assertThat(alerts)
        .extracting(r -> r.get("alert"))
        .containsExactly(
            "OsbackupBackupRunFailed",
            "OsbackupNoRecentSuccessfulBackup",
            "OsbackupStoreUnavailable",
            "OsbackupRetentionFailed");
    assertThat(alerts)
        .allSatisfy(
            r ->
                assertThat((Map<String, Object>) r.get("labels"))
                    .containsEntry("severity", "critical"));
    assertThat(alerts.get(1).get("expr").toString())
        .contains("2 * osbackup_policy_schedule_interval_seconds, " + 30 * 3600 + ")");
    // Prometheus' own {{ $labels }} templating survives Helm's.
    assertThat(((Map<?, ?>) alerts.get(0).get("annotations")).get("summary").toString())
        .contains("{{ $labels.namespace }}/{{ $labels.policy }}");
    // The rules use only metric names docs/metrics.md documents.
    String doc = Files.readString(Chart.ROOT.resolve("docs/metrics.md"));
    Set<String> metrics = new TreeSet<>();
    for (Map<String, Object> alert : alerts) {
      Matcher m = Pattern.compile("osbackup_[a-z_]+").matcher(alert.get("expr").toString());
      while (m.find()) {
        metrics.add(m.group());
      }
    }
    assertThat(metrics).hasSize(5).allSatisfy(name -> assertThat(doc).contains("`" + name + "`"));
  }

  @Test
  void probesWhenTurnedOn() {
    Container operator =
        operator(
            Chart.render(
                "probes: {liveness: {enabled: true}, readiness: {enabled: true, periodSeconds: 7}}"));
    Probe liveness = operator.getLivenessProbe();
    assertThat(liveness.getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(liveness.getHttpGet().getPort().getStrVal()).isEqualTo("metrics");
    assertThat(liveness.getFailureThreshold()).isEqualTo(3);
    Probe readiness = operator.getReadinessProbe();
    assertThat(readiness.getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(readiness.getPeriodSeconds()).isEqualTo(7);
  }

  @Test
  void withoutLeaderElectionOneOperatorAtATime() {
    Chart.Rendered chart = Chart.render("leaderElection: {enabled: false}");
    Deployment deployment = chart.one(Deployment.class);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    List<String> args = operator(chart).getArgs();
    assertThat(args).contains("--no-leader-election");
    assertThat(operatorCommand(args).findOption("--leader-election").<Boolean>getValue()).isFalse();
    assertThat(chart.all(Role.class)).isEmpty();
  }

  @Test
  void policyRulesReachTheOperator() {
    List<String> args =
        operator(
                Chart.render(
                    """
                    allowedAgentImages: [registry.example/osbackup:0.1.0-debug, registry.example/osbackup:0.1.1]
                    deniedHostPaths: [/proc, /var/lib/kubelet, /etc/secret-stuff]
                    """))
            .getArgs();
    CommandSpec command = operatorCommand(args);
    assertThat(command.findOption("--allowed-agent-image").<List<String>>getValue())
        .containsExactly(
            "registry.example/osbackup:0.1.0-debug", "registry.example/osbackup:0.1.1");
    assertThat(command.findOption("--denied-host-path").<List<String>>getValue())
        .containsExactly("/proc", "/var/lib/kubelet", "/etc/secret-stuff");
  }

  @Test
  void imageByDigestIsAlsoTheAgentImage() {
    String digest = "sha256:" + "ab".repeat(32);
    Container operator =
        operator(
            Chart.render(
                "image: {repository: registry.example/mirror/osbackup, digest: " + digest + "}"));
    assertThat(operator.getImage()).isEqualTo("registry.example/mirror/osbackup@" + digest);
    assertThat(operator.getArgs())
        .contains("--agent-image=registry.example/mirror/osbackup@" + digest);
  }

  @Test
  void schedulingAndExtraSettingsArePassedThrough() {
    Chart.Rendered chart =
        Chart.render(
            """
            replicas: 2
            nodeSelector: {node-role.kubernetes.io/control-plane: ""}
            tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
            priorityClassName: system-cluster-critical
            imagePullSecrets: [{name: regcred}]
            extraEnv: [{name: ORG_SLF4J_SIMPLELOGGER_DEFAULTLOGLEVEL, value: debug}]
            resources: {requests: {cpu: 200m, memory: 300Mi}, limits: {memory: 1Gi}}
            """);
    Deployment deployment = chart.one(Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).containsEntry("node-role.kubernetes.io/control-plane", "");
    assertThat(pod.getTolerations())
        .singleElement()
        .satisfies(t -> assertThat(t.getOperator()).isEqualTo("Exists"));
    assertThat(pod.getPriorityClassName()).isEqualTo("system-cluster-critical");
    assertThat(pod.getImagePullSecrets())
        .singleElement()
        .satisfies(s -> assertThat(s.getName()).isEqualTo("regcred"));
    Container operator = pod.getContainers().get(0);
    assertThat(env(operator, "ORG_SLF4J_SIMPLELOGGER_DEFAULTLOGLEVEL").getValue())
        .isEqualTo("debug");
    assertThat(operator.getResources().getLimits().get("memory").toString()).isEqualTo("1Gi");
  }

  @Test
  void anExistingServiceAccount() {
    Chart.Rendered chart = Chart.render("serviceAccount: {create: false, name: backup-operator}");
    assertThat(chart.all(ServiceAccount.class)).isEmpty();
    assertThat(
            chart.one(Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo("backup-operator");
    assertThat(
            new Rbac(chart, "backup-operator", Chart.NAMESPACE)
                .allows("", "secrets", "get", "openstack", "x"))
        .isTrue();
    assertThatThrownBy(() -> Chart.render("serviceAccount: {create: false}"))
        .hasMessageContaining("serviceAccount.name must name an existing ServiceAccount");
  }

  @Test
  void readmeDocumentsEveryValueAndTheBuiltInDeniedPaths() throws IOException {
    String readme = Files.readString(Chart.DIR.resolve("README.md"));
    JsonNode values =
        new ObjectMapper(new YAMLFactory()).readTree(Chart.DIR.resolve("values.yaml").toFile());
    List<String> keys = new ArrayList<>();
    flatten("", values, keys);
    assertThat(keys).hasSizeGreaterThan(25);
    assertThat(keys)
        .allSatisfy(
            key -> assertThat(readme).as("README row for %s", key).contains("| `" + key + "` |"));
    assertThat(PlanRules.DEFAULT_DENIED_HOST_PATHS)
        .allSatisfy(p -> assertThat(readme).contains("`" + p + "`"));
  }

  /** Values passed to Kubernetes as they stand: documented as one row each, not key by key. */
  private static final Set<String> PASSED_AS_IS =
      Set.of("resources", "podSecurityContext", "securityContext");

  /** Leaf keys of values.yaml: scalars, lists, empty maps, and the values passed as they stand. */
  private static void flatten(String prefix, JsonNode node, List<String> out) {
    if (node.isObject() && node.size() > 0 && !PASSED_AS_IS.contains(prefix)) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
      }
    } else {
      out.add(prefix);
    }
  }

  static Container operator(Chart.Rendered chart) {
    List<Container> containers =
        chart.one(Deployment.class).getSpec().getTemplate().getSpec().getContainers();
    assertThat(containers)
        .singleElement()
        .satisfies(c -> assertThat(c.getName()).isEqualTo("operator"));
    return containers.get(0);
  }

  /**
   * The default an option of the operator command declares, before picocli reads the environment.
   */
  static String declaredDefault(String option) {
    return Arrays.stream(OperatorCommand.class.getDeclaredFields())
        .map(f -> f.getAnnotation(CommandLine.Option.class))
        .filter(o -> o != null && Arrays.asList(o.names()).contains(option))
        .map(CommandLine.Option::defaultValue)
        .findFirst()
        .orElseThrow();
  }

  static EnvVar env(Container container, String name) {
    return container.getEnv().stream()
        .filter(e -> name.equals(e.getName()))
        .findFirst()
        .orElseThrow();
  }

  /**
   * Parses {@code args} as the image's entry point would: {@code osbackup <args>}; they must name
   * the operator.
   */
  static CommandSpec operatorCommand(List<String> args) {
    ParseResult parsed = new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
    assertThat(parsed.hasSubcommand()).isTrue();
    ParseResult operator = parsed.subcommand();
    assertThat(operator.commandSpec().name()).isEqualTo("operator");
    assertThat(operator.unmatched()).isEmpty();
    return operator.commandSpec();
  }
}
