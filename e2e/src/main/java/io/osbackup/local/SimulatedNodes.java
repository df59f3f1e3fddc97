package io.osbackup.local;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
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

  private final KubernetesClient client;
  private final Path root;

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
    client.nodes().resource(node).createOr(NonDeletingOperation::update);
    return this;
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
