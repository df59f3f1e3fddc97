package io.osbackup.e2e;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.testbed.S3Server;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * The osbackup objects of the ITs' namespace {@value #NS} on a test cluster: builds Secrets,
 * BackupStores on the test S3 server, BackupPolicies and BackupRuns as a user writes them, applies
 * them, and waits for what the operator makes of them. Shared by the ITs that drive the operator.
 */
public final class TestNamespace {

  public static final String NS = "openstack";
  public static final String BUCKET = "openstack-backups";
  public static final String STORE = "primary";

  /** How long a BackupRun may take to end. */
  public static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

  private final KubernetesClient client;
  private final S3Server s3;

  public TestNamespace(KubernetesClient client, S3Server s3) {
    this.client = client;
    this.s3 = s3;
  }

  /** Closes each of {@code resources} that is there, going on past failures (for @AfterAll). */
  public static void closeAll(AutoCloseable... resources) {
    for (AutoCloseable c : resources) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the others
      }
    }
  }

  /** A Secret {@code name} holding {@code values}. */
  public static Secret secret(String name, Map<String, String> values) {
    Map<String, String> data = new LinkedHashMap<>();
    values.forEach(
        (k, v) ->
            data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withData(data)
        .build();
  }

  /** Store {@value #STORE} on bucket {@value #BUCKET}, prefix {@code prod}, Secret backup-s3. */
  public BackupStore store() {
    return store(STORE, BUCKET, "backup-s3");
  }

  /** A store on the test S3 server under prefix {@code prod}. */
  public BackupStore store(String name, String bucketName, String secret) {
    return store(name, bucketName, secret, "prod");
  }

  /**
   * A store under its own {@code prefix}: two stores on one bucket and prefix are refused
   * (PrefixOverlap).
   */
  public BackupStore store(String name, String bucketName, String secret, String prefix) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: %s, namespace: %s}
        spec:
          probeIntervalSeconds: 30
          s3: {endpoint: "%s", bucket: %s, region: %s, prefix: %s, forcePathStyle: true,
               credentialsSecret: {name: %s}}
        """
            .formatted(name, NS, s3.endpoint(), bucketName, s3.region(), prefix, secret),
        BackupStore.class);
  }

  /** The YAML of one database target on 127.0.0.1:{@code port}. */
  public static String databaseTarget(String secret, int port, String... databases) {
    return """
        databases:
          - name: galera
            host: 127.0.0.1
            port: %d
            credentialsSecret: {name: %s}
            include: [%s]
        """
        .formatted(port, secret, String.join(", ", databases));
  }

  /** A policy on store {@value #STORE}; {@code targets} is the YAML of its databases and files. */
  public static BackupPolicy policy(String name, String targets) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: %s, namespace: %s}
        spec:
          storeRef: {name: %s}
          job: {activeDeadlineSeconds: 300}
        %s
        """
            .formatted(name, NS, STORE, targets.indent(2)),
        BackupPolicy.class);
  }

  /**
   * Creates {@code object} or replaces the one of its name, as {@code kubectl apply} would (an
   * object read before it was deleted can be applied again).
   */
  public void apply(HasMetadata object) {
    object.getMetadata().setNamespace(NS);
    object.getMetadata().setResourceVersion(null);
    client.resource(object).inNamespace(NS).createOr(existing -> existing.update());
  }

  /** Creates BackupRun {@code name} of {@code policy}. */
  public void createRun(String policy, String name) {
    BackupRun run =
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupRun
            metadata: {name: %s, namespace: %s}
            spec: {policyRef: {name: %s}}
            """
                .formatted(name, NS, policy),
            BackupRun.class);
    client.resource(run).inNamespace(NS).create();
  }

  /** Creates BackupRun {@code name} of {@code policy} and waits until it ended. */
  public BackupRun runAndAwait(String policy, String name) {
    createRun(policy, name);
    return awaitEnd(name);
  }

  /** Waits (at most {@link #RUN_TIMEOUT}) until BackupRun {@code name} is in a final phase. */
  public BackupRun awaitEnd(String name) {
    AtomicReference<BackupRun> last = new AtomicReference<>();
    await()
        .atMost(RUN_TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              BackupRun run =
                  client.resources(BackupRun.class).inNamespace(NS).withName(name).get();
              last.set(run);
              return run != null
                  && run.getStatus() != null
                  && run.getStatus().getPhase() != null
                  && run.getStatus().getPhase().isFinal();
            });
    return last.get();
  }

  /** Waits (at most 60 s) until store {@value #STORE}'s status meets {@code condition}. */
  public BackupStore awaitStore(Predicate<BackupStoreStatus> condition) {
    return awaitStore(STORE, condition);
  }

  /** Waits (at most 60 s) until store {@code name}'s status meets {@code condition}. */
  public BackupStore awaitStore(String name, Predicate<BackupStoreStatus> condition) {
    AtomicReference<BackupStore> last = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              BackupStore store =
                  client.resources(BackupStore.class).inNamespace(NS).withName(name).get();
              last.set(store);
              return store != null
                  && store.getStatus() != null
                  && condition.test(store.getStatus());
            });
    return last.get();
  }

  /** Waits until store {@code name}'s Available condition has status {@code expected}. */
  public BackupStore awaitStoreAvailable(String name, String expected) {
    return awaitStore(
        name,
        status ->
            status
                .condition(BackupStoreStatus.AVAILABLE)
                .map(c -> expected.equals(c.getStatus()))
                .orElse(false));
  }

  /**
   * Events about this very object (by uid: a deleted and re-created object's old Events do not
   * count), as {@code reason: message}.
   */
  public List<String> eventsOf(HasMetadata object) {
    return events(e -> object.getMetadata().getUid().equals(e.getInvolvedObject().getUid()));
  }

  /** Events about any object of this one's name, as {@code reason: message}. */
  public List<String> eventsNamed(HasMetadata object) {
    return events(e -> object.getMetadata().getName().equals(e.getInvolvedObject().getName()));
  }

  private List<String> events(Predicate<io.fabric8.kubernetes.api.model.Event> about) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(about)
        .map(e -> e.getReason() + ": " + e.getMessage())
        .toList();
  }
}
