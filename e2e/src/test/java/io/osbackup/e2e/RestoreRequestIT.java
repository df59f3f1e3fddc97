package io.osbackup.e2e;

import static io.osbackup.e2e.LocalOsbackup.NS;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Manifest;
import io.osbackup.store.ArtifactUpload;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RestoreRequests end to end: the real operator on the embedded Kubernetes API, the local Job
 * runner running the real agent, a real MariaDB and a real S3 server. Each test backs up its own
 * databases, changes them, and restores.
 */
class RestoreRequestIT {

  @TempDir static Path work;
  static LocalOsbackup osb;

  @BeforeAll
  static void start() throws Exception {
    osb = LocalOsbackup.start(work);
    osb.addNode("compute-1", "compute");
    osb.addNode("compute-2", "compute");
    writeNovaConfig("compute-1", "[DEFAULT]\nhost = compute-1\n");
    writeNovaConfig("compute-2", "[DEFAULT]\nhost = compute-2\n");
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(osb);
  }

  @Test
  void restoresDatabasesAndFilesInPlaceQuiescingWorkloadsAndKeepsThePreviousContents()
      throws Exception {
    seed("rt_nova", "rt_nova_api");
    osb.apply(
        osb.policy(
            "rt",
            osb.databases("rt_nova", "rt_nova_api")
                + """
        files:
          - name: nova-config
            nodeSelector: {openstack-role: compute}
            paths: [/etc/nova]
        """));
    BackupRun run = osb.backup("rt", "rt-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    String id = run.getStatus().getBackupId();
    Map<String, Long> novaAtBackup = osb.db.tableChecksums("rt_nova");
    Map<String, Long> apiAtBackup = osb.db.tableChecksums("rt_nova_api");

    osb.db.execute(
        "UPDATE rt_nova.hosts SET name = CONCAT(name, '-broken')",
        "CREATE TABLE rt_nova.added_later (id INT PRIMARY KEY)",
        "DROP VIEW rt_nova_api.host_names",
        "DELETE FROM rt_nova_api.hosts",
        "DROP TABLE rt_nova_api.hosts");
    Map<String, Long> novaBroken = osb.db.tableChecksums("rt_nova");
    Path node = osb.cluster.nodes().root("compute-1");
    Files.writeString(node.resolve("etc/nova/nova.conf"), "[DEFAULT]\nhost = broken\n");
    Files.writeString(node.resolve("etc/nova/stray.conf"), "left over");

    osb.apply(deployment("rt-nova-api", 3));
    osb.apply(statefulSet("rt-nova-conductor", 2));
    List<Integer> replicasSeen = new CopyOnWriteArrayList<>();
    try (var watch =
        osb.client
            .apps()
            .deployments()
            .inNamespace(NS)
            .withName("rt-nova-api")
            .watch(
                new io.fabric8.kubernetes.client.Watcher<Deployment>() {
                  @Override
                  public void eventReceived(Action action, Deployment d) {
                    replicasSeen.add(d.getSpec().getReplicas());
                  }

                  @Override
                  public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
                })) {
      osb.restore(
          "rt-restore",
          """
          source: {backupRunRef: {name: rt-1}}
          databases: {}
          files:
            include: [{target: nova-config, nodes: [compute-1]}]
          quiesce:
            - {kind: Deployment, name: rt-nova-api}
            - {kind: StatefulSet, name: rt-nova-conductor}
          confirm: %s
          """
              .formatted(id));
      RestoreRequest done = osb.awaitRestoreEnd("rt-restore");
      RestoreRequestStatus status = done.getStatus();
      assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RestorePhase.Succeeded);
      assertThat(status.getBackupId()).isEqualTo(id);

      // The databases are as they were at backup time, views and foreign keys included.
      assertThat(osb.db.tableChecksums("rt_nova")).isEqualTo(novaAtBackup);
      assertThat(osb.db.tableChecksums("rt_nova_api")).isEqualTo(apiAtBackup);
      assertThat(
              osb.db.column(
                  "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA='rt_nova_api'"))
          .containsExactly("host_names");
      assertThat(
              osb.db.column(
                  "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS"
                      + " WHERE CONSTRAINT_SCHEMA='rt_nova'"))
          .containsExactly("1");
      // ... and what was there before is kept aside, where status says.
      String kept = "rt_nova_orig_" + status.getStamp().replace('-', '_');
      assertThat(osb.db.tableChecksums(kept)).isEqualTo(novaBroken);
      assertThat(status.getPlan())
          .filteredOn(i -> "rt_nova".equals(i.getDatabase()))
          .singleElement()
          .satisfies(
              i -> {
                assertThat(i.getState()).isEqualTo("Restored");
                assertThat(i.getPreviousKeptAt()).isEqualTo(kept);
              });
      assertThat(osb.db.column("SHOW DATABASES LIKE '%staging%'")).isEmpty();

      // The node's directory is the backed-up one; the previous one is at .orig-<stamp>.
      assertThat(Files.readString(node.resolve("etc/nova/nova.conf")))
          .isEqualTo("[DEFAULT]\nhost = compute-1\n");
      assertThat(node.resolve("etc/nova/stray.conf")).doesNotExist();
      assertThat(Files.getPosixFilePermissions(node.resolve("etc/nova/nova.conf")))
          .isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
      Path orig = node.resolve("etc/nova.orig-" + status.getStamp());
      assertThat(Files.readString(orig.resolve("nova.conf")))
          .isEqualTo("[DEFAULT]\nhost = broken\n");
      assertThat(orig.resolve("stray.conf")).exists();

      // Workloads were scaled to zero and back to their recorded counts.
      assertThat(status.getQuiesced())
          .extracting(q -> q.getName() + "=" + q.getReplicas())
          .containsExactlyInAnyOrder("rt-nova-api=3", "rt-nova-conductor=2");
      assertThat(replicasSeen).contains(0);
      assertThat(
              osb.client
                  .apps()
                  .deployments()
                  .inNamespace(NS)
                  .withName("rt-nova-api")
                  .get()
                  .getSpec()
                  .getReplicas())
          .isEqualTo(3);
      assertThat(
              osb.client
                  .apps()
                  .statefulSets()
                  .inNamespace(NS)
                  .withName("rt-nova-conductor")
                  .get()
                  .getSpec()
                  .getReplicas())
          .isEqualTo(2);
      assertThat(osb.eventsOf(done)).anySatisfy(e -> assertThat(e).startsWith("Quiesced"));
    }
  }

