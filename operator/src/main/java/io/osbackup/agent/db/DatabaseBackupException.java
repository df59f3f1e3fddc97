package io.osbackup.agent.db;

import io.osbackup.contract.BackupReport;
import java.util.List;

/**
 * A database backup failed; the message says why, in the words of the tool that failed or of the
 * pre-flight, and never contains the password. Carries what was read and the artifacts finished
 * before the failure.
 */
public final class DatabaseBackupException extends Exception {

  private final BackupReport.Source source;
  private final List<BackupReport.Artifact> finished;

  DatabaseBackupException(
      String message,
      Throwable cause,
      BackupReport.Source source,
      List<BackupReport.Artifact> finished) {
    super(message, cause);
    this.source = source;
    this.finished = List.copyOf(finished);
  }

  /** Host and port, and once the pre-flight succeeded the server version and selected databases. */
  public BackupReport.Source source() {
    return source;
  }

  /** Artifacts uploaded whole before the failure (other databases of the same snapshot). */
  public List<BackupReport.Artifact> finished() {
    return finished;
  }
}
