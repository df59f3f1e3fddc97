package io.osbackup.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.OAuthTokenProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler, started as processes of the {@code kubelocal} binary that {@code
 * e2e/control-plane} builds from {@code k8s.io/kubernetes} (see its build.sh). It stops when {@link
 * #close()} is called or when this JVM ends (kubelocal watches its standard input, which closes
 * with the JVM).
 *
 * <p>Tests of the API alone share one per JVM ({@link #shared()}) and take a namespace each ({@link
 * #namespace(String)}); a {@link LocalCluster} (operator, nodes, kubelet) starts its own.
 */
public final class ControlPlane implements AutoCloseable {

  /** Where the Maven build puts kubelocal; {@code -Dosbackup.kubelocal=<path>} names another. */
  public static final String BINARY_PROPERTY = "osbackup.kubelocal";

  private static final Duration STARTUP = Duration.ofSeconds(240);
  private static final AtomicInteger NAMESPACES = new AtomicInteger();
  private static ControlPlane shared;

  private final Process process;
  private final Path dir;
  private final String server;
  private final Path kubeconfig;
  private final Duration startup;
  private final KubernetesClient admin;

  private ControlPlane(Process process, Path dir, JsonNode ready) throws IOException {
    this.process = process;
    this.dir = dir;
    this.server = ready.path("server").asText();
    this.kubeconfig = Path.of(ready.path("kubeconfig").asText());
    this.startup = Duration.ofMillis((long) (ready.path("startupSeconds").asDouble() * 1000));
    this.admin = new KubernetesClientBuilder().withConfig(adminConfig()).build();
  }

  /** The kubelocal binary: {@code -Dosbackup.kubelocal}, else where e2e's build puts it. */
  public static Path binary() {
    String configured = System.getProperty(BINARY_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath();
    }
    for (Path candidate :
        List.of(Path.of("target/kubelocal/kubelocal"), Path.of("e2e/target/kubelocal/kubelocal"))) {
      if (Files.isExecutable(candidate)) {
        return candidate.toAbsolutePath();
      }
    }
    return Path.of("e2e/target/kubelocal/kubelocal").toAbsolutePath();
  }

  /** Why no control plane can start here, or empty when the binary is there. */
  public static Optional<String> unavailable() {
    Path binary = binary();
    if (Files.isExecutable(binary)) {
      return Optional.empty();
    }
    return Optional.of(
        "no kubelocal at "
            + binary
            + ": it is built by the e2e module's build (mvn -pl e2e -am"
            + " package) when Go 1.26 or later is installed (Debian: apt-get install golang-1.26), see"
            + " e2e/control-plane/build.sh");
  }

  /** The control plane of this JVM, started on first use and stopped when the JVM ends. */
  public static synchronized ControlPlane shared() {
    if (shared == null) {
      try {
        Path dir = Files.createTempDirectory("osbackup-kubelocal-");
        shared = start(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "kubelocal-stop"));
    }
    return shared;
  }

  /** Starts a control plane keeping its certificates, etcd data and logs in {@code dir}. */
  public static ControlPlane start(Path dir) throws IOException {
    unavailable()
        .ifPresent(
            reason -> {
              throw new IllegalStateException(reason);
            });
    Files.createDirectories(dir);
    Path log = dir.resolve("kubelocal-up.log");
    Process process =
        new ProcessBuilder(binary().toString(), "up", "--dir", dir.toString(), "--exit-with-stdin")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    Path ready = dir.resolve("ready.json");
    Instant deadline = Instant.now().plus(STARTUP);
    try {
      while (!Files.exists(ready)) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "kubelocal up ended with exit code "
                  + process.exitValue()
                  + ": "
                  + Files.readString(log).strip());
        }
        if (Instant.now().isAfter(deadline)) {
          process.destroy();
          throw new IllegalStateException(
              "the control plane did not start in "
                  + STARTUP.toSeconds()
                  + " s; see "
                  + log
                  + " and "
                  + dir.resolve("logs"));
        }
        Thread.sleep(100);
      }
      return new ControlPlane(process, dir, new ObjectMapper().readTree(ready.toFile()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
      throw new IllegalStateException("interrupted while the control plane started", e);
    }
  }

  /** The API server's URL, {@code https://127.0.0.1:<port>}. */
  public String server() {
    return server;
  }

  /** The admin kubeconfig (a system:masters client certificate), for kubectl and local mode. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** How long {@code kubelocal up} took until every component served. */
  public Duration startup() {
    return startup;
  }

  /** The directory holding certificates, etcd's data and each component's log ({@code logs/}). */
  public Path dir() {
    return dir;
  }

  /** A client with the admin's rights: for fixtures only, never for the operator under test. */
  public KubernetesClient admin() {
    return admin;
  }

  /** A new namespace named {@code prefix-<n>}, made by the admin. */
  public String namespace(String prefix) {
    String name = prefix + "-" + NAMESPACES.incrementAndGet();
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }

  /**
   * Applies (server-side) every CRD of {@code dir} and waits until the server has established each:
   * its schema is structural and its rules within the CEL cost budget, or the server says why not.
   */
  public void installCrds(Path dir) throws IOException {
    List<CustomResourceDefinition> crds = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          crds.add(admin.apiextensions().v1().customResourceDefinitions().load(in).item());
        }
      }
    }
    installCrds(crds);
  }

  /** {@link #installCrds(Path)} for CRDs already read. */
  public void installCrds(List<CustomResourceDefinition> crds) {
    List<String> names = new ArrayList<>();
    for (CustomResourceDefinition crd : crds) {
      admin
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(crd)
          .fieldManager("osbackup-tests")
          .forceConflicts()
          .serverSideApply();
      names.add(crd.getMetadata().getName());
    }
    Instant deadline = Instant.now().plusSeconds(60);
    for (String name : names) {
      while (true) {
        CustomResourceDefinition crd =
            admin.apiextensions().v1().customResourceDefinitions().withName(name).get();
        List<CustomResourceDefinitionCondition> conditions =
            crd.getStatus() == null ? List.of() : crd.getStatus().getConditions();
        if (conditions.stream()
            .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"))) {
          break;
        }
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("CRD " + name + " was not established: " + conditions);
        }
        sleep(Duration.ofMillis(100));
      }
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * A client authenticated as ServiceAccount {@code namespace/name} by tokens from the TokenRequest
   * API, as a pod of that account would be: it has exactly the rights RBAC gives the account. Like
   * a pod's projected token, the token is renewed before it expires (hourly tokens, a new one after
   * 45 minutes), so a long local mode keeps working.
   */
  public KubernetesClient clientAs(String namespace, String serviceAccount) {
    Object lock = new Object();
    String[] token = new String[1];
    Instant[] renewAt = new Instant[1];
    OAuthTokenProvider renewing =
        () -> {
          synchronized (lock) {
            if (token[0] == null || Instant.now().isAfter(renewAt[0])) {
              token[0] = token(namespace, serviceAccount);
              renewAt[0] = Instant.now().plus(Duration.ofMinutes(45));
            }
            return token[0];
          }
        };
    Config config =
        new ConfigBuilder(adminConfig())
            .withClientCertData(null)
            .withClientKeyData(null)
            .withClientCertFile(null)
            .withClientKeyFile(null)
            .withOauthTokenProvider(renewing)
            .withNamespace(namespace)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /**
   * Writes a kubeconfig for ServiceAccount {@code namespace/name} (a TokenRequest token, valid for
   * an hour) to {@code file}: what a process given {@code KUBECONFIG=file} runs as, like a pod of
   * that account.
   */
  public Path writeKubeconfigAs(String namespace, String serviceAccount, Path file)
      throws IOException {
    String token = token(namespace, serviceAccount);
    String ca =
        java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("pki/ca.crt")));
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kubelocal
          cluster: {server: "%s", certificate-authority-data: %s}
        users:
        - name: %s
          user: {token: %s}
        contexts:
        - name: kubelocal
          context: {cluster: kubelocal, user: %s, namespace: %s}
        current-context: kubelocal
        """
            .formatted(server, ca, serviceAccount, token, serviceAccount, namespace));
    return file;
  }

  private String token(String namespace, String serviceAccount) {
    TokenRequest request =
        new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build();
    return admin
        .serviceAccounts()
        .inNamespace(namespace)
        .withName(serviceAccount)
        .tokenRequest(request)
        .getStatus()
        .getToken();
  }

  /**
   * The command line of kubectl as kubelocal carries it (the same Kubernetes release as the
   * server), for {@code kubeconfig}: {@code kubelocal kubectl --kubeconfig <file>}, then the
   * caller's arguments.
   */
  public static List<String> kubectl(Path kubeconfig) {
    return new ArrayList<>(
        List.of(binary().toString(), "kubectl", "--kubeconfig", kubeconfig.toString()));
  }

  /**
   * The API server's audit log: one JSON line per request (user, verb, object, response code), no
   * bodies.
   */
  public Path auditLog() {
    return dir.resolve("logs/audit.log");
  }

  private Config adminConfig() {
    try {
      return Config.fromKubeconfig(Files.readString(kubeconfig));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops every component (kubelocal stops them when its standard input closes). */
  @Override
  public void close() {
    admin.close();
    try {
      process.getOutputStream().close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
