package io.osbackup.catalog;

import static io.osbackup.e2e.TestNamespace.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Json;
import io.osbackup.e2e.OperatorCluster;
import io.osbackup.e2e.TestNamespace;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.store.ArtifactUpload;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.LocalCluster;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disaster story: backups are taken, every osbackup resource is lost, the store is applied
 * again, and every backup comes back as a BackupRun read from its manifest. The real operator on
 * the embedded Kubernetes API, the local Job runner running the real agent, a real MariaDB and a
 * real S3 server.
 */
class DisasterRecoveryIT {

  static final String NS = "openstack";
  static final String BUCKET = "openstack-backups";
  static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir static Path work;
  static S3Server s3;
  static MariaDbServer db;
  static LocalCluster cluster;
  static KubernetesClient client;
  static TestNamespace namespace;
  static ObjectStore bucket;

  @BeforeAll
  static void start() throws Exception {
    OperatorCluster started =
        OperatorCluster.start(
            work,
            OperatorSettings.defaults()
                .withPendingTimeout(Duration.ofSeconds(2))
                .withPollInterval(Duration.ofSeconds(1)));
    s3 = started.s3;
    bucket = started.bucket;
    db = started.db;
    cluster = started.cluster;
    client = started.client;
    namespace = started.namespace;
    started.seedKeystoneAndNova();
    cluster.nodes().add("controller-1", Map.of("openstack-role", "controller"));
    Path swift = Files.createDirectories(cluster.nodes().root("controller-1").resolve("etc/swift"));
    Files.write(swift.resolve("object.ring.gz"), new byte[] {31, -117, 8, 0, 1, 2, 3});
    Files.writeString(swift.resolve("object.builder"), "builder");
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(cluster, bucket, db, s3);
  }

  @Test
  void afterEveryResourceIsLostApplyingTheStoreAgainBringsEveryBackupBack() throws Exception {
    namespace.apply(namespace.store());
    applyPolicies();
    namespace.awaitStore(
        s ->
            s.condition(BackupStoreStatus.AVAILABLE)
                .map(c -> "True".equals(c.getStatus()))
                .orElse(false));

    // Three backups of two policies; one run named by hand, so its backup id is not its name.
    List<BackupRun> originals =
        List.of(
            namespace.runAndAwait("rings", "rings-20261121-020000"),
            namespace.runAndAwait("rings", "rings-by-hand"),
            namespace.runAndAwait("keystone", "keystone-20261121-020000"));
    Map<String, List<String>> artifacts = new LinkedHashMap<>();
    long bytes = 0;
    for (BackupRun run : originals) {
      assertThat(run.getStatus().getPhase())
          .as(run.getStatus().getMessage())
          .isEqualTo(RunPhase.Succeeded);
      artifacts.put(run.getStatus().getBackupId(), describe(run.getStatus().getArtifacts()));
      bytes += run.getStatus().getSize();
    }
    assertThat(artifacts.keySet())
        .contains("rings-20261121-020000", "keystone-20261121-020000")
        .anySatisfy(
            id ->
                assertThat(id)
                    .startsWith("rings-")
                    .hasSize("rings-20261121-020000-abcdef".length()));

    // A manifest cut short, and a backup of another namespace in the same bucket: neither becomes a
    // run here.
    BackupRun first = originals.get(0);
    byte[] manifest =
        Json.MAPPER.writeValueAsBytes(
            bucket.getJson(first.getStatus().getManifestKey(), Map.class).get());
    String corrupted = "prod/" + NS + "/rings/rings-20261120-020000/manifest.json";
    write(corrupted, java.util.Arrays.copyOf(manifest, manifest.length / 2));
    write(first.getStatus().getManifestKey().replace("/" + NS + "/", "/other-ns/"), manifest);

    // The disaster: every osbackup resource is gone (and with the runs, their Jobs), the operator
    // restarts.
    cluster.stopOperator();
    for (Class<? extends HasMetadata> kind :
        List.of(BackupRun.class, BackupPolicy.class, BackupStore.class)) {
      client.resources(kind).inNamespace(NS).delete();
    }
    client.batch().v1().jobs().inNamespace(NS).delete();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                client.resources(BackupRun.class).inNamespace(NS).list().getItems().isEmpty()
                    && client
                        .resources(BackupStore.class)
                        .inNamespace(NS)
                        .list()
                        .getItems()
                        .isEmpty()
                    && client.batch().v1().jobs().inNamespace(NS).list().getItems().isEmpty());
    cluster.startOperator();

