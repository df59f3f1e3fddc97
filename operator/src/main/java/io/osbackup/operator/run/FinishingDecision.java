package io.osbackup.operator.run;

import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Manifest;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.plan.KeepTerms;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a BackupRun whose Jobs all ended, or that is cancelled, does next, from a {@link
 * FinishingObservation}: verify every artifact and write the manifest last; or wait for the run's
 * pods, clean up and end Failed, PartiallyFailed or Cancelled; or wait for an unreachable store,
 * failing after {@link Timings#storePatience}. Pure: it changes the status through the {@link
 * RunRecord} and returns the {@link Step} to carry out; the steps that end the run once the bucket
 * was written end it through {@link #succeeded}, {@link #cleanedUp}, {@link #gaveUp} and {@link
 * #cancelled}.
 */
final class FinishingDecision {

  /** What the run does next. */
  enum Step {
    /** Every artifact verified: sign and write {@link Result#manifest}, then {@link #succeeded}. */
    WRITE_MANIFEST,
    /** A task failed and pods of the run may still upload: wait for them, look again. */
    WAIT_FOR_PODS,
    /**
     * Delete the run's pods, abort incomplete uploads, discard a manifest written before, then
     * {@link #cleanedUp} in {@link Result#phase}.
     */
    CLEAN_UP,
    /** The store or the API could not be reached, look again. */
    WAIT_FOR_STORE,
    /**
     * The store stayed unreachable past storePatience: discard a manifest written before if the
     * bucket lets it, then {@link #gaveUp}.
     */
    GIVE_UP,
    /** Cancelled: wait for the run's pods to stop before emptying its folder, look again. */
    CANCEL_WAIT_FOR_PODS,
    /** Cancelled: delete the run's pods and everything in its folder, then {@link #cancelled}. */
    CANCEL_CLEAN_UP
  }

  /**
   * The decision.
   *
   * @param outcome what to write, for the steps that need nothing of the bucket; null otherwise
   * @param stopJobs Jobs to delete (the unfinished tasks of a cancelled run)
   * @param manifest the manifest to write, for {@link Step#WRITE_MANIFEST}
   * @param phase how the run ends, for {@link Step#CLEAN_UP} and {@link Step#GIVE_UP}
   * @param reason the reason of the end, for {@link Step#GIVE_UP}
   * @param message the message of the end before the clean-up adds to it
   */
  record Result(
      Step step,
      Outcome outcome,
      List<String> stopJobs,
      Manifest manifest,
      RunPhase phase,
      String reason,
      String message) {

    static Result waiting(Step step, Outcome outcome) {
      return new Result(step, outcome, List.of(), null, null, null, null);
    }
  }

  private FinishingDecision() {}

  /** The next step of a run whose Jobs all ended. */
  static Result finish(RunRecord record, FinishingObservation seen, Timings timings) {
    if (seen.trouble().isPresent()) {
      return storeUnreachable(record, seen.trouble().get(), timings);
    }
    BackupRunStatus status = record.status();
    boolean allSucceeded =
        status.getTasks().stream().allMatch(t -> t.getPhase() == TaskPhase.Succeeded);
    if (allSucceeded) {
      Optional<Manifest> manifest = ArtifactVerification.verify(record, seen);
      if (manifest.isPresent()) {
        return new Result(Step.WRITE_MANIFEST, null, List.of(), manifest.get(), null, null, null);
      }
    }
    if (podsMayUpload(record, seen, timings)) {
      // A failed Job's pod may still be uploading: clean up only once it has stopped.
      status.setMessage(
          "waiting for " + seen.alivePods() + " pods to stop before removing incomplete uploads");
      return Result.waiting(Step.WAIT_FOR_PODS, record.changed().lookAgainAfter(timings.settle()));
    }
    boolean someSucceeded =
        status.getTasks().stream().anyMatch(t -> t.getPhase() == TaskPhase.Succeeded);
    RunPhase phase = someSucceeded ? RunPhase.PartiallyFailed : RunPhase.Failed;
    String summary =
        status.getFailures().stream()
            .map(
                f ->
                    (f.getTarget() == null
                            ? ""
                            : f.getTarget() + (f.getNode() == null ? "" : "@" + f.getNode()) + ": ")
                        + f.getMessage())
            .collect(Collectors.joining("; "));
    return new Result(Step.CLEAN_UP, null, List.of(), null, phase, phase.name(), summary);
  }

  /**
   * The bucket or the API could not be read or written ({@code message} says why): wait for it, or,
   * once every Job ended more than storePatience ago, fail.
   */
  static Result storeUnreachable(RunRecord record, String message, Timings timings) {
    return trouble(record, "StoreUnavailable", false, message, timings);
  }

  /**
   * The manifest could not be signed for {@code reason} ({@code message} says more): wait, or, once
   * every Job ended more than storePatience ago, fail.
   */
  static Result notSigned(RunRecord record, String reason, String message, Timings timings) {
    return trouble(record, reason, true, message, timings);
  }

  private static Result trouble(
      RunRecord record, String reason, boolean signing, String message, Timings timings) {
    if (record.age(record.lastTaskEnd()).compareTo(timings.storePatience()) > 0) {
      String failure =
          !signing
              ? "every Job ended "
                  + timings.storePatience().toMinutes()
                  + " minutes ago, but the bucket could not be read"
                  + " to verify the artifacts and write the manifest: "
                  + message
              : "every Job ended "
                  + timings.storePatience().toMinutes()
                  + " minutes ago, but the manifest could not be signed: "
                  + message;
      record.fail(null, null, reason, failure);
      return new Result(Step.GIVE_UP, null, List.of(), null, RunPhase.Failed, reason, failure);
    }
    record.status().setMessage("waiting for the store or the API, will retry: " + message);
    return Result.waiting(Step.WAIT_FOR_STORE, record.changed().lookAgainAfter(timings.recheck()));
  }

  /**
   * Cancels the run: its unfinished tasks are stopped; once its pods stopped (or cancelGrace after
   * the last task ended), its folder is emptied.
   */
  static Result cancel(RunRecord record, String why, FinishingObservation seen, Timings timings) {
    List<String> stop = new ArrayList<>();
    for (RunTask task : record.status().getTasks()) {
      if (!task.getPhase().isFinal()) {
        stop.add(task.getJob());
        task.setPhase(TaskPhase.Cancelled);
        task.setMessage("cancelled");
        task.setCompletionTime(record.now());
      }
    }
    if (!stop.isEmpty()) {
      record.tell("Cancelling", why + ": " + stop.size() + " Jobs stopped");
    }
    if (podsMayUpload(record, seen, timings)) {
      record
          .status()
          .setMessage(
              "cancelling: waiting for "
                  + seen.alivePods()
                  + " pods to stop before removing partial uploads");
      return new Result(
          Step.CANCEL_WAIT_FOR_PODS,
          record.changed().lookAgainAfter(timings.settle()),
          stop,
          null,
          null,
          null,
          null);
    }
    return new Result(
        Step.CANCEL_CLEAN_UP, null, stop, null, RunPhase.Cancelled, "Cancelled", null);
  }

  /** The manifest is written: the run succeeded. */
  static Outcome succeeded(RunRecord record, Manifest manifest, String signingKey, String secret) {
    BackupRunStatus status = record.status();
    String key = BackupLayout.manifest(status.getFolder());
    status.setManifestKey(key);
    status.setSize(manifest.size());
    status.setManifestSignature("Verified");
    if (manifest.retention() != null) {
      Instant expires = KeepTerms.expiresAt(manifest.retention(), manifest.completedAt());
      status.setExpiresAt(expires == null ? null : expires.toString());
      status.setKeep(KeepTerms.describe(manifest.retention(), expires, manifest.policy()));
    }
    return record.end(
        RunPhase.Succeeded,
        "Succeeded",
        status.getArtifacts().size()
            + " artifacts, "
            + manifest.size()
            + " bytes, verified; manifest "
            + key
            + " signed with key '"
            + signingKey
            + "' of Secret '"
            + secret
            + "'");
  }

  /**
   * The failed run is cleaned up: {@code aborted} incomplete uploads aborted, and {@code discarded}
   * a manifest written before deleted.
   */
  static Outcome cleanedUp(RunRecord record, Result decided, int aborted, boolean discarded) {
    String summary = decided.message();
    if (aborted > 0) {
      summary += " (" + aborted + " incomplete uploads aborted)";
    }
    summary += discarded(record, Optional.of(discarded));
    return record.end(decided.phase(), decided.reason(), summary);
  }

  /**
   * The run gave up on its store; {@code discarded} whether a manifest written before was deleted,
   * empty when the bucket could not be asked.
   */
  static Outcome gaveUp(RunRecord record, Result decided, Optional<Boolean> discarded) {
    return record.end(
        RunPhase.Failed, decided.reason(), decided.message() + discarded(record, discarded));
  }

  /** The cancelled run's folder is empty: {@code removed} objects and uploads removed. */
  static Outcome cancelled(RunRecord record, int removed) {
    record.status().setArtifacts(new ArrayList<>());
    record.progress();
    return record.end(
        RunPhase.Cancelled,
        "Cancelled",
        "cancelled; " + removed + " partial uploads and objects removed");
  }

  /** The cancelled run's folder could not be emptied: look again. */
  static Outcome cancelCleanUpFailed(RunRecord record, String message, Timings timings) {
    record.status().setMessage("cancelling: cannot clean the bucket yet, will retry: " + message);
    return record.changed().lookAgainAfter(timings.recheck());
  }

  /** What to add to the run's message about a manifest written before the run failed. */
  private static String discarded(RunRecord record, Optional<Boolean> discarded) {
    String key = BackupLayout.manifest(record.status().getFolder());
    if (discarded.isEmpty()) {
      return "; if "
          + key
          + " was written before, it may still be in the"
          + " bucket: delete it, this run did not succeed";
    }
    if (discarded.get()) {
      record.status().setManifestKey(null);
      return "; manifest " + key + " deleted: it had been written before the run failed";
    }
    return "";
  }

  /**
   * Whether pods of the run are alive and may still upload: no longer than cancelGrace after the
   * last task ended.
   */
  private static boolean podsMayUpload(
      RunRecord record, FinishingObservation seen, Timings timings) {
    return seen.alivePods() > 0
        && record.age(record.lastTaskEnd()).compareTo(timings.cancelGrace()) < 0;
  }
}
