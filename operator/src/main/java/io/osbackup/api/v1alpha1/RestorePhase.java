package io.osbackup.api.v1alpha1;

/** Where a RestoreRequest is in its life. */
public enum RestorePhase {
  Pending,
  Validating,
  Verifying,
  Quiescing,
  Restoring,
  Resuming,
  Succeeded,
  Failed,
  Cancelled;

  /** Succeeded, Failed and Cancelled: nothing more happens. */
  public boolean isFinal() {
    return this == Succeeded || this == Failed || this == Cancelled;
  }
}
