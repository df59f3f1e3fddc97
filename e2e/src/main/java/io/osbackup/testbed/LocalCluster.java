package io.osbackup.testbed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.osbackup.operator.OsbackupOperator;
import io.osbackup.operator.reconcile.OperatorSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kubernetes cluster on one machine: a real control plane ({@link ControlPlane}: etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler) with the osbackup CRDs, simulated Nodes
 * with a folder each served by the {@link LocalKubelet}, and the real operator, running as the
 * chart's ServiceAccount with the chart's RBAC ({@link ChartRbac}): the server refuses any call the
 * chart does not allow. Each cluster has its own control plane, so a test starts from an empty
 * cluster: the operator under test watches every namespace and Nodes are cluster-wide, so two tests
 * sharing one server would see each other's objects. Starting one takes about 4 s.
 *
 * <p>Where kubelocal cannot be built (no Go), {@link Backend#MOCK} is the fabric8 mock API server
 * in CRUD mode with the {@link LocalJobRunner} playing Job controller and kubelet: it validates
 * nothing, enforces no RBAC and runs no controllers, so only local mode falls back to it, with a
 * warning. System property {@value #BACKEND_PROPERTY} ({@code real} or {@code mock}) chooses; the
 * tests set {@code real}, so a suite without kubelocal fails instead of passing on the mock.
 */
public final class LocalCluster implements AutoCloseable {

  /** {@code real} (the default where kubelocal is built) or {@code mock}. */
  public static final String BACKEND_PROPERTY = "osbackup.kubernetes";

  /** Which API server a cluster runs on. */
  public enum Backend {
    /**
     * kubelocal's etcd, kube-apiserver, controller manager and scheduler, with the {@link
     * LocalKubelet}.
     */
    REAL,
    /** fabric8's CRUD mock with the {@link LocalJobRunner}. */
    MOCK;

    /**
     * What {@value #BACKEND_PROPERTY} asks for; without it REAL where kubelocal is built, else
     * MOCK.
     */
    public static Backend configured() {
      String value = System.getProperty(BACKEND_PROPERTY, "");
      return switch (value) {
        case "real" -> REAL;
        case "mock" -> MOCK;
        case "" -> ControlPlane.unavailable().isEmpty() ? REAL : MOCK;
        default ->
            throw new IllegalArgumentException(
                "-D"
                    + BACKEND_PROPERTY
                    + "="
                    + value
                    + ": say real (kubelocal) or mock (fabric8's CRUD mock)");
      };
    }
  }

  /**
   * The mock API server logs every request at INFO through java.util.logging; held so the level
   * sticks.
   */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
  private static final List<String> CRDS =
      List.of("backupstores", "backuppolicies", "backupruns", "restorerequests");

  private final Backend backend;
  private final ControlPlane controlPlane;
  private final KubernetesMockServer server;
  private final LocalApiDispatcher dispatcher;
  private final KubernetesClient client;

  /**
   * What the operator runs as: the chart's ServiceAccount on the real control plane, the mock's
   * client on it.
   */
  private final KubernetesClient operatorClient;

  private final SimulatedNodes nodes;
  private final LocalJobRunner runner;
  private final LocalKubelet kubelet;
  private final Path jobsDir;
  private final OperatorSettings settings;
  private Operator operator;
  private LocalAdmission admission;

  private LocalCluster(Builder options) throws IOException {
    Path workDir = options.workDir;
    Map<String, String> agentEnv = options.agentEnv;
    this.settings = options.settings;
    this.backend = options.backend;
    this.jobsDir = workDir.resolve("jobs");
    Files.createDirectories(workDir);
    List<CustomResourceDefinition> crds = new ArrayList<>();
    for (String plural : CRDS) {
      String resource = "/META-INF/fabric8/" + plural + ".osbackup.io-v1.yml";
      try (InputStream in = LocalCluster.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("CRD " + resource + " is not on the classpath");
        }
        crds.add(Serialization.unmarshal(in, CustomResourceDefinition.class));
      }
    }
    if (backend == Backend.REAL) {
      controlPlane = ControlPlane.start(workDir.resolve("kubelocal"));
      server = null;
      dispatcher = null;
      client = controlPlane.admin();
      controlPlane.installCrds(crds);
      // the operator runs as the chart's ServiceAccount with the chart's RBAC, never as admin
      ChartRbac.apply(client, ChartRbac.render("{}"));
      operatorClient = controlPlane.clientAs(ChartRbac.NAMESPACE, ChartRbac.SERVICE_ACCOUNT);
      nodes = new SimulatedNodes(client, workDir.resolve("nodes"));
      kubelet =
          LocalKubelet.builder()
              .client(client)
              .workDir(jobsDir)
              .nodes(nodes)
              .env(agentEnv)
              .jvmOptions(options.podJvmOptions)
              .pki(controlPlane.dir().resolve("pki"))
              .start();
      runner = null;
      LOG.info(
          "local cluster on a real control plane at {} (started in {} ms)",
          controlPlane.server(),
          controlPlane.startup().toMillis());
    } else {
      controlPlane = null;
      dispatcher = new LocalApiDispatcher();
      server =
          new KubernetesMockServer(
              new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
      server.init(InetAddress.getLoopbackAddress(), 0);
      client = server.createClient();
      operatorClient = client;
      for (CustomResourceDefinition crd : crds) {
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        dispatcher.serve(crd);
      }
      nodes = new SimulatedNodes(client, workDir.resolve("nodes"));
      runner =
          LocalJobRunner.builder()
              .client(client)
              .workDir(jobsDir)
              .nodes(nodes)
              .env(agentEnv)
              .jvmOptions(options.podJvmOptions)
              .start();
      kubelet = null;
      LOG.warn(
          "local cluster on fabric8's CRUD mock API server: no validation, no RBAC, no controllers");
    }
  }

  /**
   * Starts the API server ({@link Backend#configured()}), the node side and the operator.
   *
   * @param agentEnv environment added to every agent process (for example {@code
   *     OSBACKUP_DUMP_COMMAND})
   */
  public static LocalCluster start(
      Path workDir, OperatorSettings settings, Map<String, String> agentEnv) throws IOException {
    return builder(workDir).settings(settings).agentEnv(agentEnv).start();
  }

  /** {@link #start(Path, OperatorSettings, Map)} on the given backend. */
  public static LocalCluster start(
      Path workDir, OperatorSettings settings, Map<String, String> agentEnv, Backend backend)
      throws IOException {
    return builder(workDir).settings(settings).agentEnv(agentEnv).backend(backend).start();
  }

  /**
   * A cluster below {@code workDir}, with more choices than {@link #start(Path, OperatorSettings,
   * Map)}.
   */
  public static Builder builder(Path workDir) {
    return new Builder(workDir);
  }

  /** How a cluster starts; every choice has the default {@link #start} uses. */
  public static final class Builder {
    private final Path workDir;
    private OperatorSettings settings = OperatorSettings.defaults();
    private Map<String, String> agentEnv = Map.of();
    private Backend backend = Backend.configured();
    private String[] podJvmOptions = {"-XX:+UseSerialGC"};
    private boolean startOperator = true;

    private Builder(Path workDir) {
      this.workDir = workDir;
    }

    /** The operator's settings; default {@link OperatorSettings#defaults()}. */
    public Builder settings(OperatorSettings settings) {
      this.settings = settings;
      return this;
    }

    /**
     * Environment added to every agent process (for example {@code OSBACKUP_DUMP_COMMAND}); default
     * none.
     */
    public Builder agentEnv(Map<String, String> agentEnv) {
      this.agentEnv = agentEnv;
      return this;
    }

    /** The API server; default {@link Backend#configured()}. */
    public Builder backend(Backend backend) {
      this.backend = backend;
      return this;
    }

    /** JVM options of every pod's process; default {@code -XX:+UseSerialGC}. */
    public Builder podJvmOptions(String... options) {
      this.podJvmOptions = options.clone();
      return this;
    }

    /**
     * Whether {@link #start()} starts the operator; default true. Without, the caller fills the
     * cluster first and starts it with {@link LocalCluster#startOperator()}.
     */
    public Builder startOperator(boolean startOperator) {
      this.startOperator = startOperator;
      return this;
    }

    /** Starts the API server, the node side and (unless told not to) the operator. */
    public LocalCluster start() throws IOException {
      LocalCluster cluster = new LocalCluster(this);
      if (startOperator) {
        cluster.startOperator();
      }
      return cluster;
    }
  }

  public KubernetesClient client() {
    return client;
  }

  public Backend backend() {
    return backend;
  }

  /** The real control plane; empty on the mock. */
  public Optional<ControlPlane> controlPlane() {
    return Optional.ofNullable(controlPlane);
  }

  public SimulatedNodes nodes() {
    return nodes;
  }

  /**
   * Creates namespace {@code name} unless it exists (the mock needs none; a real server refuses
   * objects without).
   */
  public LocalCluster namespace(String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .createOr(NonDeletingOperation::update);
    return this;
  }

  /**
   * The folder that plays PersistentVolumeClaim {@code claim} of {@code namespace} for the pods
   * that mount it.
   */
  public Path volumeDir(String namespace, String claim) {
    return PodLaunch.volumeDir(jobsDir, namespace, claim);
  }

  /**
   * A PersistentVolumeClaim {@code namespace/name} of 1 GiB, bound to a PersistentVolume whose
   * hostPath is the folder that plays it ({@link #volumeDir}): the real scheduler places a pod only
   * once its claims are bound, which the PersistentVolume binder does. Returns the folder.
   */
  public Path claim(String namespace, String name) throws IOException {
    Path dir = Files.createDirectories(volumeDir(namespace, name));
    String volume = "local-" + namespace + "-" + name;
    Quantity size = new Quantity("1Gi");
    if (backend == Backend.REAL) {
      client
          .persistentVolumes()
          .resource(
              new PersistentVolumeBuilder()
                  .withNewMetadata()
                  .withName(volume)
                  .endMetadata()
                  .withNewSpec()
                  .withCapacity(Map.of("storage", size))
                  .withAccessModes("ReadWriteOnce", "ReadOnlyMany")
                  .withStorageClassName("")
                  .withPersistentVolumeReclaimPolicy("Retain")
                  .withNewHostPath()
                  .withPath(dir.toString())
                  .withType("Directory")
                  .endHostPath()
                  .withNewClaimRef()
                  .withNamespace(namespace)
                  .withName(name)
                  .endClaimRef()
                  .endSpec()
                  .build())
          .create();
    }
    client
        .persistentVolumeClaims()
        .inNamespace(namespace)
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName("")
                .withVolumeName(backend == Backend.REAL ? volume : null)
                .withNewResources()
                .withRequests(Map.of("storage", size))
                .endResources()
                .endSpec()
                .build())
        .create();
    return dir;
  }

  /** Where the stdout and stderr of a pod go. */
  public Path logOf(String namespace, String pod) {
    return kubelet != null ? kubelet.logOf(namespace, pod) : runner.logOf(namespace, pod);
  }

  /** The mock's Job runner; only on {@link Backend#MOCK}. */
  public LocalJobRunner runner() {
    if (runner == null) {
      throw new IllegalStateException(
          "the real control plane runs Jobs with its own controllers: no runner");
    }
    return runner;
  }

  /**
   * Has every create, update and patch of a namespaced object (as {@code kubectl apply} sends them)
   * pass {@code rewrite} before it is stored; it returns what it changed, one line each. On the
   * real control plane through a mutating admission webhook ({@link LocalAdmission}): Secrets and
   * osbackup resources only.
   */
  public void rewriteWrites(WriteRewrite rewrite) throws IOException {
    if (dispatcher != null) {
      dispatcher.rewriteWrites(rewrite);
      return;
    }
    if (admission != null) {
      admission.close();
    }
    // a real API server changes writes through a mutating admission webhook
    admission = LocalAdmission.start(client, controlPlane.dir().resolve("pki"), rewrite);
  }

  /** Changes a write's body before the API server stores it. */
  public interface WriteRewrite {
    /**
     * Changes {@code body}, the object or patch written to {@code kind/name}; returns what changed,
     * one line each.
     */
    List<String> rewrite(String kind, String name, ObjectNode body);
  }

  /** The API server's URL. */
  public String apiUrl() {
    return client.getMasterUrl().toString();
  }

  /**
   * Writes a kubeconfig for the API server to {@code file}, with {@code namespace} as the default:
   * {@code kubectl --kubeconfig <file> get backupruns} then works. On the real control plane it is
   * the admin's (a client certificate); the mock takes plain HTTP without credentials.
   */
  public Path writeKubeconfig(Path file, String namespace) throws IOException {
    if (controlPlane != null) {
      String admin = Files.readString(controlPlane.kubeconfig());
      Files.writeString(
          file,
          admin.replaceFirst("(?m)^(\\s*)(cluster: \\S+)$", "$1$2\n$1namespace: " + namespace));
      if (!namespace.equals(Config.fromKubeconfig(Files.readString(file)).getNamespace())) {
        throw new IllegalStateException("could not set the namespace in " + file);
      }
      return file;
    }
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
    operator = OsbackupOperator.create(operatorClient, settings);
    operator.start();
  }

  /** Stops the operator at once, wherever it is: what a crash or a rolling update does. */
  public synchronized void stopOperator() {
    if (operator != null) {
      operator.stop();
      operator = null;
    }
  }

  /**
   * The operator's requests the API server refused (403: RBAC the chart lacks), from its audit log:
   * verb, URI. Empty on the mock.
   */
  public List<String> refusedOperatorRequests() {
    if (controlPlane == null) {
      return List.of();
    }
    String account =
        "system:serviceaccount:" + ChartRbac.NAMESPACE + ":" + ChartRbac.SERVICE_ACCOUNT;
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    List<String> refused = new ArrayList<>();
    try (var lines = Files.lines(controlPlane.auditLog())) {
      for (String line : (Iterable<String>) lines::iterator) {
        var event = json.readTree(line);
        if (account.equals(event.path("user").path("username").asText())
            && event.path("responseStatus").path("code").asInt() == 403) {
          refused.add(event.path("verb").asText() + " " + event.path("requestURI").asText());
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return refused;
  }

  /**
   * Stops everything; then, on the real control plane, fails (IllegalStateException) if the API
   * server refused any request of the operator: a call the chart's RBAC does not allow fails the
   * test that closes the cluster.
   */
  @Override
  public void close() {
    List<String> refused = controlPlane == null ? List.of() : refusedOperatorRequests();
    stopOperator();
    if (admission != null) {
      admission.close();
    }
    try {
      if (runner != null) {
        runner.close();
      }
      if (kubelet != null) {
        kubelet.close();
      }
    } finally {
      if (controlPlane != null) {
        controlPlane.close();
      } else {
        client.close();
        server.destroy();
      }
      if (operatorClient != client) {
        operatorClient.close();
      }
    }
    if (!refused.isEmpty()) {
      throw new IllegalStateException(
          "the API server refused "
              + refused.size()
              + " request(s) of the operator,"
              + " which the chart's RBAC does not allow: "
              + refused);
    }
  }
}
