package io.osbackup.operator.policy;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.retention.RetentionResult;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What one reconciliation of a policy saw: its own runs, its store, its retention pass and, when a
 * slot is due, what the API says of that slot's runs.
 *
 * @param ownRuns the runs naming the policy, but those imported read-only from another owner
 * @param store the store named by spec.storeRef, if it exists
 * @param passRunning whether a retention pass of the policy is still running
 * @param finishedPass the result of a pass that ended since the last look, to record
 * @param lastRetention when retention was last due, if it has been since the operator started
 * @param slot what the API says of the due slot, if one is due and was looked up
 */
record PolicyObservation(
    List<BackupRun> ownRuns,
    Optional<BackupStore> store,
    boolean passRunning,
    Optional<RetentionResult> finishedPass,
    Optional<Instant> lastRetention,
    Optional<SlotRuns> slot) {

  PolicyObservation {
    ownRuns = List.copyOf(ownRuns);
  }

  /**
   * The runs that matter for starting {@code slot}.
   *
   * @param slot the due slot
   * @param runExists whether the slot's run exists already (made by an earlier operator)
   * @param activeRuns the policy's active runs, from the cache and from the API (labelled)
   */
  record SlotRuns(Instant slot, boolean runExists, List<BackupRun> activeRuns) {
    SlotRuns {
      activeRuns = List.copyOf(activeRuns);
    }
  }
}