  @Test
  void refusesAnInPlaceRestoreWithoutConfirmAndGoesOnOnceItIsSet() throws Exception {
    seed("nc_db");
    osb.apply(osb.policy("nc", osb.databases("nc_db")));
    BackupRun run = osb.backup("nc", "nc-1");
    String id = run.getStatus().getBackupId();
    Map<String, Long> atBackup = osb.db.tableChecksums("nc_db");
    osb.db.execute("UPDATE nc_db.hosts SET name = 'changed'");
    Map<String, Long> changed = osb.db.tableChecksums("nc_db");

    osb.restore(
        "nc-restore", "source: {backupRunRef: {name: nc-1}}\ndatabases: {include: [nc_db]}\n");
    RestoreRequest refused = osb.awaitRestoreEnd("nc-restore");
    assertThat(refused.getStatus().getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(refused.getStatus().getMessage())
        .contains("spec.confirm: " + id)
        .contains("127.0.0.1:" + osb.db.port() + "/nc_db")
        .contains("nothing was changed");
    assertThat(
            refused.getStatus().condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("ConfirmRequired");
    assertThat(osb.eventsOf(refused))
        .anySatisfy(e -> assertThat(e).startsWith("ConfirmRequired").contains(id));
    assertThat(jobsOf("nc-restore")).isEmpty();
    assertThat(osb.db.tableChecksums("nc_db")).isEqualTo(changed);

    // A wrong confirm is refused the same way, and names what was given.
    osb.client
        .resources(RestoreRequest.class)
        .inNamespace(NS)
        .withName("nc-restore")
        .edit(
            r -> {
              r.getSpec().setConfirm("nc-something-else");
              return r;
            });
    RestoreRequest mismatch = awaitReason("nc-restore", "ConfirmMismatch");
    assertThat(mismatch.getStatus().getMessage()).contains("nc-something-else");
    assertThat(osb.db.tableChecksums("nc_db")).isEqualTo(changed);

    // Nothing was written, so setting confirm validates again and restores.
    osb.client
        .resources(RestoreRequest.class)
        .inNamespace(NS)
        .withName("nc-restore")
        .edit(
            r -> {
              r.getSpec().setConfirm(id);
              return r;
            });
    RestoreRequest done = awaitReason("nc-restore", "Succeeded");
    assertThat(done.getStatus().getPhase()).isEqualTo(RestorePhase.Succeeded);
    assertThat(osb.db.tableChecksums("nc_db")).isEqualTo(atBackup);
  }

  @Test
  void aCorruptedArtifactIsRefusedBeforeAnythingIsWrittenOrQuiesced() throws Exception {
    seed("cor_db");
    osb.apply(osb.policy("cor", osb.databases("cor_db")));
    BackupRun run = osb.backup("cor", "cor-1");
    String id = run.getStatus().getBackupId();
    osb.db.execute("UPDATE cor_db.hosts SET name = 'changed'");
    Map<String, Long> changed = osb.db.tableChecksums("cor_db");
    // One byte flipped in the stored object: same size, another SHA-256.
    // The database's dump, not the target's accounts artifact (a restore without spec.accounts
    // never reads that).
    ArtifactStatus artifact =
        run.getStatus().getArtifacts().stream()
            .filter(a -> "cor_db".equals(a.getDatabase()))
            .findFirst()
            .orElseThrow();
    byte[] bytes;
    try (InputStream in = osb.bucket.download(artifact.getKey())) {
      bytes = in.readAllBytes();
    }
    bytes[bytes.length / 2] ^= 0x01;
    try (ArtifactUpload upload = osb.bucket.open(artifact.getKey(), Compression.NONE)) {
      upload.stream().write(bytes);
      upload.finish();
    }
    osb.apply(deployment("cor-api", 2));

    osb.restore(
        "cor-restore",
        """
        source: {storeRef: {name: primary}, backupId: %s}
        databases: {}
        quiesce: [{kind: Deployment, name: cor-api}]
        confirm: %s
        """
            .formatted(id, id));
    RestoreRequest failed = osb.awaitRestoreEnd("cor-restore");
    assertThat(failed.getStatus().getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(
            failed.getStatus().condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("ArtifactCorrupted");
    assertThat(failed.getStatus().getMessage())
        .contains(artifact.getKey())
        .contains("nothing was written");
    assertThat(failed.getStatus().getQuiesced()).isEmpty();
    assertThat(
            osb.client
                .apps()
                .deployments()
                .inNamespace(NS)
                .withName("cor-api")
                .get()
                .getSpec()
                .getReplicas())
        .isEqualTo(2);
    assertThat(osb.db.tableChecksums("cor_db")).isEqualTo(changed);
    assertThat(osb.db.column("SHOW DATABASES LIKE 'cor_db%'")).containsExactly("cor_db");
  }

  /**
   * An archive whose checksum matches its (rewritten) manifest but which holds an entry climbing
   * out of its directory is refused as what it is: ArchiveRefused naming the entry, in status and
   * an Event, before anything is written or quiesced. The rewritten manifest no longer matches its
   * signature, so the request says it knows (spec.allowUnsignedManifest) to reach the archive
   * check.
   */
  @Test
  void aRefusedArchiveIsReportedAsArchiveRefusedNamingTheEntry() throws Exception {
    seed("arc_db");
    osb.apply(
        osb.policy(
            "arc",
            osb.databases("arc_db")
                + """
        files:
          - name: nova-config
            nodeSelector: {openstack-role: compute}
            paths: [/etc/nova]
        """));
    BackupRun run = osb.backup("arc", "arc-1");
    String id = run.getStatus().getBackupId();
    String manifestKey = "prod/" + NS + "/arc/" + id + "/manifest.json";
    Manifest manifest = osb.bucket.getJson(manifestKey, Manifest.class).orElseThrow();
    Manifest.Entry archive =
        manifest.artifacts().stream()
            .filter(a -> "nova-config".equals(a.target()) && "compute-1".equals(a.node()))
            .findFirst()
            .orElseThrow();
    String evil = "etc/nova/../../root/.ssh/authorized_keys";
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (var out =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
            new java.util.zip.GZIPOutputStream(tar), "UTF-8")) {
      var dir =
          new org.apache.commons.compress.archivers.tar.TarArchiveEntry(
              "etc/nova/", org.apache.commons.compress.archivers.tar.TarConstants.LF_DIR);
      out.putArchiveEntry(dir);
      out.closeArchiveEntry();
      var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(evil);
      entry.setSize(5);
      out.putArchiveEntry(entry);
      out.write("evil\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.closeArchiveEntry();
    }
    io.osbackup.contract.StoredArtifact stored;
    try (ArtifactUpload upload = osb.bucket.open(archive.key(), Compression.NONE)) {
      upload.stream().write(tar.toByteArray());
      stored = upload.finish();
    }
    osb.bucket.putJson(
        manifestKey,
        new Manifest(
            manifest.formatVersion(),
            manifest.backupId(),
            manifest.namespace(),
            manifest.policy(),
            manifest.run(),
            manifest.store(),
            manifest.bucket(),
            manifest.folder(),
            manifest.compression(),
            manifest.startedAt(),
            manifest.completedAt(),
            manifest.size(),
            manifest.artifacts().stream()
                .map(
                    a ->
                        a != archive
                            ? a
                            : new Manifest.Entry(
                                a.kind(),
                                a.target(),
                                a.database(),
                                a.node(),
                                a.key(),
                                stored.size(),
                                a.rawSize(),
                                stored.sha256(),
                                a.compression(),
                                a.files(),
                                a.source(),
                                a.startedAt(),
                                a.finishedAt(),
                                a.warnings()))
                .toList()));
    Path node = osb.cluster.nodes().root("compute-1");
    String conf = Files.readString(node.resolve("etc/nova/nova.conf"));

    assertRefused(
        "arc-restore",
        """
        source: {storeRef: {name: primary}, backupId: %s}
        files: {include: [{target: nova-config, nodes: [compute-1]}]}
        allowUnsignedManifest: true
        confirm: %s
        """
            .formatted(id, id),
        "ArchiveRefused",
        archive.key(),
        "archive entry '" + evil + "' climbs out");
    assertThat(node.resolve("root")).doesNotExist();
    assertThat(Files.readString(node.resolve("etc/nova/nova.conf"))).isEqualTo(conf);
  }

  @Test
  void restoresOneDatabaseUnderAnotherNameAsOfATime() throws Exception {
    seed("asof_a", "asof_b");
    osb.apply(osb.policy("asof", osb.databases("asof_a", "asof_b")));
    BackupRun first = osb.backup("asof", "asof-1");
    Map<String, Long> firstA = osb.db.tableChecksums("asof_a");
    Thread.sleep(1100);
    osb.db.execute(
        "UPDATE asof_a.hosts SET name = 'second'", "UPDATE asof_b.hosts SET name = 'second'");
    BackupRun second = osb.backup("asof", "asof-2");
    assertThat(second.getStatus().getPhase()).isEqualTo(RunPhase.Succeeded);
    osb.db.execute("UPDATE asof_a.hosts SET name = 'third'");
    Map<String, Long> nowA = osb.db.tableChecksums("asof_a");
    Map<String, Long> nowB = osb.db.tableChecksums("asof_b");

    osb.restore(
        "asof-restore",
        """
        source: {policyRef: {name: asof}, asOf: "%s"}
        databases: {include: [asof_a], renames: {asof_a: asof_a_first}}
        """
            .formatted(first.getStatus().getCompletionTime()));
    RestoreRequest done = osb.awaitRestoreEnd("asof-restore");
    assertThat(done.getStatus().getPhase())
        .as(done.getStatus().getMessage())
        .isEqualTo(RestorePhase.Succeeded);
    assertThat(done.getStatus().getBackupId()).isEqualTo(first.getStatus().getBackupId());
    assertThat(osb.db.tableChecksums("asof_a_first")).isEqualTo(firstA);
    assertThat(osb.db.tableChecksums("asof_a")).isEqualTo(nowA);
    assertThat(osb.db.tableChecksums("asof_b")).isEqualTo(nowB);
    assertThat(done.getStatus().getPlan())
        .singleElement()
        .satisfies(i -> assertThat(i.getDestination()).endsWith("/asof_a_first"));

    osb.restore(
        "asof-too-early",
        """
        source: {policyRef: {name: asof}, asOf: "2001-01-01T00:00:00Z"}
        databases: {include: [asof_a], renames: {asof_a: asof_never}}
        """);
    RestoreRequest early = osb.awaitRestoreEnd("asof-too-early");
    assertThat(early.getStatus().getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(early.getStatus().getMessage())
        .contains("source.asOf")
        .contains(first.getStatus().getBackupId());
    assertThat(osb.db.column("SHOW DATABASES LIKE 'asof_never'")).isEmpty();

    osb.restore(
        "asof-unknown-db",
        """
        source: {policyRef: {name: asof}, asOf: "%s"}
        databases: {include: [glance]}
        """
            .formatted(java.time.Instant.now()));
    RestoreRequest unknown = osb.awaitRestoreEnd("asof-unknown-db");
    assertThat(unknown.getStatus().getMessage())
        .contains("spec.databases.include")
        .contains("glance")
        .contains("asof_a");
  }

  @Test
  void aDryRunVerifiesAndPlansButChangesNothing() throws Exception {
    seed("dry_db");
    osb.apply(
        osb.policy(
            "dry",
            osb.databases("dry_db")
                + """
        files:
          - name: nova-config
            nodeSelector: {openstack-role: compute}
            paths: [/etc/nova]
        """));
    BackupRun run = osb.backup("dry", "dry-1");
    Map<String, Long> atBackup = osb.db.tableChecksums("dry_db");
    osb.db.execute("UPDATE dry_db.hosts SET name = 'changed'");
    Map<String, Long> changed = osb.db.tableChecksums("dry_db");
    Files.writeString(
        osb.cluster.nodes().root("compute-2").resolve("etc/nova/nova.conf"), "changed");
    osb.apply(deployment("dry-api", 4));

    osb.restore(
        "dry-restore",
        """
        source: {backupRunRef: {name: dry-1}}
        databases: {}
        files: {include: [{target: nova-config, nodes: [compute-2]}]}
        quiesce: [{kind: Deployment, name: dry-api}]
        dryRun: true
        """);
    RestoreRequest done = osb.awaitRestoreEnd("dry-restore");
    RestoreRequestStatus status = done.getStatus();
    assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RestorePhase.Succeeded);
    assertThat(status.getMessage())
        .contains("dry run")
        .contains("dry-api")
        .contains("spec.confirm: " + run.getStatus().getBackupId())
        .contains("nothing was changed");
    assertThat(status.getPlan())
        .hasSize(2)
        .allSatisfy(i -> assertThat(i.getState()).isEqualTo("Verified"));
    assertThat(status.getPlan())
        .extracting(RestoreRequestStatus.RestoreItem::getDestination)
        .contains("compute-2:/etc/nova");
    assertThat(status.getBytes()).isPositive();
    assertThat(osb.db.tableChecksums("dry_db")).isEqualTo(changed);
    assertThat(
            Files.readString(osb.cluster.nodes().root("compute-2").resolve("etc/nova/nova.conf")))
        .isEqualTo("changed");
    assertThat(
            osb.client
                .apps()
                .deployments()
                .inNamespace(NS)
                .withName("dry-api")
                .get()
                .getSpec()
                .getReplicas())
        .isEqualTo(4);
    assertThat(jobsOf("dry-restore"))
        .extracting(j -> j.getMetadata().getName())
        .containsExactly("dry-restore-verify");

    // The plan looks right: turn the dry run into the real thing. Nothing was written, so it is a
    // new attempt with
    // its own Jobs.
    osb.client
        .resources(RestoreRequest.class)
        .inNamespace(NS)
        .withName("dry-restore")
        .edit(
            r -> {
              r.getSpec().setDryRun(false);
              r.getSpec().setConfirm(run.getStatus().getBackupId());
              return r;
            });
    RestoreRequest real = awaitReason("dry-restore", "Succeeded");
    assertThat(real.getStatus().getAttempt()).isEqualTo(2);
    assertThat(
            Files.readString(osb.cluster.nodes().root("compute-2").resolve("etc/nova/nova.conf")))
        .isEqualTo("[DEFAULT]\nhost = compute-2\n");
    assertThat(osb.db.tableChecksums("dry_db")).isEqualTo(atBackup);
    assertThat(jobsOf("dry-restore"))
        .extracting(j -> j.getMetadata().getName())
        .contains("dry-restore-2-verify", "dry-restore-2-db-galera")
        .doesNotContain("dry-restore-verify");
    assertThat(
            osb.client
                .apps()
                .deployments()
                .inNamespace(NS)
                .withName("dry-api")
                .get()
                .getSpec()
                .getReplicas())
        .isEqualTo(4);
  }

  @Test
  void aRestoreIntoAnEmptyServerBringsBackTheServicesAccountsAndAnExistingOneIsReportedAndKept()
      throws Exception {
    seed("acc_nova");
    osb.db.execute(
        "CREATE USER 'accnova'@'%' IDENTIFIED BY 'accnova-Pw#1'",
        "GRANT ALL ON acc_nova.* TO 'accnova'@'%'");
    osb.apply(osb.policy("acc", osb.databases("acc_nova")));
    BackupRun run = osb.backup("acc", "acc-1");
    assertThat(run.getStatus().getArtifacts())
        .anySatisfy(
            a -> {
              assertThat(a.getKey()).contains("/accounts/galera.sql");
              assertThat(a.getAccounts()).isEqualTo(1L);
            });
    Map<String, Long> atBackup = osb.db.tableChecksums("acc_nova");
    try (io.osbackup.testbed.MariaDbServer fresh =
        io.osbackup.testbed.MariaDbServer.start(work.resolve("fresh"))) {
      osb.apply(
          osb.secret("fresh-db", Map.of("username", fresh.user(), "password", fresh.password())));
      String request =
          """
          source: {backupRunRef: {name: acc-1}}
          databases:
            into: {host: 127.0.0.1, port: %d, credentialsSecret: {name: fresh-db}}
          accounts: {restore: true}
          """
              .formatted(fresh.port());
      osb.restore("acc-restore", request);
      RestoreRequest done = osb.awaitRestoreEnd("acc-restore");
      assertThat(done.getStatus().getPhase())
          .as(done.getStatus().getMessage())
          .isEqualTo(RestorePhase.Succeeded);
      assertThat(done.getStatus().getPlan())
          .filteredOn(i -> "accounts".equals(i.getKind()))
          .singleElement()
          .satisfies(
              i -> {
                assertThat(i.getState()).isEqualTo("Restored");
                assertThat(i.getMessage()).contains("created 1 ['accnova'@'%']");
              });
      var nova =
          new io.osbackup.testbed.SqlClient("127.0.0.1", fresh.port(), "accnova", "accnova-Pw#1");
      assertThat(nova.tableChecksums("acc_nova")).isEqualTo(atBackup);
      assertThat(nova.column("SHOW GRANTS"))
          .contains("GRANT ALL PRIVILEGES ON `acc_nova`.* TO `accnova`@`%`");

      // Again, over what is there now: the existing account is reported and left.
      fresh.execute("ALTER USER 'accnova'@'%' IDENTIFIED BY 'changed-Pw#1'");
      osb.restore("acc-again", request + "confirm: " + run.getStatus().getBackupId() + "\n");
      RestoreRequest again = osb.awaitRestoreEnd("acc-again");
      assertThat(again.getStatus().getPhase())
          .as(again.getStatus().getMessage())
          .isEqualTo(RestorePhase.Succeeded);
      assertThat(again.getStatus().getPlan())
          .filteredOn(i -> "accounts".equals(i.getKind()))
          .singleElement()
          .satisfies(
              i ->
                  assertThat(i.getMessage())
                      .contains("left unchanged 1 that exist already ['accnova'@'%']")
                      .contains("spec.accounts.existing: Replace"));
      assertThat(osb.eventsOf(again))
          .anySatisfy(
              e ->
                  assertThat(e)
                      .startsWith("AccountsKept: ")
                      .contains("'accnova'@'%'")
                      .doesNotContain("*"));
      assertThat(
              new io.osbackup.testbed.SqlClient(
                      "127.0.0.1", fresh.port(), "accnova", "changed-Pw#1")
                  .column("SELECT 1"))
          .containsExactly("1");
      assertThat(again.getStatus().getMessage() + osb.eventsOf(again))
          .doesNotContain("accnova-Pw#1");
    }
  }

  @Test
  void aFailedRestoreKeepsWorkloadsQuiescedAndSaysHowToResume() throws Exception {
    seed("lim_db");
    // A user with every privilege the pre-flight checks but SET USER: verification passes, loading
    // the view that
    // 'backup' defined fails (the pre-flight cannot know a dump's definers before reading it).
    osb.db.execute(
        "CREATE USER 'lim'@'%' IDENTIFIED BY 'lim-Pw#1'",
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, LOCK TABLES, CREATE VIEW, SHOW VIEW, TRIGGER,"
            + " CREATE ROUTINE, ALTER ROUTINE, EVENT, SHOW DATABASES"
            + " ON *.* TO 'lim'@'%'",
        "CREATE USER 'lim'@'localhost' IDENTIFIED BY 'lim-Pw#1'",
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, LOCK TABLES, CREATE VIEW, SHOW VIEW, TRIGGER,"
            + " CREATE ROUTINE, ALTER ROUTINE, EVENT, SHOW DATABASES"
            + " ON *.* TO 'lim'@'localhost'");
    osb.apply(osb.secret("limited-db", Map.of("username", "lim", "password", "lim-Pw#1")));
    osb.apply(osb.policy("lim", osb.databases("lim_db")));
    osb.backup("lim", "lim-1");
    osb.apply(deployment("lim-api", 2));

    osb.restore(
        "lim-restore",
        """
        source: {backupRunRef: {name: lim-1}}
        databases:
          renames: {lim_db: lim_copy}
          into: {host: 127.0.0.1, port: %d, credentialsSecret: {name: limited-db}}
        quiesce: [{kind: Deployment, name: lim-api}]
        """
            .formatted(osb.db.port()));
    RestoreRequest failed = osb.awaitRestoreEnd("lim-restore");
    RestoreRequestStatus status = failed.getStatus();
    assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RestorePhase.Failed);
    assertThat(status.condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("RestoreFailed");
    assertThat(status.getMessage())
        .contains("kubectl -n openstack scale deployment/lim-api --replicas=2");
    assertThat(
            osb.client
                .apps()
                .deployments()
                .inNamespace(NS)
                .withName("lim-api")
                .get()
                .getSpec()
                .getReplicas())
        .isZero();
    assertThat(status.getQuiesced())
        .singleElement()
        .satisfies(q -> assertThat(q.getResumed()).isFalse());
    assertThat(osb.db.column("SHOW DATABASES LIKE 'lim_copy%'")).isEmpty();
    assertThat(status.getMessage()).doesNotContain("lim-Pw#1");
  }

  @Test
  void anOperatorRestartMidRestoreFinishesItOnceAndAnEditedFinishedRequestDoesNothing()
      throws Exception {
    seed("rs_db");
    osb.apply(osb.policy("rs", osb.databases("rs_db")));
    BackupRun run = osb.backup("rs", "rs-1");
    String id = run.getStatus().getBackupId();
    Map<String, Long> atBackup = osb.db.tableChecksums("rs_db");
    osb.db.execute("UPDATE rs_db.hosts SET name = 'changed'");

    osb.restore(
        "rs-restore", "source: {backupRunRef: {name: rs-1}}\ndatabases: {}\nconfirm: " + id + "\n");
    osb.awaitFinal(
        RestoreRequest.class,
        "rs-restore",
        r ->
            r.getStatus() != null
                && (r.getStatus().getPhase() == RestorePhase.Verifying
                    || r.getStatus().getPhase() == RestorePhase.Restoring
                    || (r.getStatus().getPhase() != null && r.getStatus().getPhase().isFinal())));
    osb.cluster.stopOperator();
    Thread.sleep(1500);
    osb.cluster.startOperator();
    RestoreRequest done = osb.awaitRestoreEnd("rs-restore");
    assertThat(done.getStatus().getPhase())
        .as(done.getStatus().getMessage())
        .isEqualTo(RestorePhase.Succeeded);
    assertThat(osb.db.tableChecksums("rs_db")).isEqualTo(atBackup);
    assertThat(jobsOf("rs-restore"))
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder("rs-restore-verify", "rs-restore-db-galera");
    assertThat(osb.db.column("SHOW DATABASES LIKE 'rs_db_orig_%'")).hasSize(1);

    // Editing a finished request (as re-applying a changed manifest does) restores nothing again.
    osb.db.execute("UPDATE rs_db.hosts SET name = 'changed again'");
    Map<String, Long> changedAgain = osb.db.tableChecksums("rs_db");
    osb.client
        .resources(RestoreRequest.class)
        .inNamespace(NS)
        .withName("rs-restore")
        .edit(
            r -> {
              r.getSpec()
                  .setOnFailure(
                      io.osbackup.api.v1alpha1.RestoreRequestSpec.OnRestoreFailure.Resume);
              return r;
            });
    RestoreRequest ignored =
        osb.awaitFinal(
            RestoreRequest.class,
            "rs-restore",
            r -> r.getStatus().condition("SpecIgnored").isPresent());
    assertThat(ignored.getStatus().condition("SpecIgnored").orElseThrow().getMessage())
        .contains("runs once");
    assertThat(ignored.getStatus().getPhase()).isEqualTo(RestorePhase.Succeeded);
    Thread.sleep(1000);
    assertThat(osb.db.tableChecksums("rs_db")).isEqualTo(changedAgain);
    assertThat(jobsOf("rs-restore")).hasSize(2);
    assertThat(osb.db.column("SHOW DATABASES LIKE 'rs_db_orig_%'")).hasSize(1);
  }

  @Test
  void badInputIsRefusedWithTheFieldAndTheFixAndNothingIsTouched() throws Exception {
    seed("bad_db");
    osb.apply(
        osb.policy(
            "bad",
            osb.databases("bad_db")
                + """
        files:
          - name: nova-config
            nodeSelector: {openstack-role: compute}
            paths: [/etc/nova]
        """));
    BackupRun run = osb.backup("bad", "bad-1");
    String id = run.getStatus().getBackupId();
    osb.db.execute("UPDATE bad_db.hosts SET name = 'changed'");
    Map<String, Long> changed = osb.db.tableChecksums("bad_db");
    String source = "source: {backupRunRef: {name: bad-1}}\n";

    assertRefused(
        "bad-no-run",
        "source: {backupRunRef: {name: bad-404}}\ndatabases: {}\n",
        "BackupRunNotFound",
        "source.backupRunRef",
        "bad-404");
    assertRefused(
        "bad-no-policy",
        "source: {policyRef: {name: gone}, asOf: 1d}\ndatabases: {}\n",
        "PolicyNotFound",
        "source.storeRef");
    assertRefused(
        "bad-no-id",
        "source: {storeRef: {name: primary}, backupId: bad-20000101-000000}\ndatabases: {}\n",
        "BackupNotFound",
        "source.backupId");
    assertRefused(
        "bad-no-node",
        source
            + "files: {include: [{target: nova-config, nodes: [compute-1],"
            + " toNode: compute-9, toPath: /srv/x}]}\n",
        "NodeNotFound",
        "compute-9");
    assertRefused(
        "bad-no-workload",
        source
            + "databases: {renames: {bad_db: bad_copy}}\n"
            + "quiesce: [{kind: StatefulSet, name: nova-conductor-404}]\n",
        "WorkloadNotFound",
        "spec.quiesce[0]",
        "nova-conductor-404");
    assertRefused(
        "bad-no-secret",
        source
            + "databases:\n  renames: {bad_db: bad_copy}\n  into: {host: 127.0.0.1,"
            + " port: "
            + osb.db.port()
            + ", credentialsSecret: {name: nope}}\n",
        "SecretNotFound",
        "spec.databases.into.credentialsSecret",
        "nope");
    assertRefused(
        "bad-path",
        source
            + "files: {include: [{target: nova-config, nodes: [compute-1],"
            + " paths: [/etc/nova/missing.conf], toPath: /srv/x}]}\n",
        "PathNotInBackup",
        "/etc/nova/missing.conf");
    assertRefused(
        "bad-denied-to",
        source
            + "files: {include: [{target: nova-config, nodes: [compute-1],"
            + " toPath: /etc/kubernetes/restore}]}\n",
        "HostPathNotAllowed",
        "spec.files.include[0].toPath",
        "/etc/kubernetes",
        "never writes");
    assertRefused(
        "bad-denied-root",
        source
            + "files: {include: [{target: nova-config, nodes: [compute-1],"
            + " toPath: /root/restore}]}\n",
        "HostPathNotAllowed",
        "/root/restore",
        "home");
    try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
      int port = closed.getLocalPort();
      closed.close();
      osb.apply(osb.secret("other-db", Map.of("username", "u", "password", "p")));
      assertRefused(
          "bad-unreachable",
          source
              + "databases:\n  into: {host: 127.0.0.1, port: "
              + port
              + ", credentialsSecret: {name: other-db}}\n",
          "TargetUnreachable",
          "127.0.0.1:" + port);
    }
    osb.restore("bad-cancelled", source + "databases: {}\ncancel: true\nconfirm: " + id + "\n");
    assertThat(osb.awaitRestoreEnd("bad-cancelled").getStatus().getPhase())
        .isEqualTo(RestorePhase.Cancelled);

    // An artifact gone from the bucket: refused before any Job runs.
    String key =
        run.getStatus().getArtifacts().stream()
            .filter(a -> a.getDatabase() != null)
            .findFirst()
            .orElseThrow()
            .getKey();
    osb.bucket.delete(List.of(key));
    assertRefused(
        "bad-missing", source + "databases: {}\nconfirm: " + id + "\n", "ArtifactMissing", key);

    assertThat(osb.db.tableChecksums("bad_db")).isEqualTo(changed);
    assertThat(osb.db.column("SHOW DATABASES LIKE 'bad_copy%'")).isEmpty();
    assertThat(
            Files.exists(osb.cluster.nodes().root("compute-1").resolve("srv/x/etc/nova/nova.conf")))
        .isFalse();
  }

  static void assertRefused(String name, String spec, String reason, String... mentions) {
    osb.restore(name, spec);
    RestoreRequest r = osb.awaitRestoreEnd(name);
    assertThat(r.getStatus().getPhase())
        .as(r.getStatus().getMessage())
        .isEqualTo(RestorePhase.Failed);
    assertThat(r.getStatus().condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .as(r.getStatus().getMessage())
        .isEqualTo(reason);
    assertThat(r.getStatus().getMessage()).contains(mentions);
    assertThat(r.getStatus().getQuiesced()).isEmpty();
    assertThat(osb.eventsOf(r)).anySatisfy(e -> assertThat(e).startsWith(reason));
  }

  // ---------------------------------------------------------------------------------------------------------------

  static void seed(String... databases) {
    osb.seed(databases);
  }

  static void writeNovaConfig(String node, String conf) throws Exception {
    osb.writeNovaConfig(node, conf);
  }

  static Deployment deployment(String name, int replicas) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .addToMatchLabels("app", name)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("nova-api")
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static StatefulSet statefulSet(String name, int replicas) {
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withServiceName(name)
        .withNewSelector()
        .addToMatchLabels("app", name)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("nova-conductor")
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static List<Job> jobsOf(String request) {
    return osb.client
        .batch()
        .v1()
        .jobs()
        .inNamespace(NS)
        .withLabel(Api.RESTORE_LABEL, request)
        .list()
        .getItems();
  }

  static RestoreRequest awaitReason(String name, String reason) {
    return osb.awaitFinal(
        RestoreRequest.class,
        name,
        r ->
            r.getStatus() != null
                && r.getStatus().getPhase() != null
                && r.getStatus().getPhase().isFinal()
                && r.getStatus()
                    .condition(RestoreRequestStatus.COMPLETE)
                    .map(c -> reason.equals(c.getReason()))
                    .orElse(false));
  }
}
