package io.osbackup.operator.run;

import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.Manifest;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a run whose tasks all succeeded may write its manifest: every artifact of its status is
 * in the bucket with the reported size, and the manifest built from the agents' reports says
 * exactly what the status says. Each artifact that is not fails its task. Pure.
 */
final class ArtifactVerification {

  private ArtifactVerification() {}

  /** The manifest to write when every artifact is verified; empty when one failed its task. */
  static Optional<Manifest> verify(RunRecord record, FinishingObservation seen) {
    if (!stored(record, seen)) {
      return Optional.empty();
    }
    Manifest manifest =
        ManifestAssembly.manifest(record.run(), seen.reports(), seen.owner(), record.instant());
    boolean verified = true;
    for (ManifestAssembly.Mismatch m : ManifestAssembly.mismatches(record.status(), manifest)) {
      if (m.artifact() != null) {
        failTaskOf(record, m.artifact(), "ReportChanged", m.message());
      } else {
        record.fail(null, null, "ReportChanged", m.message());
      }
      verified = false;
    }
    return verified ? Optional.of(manifest) : Optional.empty();
  }

  /** Checks each artifact of the status against the bucket; fails the task of each that is not. */
  private static boolean stored(RunRecord record, FinishingObservation seen) {
    boolean ok = true;
    for (ArtifactStatus artifact : record.status().getArtifacts()) {
      Optional<Long> size = seen.stored().getOrDefault(artifact.getKey(), Optional.empty());
      String reason = null;
      String message = null;
      if (size.isEmpty()) {
        reason = "ArtifactMissing";
        message =
            "artifact " + artifact.getKey() + " is not in the bucket although its Job reported it";
      } else if (size.get().longValue() != artifact.getSize()) {
        reason = "ArtifactSizeMismatch";
        message =
            "artifact "
                + artifact.getKey()
                + " has "
                + size.get()
                + " bytes in the bucket, its Job reported "
                + artifact.getSize();
      }
      if (reason != null) {
        failTaskOf(record, artifact, reason, message);
        ok = false;
      }
    }
    return ok;
  }

  private static void failTaskOf(
      RunRecord record, ArtifactStatus artifact, String reason, String message) {
    for (RunTask task : record.status().getTasks()) {
      if (Objects.equals(task.getTarget(), artifact.getTarget())
          && Objects.equals(task.getNode(), artifact.getNode())) {
        task.setPhase(TaskPhase.Failed);
        task.setMessage(message);
      }
    }
    record.fail(artifact.getTarget(), artifact.getNode(), reason, message);
  }
}
