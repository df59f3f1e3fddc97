package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Toleration;
import io.osbackup.api.v1alpha1.schema.TolerationSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lombok.Data;

/** Directories archived on every matching node, or on a PersistentVolumeClaim. */
@Data
@ValidationRule(
    value = "has(self.nodeSelector) != has(self.volume)",
    message =
        "a files target needs exactly one of nodeSelector (one archive per matching node) or volume (a"
            + " PersistentVolumeClaim)")
public class FilesTarget {

  @Required
  @Size(min = 1, max = 40)
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
  @JsonPropertyDescription(
      "Name of the target, unique in the policy: a DNS label of at most 40 characters. Archives go to"
          + " files/<name>/<node>.tar.gz.")
  private String name;

  @JsonPropertyDescription(
      "Labels of the nodes to archive, for example {openstack-role: compute}: one Job and one archive per matching"
          + " node, with the paths mounted read-only from the node.")
  private Map<String, String> nodeSelector;

  @JsonPropertyDescription(
      "A PersistentVolumeClaim to archive instead of node paths, for example glance's images.")
  private FilesVolume volume;

  @Required
  @Size(min = 1, max = 100)
  @JsonPropertyDescription(
      "Absolute paths to archive, for example [/etc/nova, /var/lib/nova]. On a node, a path inside a denied subtree"
          + " (/etc/kubernetes, /var/lib/kubelet, /etc/shadow, /proc, ...; see docs/backup-runs.md) or / fails the run"
          + " with HostPathNotAllowed, and a path holding denied subtrees (/etc) is archived without them. For a"
          + " volume target, paths inside the volume (/ is the whole volume).")
  private List<@Pattern("^/([^\\x00]*)$") String> paths = new ArrayList<>();

  @JsonPropertyDescription(
      "What to leave out. An absolute path excludes that path and everything below it (for example"
          + " /var/lib/nova/instances); anything else is a glob matched against file names (for example *.log).")
  @Size(max = 200)
  private List<@Size(min = 1, max = 4096) String> exclude = new ArrayList<>();

  @JsonPropertyDescription(
      "Tolerations added to this target's Jobs, so they can run on tainted nodes.")
  @SchemaFrom(type = TolerationSchema[].class)
  private List<Toleration> tolerations = new ArrayList<>();

  /** The node selector, never null. */
  public Map<String, String> nodeSelectorOrEmpty() {
    return nodeSelector == null ? new LinkedHashMap<>() : nodeSelector;
  }
}
