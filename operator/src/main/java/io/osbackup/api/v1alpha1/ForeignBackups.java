package io.osbackup.api.v1alpha1;

/** What a BackupStore does with backups under its prefix that another cluster or store wrote. */
public enum ForeignBackups {
  /** Count them in status, never create runs for them, never delete them. */
  Ignore,
  /**
   * Also bring each back as a read-only BackupRun (labelled osbackup.io/foreign) that can be
   * restored from.
   */
  ImportReadOnly
}
