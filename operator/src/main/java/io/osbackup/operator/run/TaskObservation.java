package io.osbackup.operator.run;

import io.osbackup.contract.BackupReport;
import io.osbackup.operator.reconcile.JobOutcome;
import java.util.Map;
import java.util.Optional;

/**
 * What the cluster and the bucket say about the Jobs of a running BackupRun, gathered by {@link
 * RunObserver} before {@link TaskDecision} decides: for each task's Job name, what is known of it.
 *
 * @param jobs by Job name, for every task that is Pending or Running
 */
record TaskObservation(Map<String, Seen> jobs) {

  TaskObservation {
    jobs = Map.copyOf(jobs);
  }

  /**
   * One Job as seen.
   *
   * @param exists whether the Job exists (the informer's cache, then the API)
   * @param outcome what its status says; null when it does not exist
   * @param activeDeadlineSeconds its spec's deadline, for the message of a Job that ran too long
   * @param report the agent's report, read when the Job ended or is gone
   * @param reportError why the report could not be read (the bucket did not answer); null if read
   * @param nodeLost why the Job's node is gone or not Ready, read when the Job failed
   * @param terminationMessage what the Job's newest pod said, read when the Job failed
   * @param notStarting why its pod cannot start, read once the task is older than the pod-start
   *     timeout
   */
  record Seen(
      boolean exists,
      JobOutcome outcome,
      Long activeDeadlineSeconds,
      Optional<BackupReport> report,
      String reportError,
      Optional<String> nodeLost,
      Optional<String> terminationMessage,
      Optional<String> notStarting) {

    /** A Job not created yet. */
    static Seen absent() {
      return new Seen(
          false,
          null,
          null,
          Optional.empty(),
          null,
          Optional.empty(),
          Optional.empty(),
          Optional.empty());
    }

    /** A Job that exists and has not ended, its pod starting or not. */
    static Seen running(Optional<String> notStarting) {
      return new Seen(
          true,
          new JobOutcome(false, false, null, null),
          null,
          Optional.empty(),
          null,
          Optional.empty(),
          Optional.empty(),
          notStarting);
    }

    boolean ended() {
      return outcome != null && outcome.ended();
    }
  }
}
