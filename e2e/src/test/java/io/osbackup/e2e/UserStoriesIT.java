package io.osbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RunPhase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user stories of osbackup, end to end, in local mode or on a real cluster ({@link
 * StoryCluster}): a cluster admin applies a store and a policy that backs up a database server and
 * a node's configuration every minute, sees the scheduled runs succeed, sees retention prune the
 * oldest backup, and restores the database as it was at a time between two backups. The story waits
 * for three scheduled slots, so it takes three to four minutes.
 */
class UserStoriesIT {

  private static final Duration SLOT_WAIT = Duration.ofSeconds(150);

  @TempDir static Path work;
  static StoryCluster cluster;
  static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    cluster = StoryCluster.start(work);
    client = cluster.client();
    System.out.println("user stories on " + cluster.where());
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void scheduledBackupsSucceedRetentionPrunesTheOldestAndADatabaseComesBackAsOfATime() {
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String policy = "stories-" + suffix;
    String db = "stories_nova_" + suffix;
    String restored = db + "_asof";
    try {
      cluster
          .sql()
          .execute(
              "CREATE DATABASE " + db,
              "CREATE TABLE "
                  + db
                  + ".instances (id INT PRIMARY KEY, host VARCHAR(64), vm_state VARCHAR(32))",
              "INSERT INTO "
                  + db
                  + ".instances VALUES (1, 'compute-1', 'active'), (2, 'compute-2', 'active'),"
                  + " (3, 'compute-1', 'stopped')");
      apply(
          """
          apiVersion: osbackup.io/v1alpha1
          kind: BackupStore
          metadata: {name: stories}
          spec:
            s3: {endpoint: "%s", bucket: %s, region: %s, prefix: stories, forcePathStyle: true,
                 credentialsSecret: {name: %s}}
          """
              .formatted(
                  cluster.s3Endpoint(),
                  cluster.s3Bucket(),
                  cluster.s3Region(),
                  cluster.s3Secret()));
      // Story 1: a policy that backs up every minute.
      apply(
          """
          apiVersion: osbackup.io/v1alpha1
          kind: BackupPolicy
          metadata: {name: %s}
          spec:
            storeRef: {name: stories}
            schedule: "* * * * *"
            timeZone: UTC
            concurrencyPolicy: Forbid
            retention: {keepLast: 2}
            compression: gzip
            databases:
              - name: galera
                host: %s
                port: %d
                credentialsSecret: {name: %s}
                include: [%s]
            files:
              - name: keystone-config
                nodeSelector: {openstack-role: %s}
                paths: [/etc/keystone]
            job: {activeDeadlineSeconds: 600}
          """
              .formatted(
                  policy,
                  cluster.dbHost(),
                  cluster.dbPort(),
                  cluster.dbSecret(),
                  db,
                  cluster.nodeRole()));

      List<BackupRun> runs = new ArrayList<>();
      List<Map<String, Long>> atBackup = new ArrayList<>();
      for (int slot = 0; slot < 3; slot++) {
        BackupRun run = nextScheduledRun(policy, runs);
        assertThat(run.getStatus().getPhase())
            .as(run.getStatus().getMessage())
            .isEqualTo(RunPhase.Succeeded);
        assertThat(run.getMetadata().getName())
            .as("named after its slot")
            .matches(policy + "-\\d{8}-\\d{4}00");
        assertThat(run.getStatus().getArtifacts())
            .extracting(ArtifactStatus::getKey)
            .anyMatch(k -> k.endsWith("/db/galera/" + db + ".sql.gz"))
            .anyMatch(k -> k.contains("/files/keystone-config/"));
        runs.add(run);
        atBackup.add(cluster.sql().tableChecksums(db));
        // the database moves on after every backup
        cluster
            .sql()
            .execute(
                "UPDATE "
                    + db
                    + ".instances SET vm_state = 'changed-after-backup-"
                    + slot
                    + "' WHERE id = "
                    + (slot + 1),
                "INSERT INTO "
                    + db
                    + ".instances VALUES ("
                    + (10 + slot)
                    + ", 'compute-9', 'building')");
      }
      // No more slots: the rest of the story must not race the schedule.
      BackupPolicy suspended =
          client
              .resources(BackupPolicy.class)
              .inNamespace(cluster.namespace())
              .withName(policy)
              .edit(
                  p -> {
                    p.getSpec().setSuspend(true);
                    return p;
                  });
      assertThat(suspended.getSpec().getSuspend()).isTrue();

      // Story 2: retention keeps the last two and deletes the oldest backup, its run and its
      // manifest.
      BackupRun oldest = runs.get(0);
      await("retention deletes " + oldest.getMetadata().getName())
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () ->
                  client
                          .resources(BackupRun.class)
                          .inNamespace(cluster.namespace())
                          .withName(oldest.getMetadata().getName())
                          .get()
                      == null);
      cluster
          .bucket()
          .ifPresent(
              bucket -> {
                try {
                  assertThat(bucket.list(oldest.getStatus().getFolder()))
                      .as("the oldest backup's objects")
                      .isEmpty();
                  assertThat(bucket.list(runs.get(2).getStatus().getManifestKey())).hasSize(1);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      for (BackupRun kept : runs.subList(1, 3)) {
        assertThat(
                client
                    .resources(BackupRun.class)
                    .inNamespace(cluster.namespace())
                    .withName(kept.getMetadata().getName())
                    .get())
            .as("kept " + kept.getMetadata().getName())
            .isNotNull();
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                BackupPolicy p =
                    client
                        .resources(BackupPolicy.class)
                        .inNamespace(cluster.namespace())
                        .withName(policy)
                        .get();
                return p.getStatus() != null
                    && Integer.valueOf(2).equals(p.getStatus().getKeptBackups());
              });

      // Story 3: the database as it was between the second and the third backup, under another
      // name.
      Instant second = Instant.parse(runs.get(1).getStatus().getCompletionTime());
      Instant third = Instant.parse(runs.get(2).getStatus().getCompletionTime());
      Instant asOf = second.plusSeconds(5);
      assertThat(asOf).isBefore(third);
      apply(
          """
          apiVersion: osbackup.io/v1alpha1
          kind: RestoreRequest
          metadata: {name: %s}
          spec:
            source: {policyRef: {name: %s}, asOf: "%s"}
            databases: {include: [%s], renames: {%s: %s}}
          """
              .formatted("stories-" + suffix, policy, asOf, db, db, restored));
      RestoreRequest request =
          awaitFinal(
              RestoreRequest.class,
              "stories-" + suffix,
              Duration.ofSeconds(180),
              r ->
                  r.getStatus() != null
                      && r.getStatus().getPhase() != null
                      && r.getStatus().getPhase().isFinal());
      assertThat(request.getStatus().getPhase())
          .as(request.getStatus().getMessage())
          .isEqualTo(RestorePhase.Succeeded);
      assertThat(request.getStatus().getBackupId())
          .isEqualTo(runs.get(1).getStatus().getBackupId());
      assertThat(cluster.sql().tableChecksums(restored))
          .as("as of %s: the second backup", asOf)
          .isEqualTo(atBackup.get(1))
          .isNotEqualTo(atBackup.get(2))
          .isNotEqualTo(cluster.sql().tableChecksums(db));
      assertThat(
              cluster.sql().column("SELECT vm_state FROM " + restored + ".instances WHERE id = 1"))
          .containsExactly("changed-after-backup-0");
    } finally {
      cleanUp(policy, "stories-" + suffix, db, restored);
    }
  }

  /**
   * Waits for the next run the schedule of {@code policy} starts, not one of {@code seen}, to end.
   */
  private BackupRun nextScheduledRun(String policy, List<BackupRun> seen) {
    List<String> names = seen.stream().map(r -> r.getMetadata().getName()).toList();
    AtomicReference<String> next = new AtomicReference<>();
    await("a scheduled run of " + policy + " after " + names)
        .atMost(SLOT_WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              client
                  .resources(BackupRun.class)
                  .inNamespace(cluster.namespace())
                  .withLabel("osbackup.io/policy", policy)
                  .list()
                  .getItems()
                  .stream()
                  .map(r -> r.getMetadata().getName())
                  .filter(n -> !names.contains(n))
                  .sorted()
                  .findFirst()
                  .ifPresent(next::set);
              return next.get() != null;
            });
    return awaitFinal(
        BackupRun.class,
        next.get(),
        Duration.ofSeconds(120),
        r ->
            r.getStatus() != null
                && r.getStatus().getPhase() != null
                && r.getStatus().getPhase().isFinal());
  }

