package io.osbackup.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.api.v1alpha1.Retention;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.e2e.OperatorCluster;
import io.osbackup.e2e.TestNamespace;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.LocalCluster;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "take a backup before an upgrade" against a policy that runs every five minutes and
 * keeps one backup (local mode's overlay of the sample): the hand-made {@code before-upgrade}
 * outlives every retention pass, goes only when its own keepUntil or keepFor passes (manifest
 * first), stays hand-made when the catalog brings it back after a lost cluster, and a run's bad
 * keepUntil or keepFor is refused naming the field. The real operator on the embedded Kubernetes
 * API, the local Job runner running the real agent, a real MariaDB and a real S3 server.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OnDemandRetentionIT {

  static final String NS = "openstack";
  static final String BUCKET = "openstack-backups";
  static final Duration TIMEOUT = Duration.ofSeconds(120);
  static final Duration LONGEST_RUN = Duration.ofMinutes(20);

  @TempDir static Path work;
  static S3Server s3;
  static MariaDbServer db;
  static LocalCluster cluster;
  static KubernetesClient client;
  static TestNamespace namespace;
  static ObjectStore bucket;
  static final MovableClock CLOCK = new MovableClock();

  @BeforeAll
  static void start() throws Exception {
    OperatorCluster started =
        OperatorCluster.start(
            work,
            OperatorSettings.defaults()
                .withPendingTimeout(Duration.ofSeconds(2))
                .withPollInterval(Duration.ofSeconds(1))
                .withClock(CLOCK));
    s3 = started.s3;
    bucket = started.bucket;
    db = started.db;
    cluster = started.cluster;
    client = started.client;
    namespace = started.namespace;
    started.seedKeystoneAndNova();
    cluster.nodes().add("controller-1", Map.of("openstack-role", "controller"));
    namespace.apply(namespace.store());
    namespace.awaitStore(
        s ->
            s.condition(BackupStoreStatus.AVAILABLE)
                .map(c -> "True".equals(c.getStatus()))
                .orElse(false));
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(cluster, bucket, db, s3);
  }

  /**
   * The README's steps: before-upgrade is taken by hand, then the policy's own backups keep coming
   * (every five minutes in local mode) and each success runs retention with keepLast: 1.
   * before-upgrade stays, and the policy's own backups are pruned to the newest as before.
   */
  @Test
  @Order(1)
  void aBackupTakenBeforeAnUpgradeOutlivesEveryRetentionPass() throws Exception {
    namespace.apply(policy("control-plane"));
    BackupRun beforeUpgrade = runAndAwait("before-upgrade", "control-plane", "");
    assertThat(beforeUpgrade.getStatus().getPhase())
        .as(beforeUpgrade.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    String manifest = beforeUpgrade.getStatus().getManifestKey();

    // The scheduler's runs, named after their slots, one after the other; each success runs a
    // retention pass.
    List<String> scheduled =
        List.of(
            "control-plane-20261201-020000",
            "control-plane-20261201-020500",
            "control-plane-20261201-021000");
    for (int i = 0; i < scheduled.size(); i++) {
      BackupRun run = runAndAwait(scheduled.get(i), "control-plane", "");
      assertThat(run.getStatus().getPhase())
          .as(run.getStatus().getMessage())
          .isEqualTo(RunPhase.Succeeded);
      if (i > 0) {
        String previous = scheduled.get(i - 1);
        // keepLast: 1 prunes the previous scheduled backup: the pass ran.
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> runGone(previous));
      }
      assertThat(bucket.stat(manifest))
          .as("before-upgrade's manifest after pass %d", i + 1)
          .isPresent();
      assertThat(client.resources(BackupRun.class).inNamespace(NS).withName("before-upgrade").get())
          .as("the BackupRun before-upgrade after pass %d", i + 1)
          .isNotNull();
    }

    // More passes, run directly on the bucket, days and months later: a backup without keepUntil or
    // keepFor stays.
    Retention rules = new Retention();
    rules.setKeepLast(1);
    for (Duration later :
        List.of(Duration.ofMinutes(5), Duration.ofDays(1), Duration.ofDays(400))) {
      RetentionResult pass =
          pass("control-plane", rules, Instant.now().plus(later), RetentionStore.of(bucket));
      assertThat(pass.errors()).isEmpty();
      assertThat(pass.keptIds()).contains(beforeUpgrade.getStatus().getBackupId());
    }
    assertThat(bucket.stat(manifest)).isPresent();
    BackupRun still =
        client.resources(BackupRun.class).inNamespace(NS).withName("before-upgrade").get();
    assertThat(still.getStatus().getPhase()).isEqualTo(RunPhase.Succeeded);
    assertThat(still.getStatus().getRetention()).isEqualTo("Keep");
    assertThat(still.getStatus().getKeep()).isEqualTo("until deleted");
    assertThat(still.getStatus().getExpiresAt()).isNull();
    assertThat(still.getStatus().getOrigin()).isEqualTo("OnDemand");

    // The policy's own backups are still pruned to keepLast: 1, before-upgrade not counted among
    // them.
    List<String> folders = folders("control-plane");
    assertThat(folders)
        .containsExactlyInAnyOrder(beforeUpgrade.getStatus().getBackupId(), scheduled.get(2));
    BackupPolicy policy =
        client.resources(BackupPolicy.class).inNamespace(NS).withName("control-plane").get();
    assertThat(policy.getStatus().getKeptBackups()).isEqualTo(2);
  }

  /**
   * keepFor and keepUntil are the hand-made backup's own terms: once they pass, retention deletes
   * it, manifest first.
   */
  @Test
  @Order(2)
  void aHandMadeBackupGoesWhenItsOwnKeepForOrKeepUntilPasses() throws Exception {
    namespace.apply(policy("nova"));
    BackupRun ttl = runAndAwait("nova-ttl", "nova", "keepFor: 2h");
    String until =
        Instant.now()
            .plus(Duration.ofHours(1))
            .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
            .toString();
    BackupRun pinned = runAndAwait("nova-pinned", "nova", "keepUntil: \"" + until + "\"");
    BackupRun daily = runAndAwait("nova-20261201-020000", "nova", "");
    for (BackupRun run : List.of(ttl, pinned, daily)) {
      assertThat(run.getStatus().getPhase())
          .as(run.getStatus().getMessage())
          .isEqualTo(RunPhase.Succeeded);
    }
    assertThat(pinned.getStatus().getExpiresAt()).isEqualTo(until);
    assertThat(pinned.getStatus().getKeep()).isEqualTo("until " + until);
    Instant ttlExpires = Instant.parse(ttl.getStatus().getExpiresAt());
    assertThat(ttlExpires)
        .isBetween(
            Instant.parse(ttl.getStatus().getCompletionTime())
                .plus(Duration.ofHours(2))
                .minusSeconds(5),
            Instant.parse(ttl.getStatus().getCompletionTime())
                .plus(Duration.ofHours(2))
                .plusSeconds(5));
    assertThat(ttl.getStatus().getKeep()).isEqualTo("until " + ttl.getStatus().getExpiresAt());

    Retention rules = new Retention();
    rules.setKeepLast(1);
    // Before either time passes, both are kept.
    RetentionResult early =
        pass("nova", rules, Instant.now().plus(Duration.ofMinutes(30)), RetentionStore.of(bucket));
    assertThat(early.keptIds())
        .contains(
            ttl.getStatus().getBackupId(),
            pinned.getStatus().getBackupId(),
            daily.getStatus().getBackupId());
    assertThat(early.deleted()).isEmpty();

    // Ninety minutes on keepUntil has passed, keepFor has not.
    List<List<String>> deletes = new ArrayList<>();
    RetentionResult middle =
        pass("nova", rules, Instant.now().plus(Duration.ofMinutes(90)), recording(deletes));
    assertThat(middle.deleted()).containsExactly(pinned.getStatus().getBackupId());
    assertThat(middle.keptIds())
        .contains(ttl.getStatus().getBackupId(), daily.getStatus().getBackupId());
    assertThat(deletes.get(0)).containsExactly(pinned.getStatus().getManifestKey());
    assertThat(deletes.get(1)).isNotEmpty().doesNotContain(pinned.getStatus().getManifestKey());

    // The operator's own pass, three hours on: keepFor has passed too. The backup goes, then its
    // BackupRun.
    CLOCK.advance(Duration.ofHours(3));
    await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> runGone("nova-ttl"));
    assertThat(bucket.stat(ttl.getStatus().getManifestKey())).isEmpty();
    assertThat(folders("nova")).containsExactly(daily.getStatus().getBackupId());
    assertThat(
            client
                .resources(BackupRun.class)
                .inNamespace(NS)
                .withName("nova-20261201-020000")
                .get())
        .isNotNull();
  }

  /**
   * After a lost cluster the catalog brings the hand-made backup back from its manifest still
   * hand-made: the manifest says so, the found run shows it, and retention still does not count it.
   */
  @Test
  @Order(3)
  void theCatalogBringsAHandMadeBackupBackHandMade() throws Exception {
    namespace.apply(policy("glance"));
    BackupRun handMade = runAndAwait("glance-before-upgrade", "glance", "keepFor: 30d");
    BackupRun daily = runAndAwait("glance-20261201-020000", "glance", "");
    assertThat(handMade.getStatus().getPhase())
        .as(handMade.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    String id = handMade.getStatus().getBackupId();
    @SuppressWarnings("unchecked")
    Map<String, Object> recorded =
        (Map<String, Object>)
            bucket.getJson(handMade.getStatus().getManifestKey(), Map.class).get().get("retention");
    assertThat(recorded)
        .containsEntry("origin", "OnDemand")
        .containsEntry("rules", "Keep")
        .containsEntry("keepFor", "30d");

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
                        .isEmpty());
    cluster.startOperator();
    namespace.apply(namespace.store());
    namespace.apply(policy("glance"));

    BackupRun found = namespace.awaitEnd(id);
    assertThat(found.getStatus().getFoundInStore()).isTrue();
    assertThat(found.getStatus().getRetention()).isEqualTo("Keep");
    assertThat(found.getStatus().getExpiresAt()).isEqualTo(handMade.getStatus().getExpiresAt());
    assertThat(found.getStatus().getKeep()).isEqualTo(handMade.getStatus().getKeep());
    assertThat(found.getStatus().getOrigin()).isEqualTo("OnDemand");
    BackupRun foundDaily = namespace.awaitEnd(daily.getStatus().getBackupId());
    assertThat(foundDaily.getStatus().getRetention()).isEqualTo("Policy");
    assertThat(foundDaily.getStatus().getOrigin()).isEqualTo("Scheduled");
    assertThat(foundDaily.getStatus().getKeep()).isEqualTo("by policy glance");

    Retention rules = new Retention();
    rules.setKeepLast(1);
    BackupRun newer = runAndAwait("glance-20261201-020500", "glance", "");
    assertThat(newer.getStatus().getPhase())
        .as(newer.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> runGone(daily.getStatus().getBackupId()));
    RetentionResult pass =
        pass("glance", rules, CLOCK.instant().plus(Duration.ofDays(1)), RetentionStore.of(bucket));
    assertThat(pass.keptIds()).containsExactlyInAnyOrder(id, newer.getStatus().getBackupId());
    assertThat(client.resources(BackupRun.class).inNamespace(NS).withName(id).get()).isNotNull();
  }

  /**
   * A keepFor or keepUntil that cannot be honoured is refused before anything is written, naming
   * the field: one that is not a duration or a time by the API server (the CRD's pattern), one in
   * the past by the operator.
   */
  @Test
  @Order(4)
  void aBadKeepForOrKeepUntilIsRefusedNamingTheField() throws Exception {
    namespace.apply(policy("placement"));
    for (String bad : List.of("keepFor: thirty days", "keepUntil: next tuesday")) {
      String field = "spec." + bad.substring(0, bad.indexOf(':'));
      assertThatThrownBy(() -> runAndAwait("placement-syntax", "placement", bad))
          .as(bad)
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
          .hasMessageContaining(
              field + ": Invalid value: \"" + bad.substring(bad.indexOf(':') + 2) + "\"");
    }
    Map<String, List<String>> cases = new LinkedHashMap<>();
    cases.put(
        "keepUntil: \"2020-01-01T00:00:00Z\"",
        List.of("KeepUntilInPast", "spec.keepUntil 2020-01-01T00:00:00Z", "already past"));
    int i = 0;
    for (Map.Entry<String, List<String>> c : cases.entrySet()) {
      String name = "placement-bad-" + i++;
      BackupRun run = runAndAwait(name, "placement", c.getKey());
      String reason = c.getValue().get(0);
      assertThat(run.getStatus().getPhase()).as(c.getKey()).isEqualTo(RunPhase.Failed);
      assertThat(run.getStatus().condition("Complete").orElseThrow().getReason()).isEqualTo(reason);
      assertThat(run.getStatus().getMessage())
          .contains(c.getValue().get(1))
          .contains(c.getValue().get(2));
      assertThat(namespace.eventsOf(run))
          .anySatisfy(e -> assertThat(e).startsWith(reason + ": ").contains(c.getValue().get(1)));
      assertThat(run.getStatus().getFolder()).isNull();
      assertThat(
              client
                  .batch()
                  .v1()
                  .jobs()
                  .inNamespace(NS)
                  .withLabel("osbackup.io/run", name)
                  .list()
                  .getItems())
          .isEmpty();
    }
    assertThat(bucket.list("prod/" + NS + "/placement/")).as("nothing was written").isEmpty();
  }

  /**
   * A hand-made backup is deleted explicitly by naming it in its run's spec.deleteBackup: manifest
   * first, then the folder, then the run, so the catalog cannot bring it back. A wrong name, or a
   * backup the policy's rules decide about, is refused with an Event naming the field, and nothing
   * is deleted.
   */
  @Test
  @Order(5)
  void aHandMadeBackupIsDeletedExplicitlyByNamingItInDeleteBackup() throws Exception {
    namespace.apply(policy("cinder"));
    BackupRun handMade = runAndAwait("cinder-before-upgrade", "cinder", "");
    BackupRun daily = runAndAwait("cinder-20261201-020000", "cinder", "");
    for (BackupRun run : List.of(handMade, daily)) {
      assertThat(run.getStatus().getPhase())
          .as(run.getStatus().getMessage())
          .isEqualTo(RunPhase.Succeeded);
    }
    String id = handMade.getStatus().getBackupId();

    setDeleteBackup("cinder-before-upgrade", "cinder-before-upgrade");
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                namespace.eventsOf(handMade).stream()
                    .anyMatch(e -> e.startsWith("DeleteBackupRefused: ")));
    assertThat(namespace.eventsOf(handMade))
        .filteredOn(e -> e.startsWith("DeleteBackupRefused: "))
        .singleElement()
        .asString()
        .contains("spec.deleteBackup 'cinder-before-upgrade'")
        .contains(id);
    setDeleteBackup("cinder-20261201-020000", "cinder-20261201-020000");
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                namespace.eventsOf(daily).stream()
                    .anyMatch(e -> e.startsWith("DeleteBackupRefused: ")));
    assertThat(namespace.eventsOf(daily))
        .filteredOn(e -> e.startsWith("DeleteBackupRefused: "))
        .singleElement()
        .asString()
        .contains("spec.deleteBackup")
        .contains("policy's rules");
    assertThat(bucket.stat(handMade.getStatus().getManifestKey())).isPresent();
    assertThat(bucket.stat(daily.getStatus().getManifestKey())).isPresent();

    setDeleteBackup("cinder-before-upgrade", id);
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> runGone("cinder-before-upgrade"));
    assertThat(bucket.list(handMade.getStatus().getFolder() + "/")).isEmpty();
    assertThat(namespace.eventsOf(handMade))
        .anySatisfy(e -> assertThat(e).startsWith("BackupDeleted: ").contains(id));
    assertThat(folders("cinder")).containsExactly(daily.getStatus().getBackupId());
  }

  static void setDeleteBackup(String run, String value) {
    client
        .genericKubernetesResources("osbackup.io/v1alpha1", "BackupRun")
        .inNamespace(NS)
        .withName(run)
        .edit(
            r -> {
              @SuppressWarnings("unchecked")
              Map<String, Object> spec =
                  (Map<String, Object>) r.getAdditionalProperties().get("spec");
              spec.put("deleteBackup", value);
              return r;
            });
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** A clock the test moves forward; the operator reads every "now" from it. */
  static final class MovableClock extends Clock {
    private volatile Duration offset = Duration.ZERO;

    void advance(Duration by) {
      offset = offset.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }

  static RetentionResult pass(String policy, Retention rules, Instant now, RetentionStore store) {
    return RetentionPass.run(
        store,
        "prod/" + NS + "/" + policy,
        rules,
        ZoneOffset.UTC,
        now,
        LONGEST_RUN,
        false,
        Set.of(),
        null);
  }

  static RetentionStore recording(List<List<String>> deletes) {
    RetentionStore real = RetentionStore.of(bucket);
    return new RetentionStore() {
      @Override
      public List<ObjectInfo> list(String prefix) throws java.io.IOException {
        return real.list(prefix);
      }

      @Override
      public Optional<io.osbackup.contract.Manifest> manifest(String key)
          throws java.io.IOException {
        return real.manifest(key);
      }

      @Override
      public Optional<io.osbackup.contract.Owner.Marker> marker(String key)
          throws java.io.IOException {
        return real.marker(key);
      }

      @Override
      public void delete(Collection<String> keys) throws java.io.IOException {
        deletes.add(List.copyOf(keys));
        real.delete(keys);
      }

      @Override
      public List<String> incompleteUploads(String prefix) throws java.io.IOException {
        return real.incompleteUploads(prefix);
      }

      @Override
      public int abortIncompleteUploads(String prefix) throws java.io.IOException {
        return real.abortIncompleteUploads(prefix);
      }
    };
  }

  /** The backup folders under the policy's folder. */
  static List<String> folders(String policy) throws Exception {
    String root = "prod/" + NS + "/" + policy + "/";
    return bucket.list(root).stream()
        .map(o -> o.key().substring(root.length()))
        .map(k -> k.substring(0, k.indexOf('/')))
        .distinct()
        .toList();
  }

  static boolean runGone(String name) {
    return client.resources(BackupRun.class).inNamespace(NS).withName(name).get() == null;
  }

  /** Local mode's overlay of the sample policy: every five minutes, one backup kept. */
  static BackupPolicy policy(String name) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: %s, namespace: %s}
        spec:
          schedule: "*/5 * * * *"
          suspend: true
          storeRef: {name: primary}
          job: {activeDeadlineSeconds: 300}
          retention: {keepLast: 1}
          databases:
            - name: galera
              host: 127.0.0.1
              port: %d
              credentialsSecret: {name: backup-db}
              include: [keystone, nova]
        """
            .formatted(name, NS, db.port()),
        BackupPolicy.class);
  }

  /** Creates a run as a user would with kubectl (spec fields as YAML), and waits for it to end. */
  static BackupRun runAndAwait(String name, String policy, String more) {
    GenericKubernetesResource run =
        Serialization.unmarshal(
            """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupRun
            metadata: {name: %s, namespace: %s}
            spec:
              policyRef: {name: %s}
            %s
            """
                .formatted(name, NS, policy, more.indent(2)),
            GenericKubernetesResource.class);
    client
        .genericKubernetesResources("osbackup.io/v1alpha1", "BackupRun")
        .inNamespace(NS)
        .resource(run)
        .create();
    return namespace.awaitEnd(name);
  }
}
