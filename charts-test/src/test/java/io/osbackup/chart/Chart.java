package io.osbackup.chart;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.osbackup.testbed.ChartRbac;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The chart in {@code charts/osbackup}, rendered by Helm (helm-java) into fabric8 objects. */
final class Chart {

  static final Path ROOT =
      Path.of(System.getProperty("osbackup.root", "..")).toAbsolutePath().normalize();
  static final Path DIR = ROOT.resolve("charts/osbackup");
  static final String RELEASE = "osbackup";
  static final String NAMESPACE = "osbackup-system";

  /** helm-java renders for Kubernetes 1.20 unless told; the chart needs 1.25 or later. */
  static final String KUBE_VERSION = "v1.31.0";

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Chart() {}

  /** Renders the chart with its default values. */
  static Rendered render() {
    return render("{}");
  }

  /**
   * Renders the chart with {@code valuesYaml} over its defaults, as {@code helm template -f} would.
   */
  static Rendered render(String valuesYaml) {
    return new Rendered(template(valuesYaml));
  }

  /**
   * The rendered text; a Helm failure (schema, template) is an {@link IllegalStateException} with
   * Helm's message.
   */
  static String template(String valuesYaml) {
    return ChartRbac.template(DIR, valuesYaml, KUBE_VERSION);
  }

  /** The objects of one rendering. */
  record Rendered(String yaml, List<HasMetadata> objects) {

    Rendered(String yaml) {
      this(yaml, parse(yaml));
    }

    private static List<HasMetadata> parse(String yaml) {
      Object parsed = SERIALIZATION.unmarshal(yaml);
      List<HasMetadata> objects = new ArrayList<>();
      if (parsed instanceof List<?> list) {
        for (Object o : list) {
          if (o instanceof HasMetadata h) {
            objects.add(h);
          }
        }
      } else if (parsed instanceof HasMetadata h) {
        objects.add(h);
      } else if (parsed != null && !(parsed instanceof KubernetesResource)) {
        throw new IllegalStateException("not Kubernetes objects: " + parsed);
      }
      return List.copyOf(objects);
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
      return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    List<HasMetadata> kind(String kind) {
      return objects.stream().filter(o -> kind.equals(o.getKind())).toList();
    }

    <T extends HasMetadata> T one(Class<T> type) {
      List<T> found = all(type);
      if (found.size() != 1) {
        throw new AssertionError(
            "expected one " + type.getSimpleName() + ", rendered " + found.size());
      }
      return found.get(0);
    }

    <T extends HasMetadata> Optional<T> named(Class<T> type, String name, String namespace) {
      return all(type).stream()
          .filter(o -> name.equals(o.getMetadata().getName()))
          .filter(o -> namespace == null || namespace.equals(o.getMetadata().getNamespace()))
          .findFirst();
    }
  }
}