  private <T extends HasMetadata> T awaitFinal(
      Class<T> type, String name, Duration timeout, java.util.function.Predicate<T> done) {
    AtomicReference<T> last = new AtomicReference<>();
    await(type.getSimpleName() + " " + name + " ends")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              T current =
                  client.resources(type).inNamespace(cluster.namespace()).withName(name).get();
              last.set(current);
              return current != null && done.test(current);
            });
    return last.get();
  }

  private void apply(String yaml) {
    HasMetadata object = Serialization.unmarshal(yaml);
    HasMetadata typed =
        switch (object.getKind()) {
          case "BackupStore" -> Serialization.unmarshal(yaml, BackupStore.class);
          case "BackupPolicy" -> Serialization.unmarshal(yaml, BackupPolicy.class);
          case "RestoreRequest" -> Serialization.unmarshal(yaml, RestoreRequest.class);
          default -> object;
        };
    typed.getMetadata().setNamespace(cluster.namespace());
    client.resource(typed).inNamespace(cluster.namespace()).createOr(existing -> existing.update());
  }

  /**
   * Leaves a real cluster as it was: the policy, its runs and the restore go, and the story's
   * databases.
   */
  private void cleanUp(String policy, String restore, String... databases) {
    String ns = cluster.namespace();
    try {
      client.resources(RestoreRequest.class).inNamespace(ns).withName(restore).delete();
      client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).delete();
      client
          .resources(BackupRun.class)
          .inNamespace(ns)
          .withLabel("osbackup.io/policy", policy)
          .delete();
      for (String db : databases) {
        cluster.sql().execute("DROP DATABASE IF EXISTS " + db);
      }
    } catch (RuntimeException e) {
      System.out.println("clean-up after the story failed: " + e.getMessage());
    }
  }
}
