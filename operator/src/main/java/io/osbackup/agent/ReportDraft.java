package io.osbackup.agent;

import io.osbackup.store.JobReport;
import io.osbackup.store.StoredArtifact;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a Job has done so far: the source it read and the artifacts uploaded whole. On failure the
 * report still lists the artifacts finished before it.
 */
public final class ReportDraft {

  private final Consumer<JobReport.Artifact> onArtifact;
  private final List<JobReport.Artifact> artifacts = new ArrayList<>();
  private JobReport.Source source;

  /** A draft that tells {@code onArtifact} about every artifact as it is added (for the log). */
  public ReportDraft(Consumer<JobReport.Artifact> onArtifact) {
    this.onArtifact = onArtifact;
  }

  /** Records what was read: host, port, server version, databases or paths. */
  public synchronized void source(JobReport.Source source) {
    this.source = source;
  }

  /** Records one artifact uploaded whole. */
  public void artifact(JobReport.Artifact artifact) {
    synchronized (this) {
      artifacts.add(artifact);
    }
    onArtifact.accept(artifact);
  }

  /** Records one artifact uploaded whole, from what the store returned. */
  public void artifact(StoredArtifact stored, String database, Long files) {
    artifact(
        new JobReport.Artifact(
            stored.key(),
            database,
            files,
            stored.size(),
            stored.rawSize(),
            stored.sha256(),
            stored.compression().value()));
  }

  public synchronized JobReport.Source source() {
    return source;
  }

  public synchronized List<JobReport.Artifact> artifacts() {
    return List.copyOf(artifacts);
  }
}
