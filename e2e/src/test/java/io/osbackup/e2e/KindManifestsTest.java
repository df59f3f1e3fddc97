package io.osbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kind cluster of the end-to-end suite (e2e/kind, e2e/README.md): its manifests parse into
 * typed objects and agree with each other, with the kind cluster config and with the defaults of
 * the user-story suite (namespace, Secrets, Services, the NodePort the host reaches MariaDB
 * through, the controller node holding /etc/keystone).
 */
class KindManifestsTest {

  // The suite's defaults (e2e/README.md, "Properties").
  private static final String NAMESPACE = "osbackup-e2e";
  private static final String S3_SECRET = "e2e-s3";
  private static final String S3_ENDPOINT_HOST_PORT = "minio.osbackup-e2e.svc:9000";
  private static final String BUCKET = "osbackup-e2e";
  private static final String DB_SECRET = "e2e-db";
  private static final String DB_USERNAME = "backup";
  private static final String DB_PASSWORD = "e2e-backup-pw";
  private static final String DB_ADDRESS = "127.0.0.1:30306";
  private static final String NODE_ROLE = "controller";

  private static final Path KIND = kindDirectory();

  /** kind resolves a relative hostPath against the directory it runs in: the repository root. */
  private static final Path REPOSITORY = KIND.getParent().getParent();

  private static final List<HasMetadata> OBJECTS = manifests();
  private static final Map<String, Object> CLUSTER = kindConfig();

