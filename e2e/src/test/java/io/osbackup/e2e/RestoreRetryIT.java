package io.osbackup.e2e;

import static io.osbackup.e2e.LocalOsbackup.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database restore Job whose agent is SIGKILLed right after its RENAME is run again by its Job;
 * the new agent finishes the switch from the journal, and the request says so. An agent that fails
 * and reports it is not run again.
 */
class RestoreRetryIT {

  @TempDir static Path work;
  static LocalOsbackup osb;
  static Path paused;

  @BeforeAll
  static void start() throws Exception {
    paused = work.resolve("paused-at-rename");
    osb =
        LocalOsbackup.start(
            work,
            Map.of(
                "OSBACKUP_TEST_PAUSE_SWAP_AT",
                "rename",
                "OSBACKUP_TEST_PAUSE_FILE",
                paused.toString()));
    osb.addNode("controller-1", "controller");
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(osb);
  }

  @Test
  void anAgentKilledMidSwitchIsRunAgainAndFinishesTheSwitch() throws Exception {
    osb.seed("rr_nova");
    osb.apply(osb.policy("rr", osb.databases("rr_nova")));
    BackupRun run = osb.backup("rr", "rr-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    Map<String, Long> atBackup = osb.db.tableChecksums("rr_nova");
    osb.db.execute(
        "UPDATE rr_nova.hosts SET name = CONCAT(name, '-broken')",
        "CREATE TABLE rr_nova.added_later (id INT PRIMARY KEY)");
    Map<String, Long> broken = osb.db.tableChecksums("rr_nova");

    osb.restore(
        "rr-restore",
        """
        source: {backupRunRef: {name: rr-1}}
        databases: {}
        confirm: %s
        """
            .formatted(run.getStatus().getBackupId()));
    await().atMost(Duration.ofMinutes(3)).until(() -> Files.exists(paused));
    Pod pod =
        osb.client
            .pods()
            .inNamespace(NS)
            .withLabel("job-name", "rr-restore-db-galera")
            .list()
            .getItems()
            .get(0);
    long pid =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> pid(pod.getMetadata().getName()), Optional::isPresent)
            .orElseThrow();
    ProcessHandle.of(pid)
        .orElseThrow()
        .destroyForcibly(); // SIGKILL, between the RENAME and its record

    RestoreRequest done = osb.awaitRestoreEnd("rr-restore");
    RestoreRequestStatus status = done.getStatus();
    assertThat(status.getPhase()).as(status.getMessage()).isEqualTo(RestorePhase.Succeeded);
    String kept = "rr_nova_orig_" + status.getStamp().replace('-', '_');
    assertThat(osb.db.tableChecksums("rr_nova")).isEqualTo(atBackup);
    assertThat(osb.db.tableChecksums(kept)).isEqualTo(broken);
    assertThat(
            osb.db.column(
                "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA='rr_nova'"))
        .containsExactly("host_names");
    assertThat(status.getPlan())
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.getState()).isEqualTo("Restored");
              assertThat(i.getPreviousKeptAt()).isEqualTo(kept);
              assertThat(i.getMessage()).contains("after its RENAME: the switch was finished");
            });
    Job job = osb.client.batch().v1().jobs().inNamespace(NS).withName("rr-restore-db-galera").get();
    assertThat(job.getStatus().getFailed()).isEqualTo(1);
    assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
    assertThat(osb.client.v1().events().inNamespace(NS).list().getItems())
        .filteredOn(e -> "rr-restore".equals(e.getInvolvedObject().getName()))
        .filteredOn(e -> "SwapRecovered".equals(e.getReason()))
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains("rr_nova").contains("was finished"));
  }

  @Test
  void anAgentThatReportsItsFailureIsNotRunAgain() throws Exception {
    osb.seed("rf_db");
    osb.db.execute(
        "CREATE USER 'rf'@'%' IDENTIFIED BY 'rf-Pw#1'",
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, LOCK TABLES, CREATE VIEW, SHOW VIEW, TRIGGER,"
            + " CREATE ROUTINE, ALTER ROUTINE, EVENT, SHOW DATABASES"
            + " ON *.* TO 'rf'@'%'",
        "CREATE USER 'rf'@'localhost' IDENTIFIED BY 'rf-Pw#1'",
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, LOCK TABLES, CREATE VIEW, SHOW VIEW, TRIGGER,"
            + " CREATE ROUTINE, ALTER ROUTINE, EVENT, SHOW DATABASES"
            + " ON *.* TO 'rf'@'localhost'");
    osb.apply(osb.secret("rf-db", Map.of("username", "rf", "password", "rf-Pw#1")));
    osb.apply(osb.policy("rf", osb.databases("rf_db")));
    osb.backup("rf", "rf-1");

    osb.restore(
        "rf-restore",
        """
        source: {backupRunRef: {name: rf-1}}
        databases:
          renames: {rf_db: rf_copy}
          into: {host: 127.0.0.1, port: %d, credentialsSecret: {name: rf-db}}
        """
            .formatted(osb.db.port()));
    RestoreRequest failed = osb.awaitRestoreEnd("rf-restore");

    assertThat(failed.getStatus().getPhase()).isEqualTo(RestorePhase.Failed);
    Job job = osb.client.batch().v1().jobs().inNamespace(NS).withName("rf-restore-db-galera").get();
    assertThat(job.getStatus().getFailed()).isEqualTo(1);
    assertThat(job.getStatus().getConditions())
        .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("PodFailurePolicy"));
  }

  /** The pid of a pod's process, from the container id the local runner writes. */
  static Optional<Long> pid(String pod) {
    Pod p = osb.client.pods().inNamespace(NS).withName(pod).get();
    if (p == null || p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    return p.getStatus().getContainerStatuses().stream()
        .map(c -> c.getContainerID())
        .filter(id -> id != null && id.startsWith("local://"))
        .map(id -> Long.parseLong(id.substring("local://".length())))
        .findFirst();
  }
}
