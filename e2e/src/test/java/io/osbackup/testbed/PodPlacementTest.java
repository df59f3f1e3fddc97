package io.osbackup.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which node the local scheduler picks for a pod. */
class PodPlacementTest {

  private final List<Node> nodes =
      List.of(
          node("ctl-1", true, Map.of("openstack-role", "controller")),
          node("cmp-1", true, Map.of("openstack-role", "compute")),
          node("cmp-2", true, Map.of("openstack-role", "compute")),
          node("cmp-3", false, Map.of("openstack-role", "compute")));

  @Test
  void matchFieldsOnNamePinsThePod() {
    PodSpec spec = affinity(fields("metadata.name", "In", "cmp-2"), null);
    assertThat(choose(spec)).contains("cmp-2");
  }

  @Test
  void matchFieldsOnANotReadyOrMissingNodeFindsNothing() {
    assertThat(choose(affinity(fields("metadata.name", "In", "cmp-3"), null))).isEmpty();
    assertThat(choose(affinity(fields("metadata.name", "In", "gone"), null))).isEmpty();
    assertThat(PodPlacement.unschedulable(new PodSpec(), nodes))
        .isEqualTo(
            "0/4 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
                + " 1 node(s) were not ready.");
  }

  @Test
  void nodeSelectorMatchesLabelsAndSpreadsByLoad() {
    PodSpec spec =
        new PodSpecBuilder().withNodeSelector(Map.of("openstack-role", "compute")).build();
    assertThat(PodPlacement.choose(spec, nodes, Map.of("cmp-1", 2L)).map(PodPlacement::name))
        .contains("cmp-2");
    PodSpec host =
        new PodSpecBuilder()
            .withNodeSelector(Map.of(SimulatedNodes.HOSTNAME_LABEL, "ctl-1"))
            .build();
    assertThat(choose(host)).contains("ctl-1");
  }

  @Test
  void matchExpressionsAndNodeName() {
    PodSpec notIn = affinity(null, expression("openstack-role", "NotIn", "compute"));
    assertThat(choose(notIn)).contains("ctl-1");
    assertThat(choose(new PodSpecBuilder().withNodeName("cmp-1").build())).contains("cmp-1");
    assertThat(choose(new PodSpec())).contains("cmp-1");
  }

  private Optional<String> choose(PodSpec spec) {
    return PodPlacement.choose(spec, nodes, Map.of()).map(PodPlacement::name);
  }

  private static NodeSelectorRequirement fields(String key, String op, String value) {
    return new NodeSelectorRequirementBuilder()
        .withKey(key)
        .withOperator(op)
        .withValues(value)
        .build();
  }

  private static NodeSelectorRequirement expression(String key, String op, String value) {
    return fields(key, op, value);
  }

  private static PodSpec affinity(NodeSelectorRequirement field, NodeSelectorRequirement expr) {
    var term = new io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder();
    if (field != null) {
      term.addToMatchFields(field);
    }
    if (expr != null) {
      term.addToMatchExpressions(expr);
    }
    return new PodSpecBuilder()
        .withAffinity(
            new AffinityBuilder()
                .withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addToNodeSelectorTerms(term.build())
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity()
                .build())
        .build();
  }

  private static Node node(String name, boolean ready, Map<String, String> labels) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(labels)
        .addToLabels(SimulatedNodes.HOSTNAME_LABEL, name)
        .endMetadata()
        .withNewStatus()
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .endStatus()
        .build();
  }
}
