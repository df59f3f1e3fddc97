package io.osbackup.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RunTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Jobs are pure functions of the run: golden files in {@code src/test/resources/golden} (rewrite them with
 * {@code -Dosbackup.golden.update=true} after an intended change and review the diff).
 */
class BackupJobsTest {

  static final Path GOLDEN = Path.of("src/test/resources/golden");

  static BackupPolicy policy() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: control-plane, namespace: openstack, generation: 3}
        spec:
          storeRef: {name: primary}
          compression: zstd
          maxParallelNodes: 2
          databases:
            - name: galera
              host: openstack-galera.openstack.svc
              port: 3306
              credentialsSecret: {name: backup-db}
              include: [keystone, nova]
          files:
            - name: nova-config
              nodeSelector: {openstack-role: compute}
              paths: [/etc/nova, /var/lib/nova]
              exclude: [/var/lib/nova/instances, "*.log"]
            - name: glance-images
              volume: {claimName: glance-images}
              paths: [/]
          job:
            activeDeadlineSeconds: 3600
            ttlSecondsAfterFinished: 600
        """,
        BackupPolicy.class);
  }

  static BackupStore store() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: primary, namespace: openstack}
        spec:
          s3: {endpoint: "http://swift-proxy:8080", bucket: openstack-backups, prefix: prod,
               credentialsSecret: {name: backup-s3}}
        """,
        BackupStore.class);
  }

  static BackupRun run() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupRun
        metadata: {name: control-plane-20261121-020000, namespace: openstack, uid: 7d5e0a4c-1111-2222-3333-444455556666,
                   creationTimestamp: "2026-11-21T02:00:00Z"}
        spec: {policyRef: {name: control-plane}}
        """,
        BackupRun.class);
  }

  static Optional<Secret> secret(String name) {
    return Optional.of(
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withData(Map.of("accessKey", "eA==", "secretKey", "eA==", "username", "eA==", "password", "eA=="))
            .build());
  }

  static BackupRun planned() {
    BackupRun run = run();
    var nodes =
        List.of(
            new NodeBuilder().withNewMetadata().withName("compute-2").addToLabels("openstack-role", "compute").endMetadata().build(),
            new NodeBuilder().withNewMetadata().withName("controller-1").addToLabels("openstack-role", "controller").endMetadata().build(),
            new NodeBuilder().withNewMetadata().withName("compute-1").addToLabels("openstack-role", "compute").endMetadata().build());
    RunPlanner.Result result =
        RunPlanner.plan(run, Optional.of(policy()), Optional.of(store()), nodes, BackupJobsTest::secret);
    assertThat(result.problem()).isNull();
    BackupRunStatus status = new BackupRunStatus();
    status.setBackupId(result.backupId());
    status.setFolder(result.folder());
    status.setPlan(result.plan());
    status.setTasks(result.tasks());
    run.setStatus(status);
    return run;
  }

  @Test
  void plansOneJobPerDatabaseTargetAndOnePerMatchingNode() {
    BackupRun run = planned();
    assertThat(run.getStatus().getBackupId()).isEqualTo("control-plane-20261121-020000");
    assertThat(run.getStatus().getFolder()).isEqualTo("prod/openstack/control-plane/control-plane-20261121-020000");
    assertThat(run.getStatus().getTasks())
        .extracting(RunTask::getJob)
        .containsExactly(
            "control-plane-20261121-020000-db-galera",
            "control-plane-20261121-020000-files-nova-config-compute-1",
            "control-plane-20261121-020000-files-nova-config-compute-2",
            "control-plane-20261121-020000-files-glance-images-pvc-6f6344c5");
  }

  @Test
  void databaseJob() throws IOException {
    BackupRun run = planned();
    assertGolden(BackupJobs.jobFor(run, run.getStatus().getTasks().get(0), "osbackup:test"), "job-database.yaml");
  }

  @Test
  void filesJobIsPinnedToItsNodeAndReadsTheNodeReadOnly() throws IOException {
    BackupRun run = planned();
    Job job = BackupJobs.jobFor(run, run.getStatus().getTasks().get(1), "osbackup:test");
    assertGolden(job, "job-files-node.yaml");
  }

  @Test
  void volumeJobMountsTheClaimReadOnly() throws IOException {
    BackupRun run = planned();
    assertGolden(BackupJobs.jobFor(run, run.getStatus().getTasks().get(3), "osbackup:test"), "job-files-volume.yaml");
  }

  @Test
  void jobsCarryNoCredentialsAndNoApiToken() {
    BackupRun run = planned();
    for (RunTask task : run.getStatus().getTasks()) {
      Job job = BackupJobs.jobFor(run, task, "osbackup:test");
      var pod = job.getSpec().getTemplate().getSpec();
      assertThat(pod.getAutomountServiceAccountToken()).isFalse();
      assertThat(pod.getContainers().get(0).getEnv())
          .allSatisfy(e -> assertThat(e.getValueFrom()).isNull())
          .noneSatisfy(e -> assertThat(e.getValue()).containsIgnoringCase("password"));
      assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(3600L);
      assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(600);
      assertThat(job.getMetadata().getOwnerReferences()).singleElement()
          .satisfies(o -> assertThat(o.getController()).isTrue());
    }
  }

  @Test
  void longNamesAreShortenedDeterministically() {
    String name = JobNames.files("a".repeat(50) + "-20261121-020000", "nova-config", "compute-000123");
    assertThat(name).hasSizeLessThanOrEqualTo(63).doesNotEndWith("-");
    assertThat(JobNames.files("a".repeat(50) + "-20261121-020000", "nova-config", "compute-000123")).isEqualTo(name);
    assertThat(JobNames.files("a".repeat(50) + "-20261121-020000", "nova-config", "compute-000124")).isNotEqualTo(name);
  }

  @Test
  void missingPolicyStoreOrSecretIsAProblemNamingTheField() {
    BackupRun run = run();
    var noPolicy = RunPlanner.plan(run, Optional.empty(), Optional.empty(), List.of(), BackupJobsTest::secret);
    assertThat(noPolicy.problem().reason()).isEqualTo("PolicyNotFound");
    assertThat(noPolicy.problem().message()).contains("spec.policyRef").contains("control-plane");
    var noStore = RunPlanner.plan(run, Optional.of(policy()), Optional.empty(), List.of(), BackupJobsTest::secret);
    assertThat(noStore.problem().reason()).isEqualTo("StoreNotFound");
    var noSecret = RunPlanner.plan(run, Optional.of(policy()), Optional.of(store()), List.of(), n -> Optional.empty());
    assertThat(noSecret.problem().reason()).isEqualTo("SecretNotFound");
    assertThat(noSecret.problem().message()).contains("backup-s3").contains("accessKey");
    var noNodes = RunPlanner.plan(run, Optional.of(policy()), Optional.of(store()), List.of(), BackupJobsTest::secret);
    assertThat(noNodes.problem().reason()).isEqualTo("NoMatchingNodes");
    assertThat(noNodes.problem().message()).contains("nodeSelector").contains("openstack-role");
  }

  @Test
  void handMadeRunsGetAUniqueTimeSortableBackupId() {
    BackupRun run = run();
    run.getMetadata().setName("before-upgrade");
    assertThat(RunPlanner.backupId(run, "control-plane")).isEqualTo("control-plane-20261121-020000-9e6634");
  }

  static void assertGolden(Job job, String file) throws IOException {
    String yaml = Serialization.asYaml(job);
    Path golden = GOLDEN.resolve(file);
    if (Boolean.getBoolean("osbackup.golden.update") || !Files.exists(golden)) {
      Files.writeString(golden, yaml);
    }
    assertThat(yaml).isEqualTo(Files.readString(golden));
  }
}
