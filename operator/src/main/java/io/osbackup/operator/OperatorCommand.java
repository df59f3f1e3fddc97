package io.osbackup.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code osbackup operator}: runs the operator against the cluster of the current kubeconfig or service account. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Run the osbackup operator (reconciles BackupStores and BackupRuns into Jobs).")
public final class OperatorCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorCommand.class);

  @Option(
      names = "--agent-image",
      defaultValue = "${env:OSBACKUP_AGENT_IMAGE:-" + OperatorSettings.DEFAULT_IMAGE + "}",
      description = "Image of the agent Jobs when a policy names none (env OSBACKUP_AGENT_IMAGE). Default: ${DEFAULT-VALUE}")
  String agentImage;

  @Option(
      names = "--namespace",
      split = ",",
      defaultValue = "${env:OSBACKUP_WATCH_NAMESPACES:-}",
      description = "Namespaces to watch, comma separated (env OSBACKUP_WATCH_NAMESPACES). Default: all.")
  List<String> namespaces;

  @Option(
      names = "--server-side-apply",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Patch status with server-side apply. Turn off only for API servers without it.")
  boolean serverSideApply;

  @Override
  public Integer call() throws InterruptedException {
    LinkedHashSet<String> watched = new LinkedHashSet<>();
    if (namespaces != null) {
      namespaces.stream().map(String::strip).filter(n -> !n.isEmpty()).forEach(watched::add);
    }
    OperatorSettings settings =
        new OperatorSettings(
            agentImage, watched, serverSideApply, Duration.ofSeconds(5), Duration.ofMinutes(5), Clock.systemUTC());
    KubernetesClient client = new KubernetesClientBuilder().build();
    Operator operator = OsbackupOperator.create(client, settings);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("stopping");
                  operator.stop();
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
}
