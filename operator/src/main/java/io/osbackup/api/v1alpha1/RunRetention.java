package io.osbackup.api.v1alpha1;

/** Whether a run's backup is kept by its policy's retention rules or on terms of its own. */
public enum RunRetention {
  /**
   * Kept on its own terms: until spec.keepUntil, or for spec.keepFor, or, with neither, until
   * deleted explicitly.
   */
  Keep,
  /** Counted and pruned by the policy's spec.retention like a scheduled backup. */
  Policy
}
