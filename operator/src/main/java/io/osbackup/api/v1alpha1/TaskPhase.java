package io.osbackup.api.v1alpha1;

/** Where one Job of a run is. */
public enum TaskPhase {
  Pending,
  Running,
  Succeeded,
  Failed,
  Cancelled;

  public boolean isFinal() {
    return this == Succeeded || this == Failed || this == Cancelled;
  }
}
