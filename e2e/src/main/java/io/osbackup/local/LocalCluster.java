package io.osbackup.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.osbackup.operator.OperatorSettings;
import io.osbackup.operator.OsbackupOperator;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes cluster on one machine: the fabric8 mock API server in CRUD mode with the osbackup CRDs, simulated
 * Nodes with a folder each, the local Job runner playing kubelet and Job controller, and the real operator.
 */
public final class LocalCluster implements AutoCloseable {

  /** The mock API server logs every request at INFO through java.util.logging; held so the level sticks. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private static final List<String> CRDS =
      List.of("backupstores", "backuppolicies", "backupruns", "restorerequests");

  private final KubernetesMockServer server;
  private final LocalApiDispatcher dispatcher;
  private final KubernetesClient client;
  private final SimulatedNodes nodes;
  private final LocalJobRunner runner;
  private final OperatorSettings settings;
  private Operator operator;

  private LocalCluster(Path workDir, OperatorSettings settings, Map<String, String> agentEnv) throws IOException {
    this.settings = settings;
    Files.createDirectories(workDir);
    dispatcher = new LocalApiDispatcher();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    for (String plural : CRDS) {
      String resource = "/META-INF/fabric8/" + plural + ".osbackup.io-v1.yml";
      try (InputStream in = LocalCluster.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("CRD " + resource + " is not on the classpath");
        }
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        dispatcher.serve(crd);
      }
    }
    nodes = new SimulatedNodes(client, workDir.resolve("nodes"));
    runner =
        LocalJobRunner.builder()
            .client(client)
            .workDir(workDir.resolve("jobs"))
            .nodes(nodes)
            .env(agentEnv)
            .start();
  }

  /**
   * Starts the API server, the Job runner and the operator.
   *
   * @param agentEnv environment added to every agent process (for example {@code OSBACKUP_DUMP_COMMAND})
   */
  public static LocalCluster start(Path workDir, OperatorSettings settings, Map<String, String> agentEnv)
      throws IOException {
    LocalCluster cluster = new LocalCluster(workDir, settings, agentEnv);
    cluster.startOperator();
    return cluster;
  }

  public KubernetesClient client() {
    return client;
  }

  public SimulatedNodes nodes() {
    return nodes;
  }

  public LocalJobRunner runner() {
    return runner;
  }

  /**
   * Has every create, update and patch of a namespaced object (as {@code kubectl apply} sends them) pass {@code
   * rewrite} before it is stored; it returns what it changed, one line each.
   */
  public void rewriteWrites(WriteRewrite rewrite) {
    dispatcher.rewriteWrites(rewrite);
  }

  /** Changes a write's body before the API server stores it. */
  public interface WriteRewrite {
    /** Changes {@code body}, the object or patch written to {@code kind/name}; returns what changed, one line each. */
    List<String> rewrite(String kind, String name, ObjectNode body);
  }

  /** The API server's URL. */
  public String apiUrl() {
    return client.getMasterUrl().toString();
  }

  /**
   * Writes a kubeconfig for the embedded API server (plain HTTP on loopback, no credentials) to {@code file}, with
   * {@code namespace} as the default: {@code kubectl --kubeconfig <file> get backupruns} then works.
   */
  public Path writeKubeconfig(Path file, String namespace) throws IOException {
    String url = apiUrl().replaceAll("/+$", "");
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: osbackup-local
          cluster: {server: "%s"}
        users:
        - name: osbackup-local
          user: {}
        contexts:
        - name: osbackup-local
          context: {cluster: osbackup-local, user: osbackup-local, namespace: %s}
        current-context: osbackup-local
        """
            .formatted(url, namespace));
    return file;
  }

  /** Starts a new operator (after {@link #stopOperator()}, this is an operator restart). */
  public synchronized void startOperator() {
    if (operator != null) {
      throw new IllegalStateException("the operator is running");
    }
    operator = OsbackupOperator.create(client, settings);
    operator.start();
  }

  /** Stops the operator at once, wherever it is: what a crash or a rolling update does. */
  public synchronized void stopOperator() {
    if (operator != null) {
      operator.stop();
      operator = null;
    }
  }

  @Override
  public void close() {
    stopOperator();
    try {
      runner.close();
    } finally {
      client.close();
      server.destroy();
    }
  }
}
