package io.osbackup.testbed;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The operator's account as {@code helm install osbackup charts/osbackup -n osbackup-system} makes
 * it: the chart rendered by Helm (helm-java, in process) with the given values, and its
 * ServiceAccount, ClusterRoles, Roles and bindings applied. The operator then runs with a token of
 * that account, so the API server refuses whatever the chart does not allow.
 */
public final class ChartRbac {

  /** The release namespace and the operator's ServiceAccount in it, as the chart names them. */
  public static final String NAMESPACE = "osbackup-system";

  public static final String SERVICE_ACCOUNT = "osbackup";

  private static final Set<String> KINDS =
      Set.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
  private static final Set<String> NAMESPACED = Set.of("ServiceAccount", "Role", "RoleBinding");

  private ChartRbac() {}

  /** {@code charts/osbackup} of the project, seen from its root or from a module. */
  public static Path chartDir() {
    for (Path candidate : List.of(Path.of("charts/osbackup"), Path.of("../charts/osbackup"))) {
      if (Files.isDirectory(candidate)) {
        return candidate.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException(
        "charts/osbackup not found from "
            + Path.of("").toAbsolutePath()
            + ": run from the project's root or one of its modules");
  }

  /**
   * The chart rendered with {@code valuesYaml} over its defaults, as {@code helm template -n
   * osbackup-system}. Helm runs in a child JVM ({@link #main}): helm-java loads Helm's Go runtime
   * into the process, and a JVM with the Go runtime in it no longer stops on SIGTERM or Ctrl-C
   * (local mode must).
   */
  public static List<HasMetadata> render(String valuesYaml) {
    String yaml;
    try {
      Process helm =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  ChartRbac.class.getName(),
                  chartDir().toString(),
                  "v1.36.3")
              .start();
      try (var in = helm.getOutputStream()) {
        in.write(valuesYaml.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      var stdout =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> read(helm.getInputStream()));
      String stderr = read(helm.getErrorStream());
      if (!helm.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) || helm.exitValue() != 0) {
        helm.destroyForcibly();
        throw new IllegalStateException(
            "helm template of " + chartDir() + " failed: " + stderr.strip());
      }
      yaml = stdout.join();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while rendering the chart", e);
    }
    Object parsed = new KubernetesSerialization().unmarshal(yaml);
    List<HasMetadata> objects = new ArrayList<>();
    if (parsed instanceof List<?> list) {
      list.stream()
          .filter(HasMetadata.class::isInstance)
          .map(HasMetadata.class::cast)
          .forEach(objects::add);
    } else if (parsed instanceof HasMetadata one) {
      objects.add(one);
    }
    return objects;
  }

  /**
   * The text {@code helm template osbackup <chart> -n osbackup-system --kube-version <kubeVersion>
   * -f <values>} prints; a Helm failure (schema, template) is an {@link IllegalStateException} with
   * Helm's message.
   */
  public static String template(Path chart, String valuesYaml, String kubeVersion) {
    Path values = null;
    try {
      values = Files.createTempFile("osbackup-values-", ".yaml");
      Files.writeString(values, valuesYaml);
      return new Helm(chart)
          .template()
          .withName("osbackup")
          .withNamespace(NAMESPACE)
          .withKubeVersion(kubeVersion)
          .withValuesFile(values)
          .call();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (values != null) {
        try {
          Files.deleteIfExists(values);
        } catch (IOException ignored) {
          // a temp file left behind
        }
      }
    }
  }

  /**
   * {@code ChartRbac <chart dir> <kube version>}: prints the chart rendered with the values on
   * standard input.
   */
  public static void main(String[] args) throws IOException {
    String values = new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    System.out.print(template(Path.of(args[0]), values, args[1]));
    System.out.flush();
    System.exit(0);
  }

  private static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Applies the account and RBAC objects of {@code rendered} as {@code admin} (the release
   * namespace first); returns what it applied.
   */
  public static List<HasMetadata> apply(KubernetesClient admin, List<HasMetadata> rendered) {
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .createOr(NonDeletingOperation::update);
    List<HasMetadata> applied = new ArrayList<>();
    for (HasMetadata object : rendered) {
      if (!KINDS.contains(object.getKind())) {
        continue;
      }
      // as helm install -n osbackup-system: a namespaced object without a namespace of its own
      // lands there
      if (!NAMESPACED.contains(object.getKind())) {
        object.getMetadata().setNamespace(null);
      } else if (object.getMetadata().getNamespace() == null) {
        object.getMetadata().setNamespace(NAMESPACE);
      }
      applied.add(admin.resource(object).createOr(NonDeletingOperation::update));
    }
    return applied;
  }
}
