package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;

/**
 * What a RestoreRequest does next, decided from its spec, its status and what was observed, with no
 * Kubernetes or bucket in sight: every method changes the status copy it is given and returns the
 * {@link Outcome} (status changed, Events, when to look again). Time is the settings' clock. This
 * class holds the lifecycle (Pending → Validating, an edited spec of an ended request, problems
 * found while validating) and the endings every phase shares; each phase has its own decision:
 * {@link ValidationDecision}, {@link VerifyDecision}, {@link QuiesceDecision}, {@link
 * RestoringDecision}, {@link ResumeDecision}. Once workloads were quiesced the request runs once,
 * whatever happens to its spec.
 */
final class RestoreDecision {

  static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  static final String VERIFY = "verify";
  static final String QUIESCE = "quiesce";
  static final String DATABASE = "database";
  static final String FILES = "files";
  static final String ACCOUNTS = "accounts";

  /** What an edit of the spec of a request in a final phase means. */
  enum Edit {
    /** The spec was not edited since the request ended: nothing to do. */
    NONE,
    /** Nothing was written yet: the edited spec is validated again as a new attempt. */
    NEW_ATTEMPT,
    /** The restore started writing: it runs once, the edit is only acknowledged. */
    IGNORED
  }

  private final OperatorSettings settings;

  RestoreDecision(OperatorSettings settings) {
    this.settings = settings;
  }

  // ---------------------------------------------------------------- Lifecycle

  /** For a request in a final phase: what its spec's generation says to do. */
  Edit edit(RestoreRequest request, RestoreRequestStatus status) {
    Long generation = request.getMetadata().getGeneration();
    boolean edited =
        generation != null
            && status.getObservedGeneration() != null
            && generation > status.getObservedGeneration();
    if (!edited) {
      return Edit.NONE;
    }
    return status.getStartedGeneration() == null ? Edit.NEW_ATTEMPT : Edit.IGNORED;
  }

  /**
   * The edited spec of a request that already wrote is acknowledged in the SpecIgnored condition;
   * the restore is not run again.
   */
  Outcome ignoreEdit(RestoreRequest request, RestoreRequestStatus status) {
    Long generation = request.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    Conditions.set(
        status,
        "SpecIgnored",
        true,
        "RunsOnce",
        "spec changed (generation "
            + generation
            + ") after"
            + " this restore started at generation "
            + status.getStartedGeneration()
            + "; a RestoreRequest runs once:"
            + " create a new RestoreRequest to restore again",
        generation,
        settings.clock());
    return Outcome.changed();
  }

  /** The Jobs of an ended attempt that go when its edited spec is tried again. */
  static List<String> jobsOfEndedAttempt(RestoreRequestStatus status) {
    return status.getJobs().stream()
        .filter(j -> !QUIESCE.equals(j.getKind()))
        .map(RestoreJob::getName)
        .toList();
  }

  /** A fresh status for the next attempt of an edited request that wrote nothing. */
  static RestoreRequestStatus nextAttempt(RestoreRequestStatus ended) {
    RestoreRequestStatus fresh = new RestoreRequestStatus();
    fresh.setAttempt((ended.getAttempt() == null ? 1 : ended.getAttempt()) + 1);
    return fresh;
  }

  /** Pending → Validating. */
  Outcome begin(RestoreRequest request, RestoreRequestStatus status) {
    status.setPhase(RestorePhase.Validating);
    status.setObservedGeneration(request.getMetadata().getGeneration());
    status.setStartTime(settings.now());
    status.setStamp(STAMP.format(settings.clock().instant()));
    status.setMessage("validating the source and the selection");
    Conditions.set(
        status,
        RestoreRequestStatus.COMPLETE,
        false,
        "Validating",
        status.getMessage(),
        request.getMetadata().getGeneration(),
        settings.clock());
    return Outcome.changed().lookAgainAfter(settings.timings().nextStep());
  }

  /**
   * A problem found while validating: a retryable one waits (told once, as a Warning) until the
   * request is older than the pending timeout; any other fails the request.
   */
  Outcome problem(RestoreRequest request, RestoreRequestStatus status, RestoreProblem p) {
    if (p.retryable
        && settings
                .age(request.getMetadata().getCreationTimestamp())
                .compareTo(settings.timings().pending())
            < 0) {
      Outcome outcome = Outcome.changed().lookAgainAfter(settings.timings().recheck());
      if (!Objects.equals(status.getMessage(), p.getMessage())) {
        outcome = outcome.warn(p.reason, p.getMessage());
      }
      status.setMessage(p.getMessage());
      Conditions.set(
          status,
          RestoreRequestStatus.COMPLETE,
          false,
          p.reason,
          p.getMessage(),
          request.getMetadata().getGeneration(),
          settings.clock());
      return outcome;
    }
    return refuse(request, status, p.reason, p.getMessage());
  }

  /**
   * Bad input found before anything was written: the request fails, and an edited spec is validated
   * again.
   */
  Outcome refuse(
      RestoreRequest request, RestoreRequestStatus status, String reason, String message) {
    return end(request, status, RestorePhase.Failed, reason, message + " (nothing was changed)");
  }

  /** → Resuming: the quiesced workloads are scaled back next. */
  Outcome toResuming(RestoreRequestStatus status, String message) {
    status.setPhase(RestorePhase.Resuming);
    status.setMessage(message);
    return Outcome.changed().lookAgainAfter(settings.timings().nextStep());
  }

  // ---------------------------------------------------------------- Endings

  /** Waits for the store or the API, which failed for now. */
  Outcome waitFor(RestoreRequestStatus status, String what, Exception e) {
    status.setMessage("waiting for " + what + ", will retry: " + e.getMessage());
    return Outcome.changed().lookAgainAfter(settings.timings().recheck());
  }

  /** The request ends in {@code phase}: no more looking, a Warning when it failed. */
  Outcome end(
      RestoreRequest request,
      RestoreRequestStatus status,
      RestorePhase phase,
      String reason,
      String message) {
    Long generation = request.getMetadata().getGeneration();
    status.setPhase(phase);
    status.setMessage(message);
    status.setCompletionTime(settings.now());
    status.setObservedGeneration(generation);
    Conditions.set(
        status,
        RestoreRequestStatus.COMPLETE,
        phase == RestorePhase.Succeeded,
        reason,
        message,
        generation,
        settings.clock());
    return phase == RestorePhase.Failed
        ? Outcome.changed().warn(reason, message)
        : Outcome.changed().tell(reason, message);
  }

  /** A Job of the restore, Pending until it is created. */
  static RestoreJob job(String jobName, String kind, String target, String node) {
    RestoreJob job = new RestoreJob();
    job.setName(jobName);
    job.setKind(kind);
    job.setTarget(target);
    job.setNode(node);
    job.setPhase(TaskPhase.Pending);
    return job;
  }
}
