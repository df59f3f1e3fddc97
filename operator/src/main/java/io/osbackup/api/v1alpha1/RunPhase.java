package io.osbackup.api.v1alpha1;

/** Where a BackupRun is in its life. */
public enum RunPhase {
  Pending,
  Running,
  Succeeded,
  PartiallyFailed,
  Failed,
  Cancelled;

  /** Whether the run has ended and will not change again. */
  public boolean isFinal() {
    return this == Succeeded || this == PartiallyFailed || this == Failed || this == Cancelled;
  }
}