  @Test
  void everyManifestParsesIntoATypedObjectWithAUniqueName() {
    assertThat(OBJECTS).isNotEmpty();
    // A misspelt kind or apiVersion comes back as a generic resource.
    assertThat(OBJECTS).noneMatch(o -> o instanceof GenericKubernetesResource);
    assertThat(OBJECTS).allSatisfy(o -> assertThat(o.getMetadata().getName()).isNotBlank());
    assertThat(OBJECTS.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()))
        .doesNotHaveDuplicates();
  }

  @Test
  void everyFieldOfTheManifestsIsAFieldOfItsKind() {
    // kubectl rejects unknown fields; fabric8 keeps them aside as additional properties.
    for (HasMetadata o : OBJECTS) {
      assertThat(unknownFields(o, describe(o))).as(describe(o)).isEmpty();
    }
  }

  @Test
  void everyNamespacedObjectIsInTheSuiteNamespaceWhichIsAppliedFirst() {
    // kubectl apply -f <dir> applies the files in name order, objects in file order.
    assertThat(OBJECTS.get(0)).isInstanceOf(Namespace.class);
    assertThat(OBJECTS.get(0).getMetadata().getName()).isEqualTo(NAMESPACE);
    for (HasMetadata o : OBJECTS) {
      if (o instanceof Namespaced) {
        assertThat(o.getMetadata().getNamespace()).as(describe(o)).isEqualTo(NAMESPACE);
      } else {
        assertThat(o).as(describe(o) + " is cluster-scoped").isInstanceOf(Namespace.class);
        assertThat(o.getMetadata().getName()).isEqualTo(NAMESPACE);
      }
    }
  }

  @Test
  void theS3SecretIsTheMinioLoginWithTheKeysABackupStoreReads() {
    Map<String, String> s3 = values(secret(S3_SECRET));
    assertThat(s3).containsOnlyKeys("accessKey", "secretKey");
    // MinIO refuses a root user shorter than 3 characters and a password shorter than 8.
    assertThat(s3.get("accessKey")).hasSizeGreaterThanOrEqualTo(3);
    assertThat(s3.get("secretKey")).hasSizeGreaterThanOrEqualTo(8);

    Container minio = container(deployment("minio"), "minio");
    assertThat(minio.getImage()).startsWith("quay.io/minio/minio:RELEASE.");
    assertThat(minio.getArgs()).containsExactly("server", "/data");
    assertThat(secretRef(minio, "MINIO_ROOT_USER")).isEqualTo(S3_SECRET + "/accessKey");
    assertThat(secretRef(minio, "MINIO_ROOT_PASSWORD")).isEqualTo(S3_SECRET + "/secretKey");
    String dataVolume =
        minio.getVolumeMounts().stream()
            .filter(m -> m.getMountPath().equals("/data"))
            .map(VolumeMount::getName)
            .findFirst()
            .orElseThrow();
    assertThat(volume(deployment("minio"), dataVolume).getEmptyDir()).isNotNull();
  }

  @Test
  void theBucketJobCreatesTheSuiteBucketOnTheSuiteEndpoint() {
    Job job = job("minio-bucket");
    Container mc = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(mc.getImage()).startsWith("quay.io/minio/mc:RELEASE.");
    String script = String.join(" ", commandLine(mc));
    assertThat(script).contains("mc mb --ignore-existing e2e/" + BUCKET);
    // The alias e2e: the suite's endpoint, with the S3 Secret's keys expanded by Kubernetes.
    assertThat(secretRef(mc, "S3_ACCESS_KEY")).isEqualTo(S3_SECRET + "/accessKey");
    assertThat(secretRef(mc, "S3_SECRET_KEY")).isEqualTo(S3_SECRET + "/secretKey");
    assertThat(env(mc, "MC_HOST_e2e").getValue())
        .isEqualTo("http://$(S3_ACCESS_KEY):$(S3_SECRET_KEY)@" + S3_ENDPOINT_HOST_PORT);
    // $(NAME) expands only variables defined before it.
    List<String> names = mc.getEnv().stream().map(EnvVar::getName).toList();
    assertThat(names.indexOf("MC_HOST_e2e"))
        .isGreaterThan(names.indexOf("S3_ACCESS_KEY"))
        .isGreaterThan(names.indexOf("S3_SECRET_KEY"));
    assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isIn("Never", "OnFailure");
  }

  @Test
  void theDatabaseSecretIsTheLoginTheInitScriptCreatesAndTheSuiteDefaultsTo() {
    Map<String, String> db = values(secret(DB_SECRET));
    assertThat(db).containsOnlyKeys("username", "password");
    assertThat(db).containsEntry("username", DB_USERNAME).containsEntry("password", DB_PASSWORD);

    String sql = initScripts();
    Matcher user =
        Pattern.compile(
                "CREATE USER (?:IF NOT EXISTS )?'([^']+)'@'%' IDENTIFIED BY '([^']*)'",
                Pattern.CASE_INSENSITIVE)
            .matcher(sql);
    assertThat(user.find()).as("CREATE USER ... IDENTIFIED BY in %s", sql).isTrue();
    assertThat(user.group(1)).isEqualTo(db.get("username"));
    assertThat(user.group(2)).isEqualTo(db.get("password"));
    // The suite creates and drops databases, renames tables and restores views and triggers.
    assertThat(sql)
        .containsIgnoringCase(
            "GRANT ALL PRIVILEGES ON *.* TO '" + db.get("username") + "'@'%' WITH GRANT OPTION");

    Container mariadb = container(deployment("mariadb"), "mariadb");
    assertThat(mariadb.getImage()).isEqualTo("docker.io/library/mariadb:10.11");
    String rootPassword = secretRef(mariadb, "MARIADB_ROOT_PASSWORD");
    assertThat(rootPassword).isNotNull();
    assertThat(values(secret(rootPassword.split("/")[0])).get(rootPassword.split("/")[1]))
        .isNotBlank();
  }

  @Test
  void theServicesSelectThePodsOfTheirWorkloadsOnTheirPorts() {
    assertServes(service("minio"), "ClusterIP", 9000, deployment("minio"));
    assertServes(service("mariadb"), "ClusterIP", 3306, deployment("mariadb"));
    assertServes(service("mariadb-nodeport"), "NodePort", 3306, deployment("mariadb"));
    assertThat(service("mariadb-nodeport").getSpec().getPorts().get(0).getNodePort())
        .isEqualTo(Integer.parseInt(DB_ADDRESS.split(":")[1]));
  }

  @Test
  void theServersAreReadyOnlyWhenTheyServe() {
    Probe minio = container(deployment("minio"), "minio").getReadinessProbe();
    assertThat(minio.getHttpGet().getPath()).isEqualTo("/minio/health/ready");
    assertThat(containerPort(container(deployment("minio"), "minio"), minio.getHttpGet().getPort()))
        .isEqualTo(9000);
    Probe mariadb = container(deployment("mariadb"), "mariadb").getReadinessProbe();
    assertThat(mariadb).isNotNull();
    if (mariadb.getExec() != null) {
      assertThat(mariadb.getExec().getCommand()).first().isEqualTo("healthcheck.sh");
    } else {
      assertThat(
              containerPort(
                  container(deployment("mariadb"), "mariadb"), mariadb.getTcpSocket().getPort()))
          .isEqualTo(3306);
    }
  }

  @Test
  void everySecretReferenceNamesASecretAndKeyOfTheManifests() {
    for (Workload w : workloads()) {
      for (Container c : w.containers()) {
        for (EnvVar e : c.getEnv()) {
          if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
            SecretKeySelector ref = e.getValueFrom().getSecretKeyRef();
            assertThat(values(secret(ref.getName())))
                .as("%s %s env %s", w, c.getName(), e.getName())
                .containsKey(ref.getKey());
          }
        }
      }
      for (Volume v : w.spec().getVolumes()) {
        if (v.getSecret() != null) {
          assertThat(secret(v.getSecret().getSecretName()))
              .as("%s volume %s", w, v.getName())
              .isNotNull();
        }
      }
    }
  }

  @Test
  void noContainerCarriesACredentialInItsCommandLineOrLiteralEnvironment() {
    // Every Secret value but account names (an account name is no credential, and "backup" is part
    // of "osbackup").
    List<String> credentials = new ArrayList<>();
    for (HasMetadata o : OBJECTS) {
      if (o instanceof Secret s) {
        values(s)
            .forEach(
                (key, value) -> {
                  if (!key.equals("username") && !value.isBlank()) {
                    credentials.add(value.strip());
                  }
                });
      }
    }
    assertThat(credentials).contains(DB_PASSWORD);
    for (Workload w : workloads()) {
      for (Container c : w.containers()) {
        List<String> visible = new ArrayList<>(commandLine(c));
        for (Probe p :
            new Probe[] {c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe()}) {
          if (p != null && p.getExec() != null) {
            visible.addAll(p.getExec().getCommand());
          }
        }
        c.getEnv().stream().map(EnvVar::getValue).filter(Objects::nonNull).forEach(visible::add);
        for (String text : visible) {
          for (String credential : credentials) {
            assertThat(text).as("%s container %s", w, c.getName()).doesNotContain(credential);
          }
        }
      }
    }
  }

  @Test
  void theKindClusterHasAControlPlaneAndAControllerWorker() {
    assertThat(CLUSTER)
        .containsEntry("kind", "Cluster")
        .containsEntry("apiVersion", "kind.x-k8s.io/v1alpha4");
    // The name the README's kind load and kind delete commands use.
    assertThat(CLUSTER).containsEntry("name", "osbackup-e2e");
    assertThat(nodes().stream().map(n -> n.get("role"))).containsExactly("control-plane", "worker");
    assertThat(labels(worker())).containsEntry("openstack-role", NODE_ROLE);
    // kind refuses unknown fields (its v1alpha4 types: Cluster, Node, Mount, PortMapping).
    assertThat(CLUSTER.keySet())
        .isSubsetOf("kind", "apiVersion", "name", "nodes", "networking", "featureGates");
    for (Map<String, Object> node : nodes()) {
      assertThat(node.keySet())
          .isSubsetOf("role", "image", "labels", "extraMounts", "extraPortMappings");
      maps(node.get("extraMounts"))
          .forEach(
              m ->
                  assertThat(m.keySet())
                      .isSubsetOf(
                          "containerPath",
                          "hostPath",
                          "readOnly",
                          "selinuxRelabel",
                          "propagation"));
      maps(node.get("extraPortMappings"))
          .forEach(
              m ->
                  assertThat(m.keySet())
                      .isSubsetOf("containerPort", "hostPort", "listenAddress", "protocol"));
    }
  }

  @Test
  void theHostReachesMariaDbThroughTheNodePort() {
    int nodePort = service("mariadb-nodeport").getSpec().getPorts().get(0).getNodePort();
    List<Map<String, Object>> mappings =
        nodes().stream().flatMap(n -> maps(n.get("extraPortMappings")).stream()).toList();
    assertThat(mappings)
        .anySatisfy(
            m -> {
              assertThat(m.get("containerPort")).isEqualTo(nodePort);
              assertThat(m.get("listenAddress") + ":" + m.get("hostPort")).isEqualTo(DB_ADDRESS);
              assertThat(m.getOrDefault("protocol", "TCP")).isEqualTo("TCP");
            });
  }

  @Test
  void theControllerHoldsKeystoneFromAFolderOfTheRepository() {
    for (Map<String, Object> node : nodes()) {
      for (Map<String, Object> mount : maps(node.get("extraMounts"))) {
        String hostPath = (String) mount.get("hostPath");
        String containerPath = (String) mount.get("containerPath");
        // Relative, so the config works from any checkout (kind create cluster runs from the root).
        assertThat(Path.of(hostPath)).as(hostPath).isRelative();
        assertThat(REPOSITORY.resolve(hostPath)).as(hostPath).isDirectory();
        // node-files mirrors the node's tree: node-files/etc/keystone is the node's /etc/keystone.
        assertThat(hostPath).endsWith(containerPath);
      }
    }
    Map<String, Object> keystone =
        maps(worker().get("extraMounts")).stream()
            .filter(m -> "/etc/keystone".equals(m.get("containerPath")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("the controller worker mounts no /etc/keystone"));
    assertThat(keystone.get("readOnly")).isIn(null, false);
    Path etcKeystone = REPOSITORY.resolve((String) keystone.get("hostPath"));
    assertThat(etcKeystone.resolve("keystone.conf")).isRegularFile();
    assertThat(etcKeystone.resolve("fernet-keys/0")).isRegularFile();
  }

  // ---- the manifests

  private static Path kindDirectory() {
    // Maven runs the tests in the module directory; an IDE may run them from the repository root.
    for (Path candidate : List.of(Path.of("kind"), Path.of("e2e", "kind"))) {
      if (Files.isDirectory(candidate.resolve("manifests"))) {
        return candidate.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException(
        "no kind/manifests or e2e/kind/manifests below " + Path.of("").toAbsolutePath());
  }

  private static List<HasMetadata> manifests() {
    List<HasMetadata> objects = new ArrayList<>();
    try (Stream<Path> files = Files.walk(KIND.resolve("manifests"))) {
      for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          Object parsed = Serialization.unmarshal(in);
          if (parsed instanceof List<?> list) {
            list.forEach(o -> objects.add((HasMetadata) o));
          } else if (parsed instanceof KubernetesList list) {
            objects.addAll(list.getItems());
          } else {
            objects.add((HasMetadata) parsed);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return objects;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> kindConfig() {
    try {
      String yaml = Files.readString(KIND.resolve("cluster/kind-config.yaml"));
      return Serialization.unmarshal(yaml, Map.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The paths of the fields a model object (and every object below it) did not recognise. */
  private static List<String> unknownFields(Object value, String path) {
    List<String> unknown = new ArrayList<>();
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        unknown.addAll(unknownFields(list.get(i), path + "[" + i + "]"));
      }
    } else if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknown.addAll(unknownFields(v, path + "." + k)));
    } else if (value != null
        && value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
      for (Method getter : value.getClass().getMethods()) {
        if (getter.getParameterCount() != 0
            || !getter.getName().startsWith("get")
            || getter.getDeclaringClass() == Object.class) {
          continue;
        }
        Object field;
        try {
          field = getter.invoke(value);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
        if (getter.getName().equals("getAdditionalProperties")) {
          ((Map<?, ?>) field).keySet().forEach(k -> unknown.add(path + "." + k));
        } else {
          unknown.addAll(unknownFields(field, path + "." + getter.getName().substring(3)));
        }
      }
    }
    return unknown;
  }

  private static <T extends HasMetadata> T find(Class<T> type, String name) {
    return OBJECTS.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  private static Secret secret(String name) {
    return find(Secret.class, name);
  }

  private static Service service(String name) {
    return find(Service.class, name);
  }

  private static Deployment deployment(String name) {
    return find(Deployment.class, name);
  }

  private static Job job(String name) {
    return find(Job.class, name);
  }

  /** A Secret's values, from data (base64) and stringData. */
  private static Map<String, String> values(Secret secret) {
    Map<String, String> values = new LinkedHashMap<>();
    if (secret.getData() != null) {
      secret
          .getData()
          .forEach(
              (k, v) ->
                  values.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    if (secret.getStringData() != null) {
      values.putAll(secret.getStringData());
    }
    return values;
  }

  /** The SQL of the Secret the mariadb Deployment mounts at /docker-entrypoint-initdb.d. */
  private static String initScripts() {
    Deployment mariadb = deployment("mariadb");
    String volume =
        container(mariadb, "mariadb").getVolumeMounts().stream()
            .filter(m -> m.getMountPath().equals("/docker-entrypoint-initdb.d"))
            .map(VolumeMount::getName)
            .findFirst()
            .orElseThrow(
                () -> new AssertionError("mariadb mounts nothing at /docker-entrypoint-initdb.d"));
    Volume init = volume(mariadb, volume);
    assertThat(init.getSecret()).as("the init scripts come from a Secret").isNotNull();
    Map<String, String> scripts = values(secret(init.getSecret().getSecretName()));
    assertThat(scripts.keySet()).allMatch(k -> k.endsWith(".sql"));
    return String.join("\n", scripts.values());
  }

  private static void assertServes(Service service, String type, int port, Deployment workload) {
    String name = service.getMetadata().getName();
    assertThat(Objects.requireNonNullElse(service.getSpec().getType(), "ClusterIP"))
        .as(name)
        .isEqualTo(type);
    assertThat(service.getSpec().getPorts()).as(name).hasSize(1);
    ServicePort servicePort = service.getSpec().getPorts().get(0);
    assertThat(servicePort.getPort()).as(name).isEqualTo(port);
    Map<String, String> selector = service.getSpec().getSelector();
    assertThat(selector).as(name + " selector").isNotEmpty();
    assertThat(workload.getSpec().getTemplate().getMetadata().getLabels())
        .as(name + " selects the pods of " + workload.getMetadata().getName())
        .containsAllEntriesOf(selector);
    // The Deployment's own selector picks the same pods.
    assertThat(workload.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(workload.getSpec().getSelector().getMatchLabels());
    IntOrString target =
        servicePort.getTargetPort() != null ? servicePort.getTargetPort() : new IntOrString(port);
    Container container = workload.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(containerPort(container, target)).as(name + " target port").isEqualTo(port);
  }

  /** The container port a probe or Service port names, by number or by name; null if none. */
  private static Integer containerPort(Container container, IntOrString port) {
    for (ContainerPort p : container.getPorts()) {
      if (port.getIntVal() != null
          ? port.getIntVal().equals(p.getContainerPort())
          : port.getStrVal().equals(p.getName())) {
        return p.getContainerPort();
      }
    }
    return null;
  }

  private static Container container(Deployment deployment, String name) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError(
                    "no container " + name + " in " + deployment.getMetadata().getName()));
  }

  private static Volume volume(Deployment deployment, String name) {
    return deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError(
                    "no volume " + name + " in " + deployment.getMetadata().getName()));
  }

  private static EnvVar env(Container container, String name) {
    return container.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no env " + name + " in container " + container.getName()));
  }

  /** {@code <secret>/<key>} an environment variable takes its value from, or null. */
  private static String secretRef(Container container, String name) {
    EnvVar e = env(container, name);
    if (e.getValueFrom() == null || e.getValueFrom().getSecretKeyRef() == null) {
      return null;
    }
    return e.getValueFrom().getSecretKeyRef().getName()
        + "/"
        + e.getValueFrom().getSecretKeyRef().getKey();
  }

  private static List<String> commandLine(Container container) {
    List<String> line = new ArrayList<>(container.getCommand());
    line.addAll(container.getArgs());
    return line;
  }

  /** A pod template of the manifests, with what owns it. */
  private record Workload(HasMetadata owner, PodSpec spec) {
    List<Container> containers() {
      List<Container> all = new ArrayList<>(spec.getInitContainers());
      all.addAll(spec.getContainers());
      return all;
    }

    @Override
    public String toString() {
      return describe(owner);
    }
  }

  private static List<Workload> workloads() {
    List<Workload> workloads = new ArrayList<>();
    for (HasMetadata o : OBJECTS) {
      PodTemplateSpec template = null;
      if (o instanceof Deployment d) {
        template = d.getSpec().getTemplate();
      } else if (o instanceof StatefulSet s) {
        template = s.getSpec().getTemplate();
      } else if (o instanceof DaemonSet d) {
        template = d.getSpec().getTemplate();
      } else if (o instanceof Job j) {
        template = j.getSpec().getTemplate();
      }
      if (template != null) {
        workloads.add(new Workload(o, template.getSpec()));
      } else if (o instanceof Pod pod) {
        workloads.add(new Workload(o, pod.getSpec()));
      }
    }
    assertThat(workloads).isNotEmpty();
    return workloads;
  }

  private static String describe(HasMetadata o) {
    return o.getKind() + " " + o.getMetadata().getName();
  }

  // ---- the kind config

  private static List<Map<String, Object>> nodes() {
    return maps(CLUSTER.get("nodes"));
  }

  private static Map<String, Object> worker() {
    List<Map<String, Object>> workers =
        nodes().stream().filter(n -> "worker".equals(n.get("role"))).toList();
    assertThat(workers).hasSize(1);
    return workers.get(0);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> labels(Map<String, Object> node) {
    return node.get("labels") instanceof Map<?, ?> labels ? (Map<String, String>) labels : Map.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> maps(Object list) {
    return list == null ? List.of() : (List<Map<String, Object>>) list;
  }
}
