package io.osbackup.api.v1alpha1;

/** What a scheduled slot does while an earlier run of the same policy is still active. */
public enum ConcurrencyPolicy {
  /** Skip the new slot and say so in the policy's status. */
  Forbid,
  /** Cancel the active run and start the new one. */
  Replace
}
