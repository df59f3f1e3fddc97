package io.osbackup.agent;

import io.osbackup.plan.AgentPlan;
import io.osbackup.store.ArtifactSink;

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

  /** Placeholder until the database half is merged in. */
  static DatabaseDump notWired() {
    // MERGE: replace with io.osbackup.agent.db.DatabaseBackup.
    return (plan, mounts, sink, report) -> {
      throw new UnsupportedOperationException(
          "database backup is not wired into this build (DatabaseDump.notWired)");
    };
  }
}
