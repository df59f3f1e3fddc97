package io.osbackup.operator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.contract.BackupReport;
import io.osbackup.plan.RunPlanner;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A planned BackupRun and the reports of its Jobs, for the decision tests. */
final class RunFixtures {

  static final Instant PLANNED = Instant.parse("2026-11-21T02:00:05Z");

  private RunFixtures() {}

  static Clock at(Instant instant) {
    return Clock.fixed(instant, ZoneOffset.UTC);
  }

  static BackupRun run() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupRun
        metadata: {name: cp-1, namespace: openstack, uid: 7d5e0a4c-1111-2222-3333-444455556666,
                   generation: 1, creationTimestamp: "2026-11-21T02:00:00Z"}
        spec: {policyRef: {name: control-plane}}
        """,
        BackupRun.class);
  }

  /**
   * A run planned at {@link #PLANNED}: one database task (galera), two files tasks on compute
   * nodes, one files task on a volume; at most two files Jobs at once.
   */
  static BackupRun planned() {
    BackupPolicy policy = policy();
    BackupStore store = store();
    var nodes = nodes();
    BackupRun run = run();
    RunPlanner.Result result =
        RunPlanner.plan(
            run, Optional.of(policy), Optional.of(store), nodes, name -> Optional.of(secret(name)));
    assertThat(result.problem()).isNull();
    BackupRunStatus status = new BackupRunStatus();
    status.setBackupId(result.backupId());
    status.setFolder(result.folder());
    status.setPlan(result.plan());
    status.setTasks(new java.util.ArrayList<>(result.tasks()));
    status.setPhase(RunPhase.Running);
    status.setStartTime(PLANNED.toString());
    run.setStatus(status);
    return run;
  }

  /** The policy of {@link #planned}: galera, nova-config on compute nodes, glance-images. */
  static BackupPolicy policy() {
    return Serialization.unmarshal(
        """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupPolicy
            metadata: {name: control-plane, namespace: openstack, generation: 3}
            spec:
              storeRef: {name: primary}
              maxParallelNodes: 2
              databases:
                - name: galera
                  host: openstack-galera.openstack.svc
                  credentialsSecret: {name: backup-db}
              files:
                - name: nova-config
                  nodeSelector: {openstack-role: compute}
                  paths: [/etc/nova]
                - name: glance-images
                  volume: {claimName: glance-images}
                  paths: [/]
              job: {activeDeadlineSeconds: 3600}
            """,
        BackupPolicy.class);
  }

  /** Its store, primary. */
  static BackupStore store() {
    return Serialization.unmarshal(
        """
            apiVersion: osbackup.io/v1alpha1
            kind: BackupStore
            metadata: {name: primary, namespace: openstack, uid: store-uid}
            spec:
              s3: {endpoint: "http://s3:8080", bucket: backups, prefix: prod,
                   credentialsSecret: {name: backup-s3}}
            """,
        BackupStore.class);
  }

  /** Two ready compute nodes. */
  static List<io.fabric8.kubernetes.api.model.Node> nodes() {
    return List.of(
        new NodeBuilder()
            .withNewMetadata()
            .withName("compute-1")
            .addToLabels("openstack-role", "compute")
            .endMetadata()
            .withNewStatus()
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build(),
        new NodeBuilder()
            .withNewMetadata()
            .withName("compute-2")
            .addToLabels("openstack-role", "compute")
            .endMetadata()
            .withNewStatus()
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build());
  }

  /** A Secret holding every key the plan asks for. */
  static io.fabric8.kubernetes.api.model.Secret secret(String name) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withData(
            Map.of(
                "accessKey", "eA==", "secretKey", "eA==", "username", "eA==", "password", "eA=="))
        .build();
  }

  static BackupReport report(String job, boolean succeeded, String message, String key, long size) {
    return new BackupReport(
        job,
        null,
        null,
        succeeded,
        message,
        PLANNED,
        PLANNED.plusSeconds(60),
        null,
        succeeded
            ? List.of(
                new BackupReport.Artifact(
                    key, null, null, size, size * 2, "sha-" + key, "gzip", null))
            : List.of(),
        List.of());
  }
}
