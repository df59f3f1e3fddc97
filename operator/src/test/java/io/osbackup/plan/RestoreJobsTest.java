package io.osbackup.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.CaBundle;
import io.osbackup.api.v1alpha1.KeyRef;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.RestorePlan;
import java.io.IOException;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** Restore Jobs as pure functions of the request and the agent's plan, against golden files. */
class RestoreJobsTest {

  static RestoreRequest request() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: RestoreRequest
        metadata: {name: nova-back, namespace: openstack, uid: 0b7c9d2e-1111-2222-3333-444455556666}
        spec:
          source: {storeRef: {name: primary}, backupId: control-plane-20261121-020000}
          databases: {include: [nova, nova_api]}
          files: {include: [{target: nova-config, nodes: [compute-1]}]}
          confirm: control-plane-20261121-020000
        """,
        RestoreRequest.class);
  }

  static final BackupPlan.Store STORE =
      new BackupPlan.Store(
          "http://swift-proxy:8080",
          "openstack-backups",
          "us-east-1",
          true,
          BackupPlan.STORE_CREDENTIALS_DIR);

  static RestorePlan.DatabaseItem db(String name) {
    return new RestorePlan.DatabaseItem(
        new RestorePlan.Artifact(
            "prod/openstack/control-plane/control-plane-20261121-020000/db/galera/"
                + name
                + ".sql.gz",
            1234,
            "ab".repeat(32),
            "gzip"),
        "galera",
        name,
        name,
        "openstack-galera.openstack.svc",
        3306,
        RestorePlan.DATABASE_CREDENTIALS_ROOT + "/0");
  }

  static final RestorePlan.FilesItem FILES =
      new RestorePlan.FilesItem(
          new RestorePlan.Artifact(
              "prod/openstack/control-plane/control-plane-20261121-020000/files/nova-config/"
                  + "compute-1.tar.gz",
              999,
              "cd".repeat(32),
              "gzip"),
          "nova-config",
          "compute-1",
          List.of("/etc/nova", "/var/lib/nova", "/etc/nova-extra"),
          null,
          BackupPlan.HOST_ROOT);

  static RestorePlan plan(
      String job,
      String mode,
      List<RestorePlan.DatabaseItem> dbs,
      List<RestorePlan.FilesItem> files) {
    return new RestorePlan(
        job,
        "nova-back",
        "control-plane-20261121-020000",
        "prod/openstack/.restores/nova-back-0b7c9d2e/" + job + ".json",
        STORE,
        mode,
        "20261121-031500",
        dbs,
        files);
  }

  @Test
  void verifyJobReadsTheBucketAndReachesTheServerWithoutPrivileges() throws IOException {
    Job job =
        RestoreJobs.jobFor(
            request(),
            plan(
                "nova-back-verify",
                RestorePlan.VERIFY,
                List.of(db("nova"), db("nova_api")),
                List.of(FILES)),
            "backup-s3",
            List.of("backup-db"),
            null,
            "osbackup:test");
    BackupJobsTest.assertGolden(job, "restore-job-verify.yaml");
    var container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
        .noneMatch(v -> v.getHostPath() != null);
  }

  @Test
  void theStoresAndTheServersCasAreMountedReadOnlyWhereThePlanSaysAndNothingElseChanges() {
    Job job =
        RestoreJobs.jobFor(
            request(),
            plan("nova-back-db-galera", RestorePlan.RESTORE, List.of(db("nova")), List.of()),
            "backup-s3",
            CaBundle.fromConfigMap("openstack-ca", "ca.crt"),
            List.of("backup-db"),
            List.of(new KeyRef("galera-ca", "tls.crt")),
            null,
            "osbackup:test");

    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getName().equals("database-ca-0"))
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getSecret().getSecretName()).isEqualTo("galera-ca");
              assertThat(v.getSecret().getItems())
                  .singleElement()
                  .satisfies(
                      i -> assertThat(i.getKey() + ">" + i.getPath()).isEqualTo("tls.crt>ca.crt"));
            });
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getName().equals("store-ca"))
        .singleElement()
        .satisfies(v -> assertThat(v.getConfigMap().getName()).isEqualTo("openstack-ca"));
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .filteredOn(m -> m.getName().contains("-ca"))
        .extracting(m -> m.getMountPath() + ":" + m.getReadOnly())
        .containsExactlyInAnyOrder(
            "/var/run/osbackup/store-ca:true", RestoreJobs.databaseCaDir(0) + ":true");
    assertThat(RestoreJobs.databaseCaDir(0)).isEqualTo("/var/run/osbackup/database-ca/0");
  }

  @Test
  void filesJobRunsOnItsNodeAndMountsOnlyTheParentsOfWhatItRestores() throws IOException {
    Job job =
        RestoreJobs.jobFor(
            request(),
            plan(
                "nova-back-files-nova-config-compute-1",
                RestorePlan.RESTORE,
                List.of(),
                List.of(FILES)),
            "backup-s3",
            List.of(),
            "compute-1",
            "osbackup:test");
    BackupJobsTest.assertGolden(job, "restore-job-files.yaml");
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getHostPath() != null)
        .extracting(v -> v.getHostPath().getPath() + ":" + v.getHostPath().getType())
        .containsExactly("/etc:Directory", "/var/lib:Directory");
    assertThat(pod.getContainers().get(0).getSecurityContext().getCapabilities().getAdd())
        .containsExactly("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID");
    assertThat(job.getSpec().getBackoffLimit()).isZero();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
  }

  @Test
  void aDatabaseJobIsRunAgainOnlyWhenItsAgentDiedWithoutReporting() {
    Job job =
        RestoreJobs.jobFor(
            request(),
            plan(
                "nova-back-db-galera",
                RestorePlan.RESTORE,
                List.of(db("nova"), db("nova_api")),
                List.of()),
            "backup-s3",
            List.of("backup-db"),
            null,
            "osbackup:test");

    assertThat(job.getSpec().getBackoffLimit()).isEqualTo(2);
    var rules = job.getSpec().getPodFailurePolicy().getRules();
    assertThat(rules).hasSize(1);
    assertThat(rules.get(0).getAction()).isEqualTo("FailJob");
    assertThat(rules.get(0).getOnExitCodes().getContainerName()).isEqualTo("agent");
    assertThat(rules.get(0).getOnExitCodes().getOperator()).isEqualTo("In");
    assertThat(rules.get(0).getOnExitCodes().getValues()).containsExactly(1, 2);
    assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
    // Nothing of a RestoreRequest reaches the agent's environment: the test-only pause cannot be
    // set.
    assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .extracting(e -> e.getName())
        .containsExactly(RestorePlan.ENV, "JAVA_TOOL_OPTIONS");
  }

  @Test
  void aToPathIsMountedAndCreatedInsteadOfTheOriginalParents() {
    RestorePlan.FilesItem elsewhere =
        new RestorePlan.FilesItem(
            FILES.artifact(),
            "nova-config",
            "compute-1",
            List.of("/etc/nova"),
            "/srv/restore",
            BackupPlan.HOST_ROOT);
    Job job =
        RestoreJobs.jobFor(
            request(),
            plan("j", RestorePlan.RESTORE, List.of(), List.of(elsewhere)),
            "backup-s3",
            List.of(),
            "compute-1",
            "osbackup:test");
    assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getHostPath() != null)
        .extracting(v -> v.getHostPath().getPath() + ":" + v.getHostPath().getType())
        .containsExactly("/srv/restore/etc:DirectoryOrCreate");
  }

  @Test
  void aToPathHoldingOtherThingsIsNotMountedWholeOnlyWhereTheRestoredPathsLand() {
    RestorePlan.FilesItem intoEtc =
        new RestorePlan.FilesItem(
            FILES.artifact(),
            "nova-config",
            "compute-1",
            List.of("/etc/nova", "/var/lib/nova", "/etc/nova-extra"),
            "/etc",
            BackupPlan.HOST_ROOT);
    Job job =
        RestoreJobs.jobFor(
            request(),
            plan("j", RestorePlan.RESTORE, List.of(), List.of(intoEtc)),
            "backup-s3",
            List.of(),
            "compute-1",
            "osbackup:test");
    assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getHostPath() != null)
        .extracting(v -> v.getHostPath().getPath() + ":" + v.getHostPath().getType())
        .containsExactly("/etc/etc:DirectoryOrCreate", "/etc/var/lib:DirectoryOrCreate");
  }

  @Test
  void namesAreDeterministicAndFit() {
    assertThat(RestoreJobs.verifyName("nova-back")).isEqualTo("nova-back-verify");
    assertThat(RestoreJobs.databaseName("nova-back", "galera")).isEqualTo("nova-back-db-galera");
    assertThat(RestoreJobs.filesName("r".repeat(60), "nova-config", "compute-1"))
        .hasSizeLessThanOrEqualTo(63);
  }

  @Test
  void aFilesJobNeverMountsTheNodesRootOrADeniedPathWritable() {
    for (RestorePlan.FilesItem item :
        List.of(
            new RestorePlan.FilesItem(
                FILES.artifact(),
                "nova-config",
                "compute-1",
                List.of("/srv"),
                null,
                BackupPlan.HOST_ROOT),
            new RestorePlan.FilesItem(
                FILES.artifact(),
                "nova-config",
                "compute-1",
                List.of("/etc/kubernetes/pki"),
                null,
                BackupPlan.HOST_ROOT),
            new RestorePlan.FilesItem(
                FILES.artifact(),
                "nova-config",
                "compute-1",
                List.of("/etc/nova"),
                "/var/lib/kubelet/restore",
                BackupPlan.HOST_ROOT),
            new RestorePlan.FilesItem(
                FILES.artifact(),
                "nova-config",
                "compute-1",
                List.of("/etc/nova"),
                "/",
                BackupPlan.HOST_ROOT))) {
      RestorePlan plan = plan("j", RestorePlan.RESTORE, List.of(), List.of(item));
      Assertions.assertThatThrownBy(
              () ->
                  RestoreJobs.jobFor(
                      request(), plan, "backup-s3", List.of(), "compute-1", "osbackup:test"))
          .as(item.paths() + " to " + item.toPath())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("never mounts");
    }
  }
}
