package io.osbackup.testbed;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes of the local cluster: a Node object in the API and a folder that plays the node's root
 * file system.
 *
 * <p>Removing a node deletes its Node object; the {@link LocalJobRunner} notices and fails the pods
 * running there as a real cluster fails the pods of a lost node.
 */
public final class SimulatedNodes {

  /** The well-known label every Node carries with its own name. */
  public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

  /** What each node offers the scheduler: room for every pod a test starts. */
  private static final Map<String, Quantity> CAPACITY =
      Map.of(
          "cpu", new Quantity("16"),
          "memory", new Quantity("64Gi"),
          "ephemeral-storage", new Quantity("100Gi"),
          "pods", new Quantity("110"));

  private final KubernetesClient client;
  private final Path root;
  private volatile int kubeletPort = 10250;

  /**
   * @param client client of the (mock) API server
   * @param root folder holding one sub-folder per node
   */
  public SimulatedNodes(KubernetesClient client, Path root) {
    this.client = client;
    this.root = root;
  }

  /** Adds (or replaces) a Ready node with no labels beyond the standard ones. */
  public SimulatedNodes add(String name) {
    return add(name, Map.of());
  }

  /**
   * Adds (or replaces) a Ready node with these labels plus {@code kubernetes.io/hostname} and
   * os/arch labels.
   */
  public SimulatedNodes add(String name, Map<String, String> labels) {
    try {
      Files.createDirectories(root(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> all = new LinkedHashMap<>(labels);
    all.put(HOSTNAME_LABEL, name);
    all.putIfAbsent("kubernetes.io/os", "linux");
    all.putIfAbsent("kubernetes.io/arch", "amd64");
    String now = Instant.now().toString();
    Node node =
        new NodeBuilder()
            .withNewMetadata()
            .withName(name)
            .withLabels(all)
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .withNewStatus()
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .withReason("KubeletReady")
            .withMessage("local node is ready")
            .withLastHeartbeatTime(now)
            .withLastTransitionTime(now)
            .endCondition()
            .addNewAddress()
            .withType("InternalIP")
            .withAddress("127.0.0.1")
            .endAddress()
            .addNewAddress()
            .withType("Hostname")
            .withAddress(name)
            .endAddress()
            .endStatus()
            .build();
    NodeStatus status =
        new NodeStatusBuilder(node.getStatus())
            .addToCapacity(CAPACITY)
            .addToAllocatable(CAPACITY)
            .withNewDaemonEndpoints()
            .withNewKubeletEndpoint()
            .withPort(kubeletPort)
            .endKubeletEndpoint()
            .endDaemonEndpoints()
            .withNewNodeInfo()
            .withArchitecture("amd64")
            .withOperatingSystem("linux")
            .withKubeletVersion("osbackup-local")
            .withContainerRuntimeVersion("local://processes")
            .withKernelVersion(System.getProperty("os.version"))
            .withOsImage("osbackup local node")
            .withBootID("")
            .withMachineID("")
            .withSystemUUID("")
            .withKubeProxyVersion("")
            .endNodeInfo()
            .build();
    node.setStatus(status);
    client.nodes().resource(node).createOr(NonDeletingOperation::update);
    // a real API server ignores the status of a create: a kubelet writes it through the status
    // subresource
    PodProcess.replaceStatus(
        client
            .nodes()
            .resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata().build()),
        status);
    return this;
  }

  /**
   * The port the nodes' kubelet serves (container logs) on, written into nodes added from now on.
   */
  void kubeletPort(int port) {
    this.kubeletPort = port;
  }

  /** Deletes the Node object; its folder stays, as a dead machine's disk does. */
  public void remove(String name) {
    client.nodes().withName(name).delete();
  }

  /** The folder that plays the root file system of the node. */
  public Path root(String name) {
    return root.resolve(name);
  }

  /** Where the absolute path {@code path} of the node lives on this machine. */
  public Path resolve(String node, String path) {
    String relative = path.replaceFirst("^/+", "");
    return relative.isEmpty() ? root(node) : root(node).resolve(relative);
  }

  /** Names of the Node objects currently in the API. */
  public List<String> names() {
    return client.nodes().list().getItems().stream().map(n -> n.getMetadata().getName()).toList();
  }
}
