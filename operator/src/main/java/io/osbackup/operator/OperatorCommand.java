package io.osbackup.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.plan.PlanRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osbackup operator}: runs the operator against the cluster of the current kubeconfig or
 * service account.
 */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Run the osbackup operator (reconciles BackupStores and BackupRuns into Jobs).")
public final class OperatorCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorCommand.class);

  @Option(
      names = "--agent-image",
      defaultValue = "${env:OSBACKUP_AGENT_IMAGE:-" + OperatorSettings.DEFAULT_IMAGE + "}",
      description =
          "Image of the agent Jobs when a policy names none (env OSBACKUP_AGENT_IMAGE). Default: ${DEFAULT-VALUE}")
  String agentImage;

  @Option(
      names = "--namespace",
      split = ",",
      defaultValue = "${env:OSBACKUP_WATCH_NAMESPACES:-}",
      description =
          "Namespaces to watch, comma separated (env OSBACKUP_WATCH_NAMESPACES). Default: all.")
  List<String> namespaces;

  @Option(
      names = "--allowed-agent-image",
      split = ",",
      description =
          "Images a BackupPolicy may name in spec.job.image besides --agent-image. Files Jobs read node paths as"
              + " root, so by default a policy cannot choose its image.")
  List<String> allowedImages;

  @Option(
      names = "--denied-host-path",
      split = ",",
      description =
          "More node paths no files target may read (with everything below them), on top of the built-in list,"
              + " which always applies: kubelet, container runtime and etcd state, cluster PKI, password hashes, SSH"
              + " host keys, /proc, /sys, /dev, /run, /root, /home and similar.")
  List<String> deniedHostPaths;

  @Option(
      names = "--leader-election",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Elect a leader through a Lease, so only one replica reconciles. Default: on.")
  boolean leaderElection;

  @Option(
      names = "--leader-election-namespace",
      defaultValue = "${env:POD_NAMESPACE:-}",
      description =
          "Namespace of the Lease (env POD_NAMESPACE; default: the namespace of the service account).")
  String leaseNamespace;

  @Option(
      names = "--cluster-id",
      defaultValue = "${env:OSBACKUP_CLUSTER_ID:-}",
      description =
          "Who this operator is in the buckets it writes (env OSBACKUP_CLUSTER_ID): written into every backup's"
              + " owner.json and manifest; retention and the catalog act only on folders naming it. Default: the UID"
              + " of the kube-system namespace, else '"
              + OperatorSettings.LOCAL_CLUSTER_ID
              + "'. Give each"
              + " cluster sharing a bucket its own id.")
  String clusterId;

  @Option(
      names = "--metrics-port",
      defaultValue = "8080",
      description =
          "Port of /metrics (Prometheus), /healthz and /readyz; 0 turns them off. Default: ${DEFAULT-VALUE}.")
  int metricsPort;

  @Override
  public Integer call() throws InterruptedException, IOException {
    LinkedHashSet<String> watched = new LinkedHashSet<>();
    if (namespaces != null) {
      namespaces.stream().map(String::strip).filter(n -> !n.isEmpty()).forEach(watched::add);
    }
    PlanRules rules =
        new PlanRules(
            deniedHostPaths == null || deniedHostPaths.isEmpty()
                ? PlanRules.DEFAULT_DENIED_HOST_PATHS
                : List.copyOf(deniedHostPaths),
            allowedImages == null ? Set.of() : Set.copyOf(allowedImages));
    String lease = null;
    if (leaderElection) {
      lease =
          leaseNamespace == null || leaseNamespace.isBlank()
              ? serviceAccountNamespace()
              : leaseNamespace;
    }
    OperatorSettings settings =
        new OperatorSettings(
            agentImage,
            watched,
            rules,
            Timings.defaults(),
            lease,
            Clock.systemUTC(),
            OperatorSettings.LOCAL_CLUSTER_ID);
    KubernetesClient client = new KubernetesClientBuilder().build();
    settings = settings.withClusterId(clusterId(client));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    Operator operator = OsbackupOperator.create(client, settings, new OsbackupMetrics(registry));
    MetricsEndpoint endpoint =
        metricsPort == 0
            ? null
            : MetricsEndpoint.start(
                metricsPort,
                registry,
                () -> operator.getRuntimeInfo().allEventSourcesAreHealthy(),
                () -> operator.getRuntimeInfo().isStarted());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("stopping");
                  operator.stop();
                  if (endpoint != null) {
                    endpoint.close();
                  }
                  client.close();
                  stopped.countDown();
                }));
    operator.start();
    LOG.info(
        "osbackup operator started: namespaces {}, agent image {}",
        watched.isEmpty() ? "all" : watched,
        agentImage);
    stopped.await();
    return 0;
  }

  /**
   * {@code --cluster-id}, else the UID of {@code kube-system} (the same for the cluster's life),
   * else local.
   */
  private String clusterId(KubernetesClient client) {
    if (clusterId != null && !clusterId.isBlank()) {
      return clusterId.strip();
    }
    try {
      var kubeSystem = client.namespaces().withName("kube-system").get();
      if (kubeSystem != null && kubeSystem.getMetadata().getUid() != null) {
        LOG.info(
            "cluster id: the UID of namespace kube-system, {}", kubeSystem.getMetadata().getUid());
        return kubeSystem.getMetadata().getUid();
      }
    } catch (RuntimeException e) {
      LOG.warn("cannot read namespace kube-system for the cluster id: {}", e.getMessage());
    }
    LOG.warn(
        "no --cluster-id and no readable kube-system namespace: the cluster id is '{}'; every other operator"
            + " without one writing to the same bucket and prefix will take this one's backups for its own",
        OperatorSettings.LOCAL_CLUSTER_ID);
    return OperatorSettings.LOCAL_CLUSTER_ID;
  }

  private static String serviceAccountNamespace() {
    Path file = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      throw new CommandLine.ParameterException(
          new CommandLine(new OperatorCommand()),
          "leader election needs a namespace for its Lease: set --leader-election-namespace or POD_NAMESPACE, or"
              + " run with --no-leader-election");
    }
  }
}
