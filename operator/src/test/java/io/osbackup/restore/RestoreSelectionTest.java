package io.osbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Manifest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoreSelectionTest {

  static final String ID = "cp-20261121-020000";
  static final Map<String, String> CREDENTIALS = Map.of("galera", "backup-db");

  static Manifest.Entry db(String database) {
    return new Manifest.Entry(
        "database",
        "galera",
        database,
        null,
        "f/db/galera/" + database + ".sql.gz",
        10,
        20,
        "ab",
        "gzip",
        null,
        new BackupReport.Source("galera.openstack.svc", 3306, "10.11", null, null),
        null,
        null,
        null);
  }

  static Manifest.Entry files(String target, String node, String... paths) {
    return new Manifest.Entry(
        "files",
        target,
        null,
        node,
        "f/files/" + target + "/" + node + ".tar.gz",
        10,
        20,
        "ab",
        "gzip",
        3L,
        new BackupReport.Source(null, null, null, null, List.of(paths)),
        null,
        null,
        null);
  }

  static final Manifest MANIFEST =
      new Manifest(
          1,
          ID,
          "openstack",
          "cp",
          "cp-1",
          "primary",
          "b",
          "f",
          "gzip",
          Instant.parse("2026-11-21T02:00:00Z"),
          Instant.parse("2026-11-21T02:05:00Z"),
          70,
          List.of(
              db("keystone"),
              db("nova"),
              db("nova_api"),
              files("nova-config", "compute-1", "/etc/nova", "/var/lib/nova"),
              files("nova-config", "compute-2", "/etc/nova", "/var/lib/nova"),
              files("swift-rings", "controller-1", "/etc/swift"),
              files("glance-images", "pvc-glance-images", "/")));

  static final Manifest WITH_ACCOUNTS =
      new Manifest(
          1,
          ID,
          "openstack",
          "cp",
          "cp-1",
          "primary",
          "b",
          "f",
          "gzip",
          Instant.parse("2026-11-21T02:00:00Z"),
          Instant.parse("2026-11-21T02:05:00Z"),
          70,
          List.of(
              db("nova"),
              new Manifest.Entry(
                  Manifest.Entry.ACCOUNTS,
                  "galera",
                  null,
                  null,
                  "f/accounts/galera.sql.gz",
                  10,
                  20,
                  "ab",
                  "gzip",
                  null,
                  null,
                  null,
                  null,
                  null,
                  3L)));

  static RestoreSelection.Result selectIn(Manifest manifest, String specYaml) {
    RestoreRequestSpec spec =
        Serialization.unmarshal(
            "source: {storeRef: {name: primary}, backupId: " + ID + "}\n" + specYaml,
            RestoreRequestSpec.class);
    return RestoreSelection.select(manifest, spec, CREDENTIALS);
  }

  @Test
  void accountsAreRestoredOnlyWhenAskedIntoTheServerOfTheirDatabases() {
    assertThat(selectIn(WITH_ACCOUNTS, "databases: {}\n").accounts()).isEmpty();
    assertThat(selectIn(WITH_ACCOUNTS, "databases: {}\naccounts: {restore: false}\n").accounts())
        .isEmpty();
    var result =
        selectIn(WITH_ACCOUNTS, "databases: {}\naccounts: {restore: true, existing: Replace}\n");
    assertThat(result.ok()).isTrue();
    assertThat(result.accounts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.entry().key()).isEqualTo("f/accounts/galera.sql.gz");
              assertThat(a.where()).isEqualTo("galera.openstack.svc:3306 (accounts)");
              assertThat(a.server().credentialsSecret()).isEqualTo("backup-db");
              assertThat(a.replace()).isTrue();
            });
    // an accounts entry is never taken for a database
    assertThat(result.databases()).extracting(d -> d.entry().database()).containsExactly("nova");
  }

  @Test
  void accountsWithRenamesOrFromABackupWithoutThemAreRefused() {
    var renamed =
        selectIn(
            WITH_ACCOUNTS, "databases: {renames: {nova: nova_copy}}\naccounts: {restore: true}\n");
    assertThat(renamed.problem().reason()).isEqualTo("AccountsWithRenames");
    assertThat(renamed.problem().message())
        .contains("spec.accounts.restore with spec.databases.renames")
        .contains("[nova]")
        .contains("[nova_copy]");
    var none = select("databases: {}\naccounts: {restore: true}\n");
    assertThat(none.problem().reason()).isEqualTo("NotInBackup");
    assertThat(none.problem().message())
        .contains("holds no accounts of target galera")
        .contains("spec.accounts");
  }

  static RestoreSelection.Result select(String specYaml) {
    RestoreRequestSpec spec =
        Serialization.unmarshal(
            "source: {storeRef: {name: primary}, backupId: " + ID + "}\n" + specYaml,
            RestoreRequestSpec.class);
    return RestoreSelection.select(MANIFEST, spec, CREDENTIALS);
  }

  @Test
  void everyDatabaseInPlaceOnTheServerItCameFrom() {
    var result = select("databases: {}\n");
    assertThat(result.ok()).isTrue();
    assertThat(result.databases())
        .extracting(RestoreSelection.DatabaseChoice::where)
        .containsExactly(
            "galera.openstack.svc:3306/keystone",
            "galera.openstack.svc:3306/nova",
            "galera.openstack.svc:3306/nova_api");
    assertThat(result.databases())
        .allSatisfy(
            d -> {
              assertThat(d.inPlace()).isTrue();
              assertThat(d.server().credentialsSecret()).isEqualTo("backup-db");
            });
    assertThat(result.inPlace()).hasSize(3);
  }

  @Test
  void aRenamedDatabaseIsNotInPlaceAndAnotherServerUsesItsOwnSecret() {
    var result =
        select(
            """
        databases:
          include: [nova]
          renames: {nova: nova_restored}
          into: {host: 10.0.0.9, port: 3307, credentialsSecret: {name: other}}
        """);
    assertThat(result.databases())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.where()).isEqualTo("10.0.0.9:3307/nova_restored");
              assertThat(d.inPlace()).isFalse();
              assertThat(d.server().credentialsSecret()).isEqualTo("other");
            });
    assertThat(
            select("databases: {include: [nova], renames: {nova: nova2}}\n")
                .databases()
                .get(0)
                .inPlace())
        .isFalse();
  }

  @Test
  void aVolumeArchiveIsRefusedInPlaceAndUnpackedOntoANodeOnlyBelowItsRoot() {
    var inPlace = select("files: {include: [{target: glance-images}]}\n");
    assertThat(inPlace.ok()).isFalse();
    assertThat(inPlace.problem().reason()).isEqualTo("VolumeNotRestorable");
    assertThat(inPlace.problem().message())
        .contains("PersistentVolumeClaim 'glance-images'")
        .contains("spec.files.include[0].toNode")
        .contains("--node pvc-glance-images");

    var whole =
        select(
            "files: {include: [{target: glance-images, toNode: controller-1, toPath: /var/tmp/g}]}\n");
    assertThat(whole.problem().reason()).isEqualTo("InvalidPath");
    assertThat(whole.problem().message())
        .contains("spec.files.include[0].paths")
        .contains("for example /images");

    var below =
        select(
            "files: {include: [{target: glance-images, toNode: controller-1, toPath: /var/tmp/g, paths: [/images]}]}\n");
    assertThat(below.ok()).as(String.valueOf(below.problem())).isTrue();
    assertThat(below.files())
        .extracting(RestoreSelection.FilesChoice::where)
        .containsExactly("controller-1:/var/tmp/g/images");
  }

  @Test
  void filesDefaultToEveryNodeAndEveryPathInPlace() {
    var result = select("files: {include: [{target: nova-config}]}\n");
    assertThat(result.files())
        .extracting(RestoreSelection.FilesChoice::where)
        .containsExactly("compute-1:/etc/nova,/var/lib/nova", "compute-2:/etc/nova,/var/lib/nova");
    assertThat(result.inPlace()).hasSize(2);
  }

  @Test
  void filesOfOneNodeOntoAnotherNodeBelowAnotherDirectory() {
    var result =
        select(
            """
        files:
          include: [{target: nova-config, nodes: [compute-2], paths: [/etc/nova/nova.conf], toNode: compute-9,
                     toPath: /srv/restore/}]
        """);
    assertThat(result.files())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.node()).isEqualTo("compute-9");
              assertThat(f.paths()).containsExactly("/etc/nova/nova.conf");
              assertThat(f.toPath()).isEqualTo("/srv/restore");
              assertThat(f.where()).isEqualTo("compute-9:/srv/restore/etc/nova/nova.conf");
              assertThat(f.inPlace()).isFalse();
            });
  }

  @Test
  void badSelectionsNameTheFieldAndWhatTheBackupHas() {
    assertProblem(
        "databases: {include: [glance]}\n",
        "spec.databases.include",
        "glance",
        "keystone, nova, nova_api");
    assertProblem("databases: {target: other}\n", "spec.databases.target", "other", "galera");
    assertProblem(
        "databases: {include: [nova], renames: {keystone: k2}}\n",
        "spec.databases.renames",
        "keystone");
    assertProblem("databases: {renames: {nova: 'a.b'}}\n", "spec.databases.renames", "a.b");
    assertProblem("databases: {renames: {nova: keystone}}\n", "spec.databases.renames", "keystone");
    assertProblem(
        "files: {include: [{target: cinder-config}]}\n",
        "spec.files.include[0].target",
        "cinder-config",
        "glance-images, nova-config, swift-rings");
    assertProblem(
        "files: {include: [{target: nova-config, nodes: [compute-7]}]}\n",
        "spec.files.include[0].nodes",
        "compute-7",
        "compute-1, compute-2");
    assertProblem(
        "files: {include: [{target: nova-config, toNode: compute-9}]}\n",
        "spec.files.include[0].toNode",
        "exactly one");
    assertProblem(
        "files: {include: [{target: swift-rings, paths: [/etc/nova]}]}\n",
        "spec.files.include[0].paths",
        "/etc/swift");
    assertProblem(
        "files: {include: [{target: swift-rings, paths: [/etc/swift, /etc/swift/x]}]}\n",
        "spec.files.include[0].paths",
        "lies inside");
    assertProblem(
        "files: {include: [{target: swift-rings, paths: [/etc/swift/../shadow]}]}\n",
        "spec.files.include[0].paths",
        "..");
    assertProblem(
        "files: {include: [{target: swift-rings}, {target: swift-rings}]}\n",
        "spec.files.include",
        "controller-1:/etc/swift");
  }

  @Test
  void withoutKnownCredentialsADatabaseNeedsInto() {
    RestoreRequestSpec spec =
        Serialization.unmarshal(
            "source: {storeRef: {name: primary}, backupId: " + ID + "}\ndatabases: {}\n",
            RestoreRequestSpec.class);
    var result = RestoreSelection.select(MANIFEST, spec, Map.of());
    assertThat(result.problem().field()).isEqualTo("spec.databases.into");
    assertThat(result.problem().message())
        .contains("galera.openstack.svc:3306")
        .contains("credentialsSecret");
  }

  static void assertProblem(String yaml, String field, String... mentions) {
    var result = select(yaml);
    assertThat(result.ok()).as(yaml).isFalse();
    assertThat(result.problem().message()).as(yaml).contains(field);
    assertThat(result.problem().message()).as(yaml).contains(mentions);
  }

  /**
   * A backup taken before denied subtrees were left out: its archives may hold /etc whole, or
   * /etc/kubernetes.
   */
  static final Manifest OLD =
      new Manifest(
          1,
          ID,
          "openstack",
          "cp",
          "cp-1",
          "primary",
          "b",
          "f",
          "gzip",
          Instant.parse("2026-11-21T02:00:00Z"),
          Instant.parse("2026-11-21T02:05:00Z"),
          70,
          List.of(
              files("node-config", "controller-1", "/etc", "/opt"),
              files("kube", "controller-1", "/etc/kubernetes")));

  static RestoreSelection.Result selectOld(String specYaml) {
    RestoreRequestSpec spec =
        Serialization.unmarshal(
            "source: {storeRef: {name: primary}, backupId: " + ID + "}\n" + specYaml,
            RestoreRequestSpec.class);
    return RestoreSelection.select(OLD, spec, CREDENTIALS);
  }

  @Test
  void aToPathInsideADeniedSubtreeIsRefused() {
    for (String toPath :
        List.of("/etc/kubernetes/restore", "/var/lib/kubelet/pods/x", "/proc/1/root", "/root")) {
      var result = select("files: {include: [{target: swift-rings, toPath: " + toPath + "}]}\n");
      assertThat(result.ok()).as(toPath).isFalse();
      assertThat(result.problem().reason()).isEqualTo("HostPathNotAllowed");
      assertThat(result.problem().field()).isEqualTo("spec.files.include[0].toPath");
      assertThat(result.problem().message()).contains(toPath).contains("never writes");
    }
    var varLib = select("files: {include: [{target: swift-rings, toPath: /var/lib/kubelet}]}\n");
    assertThat(varLib.problem().message()).contains("kubelet state");
  }

  @Test
  void inPlaceIntoADirectoryHoldingDeniedSubtreesIsRefusedButItsServiceDirectoriesAreNot() {
    var whole = selectOld("files: {include: [{target: node-config}]}\n");
    assertThat(whole.ok()).isFalse();
    assertThat(whole.problem().reason()).isEqualTo("HostPathNotAllowed");
    assertThat(whole.problem().field()).isEqualTo("spec.files.include[0].paths");
    assertThat(whole.problem().message())
        .contains("restoring /etc in place would move /etc/kubernetes")
        .contains(
            "list the directories to restore in spec.files.include[0].paths, for example /etc/nova")
        .contains("toPath");

    var nova = selectOld("files: {include: [{target: node-config, paths: [/etc/nova]}]}\n");
    assertThat(nova.ok()).as(String.valueOf(nova.problem())).isTrue();
    var elsewhere =
        selectOld(
            "files: {include: [{target: node-config, paths: [/etc], toPath: /srv/restore}]}\n");
    assertThat(elsewhere.ok()).as(String.valueOf(elsewhere.problem())).isTrue();
  }

  @Test
  void anArchivedDeniedPathIsNeverRestoredInPlaceNorElsewhere() {
    for (String spec :
        List.of(
            "files: {include: [{target: kube}]}\n",
            "files: {include: [{target: kube, toPath: /srv/restore}]}\n",
            "files: {include: [{target: node-config, paths: [/etc/kubernetes/pki]}]}\n",
            "files: {include: [{target: node-config, paths: [/etc/shadow], toPath: /srv/restore}]}\n")) {
      var result = selectOld(spec);
      assertThat(result.ok()).as(spec).isFalse();
      assertThat(result.problem().reason()).as(spec).isEqualTo("HostPathNotAllowed");
      assertThat(result.problem().field()).as(spec).isEqualTo("spec.files.include[0].paths");
      assertThat(result.problem().message()).as(spec).contains("never writes");
    }
  }

  @Test
  void aTopLevelDirectoryIsRestoredInPlaceOnlyWithoutNodeMounts() {
    var inCluster = selectOld("files: {include: [{target: node-config, paths: [/opt]}]}\n");
    assertThat(inCluster.ok()).isFalse();
    assertThat(inCluster.problem().reason()).isEqualTo("HostPathNotAllowed");
    assertThat(inCluster.problem().message()).contains("the node's / writable").contains("toPath");
    assertThat(
            selectOld("files: {include: [{target: node-config, paths: [/opt], toPath: /srv/r}]}\n")
                .ok())
        .isTrue();

    RestoreRequestSpec spec =
        Serialization.unmarshal(
            "source: {storeRef: {name: primary}, backupId: "
                + ID
                + "}\n"
                + "files: {include: [{target: node-config, paths: [/opt]}]}\n",
            RestoreRequestSpec.class);
    assertThat(
            RestoreSelection.select(OLD, spec, CREDENTIALS, RestoreSelection.Writer.BREAK_GLASS)
                .ok())
        .isTrue();
  }
}
