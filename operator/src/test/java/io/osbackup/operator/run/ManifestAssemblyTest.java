package io.osbackup.operator.run;

import static io.osbackup.operator.run.RunFixtures.PLANNED;
import static io.osbackup.operator.run.RunFixtures.planned;
import static io.osbackup.operator.run.RunFixtures.report;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The manifest built from a run's status and its agents' reports. */
class ManifestAssemblyTest {

  static final Instant COMPLETED = PLANNED.plusSeconds(600);
  static final Owner OWNER = new Owner("cluster-a", "openstack", "primary", "store-uid");

  /** A report of every task: one artifact each, {@code 100 * (n + 1)} bytes. */
  private static Map<String, BackupReport> reports(BackupRun run) {
    Map<String, BackupReport> reports = new HashMap<>();
    List<RunTask> tasks = run.getStatus().getTasks();
    for (int i = 0; i < tasks.size(); i++) {
      String job = tasks.get(i).getJob();
      reports.put(job, report(job, true, "ok", "k/" + job, 100L * (i + 1)));
    }
    return reports;
  }

  /** The status's artifacts as verification records them, from the same reports. */
  private static void verified(BackupRun run, Map<String, BackupReport> reports) {
    for (BackupReport report : reports.values()) {
      for (BackupReport.Artifact a : report.artifacts()) {
        ArtifactStatus artifact = new ArtifactStatus();
        artifact.setKey(a.key());
        artifact.setSize(a.size());
        artifact.setSha256(a.sha256());
        run.getStatus().getArtifacts().add(artifact);
      }
    }
  }

  @Test
  void listsEveryReportedArtifactWithItsTaskAndTheRunsFacts() {
    BackupRun run = planned();
    Map<String, BackupReport> reports = reports(run);

    Manifest manifest = ManifestAssembly.manifest(run, reports, OWNER, COMPLETED);

    assertThat(manifest.formatVersion()).isEqualTo(Manifest.FORMAT_VERSION);
    assertThat(manifest.backupId()).isEqualTo(run.getStatus().getBackupId());
    assertThat(manifest.namespace()).isEqualTo("openstack");
    assertThat(manifest.policy()).isEqualTo("control-plane");
    assertThat(manifest.run()).isEqualTo("cp-1");
    assertThat(manifest.store()).isEqualTo("primary");
    assertThat(manifest.bucket()).isEqualTo("backups");
    assertThat(manifest.folder()).isEqualTo(run.getStatus().getFolder());
    assertThat(manifest.compression()).isEqualTo("gzip");
    assertThat(manifest.startedAt()).isEqualTo(PLANNED);
    assertThat(manifest.completedAt()).isEqualTo(COMPLETED);
    assertThat(manifest.owner()).isEqualTo(OWNER);
    assertThat(manifest.size()).isEqualTo(100 + 200 + 300 + 400);
    assertThat(manifest.artifacts()).hasSize(4);
    List<RunTask> tasks = run.getStatus().getTasks();
    for (int i = 0; i < tasks.size(); i++) {
      RunTask task = tasks.get(i);
      Manifest.Entry entry = manifest.artifacts().get(i);
      assertThat(entry.key()).isEqualTo("k/" + task.getJob());
      assertThat(entry.kind()).isEqualTo(task.getKind());
      assertThat(entry.target()).isEqualTo(task.getTarget());
      assertThat(entry.node()).isEqualTo(task.getNode());
      assertThat(entry.size()).isEqualTo(100L * (i + 1));
      assertThat(entry.rawSize()).isEqualTo(200L * (i + 1));
      assertThat(entry.sha256()).isEqualTo("sha-k/" + task.getJob());
      assertThat(entry.startedAt()).isEqualTo(PLANNED);
      assertThat(entry.finishedAt()).isEqualTo(PLANNED.plusSeconds(60));
    }
  }

  @Test
  void anAccountsArtifactIsItsOwnKindWhateverItsTask() {
    BackupRun run = planned();
    Map<String, BackupReport> reports = reports(run);
    RunTask database =
        run.getStatus().getTasks().stream()
            .filter(t -> "database".equals(t.getKind()))
            .findFirst()
            .orElseThrow();
    BackupReport plain = reports.get(database.getJob());
    BackupReport.Artifact accounts =
        new BackupReport.Artifact("k/accounts", null, null, 7, 14, "sha-acc", "gzip", 12L);
    reports.put(
        database.getJob(),
        new BackupReport(
            plain.jobName(),
            null,
            null,
            true,
            "ok",
            plain.startedAt(),
            plain.finishedAt(),
            null,
            List.of(plain.artifacts().get(0), accounts),
            List.of("a socket was skipped")));

    Manifest manifest = ManifestAssembly.manifest(run, reports, OWNER, COMPLETED);

    Manifest.Entry entry =
        manifest.artifacts().stream()
            .filter(e -> e.key().equals("k/accounts"))
            .findFirst()
            .orElseThrow();
    assertThat(entry.kind()).isEqualTo(Manifest.Entry.ACCOUNTS);
    assertThat(entry.accounts()).isEqualTo(12L);
    assertThat(entry.target()).isEqualTo(database.getTarget());
    assertThat(entry.warnings()).containsExactly("a socket was skipped");
    assertThat(manifest.artifacts()).hasSize(5);
    assertThat(manifest.size()).isEqualTo(100 + 200 + 300 + 400 + 7);
  }

