package io.osbackup.e2e;

import static io.osbackup.e2e.TestNamespace.databaseTarget;
import static io.osbackup.e2e.TestNamespace.policy;
import static io.osbackup.e2e.TestNamespace.secret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicyStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.LocalCluster;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BackupRun end to end: the real operator on the embedded Kubernetes API, the local Job runner
 * running the real agent, a real MariaDB and a real S3 server. Each test uses its own policy, so
 * their backups never share a folder.
 */
class BackupRunIT {

  static final String NS = "openstack";
  static final String BUCKET = "openstack-backups";
  static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

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
                .withPodStartTimeout(Duration.ofSeconds(3))
                .withPollInterval(Duration.ofSeconds(1)));
    s3 = started.s3;
    bucket = started.bucket;
    db = started.db;
    cluster = started.cluster;
    client = started.client;
    namespace = started.namespace;
    seedDatabases();
    for (int i = 1; i <= 4; i++) {
      cluster.nodes().add("compute-" + i, Map.of("openstack-role", "compute"));
      writeNodeFiles("compute-" + i);
    }
    cluster.nodes().add("controller-1", Map.of("openstack-role", "controller"));
    writeNodeFiles("controller-1");
    namespace.apply(
        secret("wrong-db", Map.of("username", db.user(), "password", "not-the-password")));
    namespace.apply(namespace.store("primary", BUCKET, "backup-s3"));
    namespace.awaitStoreAvailable("primary", "True");
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(cluster, bucket, db, s3);
  }

  @Test
  void backsUpDatabasesAndNodeFilesVerifiesThemAndWritesTheManifestLast() throws Exception {
    namespace.apply(
        policy(
            "control-plane",
            """
            maxParallelNodes: 2
            databases:
              - name: galera
                host: 127.0.0.1
                port: %d
                credentialsSecret: {name: backup-db}
                include: [keystone, nova, nova_api]
            files:
              - name: nova-config
                nodeSelector: {openstack-role: compute}
                paths: [/etc/nova, /var/lib/nova]
                exclude: [/var/lib/nova/instances]
              - name: swift-rings
                nodeSelector: {openstack-role: controller}
                paths: [/etc/swift]
            """
                .formatted(db.port())));
    ActiveJobs activeFilesJobs = ActiveJobs.watch("control-plane-20261121-020000", "nova-config");
    BackupRun run;
    try {
      run = namespace.runAndAwait("control-plane", "control-plane-20261121-020000");
    } finally {
      activeFilesJobs.close();
    }
    BackupRunStatus status = run.getStatus();
    assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RunPhase.Succeeded);
    assertThat(status.getBackupId()).isEqualTo("control-plane-20261121-020000");
    assertThat(status.getArtifacts())
        .extracting(
            a ->
                a.getDatabase() != null
                    ? a.getDatabase()
                    : a.getKey().contains("/accounts/")
                        ? "accounts of " + a.getTarget()
                        : a.getTarget() + "@" + a.getNode())
        .containsExactlyInAnyOrder(
            "keystone",
            "nova",
            "nova_api",
            "accounts of galera",
            "nova-config@compute-1",
            "nova-config@compute-2",
            "nova-config@compute-3",
            "nova-config@compute-4",
            "swift-rings@controller-1");

    // The manifest lists exactly what status lists, and every object's SHA-256 is what was
    // recorded.
    Manifest manifest = bucket.getJson(status.getManifestKey(), Manifest.class).orElseThrow();
    assertThat(manifest.backupId()).isEqualTo(status.getBackupId());
    assertThat(manifest.artifacts())
        .extracting(Manifest.Entry::key)
        .containsExactlyInAnyOrderElementsOf(
            status.getArtifacts().stream().map(ArtifactStatus::getKey).toList());
    for (ArtifactStatus artifact : status.getArtifacts()) {
      assertThat(artifact.getKey())
          .startsWith("prod/" + NS + "/control-plane/control-plane-20261121-020000/");
      assertThat(sha256(artifact.getKey())).as(artifact.getKey()).isEqualTo(artifact.getSha256());
    }
    Instant manifestWritten = bucket.stat(status.getManifestKey()).orElseThrow().lastModified();
    for (ObjectInfo object : bucket.list(status.getFolder() + "/")) {
      assertThat(object.lastModified()).as(object.key()).isBeforeOrEqualTo(manifestWritten);
    }
    // Who wrote the folder: owner.json first, before any Job ran; the manifest names the same
    // owner.
    Owner.Marker marker =
        bucket.getJson(status.getFolder() + "/owner.json", Owner.Marker.class).orElseThrow();
    assertThat(marker.owner().clusterId()).isEqualTo(OperatorSettings.LOCAL_CLUSTER_ID);
    assertThat(marker.owner().store()).isEqualTo("primary");
    assertThat(marker.owner().namespace()).isEqualTo(NS);
    assertThat(marker.owner().storeUid()).isNotBlank();
    assertThat(marker.run()).isEqualTo(run.getMetadata().getName());
    assertThat(manifest.owner()).isEqualTo(marker.owner());
    Instant markerWritten =
        bucket.stat(status.getFolder() + "/owner.json").orElseThrow().lastModified();
    for (ObjectInfo object : bucket.list(status.getFolder() + "/")) {
      assertThat(object.lastModified()).as(object.key()).isAfterOrEqualTo(markerWritten);
    }
    assertThat(bucket.incompleteUploads(status.getFolder() + "/")).isEmpty();
    assertThat(manifest.artifacts())
        .filteredOn(e -> "nova-config".equals(e.target()))
        .allSatisfy(e -> assertThat(e.files()).isGreaterThan(3));

    // Each database artifact restores alone with the stock client.
    try (MariaDbServer fresh = MariaDbServer.start(work.resolve("restore-db"))) {
      for (String database : List.of("keystone", "nova", "nova_api")) {
        ArtifactStatus artifact =
            status.getArtifacts().stream()
                .filter(a -> database.equals(a.getDatabase()))
                .findFirst()
                .orElseThrow();
        Path sql = work.resolve(database + ".sql");
        try (InputStream in = new GZIPInputStream(bucket.download(artifact.getKey()))) {
          Files.copy(in, sql);
        }
        fresh.load(sql);
        assertThat(fresh.tableChecksums(database))
            .as(database)
            .isEqualTo(db.tableChecksums(database));
      }
      assertThat(
              fresh.column(
                  "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA='keystone'"))
          .containsExactly("named_projects");
      assertThat(
              fresh.column(
                  "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='keystone'"))
          .containsExactly("project_audit");
      assertThat(
              fresh.column(
                  "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='keystone'"))
          .containsExactly("count_projects");
      assertThat(
              fresh.column(
                  "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA='keystone'"))
          .containsExactly("purge_audit");
    }

    // A node's archive holds its files, not the excluded instances directory.
    ArtifactStatus compute1 =
        status.getArtifacts().stream()
            .filter(a -> "compute-1".equals(a.getNode()))
            .findFirst()
            .orElseThrow();
    Path extracted = Files.createDirectories(work.resolve("extract-compute-1"));
    Path tarball = work.resolve("compute-1.tar.gz");
    try (InputStream in = bucket.download(compute1.getKey())) {
      Files.copy(in, tarball);
    }
    Process tar =
        new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", extracted.toString())
            .inheritIO()
            .start();
    assertThat(tar.waitFor()).isZero();
    Path node = cluster.nodes().root("compute-1");
    assertThat(Files.readString(extracted.resolve("etc/nova/nova.conf")))
        .isEqualTo(Files.readString(node.resolve("etc/nova/nova.conf")));
    assertThat(extracted.resolve("var/lib/nova/instances")).doesNotExist();
    assertThat(extracted.resolve("var/lib/nova/keys/ssh key ñ.pem")).exists();

    // The operator started files Jobs two at a time: never more than maxParallelNodes unfinished at
    // once.
    assertThat(activeFilesJobs.max()).isEqualTo(2);
    assertThat(maxOverlap(podsOf(run), "nova-config")).isBetween(1, 2);

    // A run whose folder already holds objects (here a stray one; after a delete and re-apply, the
    // old backup):
    // refused before anything is written, and the backups in the bucket untouched.
    String strayFolder = "prod/" + NS + "/control-plane/control-plane-20261121-030000";
    try (var upload =
        bucket.open(
            strayFolder + "/db/galera/keystone.sql.gz", io.osbackup.contract.Compression.NONE)) {
      upload.stream().write("stray".getBytes(StandardCharsets.UTF_8));
      upload.finish();
    }
    BackupRun again = namespace.runAndAwait("control-plane", "control-plane-20261121-030000");
    assertThat(again.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(again.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getReason()).isEqualTo("BackupIdInUse");
              assertThat(f.getMessage()).contains("1 objects").contains("another name");
            });
    assertThat(bucket.list(strayFolder + "/")).hasSize(1);
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RUN_LABEL, "control-plane-20261121-030000")
                .list()
                .getItems())
        .isEmpty();
    assertThat(bucket.getJson(status.getManifestKey(), Manifest.class)).contains(manifest);
    for (ArtifactStatus artifact : status.getArtifacts()) {
      assertThat(sha256(artifact.getKey())).as(artifact.getKey()).isEqualTo(artifact.getSha256());
    }
  }

  @Test
  void aNodeMissingAPathFailsOnlyItsOwnArtifactAndTheRunIsPartiallyFailed() throws Exception {
    Files.createDirectories(cluster.nodes().root("compute-2").resolve("etc/ceph"));
    Files.writeString(
        cluster.nodes().root("compute-2").resolve("etc/ceph/ceph.conf"), "[global]\n");
    namespace.apply(
        policy(
            "partial",
            """
            files:
              - name: ceph-config
                nodeSelector: {openstack-role: compute}
                paths: [/etc/ceph]
            """));
    BackupRun run = namespace.runAndAwait("partial", "partial-now");
    assertFailedWithoutLeftovers(run, RunPhase.PartiallyFailed);
    assertThat(run.getStatus().getArtifacts())
        .extracting(ArtifactStatus::getNode)
        .containsExactly("compute-2");
    assertThat(run.getStatus().getFailures())
        .extracting(f -> f.getNode())
        .containsExactlyInAnyOrder("compute-1", "compute-3", "compute-4");
    assertThat(run.getStatus().getFailures())
        .allSatisfy(f -> assertThat(f.getMessage()).contains("/etc/ceph").contains(f.getNode()));
  }

  @Test
  void aWholeEtcIsBackedUpWithoutTheNodesKeysAndTheRunAndManifestSayWhatWasLeftOut()
      throws Exception {
    Path root = cluster.nodes().root("controller-1");
    Files.createDirectories(root.resolve("etc/kubernetes/pki"));
    Files.writeString(root.resolve("etc/kubernetes/pki/ca.key"), "-----BEGIN PRIVATE KEY-----\n");
    Files.writeString(root.resolve("etc/shadow"), "root:$6$hash:19000::::::\n");
    namespace.apply(
        policy(
            "whole-etc",
            """
            files:
              - name: etc
                nodeSelector: {openstack-role: controller}
                paths: [/etc]
            """));
    BackupRun run = namespace.runAndAwait("whole-etc", "whole-etc-now");
    BackupRunStatus status = run.getStatus();
    assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RunPhase.Succeeded);
    assertThat(status.getTasks())
        .singleElement()
        .satisfies(
            task -> {
              assertThat(task.getExcluded())
                  .contains("/etc/kubernetes", "/etc/shadow", "/etc/ssh/ssh_host_*_key");
              assertThat(task.getWarnings())
                  .contains(
                      "left out /etc/kubernetes on node controller-1: the operator never reads it (Kubernetes PKI and"
                          + " kubeconfigs)");
            });
    Manifest manifest = bucket.getJson(status.getManifestKey(), Manifest.class).orElseThrow();
    assertThat(manifest.artifacts())
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.warnings())
                    .anyMatch(w -> w.startsWith("left out /etc/shadow on node")));

    Path tarball = work.resolve("whole-etc.tar.gz");
    try (InputStream in = bucket.download(status.getArtifacts().get(0).getKey())) {
      Files.copy(in, tarball);
    }
    Process tar =
        new ProcessBuilder("tar", "-tzf", tarball.toString()).redirectErrorStream(true).start();
    List<String> names =
        new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(tar.waitFor()).isZero();
    assertThat(names)
        .contains("etc/nova/nova.conf", "etc/swift/object.builder")
        .noneMatch(n -> n.startsWith("etc/kubernetes") || n.startsWith("etc/shadow"));
  }

  @Test
  void aPodThatCannotStartFailsItsTaskWithTheKubeletsReasonInsteadOfWaitingForTheDeadline()
      throws Exception {
    namespace.apply(
        policy(
            "no-claim",
            """
            files:
              - name: glance-images
                volume: {claimName: glance-images-typo}
                paths: [/]
            """));
    BackupRun run = namespace.runAndAwait("no-claim", "no-claim-now");
    assertFailedWithoutLeftovers(run, RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getReason()).isEqualTo("PodNotStarting");
              assertThat(f.getMessage())
                  .contains("glance-images-typo")
                  .contains("did not start within");
            });
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RUN_LABEL, "no-claim-now")
                .list()
                .getItems())
        .isEmpty();
  }

  @Test
  void wrongDatabasePasswordFailsWithTheServersWordsAndLeavesNoBackup() throws Exception {
    namespace.apply(policy("wrong-password", databaseTarget("wrong-db", db.port(), "keystone")));
    BackupRun run = namespace.runAndAwait("wrong-password", "wrong-password-now");
    assertFailedWithoutLeftovers(run, RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> assertThat(f.getMessage()).containsIgnoringCase("denied").contains(db.user()));
    assertNoSecretIn(run, "not-the-password");
  }

  @Test
  void unreachableDatabaseFailsNamingTheAddress() throws Exception {
    int closed;
    try (var socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    namespace.apply(policy("unreachable", databaseTarget("backup-db", closed, "keystone")));
    BackupRun run = namespace.runAndAwait("unreachable", "unreachable-now");
    assertFailedWithoutLeftovers(run, RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .satisfies(f -> assertThat(f.getMessage()).contains("127.0.0.1:" + closed));
  }

  @Test
  void missingSecretFailsBeforeAnyJobNamingTheSecret() {
    namespace.apply(policy("no-secret", databaseTarget("does-not-exist", db.port(), "keystone")));
    BackupRun run = namespace.runAndAwait("no-secret", "no-secret-now");
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getReason()).isEqualTo("SecretNotFound");
              assertThat(f.getMessage()).contains("does-not-exist").contains("credentialsSecret");
            });
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RUN_LABEL, "no-secret-now")
                .list()
                .getItems())
        .isEmpty();
    assertThat(namespace.eventsNamed(run))
        .anySatisfy(e -> assertThat(e).contains("SecretNotFound"));
  }

  @Test
  void missingBucketMakesTheStoreUnavailableAndItsRunsFail() {
    namespace.apply(namespace.store("no-bucket", "bucket-that-does-not-exist", "backup-s3"));
    BackupStore store = namespace.awaitStoreAvailable("no-bucket", "False");
    var condition = store.getStatus().condition("Available").orElseThrow();
    assertThat(condition.getReason()).isEqualTo("BucketNotFound");
    assertThat(condition.getMessage()).contains("bucket-that-does-not-exist");

    BackupPolicy policy =
        policy("to-no-bucket", databaseTarget("backup-db", db.port(), "keystone"));
    policy.getSpec().getStoreRef().setName("no-bucket");
    namespace.apply(policy);
    BackupRun run = namespace.runAndAwait("to-no-bucket", "to-no-bucket-now");
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getMessage()).contains("no-bucket").contains("BucketNotFound");
  }

  @Test
  void deniedCredentialsMakeTheStoreUnavailable() {
    var denied = s3.deniedCredentials();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        denied.isPresent(), "this S3 server cannot deny a user");
    namespace.apply(
        secret(
            "denied-s3",
            Map.of("accessKey", denied.get().accessKey(), "secretKey", denied.get().secretKey())));
    namespace.apply(namespace.store("denied", BUCKET, "denied-s3"));
    BackupStore store = namespace.awaitStoreAvailable("denied", "False");
    assertThat(store.getStatus().condition("Available").orElseThrow().getReason())
        .isEqualTo("AccessDenied");
    assertNoSecretIn(store, denied.get().secretKey());
  }

  @Test
  void aWrongRegionMakesTheStoreUnavailableAsWrongRegionNotAccessDenied() {
    assumeSwift();
    BackupStore wrong = namespace.store("wrong-region", BUCKET, "backup-s3");
    wrong.getSpec().getS3().setRegion("eu-west-9");
    namespace.apply(wrong);
    BackupStore store = namespace.awaitStoreAvailable("wrong-region", "False");
    var condition = store.getStatus().condition("Available").orElseThrow();
    assertThat(condition.getReason()).isEqualTo("WrongRegion");
    assertThat(condition.getMessage())
        .contains("'eu-west-9'")
        .contains("'" + s3.region() + "'")
        .contains("spec.s3.region");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(namespace.eventsNamed(store))
                    .anySatisfy(e -> assertThat(e).startsWith("WrongRegion")));
  }

  @Test
  void aMissingCaBundleMakesTheStoreUnavailableNamingTheField() {
    BackupStore missing = namespace.store("missing-ca", BUCKET, "backup-s3");
    missing
        .getSpec()
        .getS3()
        .setCaBundle(io.osbackup.api.v1alpha1.CaBundle.fromConfigMap("no-such-ca", "ca.crt"));
    namespace.apply(missing);
    BackupStore store = namespace.awaitStoreAvailable("missing-ca", "False");
    var condition = store.getStatus().condition("Available").orElseThrow();
    assertThat(condition.getReason()).isEqualTo("CaBundleInvalid");
    assertThat(condition.getMessage())
        .contains("spec.s3.caBundle.configMapRef")
        .contains("no-such-ca");
  }

  static void assumeSwift() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "swift".equals(s3.kind()), "S3Proxy does not check the region");
  }

  @Test
  void missingSecretKeyMakesTheStoreUnavailableNamingTheKey() {
    namespace.apply(secret("half-s3", Map.of("accessKey", s3.accessKey())));
    namespace.apply(namespace.store("half", BUCKET, "half-s3"));
    BackupStore store = namespace.awaitStoreAvailable("half", "False");
    var condition = store.getStatus().condition("Available").orElseThrow();
    assertThat(condition.getReason()).isEqualTo("SecretKeyMissing");
    assertThat(condition.getMessage()).contains("secretKey").contains("half-s3");
  }

  @Test
  void dumpKilledMidwayFailsTheRunAndAbortsTheUpload() throws Exception {
    namespace.apply(policy("killed", databaseTarget("backup-db", db.port(), "aaa_first", "slow")));
    try (Connection lock = db.connect("slow")) {
      lock.createStatement().execute("LOCK TABLES t WRITE");
      namespace.createRun("killed", "killed-now");
      ProcessHandle dump = awaitDumpProcess("slow");
      dump.destroyForcibly();
    }
    BackupRun run = namespace.awaitEnd("killed-now");
    assertFailedWithoutLeftovers(run, RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> assertThat(f.getMessage()).contains("killed by signal 9").contains("cut short"));
  }

  @Test
  void cancelStopsTheJobsAndRemovesPartialUploads() throws Exception {
    namespace.apply(
        policy("cancelled", databaseTarget("backup-db", db.port(), "aaa_first", "slow")));
    try (Connection lock = db.connect("slow")) {
      lock.createStatement().execute("LOCK TABLES t WRITE");
      namespace.createRun("cancelled", "cancelled-now");
      awaitDumpProcess("slow");
      BackupRun run =
          client.resources(BackupRun.class).inNamespace(NS).withName("cancelled-now").get();
      run.getSpec().setCancel(true);
      client.resources(BackupRun.class).inNamespace(NS).resource(run).update();
      run = namespace.awaitEnd("cancelled-now");
      assertThat(run.getStatus().getPhase())
          .as(run.getStatus().getMessage())
          .isEqualTo(RunPhase.Cancelled);
      assertThat(bucket.list(run.getStatus().getFolder() + "/")).isEmpty();
      assertThat(bucket.incompleteUploads(run.getStatus().getFolder() + "/")).isEmpty();
      assertThat(
              client
                  .batch()
                  .v1()
                  .jobs()
                  .inNamespace(NS)
                  .withLabel(Api.RUN_LABEL, "cancelled-now")
                  .list()
                  .getItems())
          .isEmpty();
    }
  }

  @Test
  void theManifestAppearsOnlyAfterTheLastJobHasEnded() throws Exception {
    namespace.apply(
        policy(
            "last-job",
            databaseTarget("backup-db", db.port(), "aaa_first", "slow")
                + """
                files:
                  - name: nova-config
                    nodeSelector: {openstack-role: compute}
                    paths: [/etc/nova]
                """));
    try (Connection lock = db.connect("slow")) {
      lock.createStatement().execute("LOCK TABLES t WRITE");
      namespace.createRun("last-job", "last-job-now");
      await()
          .atMost(RUN_TIMEOUT)
          .until(
              () -> {
                BackupRun r =
                    client
                        .resources(BackupRun.class)
                        .inNamespace(NS)
                        .withName("last-job-now")
                        .get();
                return r.getStatus() != null
                    && r.getStatus().getTasks().stream()
                        .filter(t -> "files".equals(t.getKind()))
                        .allMatch(
                            t -> t.getPhase() == io.osbackup.api.v1alpha1.TaskPhase.Succeeded);
              });
      BackupRun midway =
          client.resources(BackupRun.class).inNamespace(NS).withName("last-job-now").get();
      assertThat(midway.getStatus().getPhase()).isEqualTo(RunPhase.Running);
      assertThat(bucket.stat(midway.getStatus().getFolder() + "/manifest.json")).isEmpty();
      assertThat(midway.getStatus().getManifestKey()).isNull();
    }
    BackupRun run = namespace.awaitEnd("last-job-now");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    assertThat(bucket.stat(run.getStatus().getManifestKey())).isPresent();
  }

  @Test
  void credentialsRotatedToWrongOnesFailTheRunBeforeAnythingIsWritten() throws Exception {
    namespace.apply(
        secret("rotating-s3", Map.of("accessKey", s3.accessKey(), "secretKey", s3.secretKey())));
    namespace.apply(namespace.store("rotating", BUCKET, "rotating-s3", "rotating"));
    namespace.awaitStoreAvailable("rotating", "True");
    namespace.apply(
        secret(
            "rotating-s3", Map.of("accessKey", s3.accessKey(), "secretKey", "rotated-but-wrong")));
    BackupPolicy policy = policy("to-rotating", databaseTarget("backup-db", db.port(), "keystone"));
    policy.getSpec().getStoreRef().setName("rotating");
    namespace.apply(policy);
    BackupRun run = namespace.runAndAwait("to-rotating", "to-rotating-now");
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getReason()).isEqualTo("StoreUnavailable");
              assertThat(f.getMessage()).containsIgnoringCase("access denied");
            });
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RUN_LABEL, "to-rotating-now")
                .list()
                .getItems())
        .isEmpty();
    assertNoSecretIn(run, "rotated-but-wrong");
  }

  @Test
  void aBucketDeletedAfterTheStoreWasCheckedFailsTheRunNamingTheBucket() throws Exception {
    s3.createBucket("short-lived");
    namespace.apply(namespace.store("short-lived", "short-lived", "backup-s3"));
    namespace.awaitStoreAvailable("short-lived", "True");
    s3.deleteBucket("short-lived");
    BackupPolicy policy =
        policy("to-short-lived", databaseTarget("backup-db", db.port(), "keystone"));
    policy.getSpec().getStoreRef().setName("short-lived");
    namespace.apply(policy);
    BackupRun run = namespace.runAndAwait("to-short-lived", "to-short-lived-now");
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getReason()).isEqualTo("StoreUnavailable");
              assertThat(f.getMessage()).contains("short-lived").contains("does not exist");
            });
  }

  @Test
  void operatorRestartMidRunResumesWithoutASecondSetOfJobs() throws Exception {
    namespace.apply(
        policy(
            "restarted",
            """
            maxParallelNodes: 1
            files:
              - name: nova-config
                nodeSelector: {openstack-role: compute}
                paths: [/etc/nova]
            """));
    namespace.createRun("restarted", "restarted-now");
    await().atMost(RUN_TIMEOUT).until(() -> !podsOf("restarted-now").isEmpty());
    cluster.stopOperator();
    Thread.sleep(1500);
    cluster.startOperator();
    BackupRun run = namespace.awaitEnd("restarted-now");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    assertThat(run.getStatus().getArtifacts()).hasSize(4);
    List<Pod> pods = podsOf("restarted-now");
    assertThat(pods).hasSize(4);
    assertThat(pods.stream().map(p -> p.getMetadata().getLabels().get("job-name")).distinct())
        .hasSize(4);
    assertThat(maxOverlap(pods, "nova-config")).isEqualTo(1);
  }

  @Test
  @SuppressWarnings("unchecked")
  void aRunThatFailsAfterItsManifestWasWrittenDeletesTheManifest() throws Exception {
    namespace.apply(
        policy(
            "late-failure",
            """
            files:
              - name: swift-rings
                nodeSelector: {openstack-role: controller}
                paths: [/etc/swift]
            """));
    BackupRun run = namespace.runAndAwait("late-failure", "late-failure-20261121-020000");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    String manifestKey = run.getStatus().getManifestKey();
    assertThat(bucket.stat(manifestKey)).isPresent();

    // The operator wrote the manifest and died before its status said so; meanwhile an agent's
    // report changed.
    cluster.stopOperator();
    run.getStatus().setPhase(RunPhase.Running);
    run.getStatus().setManifestKey(null);
    run.getStatus().setCompletionTime(null);
    run.getStatus().setConditions(new java.util.ArrayList<>());
    client.resource(run).updateStatus();
    String reportKey =
        run.getStatus().getFolder()
            + "/reports/"
            + run.getStatus().getTasks().get(0).getJob()
            + ".json";
    Map<String, Object> report = bucket.getJson(reportKey, Map.class).orElseThrow();
    ((List<Map<String, Object>>) report.get("artifacts")).get(0).put("sha256", "0".repeat(64));
    bucket.putJson(reportKey, report);
    cluster.startOperator();

    BackupRun ended = namespace.awaitEnd("late-failure-20261121-020000");
    assertThat(ended.getStatus().getPhase())
        .as(ended.getStatus().getMessage())
        .isEqualTo(RunPhase.Failed);
    assertThat(ended.getStatus().getFailures())
        .anySatisfy(f -> assertThat(f.getReason()).isEqualTo("ReportChanged"));
    assertThat(bucket.stat(manifestKey))
        .as("a failed run leaves no manifest retention or the catalog could count")
        .isEmpty();
    assertThat(ended.getStatus().getMessage()).contains("manifest " + manifestKey + " deleted");
  }

  @Test
  void anOperatorStoppedAndStartedAgainAndAgainFinishesTheRunOnceWithOneJobPerTask()
      throws Exception {
    namespace.apply(
        policy(
            "chaos",
            databaseTarget("backup-db", db.port(), "keystone", "nova")
                + """
                maxParallelNodes: 2
                files:
                  - name: nova-config
                    nodeSelector: {openstack-role: compute}
                    paths: [/etc/nova]
                """));
    java.util.Map<String, Integer> created = new java.util.concurrent.ConcurrentHashMap<>();
    io.fabric8.kubernetes.client.Watch watch =
        client
            .batch()
            .v1()
            .jobs()
            .inNamespace(NS)
            .withLabel(Api.RUN_LABEL, "chaos-now")
            .watch(
                new io.fabric8.kubernetes.client.Watcher<>() {
                  @Override
                  public void eventReceived(
                      Action action, io.fabric8.kubernetes.api.model.batch.v1.Job job) {
                    if (action == Action.ADDED) {
                      created.merge(job.getMetadata().getName(), 1, Integer::sum);
                    }
                  }

                  @Override
                  public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
                });
    java.util.Random random = new java.util.Random(42);
    try {
      namespace.createRun("chaos", "chaos-now");
      for (int i = 0; i < 12 && !ended("chaos-now"); i++) {
        Thread.sleep(200 + random.nextInt(600));
        cluster.stopOperator();
        Thread.sleep(random.nextInt(300));
        cluster.startOperator();
      }
      BackupRun run = namespace.awaitEnd("chaos-now");
      assertThat(run.getStatus().getPhase())
          .as(run.getStatus().getMessage())
          .isEqualTo(RunPhase.Succeeded);
      assertThat(run.getStatus().getArtifacts())
          .hasSize(2 + 1 + 4); // two databases, their accounts, four nodes
      assertThat(run.getStatus().getArtifacts())
          .extracting(ArtifactStatus::getKey)
          .doesNotHaveDuplicates();
      assertThat(created)
          .hasSize(5)
          .allSatisfy((job, count) -> assertThat(count).as(job).isEqualTo(1));
      assertThat(podsOf("chaos-now")).hasSize(5);
      Manifest manifest =
          bucket.getJson(run.getStatus().getManifestKey(), Manifest.class).orElseThrow();
      assertThat(manifest.artifacts()).hasSize(7);
    } finally {
      watch.close();
    }
  }

  static boolean ended(String name) {
    BackupRun run = client.resources(BackupRun.class).inNamespace(NS).withName(name).get();
    return run != null
        && run.getStatus() != null
        && run.getStatus().getPhase() != null
        && run.getStatus().getPhase().isFinal();
  }

  @Test
  void retentionKeepsWhatItsRulesSayDeletesTheRestManifestFirstAndTheirRuns() throws Exception {
    namespace.apply(
        policy(
            "pruned",
            """
            retention: {keepLast: 1}
            files:
              - name: swift-rings
                nodeSelector: {openstack-role: controller}
                paths: [/etc/swift]
            """));
    BackupRun first = namespace.runAndAwait("pruned", "pruned-20261121-010000");
    assertThat(first.getStatus().getPhase())
        .as(first.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    BackupRun second = namespace.runAndAwait("pruned", "pruned-20261121-020000");
    assertThat(second.getStatus().getPhase())
        .as(second.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);

    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                client
                        .resources(BackupRun.class)
                        .inNamespace(NS)
                        .withName("pruned-20261121-010000")
                        .get()
                    == null);
    assertThat(bucket.list(first.getStatus().getFolder() + "/")).isEmpty();
    assertThat(bucket.stat(second.getStatus().getManifestKey())).isPresent();
    assertThat(
            client
                .resources(BackupRun.class)
                .inNamespace(NS)
                .withName("pruned-20261121-020000")
                .get())
        .isNotNull();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              BackupPolicy p =
                  client.resources(BackupPolicy.class).inNamespace(NS).withName("pruned").get();
              return p.getStatus() != null
                  && Integer.valueOf(1).equals(p.getStatus().getKeptBackups());
            });
    BackupPolicy policy =
        client.resources(BackupPolicy.class).inNamespace(NS).withName("pruned").get();
    // The preview: with keepLast 1, the next backup will push out the one kept now.
    assertThat(policy.getStatus().getDueForDeletion()).containsExactly("pruned-20261121-020000");
    assertThat(namespace.eventsNamed(policy))
        .anySatisfy(
            e -> assertThat(e).contains("BackupsDeleted").contains("pruned-20261121-010000"));
    // keepLast 1 alone keeps a single backup: flagged before the first pass deleted anything
    assertThat(policy.getStatus().condition(BackupPolicyStatus.RETENTION_SAFE))
        .get()
        .satisfies(c -> assertThat(c.getStatus()).isEqualTo("False"))
        .satisfies(c -> assertThat(c.getReason()).isEqualTo("KeepsOnlyOneBackup"));
    assertThat(namespace.eventsNamed(policy))
        .anySatisfy(e -> assertThat(e).startsWith("KeepsOnlyOneBackup"));
  }

  @Test
  void aManifestRetentionCannotReadStopsItsPassWithAnEventAndDeletesNothing() throws Exception {
    namespace.apply(
        policy(
            "unreadable",
            """
            retention: {keepLast: 1}
            files:
              - name: swift-rings
                nodeSelector: {openstack-role: controller}
                paths: [/etc/swift]
            """));
    BackupRun first = namespace.runAndAwait("unreadable", "unreadable-20261121-010000");
    assertThat(first.getStatus().getPhase())
        .as(first.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              BackupPolicy p =
                  client.resources(BackupPolicy.class).inNamespace(NS).withName("unreadable").get();
              return p.getStatus() != null
                  && Integer.valueOf(1).equals(p.getStatus().getKeptBackups());
            });
    // The first backup's manifest is damaged: retention can no longer tell what that backup is.
    bucket.putJson(first.getStatus().getManifestKey(), "not a manifest");

    BackupRun second = namespace.runAndAwait("unreadable", "unreadable-20261121-020000");
    assertThat(second.getStatus().getPhase())
        .as(second.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);

    BackupPolicy policy =
        client.resources(BackupPolicy.class).inNamespace(NS).withName("unreadable").get();
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(namespace.eventsNamed(policy))
                    .anySatisfy(
                        e ->
                            assertThat(e)
                                .startsWith("RetentionFailed")
                                .contains(
                                    "could not read the manifest of backup "
                                        + first.getStatus().getBackupId())
                                .contains("nothing was deleted")));
    // keepLast 1 would delete the first backup: with its manifest unreadable, nothing is deleted at
    // all.
    assertThat(bucket.list(first.getStatus().getFolder() + "/")).isNotEmpty();
    assertThat(
            client
                .resources(BackupRun.class)
                .inNamespace(NS)
                .withName(first.getMetadata().getName())
                .get())
        .isNotNull();
    assertThat(bucket.stat(second.getStatus().getManifestKey())).isPresent();
    assertThat(
            client
                .resources(BackupPolicy.class)
                .inNamespace(NS)
                .withName("unreadable")
                .get()
                .getStatus()
                .getKeptBackups())
        .as("what the last whole pass kept, not zero")
        .isEqualTo(1);
  }

  @Test
  void aNodeLostMidRunFailsOnlyItsOwnArtifact() throws Exception {
    cluster.nodes().add("compute-9", Map.of("openstack-role", "doomed"));
    cluster.nodes().add("compute-10", Map.of("openstack-role", "doomed"));
    for (String node : List.of("compute-9", "compute-10")) {
      writeNodeFiles(node);
    }
    // Enough incompressible data on compute-9 that its agent is still reading when the node goes.
    Path big = cluster.nodes().root("compute-9").resolve("etc/nova/big.bin");
    byte[] chunk = new byte[1 << 20];
    new java.util.Random(1).nextBytes(chunk);
    try (var out = Files.newOutputStream(big)) {
      for (int i = 0; i < 400; i++) {
        out.write(chunk);
      }
    }
    namespace.apply(
        policy(
            "lost-node",
            """
            compression: gzip
            files:
              - name: nova-config
                nodeSelector: {openstack-role: doomed}
                paths: [/etc/nova]
            """));
    namespace.createRun("lost-node", "lost-node-now");
    await()
        .atMost(RUN_TIMEOUT)
        .until(
            () ->
                podsOf("lost-node-now").stream()
                    .anyMatch(
                        p ->
                            "compute-9".equals(p.getMetadata().getLabels().get(Api.NODE_LABEL))
                                && p.getStatus() != null
                                && "Running".equals(p.getStatus().getPhase())));
    Thread.sleep(1000);
    cluster.nodes().remove("compute-9");
    BackupRun run = namespace.awaitEnd("lost-node-now");
    assertFailedWithoutLeftovers(run, RunPhase.PartiallyFailed);
    assertThat(run.getStatus().getArtifacts())
        .extracting(ArtifactStatus::getNode)
        .containsExactly("compute-10");
    assertThat(run.getStatus().getFailures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getNode()).isEqualTo("compute-9");
              assertThat(f.getReason()).isEqualTo("NodeLost");
              assertThat(f.getMessage()).contains("node compute-9 left the cluster");
            });
  }

  // ---------------------------------------------------------------------------------------------------------------

  static void seedDatabases() throws Exception {
    db.execute(
        "CREATE DATABASE keystone CHARACTER SET utf8mb4",
        "CREATE TABLE keystone.project (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255), description TEXT,"
            + " extra BLOB) CHARACTER SET utf8mb4",
        "INSERT INTO keystone.project VALUES ('p1', 'admin', 'クラウド管理者', X'00FF10'),"
            + " ('p2', 'service', NULL, NULL)",
        "CREATE TABLE keystone.audit (id INT AUTO_INCREMENT PRIMARY KEY, project VARCHAR(64))",
        "CREATE VIEW keystone.named_projects AS SELECT id, name FROM keystone.project WHERE name IS NOT NULL",
        "CREATE TRIGGER keystone.project_audit AFTER INSERT ON keystone.project FOR EACH ROW"
            + " INSERT INTO keystone.audit (project) VALUES (NEW.id)",
        "CREATE PROCEDURE keystone.count_projects(OUT n INT) SELECT COUNT(*) INTO n FROM keystone.project",
        "CREATE EVENT keystone.purge_audit ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM keystone.audit",
        "CREATE DATABASE nova CHARACTER SET utf8mb4",
        "CREATE TABLE nova.instances (id INT PRIMARY KEY AUTO_INCREMENT, uuid CHAR(36), hostname VARCHAR(255))",
        "CREATE DATABASE nova_api CHARACTER SET utf8mb4",
        "CREATE TABLE nova_api.cell_mappings (id INT PRIMARY KEY, name VARCHAR(255), transport_url TEXT)",
        "INSERT INTO nova_api.cell_mappings VALUES (0, 'cell0', 'none:///'), (1, 'cell1', 'rabbit://nova@rabbit')",
        "CREATE DATABASE aaa_first",
        "CREATE TABLE aaa_first.filler (id INT PRIMARY KEY, payload VARCHAR(200))",
        "CREATE DATABASE slow",
        "CREATE TABLE slow.t (id INT PRIMARY KEY)",
        "INSERT INTO slow.t VALUES (1), (2), (3)");
    try (Connection c = db.connect("nova");
        PreparedStatement insert =
            c.prepareStatement("INSERT INTO instances (uuid, hostname) VALUES (?, ?)")) {
      for (int i = 0; i < 500; i++) {
        insert.setString(1, java.util.UUID.randomUUID().toString());
        insert.setString(2, "vm-" + i + "-仮想マシン");
        insert.addBatch();
      }
      insert.executeBatch();
    }
    try (Connection c = db.connect("aaa_first");
        PreparedStatement insert = c.prepareStatement("INSERT INTO filler VALUES (?, ?)")) {
      for (int i = 0; i < 20_000; i++) {
        insert.setInt(1, i);
        insert.setString(2, "x".repeat(150) + i);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  static void writeNodeFiles(String node) throws Exception {
    Path root = cluster.nodes().root(node);
    Path nova = Files.createDirectories(root.resolve("etc/nova"));
    Files.writeString(nova.resolve("nova.conf"), "[DEFAULT]\nhost = " + node + "\n");
    Files.writeString(nova.resolve("api-paste.ini"), "[composite:osapi_compute]\n");
    Files.setPosixFilePermissions(
        nova.resolve("nova.conf"), PosixFilePermissions.fromString("rw-r-----"));
    Files.createDirectories(root.resolve("var/lib/nova/instances/abc"));
    Files.writeString(root.resolve("var/lib/nova/instances/abc/disk"), "not backed up");
    Files.createDirectories(root.resolve("var/lib/nova/keys"));
    Files.writeString(root.resolve("var/lib/nova/keys/ssh key ñ.pem"), "key");
    Files.createDirectories(root.resolve("var/lib/nova/empty"));
    Files.createSymbolicLink(
        root.resolve("etc/nova/policy.yaml"), Path.of("/etc/nova/policy.d/default.yaml"));
    Path swift = Files.createDirectories(root.resolve("etc/swift"));
    Files.write(swift.resolve("object.ring.gz"), new byte[] {31, -117, 8, 0, 1, 2, 3});
    Files.writeString(swift.resolve("object.builder"), "builder");
  }

  static ProcessHandle awaitDumpProcess(String database) {
    AtomicReference<ProcessHandle> found = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Optional<ProcessHandle> dump =
                  ProcessHandle.allProcesses()
                      .filter(
                          p ->
                              p.info()
                                  .commandLine()
                                  .map(
                                      c ->
                                          c.contains("dump")
                                              && c.contains(database)
                                              && c.contains("--single-transaction"))
                                  .orElse(false))
                      .findFirst();
              dump.ifPresent(found::set);
              return dump.isPresent();
            });
    return found.get();
  }

  static void assertFailedWithoutLeftovers(BackupRun run, RunPhase phase) throws Exception {
    BackupRunStatus status = run.getStatus();
    assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(phase);
    assertThat(status.getManifestKey()).isNull();
    assertThat(status.getFailures())
        .isNotEmpty()
        .allSatisfy(f -> assertThat(f.getMessage()).isNotBlank());
    assertThat(bucket.stat(status.getFolder() + "/manifest.json")).isEmpty();
    assertThat(bucket.incompleteUploads(status.getFolder() + "/")).isEmpty();
    assertThat(namespace.eventsNamed(run)).anySatisfy(e -> assertThat(e).contains(phase.name()));
  }

  static void assertNoSecretIn(HasMetadata object, String secret) {
    assertThat(Serialization.asYaml(object)).doesNotContain(secret);
    assertThat(namespace.eventsNamed(object)).noneSatisfy(e -> assertThat(e).contains(secret));
    for (var job : client.batch().v1().jobs().inNamespace(NS).list().getItems()) {
      assertThat(Serialization.asYaml(job)).doesNotContain(secret);
    }
  }

  static List<Pod> podsOf(BackupRun run) {
    return podsOf(run.getMetadata().getName());
  }

  static List<Pod> podsOf(String run) {
    return client.pods().inNamespace(NS).withLabel(Api.RUN_LABEL, run).list().getItems();
  }

  /**
   * Watches a run's Jobs of one target and records the most that existed unfinished at the same
   * time.
   */
  static final class ActiveJobs implements AutoCloseable {
    private final java.util.Set<String> active = new java.util.HashSet<>();
    private int max;
    private io.fabric8.kubernetes.client.Watch watch;

    static ActiveJobs watch(String run, String target) {
      ActiveJobs jobs = new ActiveJobs();
      jobs.watch =
          client
              .batch()
              .v1()
              .jobs()
              .inNamespace(NS)
              .withLabel(Api.RUN_LABEL, run)
              .withLabel(Api.TARGET_LABEL, target)
              .watch(
                  new io.fabric8.kubernetes.client.Watcher<>() {
                    @Override
                    public void eventReceived(
                        Action action, io.fabric8.kubernetes.api.model.batch.v1.Job job) {
                      jobs.seen(action, job);
                    }

                    @Override
                    public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
                  });
      return jobs;
    }

    synchronized void seen(
        io.fabric8.kubernetes.client.Watcher.Action action,
        io.fabric8.kubernetes.api.model.batch.v1.Job job) {
      boolean finished =
          action == io.fabric8.kubernetes.client.Watcher.Action.DELETED
              || (job.getStatus() != null
                  && job.getStatus().getConditions() != null
                  && job.getStatus().getConditions().stream()
                      .anyMatch(
                          c ->
                              ("Complete".equals(c.getType()) || "Failed".equals(c.getType()))
                                  && "True".equals(c.getStatus())));
      if (finished) {
        active.remove(job.getMetadata().getName());
      } else {
        active.add(job.getMetadata().getName());
      }
      max = Math.max(max, active.size());
    }

    synchronized int max() {
      return max;
    }

    @Override
    public void close() {
      watch.close();
    }
  }

  /**
   * The largest number of pods of {@code target} that ran at the same time, from their start and
   * end times.
   */
  static int maxOverlap(List<Pod> pods, String target) {
    List<long[]> spans = new ArrayList<>();
    for (Pod pod : pods) {
      if (!target.equals(pod.getMetadata().getLabels().get(Api.TARGET_LABEL))) {
        continue;
      }
      var terminated = pod.getStatus().getContainerStatuses().get(0).getState().getTerminated();
      spans.add(
          new long[] {
            Instant.parse(terminated.getStartedAt()).toEpochMilli(),
            Instant.parse(terminated.getFinishedAt()).toEpochMilli()
          });
    }
    int max = 0;
    for (long[] span : spans) {
      int overlapping = 0;
      for (long[] other : spans) {
        if (other[0] <= span[0] && span[0] < other[1]) {
          overlapping++;
        }
      }
      max = Math.max(max, overlapping);
    }
    return max;
  }

  static String sha256(String key) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = bucket.download(key)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
