package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreItem;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.ItemState;
import io.osbackup.contract.RestoreReport;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a RestoreRequest does next, decided from its spec, its status and what was observed, with no
 * Kubernetes or bucket in sight: every method changes the status copy it is given and returns the
 * {@link Outcome} (status changed, Events, when to look again). Time is the settings' clock. The
 * phase transitions: Pending → Validating → Verifying → Quiescing → Restoring → Resuming →
 * Succeeded, Failed or Cancelled; and once workloads were quiesced the request runs once, whatever
 * happens to its spec.
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
    status.setStartTime(now());
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

  // ---------------------------------------------------------------- Validating

  /**
   * Validating → Verifying, once the selection, the cluster and the bucket were found fit: the plan
   * and the verify Job go into status. A restore in place without spec.confirm is refused.
   *
   * @param keptAside an example of where the previous contents go, for the confirm message
   */
  Outcome validated(
      RestoreRequest request,
      RestoreRequestStatus status,
      List<String> inPlace,
      String keptAside,
      List<RestoreItem> plan,
      String verifyJob) {
    RestoreRequestSpec spec = request.getSpec();
    String id = status.getBackupId();
    boolean dryRun = Boolean.TRUE.equals(spec.getDryRun());
    if (!inPlace.isEmpty() && !dryRun && !id.equals(spec.getConfirm())) {
      return refuse(
          request,
          status,
          spec.getConfirm() == null ? "ConfirmRequired" : "ConfirmMismatch",
          "this restore writes in place ("
              + String.join(", ", inPlace)
              + "): set spec.confirm: "
              + id
              + " to allow"
              + " it"
              + (spec.getConfirm() == null ? "" : " (spec.confirm is '" + spec.getConfirm() + "')")
              + "; the previous contents are kept aside ("
              + keptAside
              + ")");
    }
    status.setPlan(new ArrayList<>(plan));
    status.setBytes(
        status.getPlan().stream().mapToLong(i -> i.getSize() == null ? 0 : i.getSize()).sum());
    status.setJobs(new ArrayList<>(List.of(job(verifyJob, VERIFY, null, null))));
    status.setPhase(RestorePhase.Verifying);
    status.setMessage(
        "verifying "
            + status.getPlan().size()
            + " artifacts ("
            + status.getBytes()
            + " bytes) of "
            + id
            + " before anything is written");
    Conditions.set(
        status,
        RestoreRequestStatus.COMPLETE,
        false,
        "Verifying",
        status.getMessage(),
        request.getMetadata().getGeneration(),
        settings.clock());
    return Outcome.changed()
        .lookAgainAfter(settings.timings().nextStep())
        .tell(
            "Validated",
            "backup "
                + id
                + ": "
                + status.getPlan().size()
                + " artifacts selected"
                + (dryRun ? " (dry run)" : ""));
  }

  /**
   * A problem found while validating: a retryable one waits (told once, as a Warning) until the
   * request is older than the pending timeout; any other fails the request.
   */
  Outcome problem(RestoreRequest request, RestoreRequestStatus status, RestoreProblem p) {
    if (p.retryable
        && age(request.getMetadata().getCreationTimestamp()).compareTo(settings.timings().pending())
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

  // ---------------------------------------------------------------- Verifying

  /**
   * Verifying → Quiescing once the verify Job succeeded (or Succeeded for a dry run, Failed when it
   * failed or an existing destination is not confirmed); {@code verifyJob} was followed already.
   */
  Outcome verified(
      RestoreRequest request,
      RestoreRequestStatus status,
      RestoreJob verifyJob,
      Optional<RestoreReport> report) {
    if (verifyJob.getPhase() == TaskPhase.Running || verifyJob.getPhase() == TaskPhase.Pending) {
      status.setProgress("verifying " + status.getPlan().size() + " artifacts");
      return Outcome.changed().lookAgainAfter(settings.timings().poll());
    }
    if (verifyJob.getPhase() == TaskPhase.Failed || report.isEmpty()) {
      String reason =
          report.map(RestoreReport::reason).filter(Objects::nonNull).orElse("VerifyFailed");
      return end(
          request,
          status,
          RestorePhase.Failed,
          reason,
          "verification failed, nothing was written: " + verifyJob.getMessage());
    }
    for (RestoreItem item : status.getPlan()) {
      item.setState(ItemState.VERIFIED.value());
    }
    RestoreRequestSpec spec = request.getSpec();
    List<String> existing = existingDestinations(status, report.get());
    String id = status.getBackupId();
    boolean dryRun = Boolean.TRUE.equals(spec.getDryRun());
    if (!existing.isEmpty() && !dryRun && !id.equals(spec.getConfirm())) {
      return refuse(
          request,
          status,
          spec.getConfirm() == null ? "ConfirmRequired" : "ConfirmMismatch",
          "the destination "
              + String.join(", ", existing)
              + " already exists: set spec.confirm: "
              + id
              + " to replace it (the previous contents are kept aside)");
    }
    if (dryRun) {
      List<String> workloads =
          spec.getQuiesce().stream().map(w -> w.getKind() + "/" + w.getName()).toList();
      String message =
          "dry run: "
              + status.getPlan().size()
              + " artifacts ("
              + status.getBytes()
              + " bytes) verified; would restore to "
              + status.getPlan().stream()
                  .map(RestoreItem::getDestination)
                  .collect(Collectors.joining(", "))
              + (workloads.isEmpty() ? "" : "; would quiesce " + workloads)
              + (status.getPlan().stream().anyMatch(i -> Boolean.TRUE.equals(i.getInPlace()))
                  ? "; writes in place, so a real run needs spec.confirm: " + id
                  : "")
              + "; nothing was changed";
      return end(request, status, RestorePhase.Succeeded, "DryRun", message);
    }
    status.setStartedGeneration(request.getMetadata().getGeneration());
    status.setPhase(RestorePhase.Quiescing);
    status.setPhaseTime(now());
    status.setMessage(
        "verified "
            + status.getPlan().size()
            + " artifacts; quiescing "
            + spec.getQuiesce().size()
            + " workloads");
    return Outcome.changed()
        .lookAgainAfter(settings.timings().nextStep())
        .tell("Verified", status.getMessage());
  }

  /**
   * The databases of the plan a verify Job found to exist already on their server: they are
   * replaced in place from now on.
   */
  private static List<String> existingDestinations(
      RestoreRequestStatus status, RestoreReport report) {
    List<String> out = new ArrayList<>();
    for (RestoreItem item : status.getPlan()) {
      if (!DATABASE.equals(item.getKind()) || Boolean.TRUE.equals(item.getInPlace())) {
        continue;
      }
      for (RestoreReport.Server server : report.servers()) {
        String prefix = server.host() + ":" + server.port() + "/";
        if (item.getDestination().startsWith(prefix)
            && server.databases().contains(item.getDestination().substring(prefix.length()))) {
          item.setInPlace(true);
          out.add("database " + item.getDestination());
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- Quiescing

  /** Quiescing: replica counts were recorded before anything is scaled. */
  Outcome recorded(RestoreRequestStatus status) {
    status.setMessage(
        "recorded the replica counts of " + status.getQuiesced().size() + " workloads");
    return Outcome.changed().lookAgainAfter(settings.timings().nextStep());
  }

  /**
   * Quiescing, workloads scaled to zero: waits for their pods to stop, and gives up (resuming them)
   * after the quiesce timeout.
   */
  Outcome stillRunning(RestoreRequestStatus status, List<String> running) {
    Duration waited = age(status.getPhaseTime());
    if (waited.compareTo(settings.timings().quiesce()) > 0) {
      return failedBeforeRestore(
          status, "QuiesceTimeout", "still running after being scaled to zero: " + running);
    }
    status.setMessage("waiting for quiesced workloads to stop: " + running);
    return Outcome.changed().lookAgainAfter(settings.timings().settle());
  }

  /** Quiescing → Restoring once every workload stopped: the restore Jobs go into status. */
  Outcome quiesced(RestoreRequest request, RestoreRequestStatus status, List<RestoreJob> jobs) {
    status.getJobs().addAll(jobs);
    status.setPhase(RestorePhase.Restoring);
    status.setMessage(
        "restoring "
            + status.getPlan().size()
            + " artifacts with "
            + (status.getJobs().size() - 1)
            + " Jobs");
    Conditions.set(
        status,
        RestoreRequestStatus.COMPLETE,
        false,
        "Restoring",
        status.getMessage(),
        request.getMetadata().getGeneration(),
        settings.clock());
    Outcome outcome = Outcome.changed().lookAgainAfter(settings.timings().nextStep());
    if (!status.getQuiesced().isEmpty()) {
      outcome =
          outcome.tell(
              "Quiesced",
              "scaled to zero: "
                  + status.getQuiesced().stream()
                      .map(q -> q.getKind() + "/" + q.getName() + " (was " + q.getReplicas() + ")")
                      .collect(Collectors.joining(", ")));
    }
    return outcome;
  }

  /** Quiesced workloads came back before anything was restored: nothing is restored. */
  Outcome cameBackBeforeRestore(RestoreRequestStatus status, List<String> cameBack) {
    return failedBeforeRestore(
        status,
        "QuiesceBroken",
        "quiesced workloads came back before the restore started: "
            + String.join(", ", cameBack)
            + "; pause what scales them and create the request again");
  }

  /**
   * Nothing was restored: workloads go back at once, whatever onFailure says, and the request fails
   * (in Resuming, with the reason a {@code quiesce} marker Job keeps).
   */
  Outcome failedBeforeRestore(RestoreRequestStatus status, String reason, String message) {
    RestoreJob marker = job(QUIESCE, QUIESCE, null, null);
    marker.setPhase(TaskPhase.Failed);
    marker.setMessage(reason + ": " + message);
    status.getJobs().add(marker);
    return toResuming(status, message + "; nothing was restored, resuming the workloads")
        .warn(reason, message);
  }

  /** → Resuming: the quiesced workloads are scaled back next. */
  Outcome toResuming(RestoreRequestStatus status, String message) {
    status.setPhase(RestorePhase.Resuming);
    status.setMessage(message);
    return Outcome.changed().lookAgainAfter(settings.timings().nextStep());
  }

  // ---------------------------------------------------------------- Restoring

  /**
   * Restoring, once the Jobs of {@code restoreJobs} were followed: waits while any runs; then
   * Resuming, or Failed with the workloads kept at zero (spec.onFailure: KeepQuiesced).
   */
  Outcome restoring(
      RestoreRequest request, RestoreRequestStatus status, List<RestoreJob> restoreJobs) {
    long done = restoreJobs.stream().filter(j -> j.getPhase().isFinal()).count();
    long restored =
        status.getPlan().stream()
            .filter(i -> ItemState.of(i.getState()) == ItemState.RESTORED)
            .count();
    status.setProgress(
        restored
            + "/"
            + status.getPlan().size()
            + " artifacts restored, "
            + done
            + "/"
            + restoreJobs.size()
            + " Jobs done");
    if (done < restoreJobs.size()) {
      status.setMessage("restoring: " + status.getProgress());
      return Outcome.changed().lookAgainAfter(settings.timings().poll());
    }
    List<String> failures =
        restoreJobs.stream()
            .filter(j -> j.getPhase() == TaskPhase.Failed)
            .map(j -> j.getName() + ": " + j.getMessage())
            .toList();
    Optional<String> broken = quiesceBroken(status);
    if (failures.isEmpty() && broken.isEmpty()) {
      String progress = status.getProgress();
      return toResuming(
              status, "restored " + status.getPlan().size() + " artifacts; resuming workloads")
          .tell("Restored", progress);
    }
    String reason = failures.isEmpty() ? "QuiesceBroken" : failureReason(restoreJobs);
    String failure =
        failures.isEmpty()
            ? status.getProgress() + ", but " + broken.get()
            : "restore failed: "
                + String.join("; ", failures)
                + broken.map(b -> "; " + b).orElse("");
    boolean resume = request.getSpec().getOnFailure() == RestoreRequestSpec.OnRestoreFailure.Resume;
    if (resume || status.getQuiesced().isEmpty()) {
      // The Warning comes first, as it always did.
      Outcome told = Outcome.changed().warn(reason, failure);
      Outcome next = toResuming(status, failure + "; resuming workloads (spec.onFailure: Resume)");
      return new Outcome(true, told.notices(), next.lookAgainAfter());
    }
    String ns = request.getMetadata().getNamespace();
    String how =
        status.getQuiesced().stream()
            .map(
                q ->
                    "kubectl -n "
                        + ns
                        + " scale "
                        + q.getKind().toLowerCase()
                        + "/"
                        + q.getName()
                        + " --replicas="
                        + q.getReplicas())
            .collect(Collectors.joining("; "));
    Outcome ended =
        end(
            request,
            status,
            RestorePhase.Failed,
            reason,
            failure
                + ". Workloads stay scaled to zero"
                + " (spec.onFailure: KeepQuiesced): check the data, then resume them with: "
                + how);
    List<Outcome.Notice> notices = new ArrayList<>();
    notices.add(new Outcome.Notice(true, reason, failure));
    notices.addAll(ended.notices());
    return new Outcome(true, notices, ended.lookAgainAfter());
  }

  /** What came back while restoring, when anything did. */
  static Optional<String> quiesceBroken(RestoreRequestStatus status) {
    List<String> broken =
        status.getQuiesced().stream()
            .filter(q -> q.getBroken() != null)
            .map(QuiescedWorkload::getBroken)
            .toList();
    return broken.isEmpty()
        ? Optional.empty()
        : Optional.of(
            "quiesced workloads came back while restoring ("
                + String.join("; ", broken)
                + "): they were scaled to zero again, but may have used the data while it was"
                + " switched; check it (the previous contents are kept aside)");
  }

  /**
   * ArchiveRefused when an agent refused an archive (its report's reason leads the Job's message),
   * else RestoreFailed.
   */
  static String failureReason(List<RestoreJob> jobs) {
    return jobs.stream()
            .anyMatch(
                j ->
                    j.getPhase() == TaskPhase.Failed
                        && j.getMessage() != null
                        && j.getMessage().startsWith("ArchiveRefused: "))
        ? "ArchiveRefused"
        : "RestoreFailed";
  }

  /**
   * The items of a restore Job's report go into the plan; Events tell about recovered switches and
   * about database accounts.
   */
  static Outcome record(RestoreRequestStatus status, RestoreReport report) {
    Outcome outcome = Outcome.unchanged();
    for (RestoreReport.Item result : report.items()) {
      if (result.state() == ItemState.RESTORED && result.message() != null) {
        // The agent found a database switch an earlier attempt left half done, and finished or
        // rolled it back.
        outcome = outcome.warn("SwapRecovered", result.destination() + ": " + result.message());
      }
      for (RestoreItem item : status.getPlan()) {
        if (Objects.equals(item.getKey(), result.key())
            && (result.destination() == null
                || Objects.equals(item.getDestination(), result.destination()))) {
          if (ACCOUNTS.equals(item.getKind())
              && result.state() == ItemState.RESTORED
              && result.message() != null
              && !Objects.equals(item.getMessage(), result.message())) {
            String told =
                item.getTarget() + " on " + item.getDestination() + ": " + result.message();
            outcome =
                result.message().contains("left unchanged")
                    ? outcome.warn("AccountsKept", told)
                    : outcome.tell("AccountsRestored", told);
          }
          item.setState(result.state() == null ? null : result.state().value());
          item.setPreviousKeptAt(result.keptAt());
          item.setMessage(result.message());
        }
      }
    }
    return outcome;
  }

  // ---------------------------------------------------------------- Resuming

  /** Resuming, once every quiesced workload was scaled back: the request ends. */
  Outcome resumed(RestoreRequest request, RestoreRequestStatus status) {
    String resumed =
        status.getQuiesced().isEmpty()
            ? ""
            : "; workloads scaled back: "
                + status.getQuiesced().stream()
                    .map(q -> q.getKind() + "/" + q.getName() + "=" + q.getReplicas())
                    .collect(Collectors.joining(", "));
    Optional<RestoreJob> failed =
        status.getJobs().stream().filter(j -> j.getPhase() == TaskPhase.Failed).findFirst();
    if (failed.isPresent()) {
      // A request stopped before restoring (QuiesceTimeout, QuiesceBroken, ...) ends with its own
      // reason.
      String message = failed.get().getMessage();
      boolean beforeRestore = QUIESCE.equals(failed.get().getKind());
      String reason =
          beforeRestore && message != null && message.indexOf(':') > 0
              ? message.substring(0, message.indexOf(':'))
              : failureReason(List.of(failed.get()));
      boolean noJobRan =
          status.getJobs().stream()
              .noneMatch(
                  j ->
                      (DATABASE.equals(j.getKind()) || FILES.equals(j.getKind()))
                          && j.getPhase() != TaskPhase.Pending);
      return end(
          request,
          status,
          RestorePhase.Failed,
          reason,
          message + (beforeRestore && noJobRan ? "; nothing was restored" : "") + resumed);
    }
    Optional<String> broken = quiesceBroken(status);
    if (broken.isPresent()) {
      return end(
          request,
          status,
          RestorePhase.Failed,
          "QuiesceBroken",
          "restored "
              + status.getPlan().size()
              + " artifacts of "
              + status.getBackupId()
              + ", but "
              + broken.get()
              + resumed);
    }
    if (Boolean.TRUE.equals(request.getSpec().getCancel())
        && status.getPlan().stream()
            .noneMatch(i -> ItemState.of(i.getState()) == ItemState.RESTORED)) {
      return end(
          request,
          status,
          RestorePhase.Cancelled,
          "Cancelled",
          "cancelled before restoring" + resumed);
    }
    String kept =
        status.getPlan().stream()
            .filter(i -> i.getPreviousKeptAt() != null)
            .map(i -> i.getDestination() + " → " + i.getPreviousKeptAt())
            .collect(Collectors.joining(", "));
    return end(
        request,
        status,
        RestorePhase.Succeeded,
        "Succeeded",
        "restored "
            + status.getPlan().size()
            + " artifacts of "
            + status.getBackupId()
            + (kept.isEmpty() ? "" : "; previous contents kept: " + kept)
            + resumed);
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
    status.setCompletionTime(now());
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

  private Duration age(String since) {
    return since == null
        ? Duration.ZERO
        : Duration.between(Instant.parse(since), settings.clock().instant());
  }

  private String now() {
    return settings.clock().instant().toString();
  }
}