  @Test
  void aTaskWhoseReportVanishedCannotBeVouchedFor() {
    BackupRun run = planned();
    Map<String, BackupReport> reports = reports(run);
    String job = run.getStatus().getTasks().get(2).getJob();
    reports.remove(job);

    assertThatThrownBy(() -> ManifestAssembly.manifest(run, reports, OWNER, COMPLETED))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(job);
  }

  @Test
  void aRunPlannedBeforeRetentionWasRecordedHasNoRetentionTerms() {
    BackupRun run = planned();

    assertThat(ManifestAssembly.manifest(run, reports(run), OWNER, COMPLETED).retention()).isNull();
  }

  @Test
  void keptUntilATimeRecordsThatTime() {
    BackupRun run = planned();
    run.getStatus().setOrigin(Manifest.RunRetention.ON_DEMAND);
    run.getStatus().setRetention(Manifest.RunRetention.KEEP);
    run.getStatus().setExpiresAt("2027-01-01T00:00:00Z");

    Manifest.RunRetention retention =
        ManifestAssembly.manifest(run, reports(run), OWNER, COMPLETED).retention();

    assertThat(retention)
        .isEqualTo(
            new Manifest.RunRetention(
                Manifest.RunRetention.ON_DEMAND,
                Manifest.RunRetention.KEEP,
                Instant.parse("2027-01-01T00:00:00Z"),
                null));
    assertThat(retention.keptOnOwnTerms()).isTrue();
  }

  @Test
  void keptForADurationRecordsTheDurationNotItsEnd() {
    BackupRun run = planned();
    run.getStatus().setOrigin(Manifest.RunRetention.ON_DEMAND);
    run.getStatus().setRetention(Manifest.RunRetention.KEEP);
    run.getStatus().setKeepFor("30d");
    run.getStatus().setExpiresAt("2026-12-21T02:00:05Z");

    assertThat(ManifestAssembly.retention(run.getStatus()))
        .isEqualTo(
            new Manifest.RunRetention(
                Manifest.RunRetention.ON_DEMAND, Manifest.RunRetention.KEEP, null, "30d"));
  }

  @Test
  void aScheduledBackupIsKeptByThePolicy() {
    BackupRun run = planned();
    run.getStatus().setOrigin(Manifest.RunRetention.SCHEDULED);
    run.getStatus().setRetention(Manifest.RunRetention.POLICY);

    assertThat(ManifestAssembly.retention(run.getStatus()))
        .isEqualTo(
            new Manifest.RunRetention(
                Manifest.RunRetention.SCHEDULED, Manifest.RunRetention.POLICY, null, null));
  }

  @Test
  void aManifestSayingWhatTheStatusVerifiedHasNoMismatch() {
    BackupRun run = planned();
    Map<String, BackupReport> reports = reports(run);
    verified(run, reports);

    Manifest manifest = ManifestAssembly.manifest(run, reports, OWNER, COMPLETED);

    assertThat(ManifestAssembly.mismatches(run.getStatus(), manifest)).isEmpty();
  }

  @Test
  void aReportChangedAfterItsJobEndedIsAMismatchOfThatArtifact() {
    BackupRun run = planned();
    Map<String, BackupReport> reports = reports(run);
    verified(run, reports);
    String job = run.getStatus().getTasks().get(1).getJob();
    reports.put(job, report(job, true, "ok", "k/" + job, 999));

    Manifest manifest = ManifestAssembly.manifest(run, reports, OWNER, COMPLETED);

    assertThat(ManifestAssembly.mismatches(run.getStatus(), manifest))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.artifact().getKey()).isEqualTo("k/" + job);
              assertThat(m.message())
                  .isEqualTo(
                      "the report behind artifact k/" + job + " changed after its Job ended");
            });
  }

  @Test
  void aDifferentHashIsAMismatchToo() {
    BackupRun run = planned();
    Map<String, BackupReport> reports = reports(run);
    verified(run, reports);
    run.getStatus().getArtifacts().get(0).setSha256("other");

    Manifest manifest = ManifestAssembly.manifest(run, reports, OWNER, COMPLETED);

    assertThat(ManifestAssembly.mismatches(run.getStatus(), manifest))
        .singleElement()
        .satisfies(m -> assertThat(m.artifact().getSha256()).isEqualTo("other"));
  }

  @Test
  void anEntryTheStatusDoesNotKnowIsAMismatchWithoutArtifact() {
    BackupRun run = planned();
    Map<String, BackupReport> reports = reports(run);
    verified(run, reports);
    String job = run.getStatus().getTasks().get(3).getJob();
    run.getStatus().getArtifacts().removeIf(a -> a.getKey().equals("k/" + job));

    Manifest manifest = ManifestAssembly.manifest(run, reports, OWNER, COMPLETED);

    assertThat(ManifestAssembly.mismatches(run.getStatus(), manifest))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.artifact()).isNull();
              assertThat(m.message()).contains("k/" + job);
            });
  }

  @Test
  void anArtifactNoLongerInItsReportIsAMismatch() {
    BackupRun run = planned();
    Map<String, BackupReport> reports = reports(run);
    verified(run, reports);
    ArtifactStatus gone = new ArtifactStatus();
    gone.setKey("k/gone");
    gone.setSize(5L);
    run.getStatus().getArtifacts().add(gone);

    Manifest manifest = ManifestAssembly.manifest(run, reports, OWNER, COMPLETED);

    assertThat(ManifestAssembly.mismatches(run.getStatus(), manifest))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.artifact()).isSameAs(gone);
              assertThat(m.message()).isEqualTo("artifact k/gone is no longer in its Job's report");
            });
  }
}
