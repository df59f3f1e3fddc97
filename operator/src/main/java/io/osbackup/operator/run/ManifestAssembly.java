package io.osbackup.operator.run;

import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The manifest of a BackupRun, built from its status and its agents' reports: one entry per
 * reported artifact, the run's retention terms and the folder's owner. Pure, like the backup
 * planning in {@code io.osbackup.plan}.
 */
final class ManifestAssembly {

  private ManifestAssembly() {}

  /**
   * The manifest of {@code run}.
   *
   * @param reports by Job name, the report of every task
   * @param owner who wrote the folder
   * @param completedAt when the manifest is written
   */
  static Manifest manifest(
      BackupRun run, Map<String, BackupReport> reports, Owner owner, Instant completedAt) {
    BackupRunStatus status = run.getStatus();
    List<Manifest.Entry> entries = new ArrayList<>();
    long size = 0;
    for (RunTask task : status.getTasks()) {
      BackupReport report = reports.get(task.getJob());
      if (report == null) {
        throw new IllegalStateException("report of " + task.getJob() + " vanished");
      }
      for (BackupReport.Artifact a : report.artifacts()) {
        entries.add(
            new Manifest.Entry(
                a.accounts() != null ? Manifest.Entry.ACCOUNTS : task.getKind(),
                task.getTarget(),
                a.database(),
                task.getNode(),
                a.key(),
                a.size(),
                a.rawSize(),
                a.sha256(),
                a.compression(),
                a.files(),
                report.source(),
                report.startedAt(),
                report.finishedAt(),
                report.warnings(),
                a.accounts()));
        size += a.size();
      }
    }
    return new Manifest(
        Manifest.FORMAT_VERSION,
        status.getBackupId(),
        run.getMetadata().getNamespace(),
        run.getSpec().getPolicyRef().getName(),
        run.getMetadata().getName(),
        status.getPlan().getStore(),
        status.getPlan().getS3().getBucket(),
        status.getFolder(),
        status.getPlan().getCompression() == null
            ? "gzip"
            : status.getPlan().getCompression().name().toLowerCase(),
        Instant.parse(status.getStartTime()),
        completedAt,
        size,
        entries,
        owner,
        retention(status));
  }

  /**
   * How the backup is kept, as read from the spec when the run was planned; null for a run planned
   * before.
   */
  static Manifest.RunRetention retention(BackupRunStatus status) {
    if (status.getRetention() == null) {
      return null;
    }
    Instant until =
        status.getKeepFor() == null && status.getExpiresAt() != null
            ? Instant.parse(status.getExpiresAt())
            : null;
    return new Manifest.RunRetention(
        status.getOrigin(), status.getRetention(), until, status.getKeepFor());
  }

  /** An artifact of the status the manifest does not vouch for, and why. */
  record Mismatch(ArtifactStatus artifact, String message) {}

  /**
   * Where the manifest, built from the agents' reports, does not say exactly what the status
   * (verified) says: each artifact whose report changed after its Job ended, or that its report no
   * longer names (artifact null for an entry the status does not know).
   */
  static List<Mismatch> mismatches(BackupRunStatus status, Manifest manifest) {
    List<Mismatch> problems = new ArrayList<>();
    Map<String, ArtifactStatus> verified =
        status.getArtifacts().stream()
            .collect(
                Collectors.toMap(ArtifactStatus::getKey, a -> a, (a, b) -> a, LinkedHashMap::new));
    for (Manifest.Entry entry : manifest.artifacts()) {
      ArtifactStatus artifact = verified.remove(entry.key());
      if (artifact == null
          || artifact.getSize() != entry.size()
          || !Objects.equals(artifact.getSha256(), entry.sha256())) {
        problems.add(
            new Mismatch(
                artifact,
                "the report behind artifact " + entry.key() + " changed after its Job ended"));
      }
    }
    for (ArtifactStatus missing : verified.values()) {
      problems.add(
          new Mismatch(
              missing, "artifact " + missing.getKey() + " is no longer in its Job's report"));
    }
    return problems;
  }
}