    // The store and the policies are applied again: every backup is back, as it was.
    namespace.apply(namespace.store());
    applyPolicies();
    BackupStore store =
        namespace.awaitStore(
            s -> s.getBackups() != null && s.getBackups() == 3 && s.getLastSyncTime() != null);
    assertThat(store.getStatus().getBytes()).isEqualTo(bytes);
    assertThat(
            store.getStatus().condition(BackupStoreStatus.CATALOG_SYNCED).orElseThrow().getStatus())
        .isEqualTo("True");
    List<BackupRun> found = awaitRuns(3);
    assertThat(found)
        .extracting(r -> r.getMetadata().getName())
        .containsExactlyInAnyOrderElementsOf(artifacts.keySet());
    for (BackupRun run : found) {
      var status = run.getStatus();
      String id = run.getMetadata().getName();
      BackupRun original =
          originals.stream()
              .filter(o -> id.equals(o.getStatus().getBackupId()))
              .findFirst()
              .orElseThrow();
      assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RunPhase.Succeeded);
      assertThat(status.getFoundInStore()).isTrue();
      assertThat(status.getManifestSignature())
          .as("the signing Secret outlives the store")
          .isEqualTo("Verified");
      assertThat(status.getBackupId()).isEqualTo(id);
      assertThat(status.getFolder()).isEqualTo(original.getStatus().getFolder());
      assertThat(status.getManifestKey()).isEqualTo(original.getStatus().getManifestKey());
      assertThat(status.getSize()).isEqualTo(original.getStatus().getSize());
      assertThat(describe(status.getArtifacts())).isEqualTo(artifacts.get(id));
      assertThat(status.getTasks()).isEmpty();
      assertThat(status.condition("Complete").orElseThrow().getReason()).isEqualTo("FoundInStore");
      assertThat(run.getSpec().getPolicyRef().getName())
          .isEqualTo(original.getSpec().getPolicyRef().getName());
      assertThat(run.getMetadata().getLabels())
          .containsEntry("osbackup.io/found-in-store", "true")
          .containsEntry("osbackup.io/policy", original.getSpec().getPolicyRef().getName());
      assertThat(run.getMetadata().getAnnotations())
          .containsEntry("osbackup.io/manifest", status.getManifestKey())
          .containsEntry("osbackup.io/store", "primary");
      assertThat(namespace.eventsOf(run))
          .anySatisfy(e -> assertThat(e).startsWith("FoundInStore: "));
    }
    assertThat(client.resources(BackupRun.class).inAnyNamespace().list().getItems()).hasSize(3);
    assertThat(namespace.eventsOf(store))
        .filteredOn(e -> e.startsWith("ManifestInvalid: "))
        .singleElement()
        .satisfies(e -> assertThat(e).contains(corrupted));

    // A second sync finds nothing new, and no found run was ever planned: not one Job.
    String firstSync = store.getStatus().getLastSyncTime();
    store.getSpec().setProbeIntervalSeconds(31);
    namespace.apply(store);
    store =
        namespace.awaitStore(
            s -> s.getLastSyncTime() != null && !s.getLastSyncTime().equals(firstSync));
    assertThat(store.getStatus().getBackups()).isEqualTo(3);
    assertThat(client.resources(BackupRun.class).inNamespace(NS).list().getItems()).hasSize(3);
    assertThat(namespace.eventsOf(store)).filteredOn(e -> e.startsWith("BackupFound: ")).hasSize(3);
    assertThat(namespace.eventsOf(store))
        .filteredOn(e -> e.startsWith("ManifestInvalid: "))
        .hasSize(1);
    Thread.sleep(2000);
    assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).isEmpty();
    assertThat(client.resources(BackupRun.class).inNamespace(NS).list().getItems())
        .allSatisfy(r -> assertThat(r.getStatus().getPhase()).isEqualTo(RunPhase.Succeeded));
  }

  @Test
  void aFoundRunWhoseManifestIsGoneFails() {
    namespace.apply(namespace.store());
    BackupRun run =
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupRun
            metadata:
              name: rings-20200101-000000
              namespace: %s
              annotations:
                osbackup.io/manifest: prod/%s/rings/rings-20200101-000000/manifest.json
                osbackup.io/store: primary
            spec: {policyRef: {name: rings}}
            """
                .formatted(NS, NS),
            BackupRun.class);
    client.resource(run).inNamespace(NS).create();
    BackupRun ended = namespace.awaitEnd("rings-20200101-000000");
    assertThat(ended.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(ended.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getReason()).isEqualTo("ManifestNotFound");
              assertThat(f.getMessage()).contains("rings-20200101-000000/manifest.json");
            });
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel("osbackup.io/run", "rings-20200101-000000")
                .list()
                .getItems())
        .isEmpty();
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** What a user compares: each artifact's key, size, SHA-256 and what it holds. */
  static List<String> describe(List<ArtifactStatus> artifacts) {
    return artifacts.stream()
        .map(
            a ->
                a.getKey()
                    + " "
                    + a.getSize()
                    + " "
                    + a.getSha256()
                    + " "
                    + a.getTarget()
                    + " "
                    + a.getDatabase()
                    + " "
                    + a.getNode()
                    + " "
                    + a.getFiles())
        .sorted()
        .collect(Collectors.toList());
  }

  static void write(String key, byte[] bytes) throws Exception {
    try (ArtifactUpload upload = bucket.open(key, Compression.NONE)) {
      upload.stream().write(bytes);
      upload.finish();
    }
  }

  static void applyPolicies() {
    namespace.apply(
        policy(
            "rings",
            """
            files:
              - name: swift-rings
                nodeSelector: {openstack-role: controller}
                paths: [/etc/swift]
            """));
    namespace.apply(
        policy(
            "keystone",
            """
            databases:
              - name: galera
                host: 127.0.0.1
                port: %d
                credentialsSecret: {name: backup-db}
                include: [keystone, nova]
            """
                .formatted(db.port())));
  }

  static List<BackupRun> awaitRuns(int count) {
    AtomicReference<List<BackupRun>> last = new AtomicReference<>();
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              List<BackupRun> runs =
                  client.resources(BackupRun.class).inNamespace(NS).list().getItems();
              last.set(runs);
              return runs.size() == count
                  && runs.stream()
                      .allMatch(
                          r ->
                              r.getStatus() != null
                                  && r.getStatus().getPhase() != null
                                  && r.getStatus().getPhase().isFinal());
            });
    return last.get();
  }
}
