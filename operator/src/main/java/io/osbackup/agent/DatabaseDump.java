package io.osbackup.agent;

import io.osbackup.agent.db.DatabaseBackup;
import io.osbackup.agent.db.DatabaseBackupException;
import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.store.ArtifactSink;

/**
 * The database half of the agent: dumps the databases of {@link BackupPlan#database()} as one
 * snapshot.
 */
@FunctionalInterface
public interface DatabaseDump {

  /**
   * Dumps every selected database of {@code plan.database()} into {@code sink} under {@code
   * BackupLayout.databaseArtifact(plan.folder(), target, database, compression)}, logging in with
   * {@code login}, and records the source, warnings and each artifact uploaded whole in {@code
   * report}. Any exception fails the backup with its message (the agent scrubs the password out of
   * it).
   */
  void dump(BackupPlan plan, DatabaseLogin login, ArtifactSink sink, ReportDraft report)
      throws Exception;

  /** The MariaDB/MySQL half: {@link DatabaseBackup}. */
  static DatabaseDump mariadb() {
    return (plan, login, sink, report) -> {
      try {
        DatabaseBackup.Result result =
            DatabaseBackup.withDefaultDumpCommand()
                .run(
                    plan.database(),
                    login,
                    plan.folder(),
                    Compression.of(plan.compression()),
                    sink);
        report.source(result.source());
        result.reportArtifacts().forEach(report::artifact);
      } catch (DatabaseBackupException e) {
        if (e.source() != null) {
          report.source(e.source());
        }
        e.finished().forEach(report::artifact);
        throw e;
      }
    };
  }
}
