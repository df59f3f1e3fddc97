package io.osbackup.testbed;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scheduler of the local cluster: which Ready node may run a pod, honouring {@code
 * spec.nodeName}, {@code nodeSelector} and required node affinity ({@code matchFields} on {@code
 * metadata.name} and {@code matchExpressions} on labels). Taints, tolerations, resources and
 * preferred affinity are ignored.
 */
final class PodPlacement {

  private PodPlacement() {}

  /** The fitting node with the fewest local pods (ties: by name), if any. */
  static Optional<Node> choose(PodSpec spec, List<Node> nodes, Map<String, Long> podsPerNode) {
    return nodes.stream()
        .filter(n -> fits(spec, n))
        .min(
            Comparator.comparingLong((Node n) -> podsPerNode.getOrDefault(name(n), 0L))
                .thenComparing(PodPlacement::name));
  }

  /** The message a real scheduler gives when no node fits. */
  static String unschedulable(PodSpec spec, List<Node> nodes) {
    long notReady = nodes.stream().filter(n -> !ready(n)).count();
    long mismatch = nodes.size() - notReady;
    StringBuilder m = new StringBuilder("0/" + nodes.size() + " nodes are available:");
    if (mismatch > 0) {
      m.append(" ").append(mismatch).append(" node(s) didn't match Pod's node affinity/selector.");
    }
    if (notReady > 0) {
      m.append(" ").append(notReady).append(" node(s) were not ready.");
    }
    if (spec.getNodeName() != null) {
      m.append(" (pod is bound to node \"").append(spec.getNodeName()).append("\")");
    }
    return m.toString();
  }

  static boolean fits(PodSpec spec, Node node) {
    if (!ready(node)
        || Boolean.TRUE.equals(node.getSpec() == null ? null : node.getSpec().getUnschedulable())) {
      return false;
    }
    if (spec.getNodeName() != null && !spec.getNodeName().equals(name(node))) {
      return false;
    }
    Map<String, String> labels = labels(node);
    if (spec.getNodeSelector() != null) {
      for (Map.Entry<String, String> e : spec.getNodeSelector().entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    List<NodeSelectorTerm> terms = requiredTerms(spec);
    return terms == null || terms.stream().anyMatch(t -> matches(t, node));
  }

  static boolean ready(Node node) {
    return node.getStatus() != null
        && node.getStatus().getConditions() != null
        && node.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static List<NodeSelectorTerm> requiredTerms(PodSpec spec) {
    if (spec.getAffinity() == null
        || spec.getAffinity().getNodeAffinity() == null
        || spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
            == null) {
      return null;
    }
    return spec.getAffinity()
        .getNodeAffinity()
        .getRequiredDuringSchedulingIgnoredDuringExecution()
        .getNodeSelectorTerms();
  }

  /**
   * A term matches when all its requirements do; a term with none matches no node, as in
   * Kubernetes.
   */
  private static boolean matches(NodeSelectorTerm term, Node node) {
    List<NodeSelectorRequirement> fields = nullToEmpty(term.getMatchFields());
    List<NodeSelectorRequirement> expressions = nullToEmpty(term.getMatchExpressions());
    if (fields.isEmpty() && expressions.isEmpty()) {
      return false;
    }
    Map<String, String> nameField = Map.of("metadata.name", name(node));
    return fields.stream().allMatch(r -> matches(r, nameField))
        && expressions.stream().allMatch(r -> matches(r, labels(node)));
  }

  private static boolean matches(NodeSelectorRequirement r, Map<String, String> values) {
    String value = values.get(r.getKey());
    List<String> wanted = nullToEmpty(r.getValues());
    switch (r.getOperator()) {
      case "In":
        return value != null && wanted.contains(value);
      case "NotIn":
        return value == null || !wanted.contains(value);
      case "Exists":
        return value != null;
      case "DoesNotExist":
        return value == null;
      case "Gt":
      case "Lt":
        try {
          long have = Long.parseLong(value);
          long limit = Long.parseLong(wanted.get(0));
          return "Gt".equals(r.getOperator()) ? have > limit : have < limit;
        } catch (RuntimeException e) {
          return false;
        }
      default:
        return false;
    }
  }

  private static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static Map<String, String> labels(Node node) {
    Map<String, String> labels = node.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }

  static String name(Node node) {
    return node.getMetadata().getName();
  }
}
