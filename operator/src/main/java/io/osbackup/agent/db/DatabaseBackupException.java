package io.osbackup.agent.db;

import io.osbackup.store.JobReport;
import java.util.List;

/**
 * A database backup failed; the message says why, in the words of the tool that failed or of the
 * pre-flight, and never contains the password. Carries what was read and the artifacts finished
 * before the failure.
 */
public final class DatabaseBackupException extends Exception {

  private final JobReport.Source source;
  private final List<JobReport.Artifact> finished;

  DatabaseBackupException(
      String message, Throwable cause, JobReport.Source source, List<JobReport.Artifact> finished) {
    super(message, cause);
    this.source = source;
    this.finished = List.copyOf(finished);
  }

  /** Host and port, and once the pre-flight succeeded the server version and selected databases. */
  public JobReport.Source source() {
    return source;
  }

  /** Artifacts uploaded whole before the failure (other databases of the same snapshot). */
  public List<JobReport.Artifact> finished() {
    return finished;
  }
}
