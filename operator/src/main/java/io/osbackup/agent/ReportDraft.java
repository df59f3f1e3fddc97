package io.osbackup.agent;

import io.osbackup.contract.BackupReport;
import io.osbackup.contract.StoredArtifact;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * What a Job has done so far: the source it read, the artifacts uploaded whole and the warnings. On
 * failure the report still lists the artifacts finished before it.
 */
public final class ReportDraft {

  private final Consumer<BackupReport.Artifact> onArtifact;
  private final UnaryOperator<String> redact;
  private final Consumer<String> onWarning;
  private final List<BackupReport.Artifact> artifacts = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private int moreWarnings;
  private BackupReport.Source source;

  /** A draft that tells {@code onArtifact} about every artifact as it is added (for the log). */
  public ReportDraft(Consumer<BackupReport.Artifact> onArtifact) {
    this(onArtifact, UnaryOperator.identity(), warning -> {});
  }

  /**
   * A draft that passes every warning through {@code redact} before it is kept or shown to {@code
   * onWarning} (for the log), and every artifact to {@code onArtifact}.
   */
  public ReportDraft(
      Consumer<BackupReport.Artifact> onArtifact,
      UnaryOperator<String> redact,
      Consumer<String> onWarning) {
    this.onArtifact = onArtifact;
    this.redact = redact;
    this.onWarning = onWarning;
  }

  /** Records what was read: host, port, server version, databases or paths. */
  public synchronized void source(BackupReport.Source source) {
    this.source = source;
  }

  /** Records one artifact uploaded whole. */
  public void artifact(BackupReport.Artifact artifact) {
    synchronized (this) {
      artifacts.add(artifact);
    }
    onArtifact.accept(artifact);
  }

  /** Records one artifact uploaded whole, from what the store returned. */
  public void artifact(StoredArtifact stored, String database, Long files) {
    artifact(BackupReport.Artifact.of(stored, database, files));
  }

  /**
   * Records something noticed but not failed on, redacted. The first {@link
   * BackupReport#MAX_WARNINGS} are kept, each cut to {@link BackupReport#MAX_WARNING_LENGTH}
   * characters; the rest are only counted.
   */
  public void warning(String warning) {
    String text = redact.apply(String.valueOf(warning));
    onWarning.accept(text);
    keep(text);
  }

  private synchronized void keep(String text) {
    if (warnings.size() >= BackupReport.MAX_WARNINGS) {
      moreWarnings++;
      return;
    }
    if (text.length() > BackupReport.MAX_WARNING_LENGTH) {
      int end = BackupReport.MAX_WARNING_LENGTH - 1;
      if (Character.isHighSurrogate(text.charAt(end - 1))) {
        end--;
      }
      text = text.substring(0, end) + "…";
    }
    warnings.add(text);
  }

  /** The warnings kept, followed by "and N more warnings" when some were only counted. */
  public synchronized List<String> warnings() {
    if (moreWarnings == 0) {
      return List.copyOf(warnings);
    }
    List<String> all = new ArrayList<>(warnings);
    all.add("and " + moreWarnings + " more warning" + (moreWarnings == 1 ? "" : "s"));
    return List.copyOf(all);
  }

  public synchronized BackupReport.Source source() {
    return source;
  }

  public synchronized List<BackupReport.Artifact> artifacts() {
    return List.copyOf(artifacts);
  }
}
