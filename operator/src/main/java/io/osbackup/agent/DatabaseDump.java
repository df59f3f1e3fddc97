package io.osbackup.agent;

import io.osbackup.plan.AgentPlan;
import io.osbackup.agent.db.DatabaseBackup;
import io.osbackup.agent.db.DatabaseBackupException;
import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.store.ArtifactSink;
import io.osbackup.store.Compression;

/**
 * The database half of the agent: dumps the databases of {@link AgentPlan#database()} as one
 * snapshot.
 */
@FunctionalInterface
public interface DatabaseDump {

  /**
   * Dumps every selected database of {@code plan.database()} into {@code sink} under {@code
   * BackupLayout.databaseArtifact(plan.folder(), target, database, compression)}, reading
   * credentials through {@code mounts}, and records the source and each artifact uploaded whole in
   * {@code report}. Any exception fails the backup with its message (which must not contain a
   * secret).
   */
  void dump(AgentPlan plan, MountTable mounts, ArtifactSink sink, ReportDraft report)
      throws Exception;

  /** The MariaDB/MySQL half: {@link DatabaseBackup} with the login from the mounted Secret. */
  static DatabaseDump mariadb() {
    return (plan, mounts, sink, report) -> {
      DatabaseLogin login = DatabaseLogin.read(mounts.resolve(plan.database().credentialsDir()));
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
