package io.osbackup.operator.run;

import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Owner;
import java.util.Map;
import java.util.Optional;

/**
 * What a finishing or cancelling BackupRun sees of its bucket and pods: the size of each artifact
 * as the bucket lists it, the agents' reports and the folder's owner (read only once every artifact
 * is there), the run's pods still alive, or why the store or the API could not be read.
 *
 * @param trouble why the bucket or the API could not be read; empty when everything was read
 * @param stored by artifact key, its size in the bucket; empty for an artifact not there (read only
 *     when every task succeeded)
 * @param reports by Job name, the report of each task (read only when every artifact is there)
 * @param owner the folder's owner: its marker, or this operator for a folder without one (null when
 *     the reports were not read)
 * @param alivePods pods of the run still Pending or Running
 */
record FinishingObservation(
    Optional<String> trouble,
    Map<String, Optional<Long>> stored,
    Map<String, BackupReport> reports,
    Owner owner,
    long alivePods) {

  /** The store or the API could not be read: {@code message} says why. */
  static FinishingObservation unreachable(String message) {
    return new FinishingObservation(Optional.of(message), Map.of(), Map.of(), null, 0);
  }

  /** Only the run's pods were looked at. */
  static FinishingObservation pods(long alive) {
    return new FinishingObservation(Optional.empty(), Map.of(), Map.of(), null, alive);
  }
}
