package io.osbackup.operator.restore;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.restore.RestoreJobPlan.AgentJob;
import io.osbackup.operator.restore.RestoreJobPlan.PlannedJob;
import io.osbackup.operator.restore.RestoreJobPlan.Selected;
import io.osbackup.operator.restore.RestoreJobPlan.Source;
import io.osbackup.operator.restore.RestoreObserver.JobSeen;
import io.osbackup.plan.RestoreJobs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconciliation of one RestoreRequest, chosen by its phase: each step observes (through {@link
 * RestoreObserver}), lets {@link RestoreDecision} change the status and say what to do, and carries
 * that out (through {@link RestoreActions}). Warnings told while acting (a quiesced workload that
 * came back) come before the decision's.
 */
final class RestoreStep {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreStep.class);

  private final RestoreRequest request;
  private final RestoreRequestStatus status;
  private final RestoreObserver observer;
  private final RestoreActions actions;
  private final RestoreDecision decision;
  private final ValidationDecision validation;
  private final VerifyDecision verification;
  private final QuiesceDecision quiescing;
  private final RestoringDecision restoring;
  private final OperatorSettings settings;
  private final List<Outcome.Notice> notices = new ArrayList<>();

  RestoreStep(
      RestoreRequest request,
      RestoreObserver observer,
      RestoreActions actions,
      RestoreDecision decision,
      OperatorSettings settings) {
    this.request = request;
    this.status = request.getStatus();
    this.observer = observer;
    this.actions = actions;
    this.decision = decision;
    this.validation = new ValidationDecision(settings);
    this.verification = new VerifyDecision(settings);
    this.quiescing = new QuiesceDecision(settings);
    this.restoring = new RestoringDecision(settings);
    this.settings = settings;
  }

  /** The outcome of the step for the request's phase, with what was told while acting first. */
  Outcome next() {
    Outcome decided = decide();
    List<Outcome.Notice> all = new ArrayList<>(notices);
    all.addAll(decided.notices());
    return new Outcome(decided.statusChanged(), all, decided.lookAgainAfter());
  }

  private Outcome decide() {
    RestorePhase phase = status.getPhase();
    if (phase == null || phase == RestorePhase.Pending) {
      return decision.begin(request, status);
    }
    if (status.getStartedGeneration() == null) {
      status.setObservedGeneration(request.getMetadata().getGeneration());
    }
    return switch (phase) {
      case Validating -> validate();
      case Verifying -> verify();
      case Quiescing -> quiesceStep().quiesce();
      case Restoring -> restore();
      case Resuming -> quiesceStep().resume();
      default -> Outcome.unchanged();
    };
  }

  private Outcome validate() {
    if (cancelled()) {
      return decision.end(
          request,
          status,
          RestorePhase.Cancelled,
          "Cancelled",
          "cancelled before anything was read or written");
    }
    RestoreObserver.Validation seen = observer.validation();
    notices.addAll(seen.told());
    Source source = seen.source();
    if (source != null) {
      status.setBackupId(source.backup().backupId());
      status.setStore(source.storeName());
      status.setManifestKey(source.backup().key());
    }
    if (seen.problem() != null) {
      return decision.problem(request, status, seen.problem());
    }
    RestoreJobPlan plan = new RestoreJobPlan(request, status);
    return validation.validated(
        request,
        status,
        seen.selection().inPlace(),
        plan.keptAsideExample(seen.selection()),
        plan.planItems(seen.selection()),
        RestoreJobs.verifyName(plan.jobPrefix()));
  }

  private Outcome verify() {
    RestoreJob verifyJob =
        status.getJobs().stream()
            .filter(j -> RestoreDecision.VERIFY.equals(j.getKind()))
            .findFirst()
            .orElseThrow();
    if (cancelled()) {
      actions.carryOut(List.of(new RestoreAction.DeleteJob(verifyJob.getName())));
      return decision.end(
          request,
          status,
          RestorePhase.Cancelled,
          "Cancelled",
          "cancelled while verifying; nothing was written");
    }
    Selected selected;
    try {
      selected = observer.pinned();
    } catch (RestoreProblem p) {
      return decision.problem(request, status, p);
    }
    try {
      AgentJob agent =
          new RestoreJobPlan(request, status)
              .agentJob(
                  selected,
                  RestorePlan.VERIFY,
                  verifyJob.getName(),
                  selected.selection().databases(),
                  selected.selection().files(),
                  null);
      Optional<RestoreReport> report = follow(verifyJob, agent, selected.source().s3());
      return verification.verified(request, status, verifyJob, report);
    } catch (IOException | KubernetesClientException e) {
      return waitFor("the store or the API", e);
    }
  }

  private Outcome restore() {
    Selected selected;
    try {
      selected = observer.pinned();
    } catch (RestoreProblem p) {
      if (p.retryable) {
        return waitFor("the store", p);
      }
      return quiescing.failedBeforeRestore(status, p.reason, p.getMessage());
    }
    Map<String, PlannedJob> planned = new RestoreJobPlan(request, status).restoreJobs(selected);
    try {
      boolean started =
          status.getJobs().stream()
              .anyMatch(j -> planned.containsKey(j.getName()) && j.getPhase() != TaskPhase.Pending);
      List<String> cameBack = quiesceStep().hold(q -> true, "restoring");
      if (!cameBack.isEmpty() && !started) {
        return quiescing.cameBackBeforeRestore(status, cameBack);
      }
    } catch (KubernetesClientException e) {
      return waitFor("the API", e);
    }
    try {
      for (RestoreJob job : status.getJobs()) {
        PlannedJob p = planned.get(job.getName());
        if (p == null || job.getPhase().isFinal()) {
          continue;
        }
        Optional<RestoreReport> report = follow(job, p.agent(), selected.source().s3());
        report.ifPresent(r -> notices.addAll(RestoringDecision.record(status, r).notices()));
      }
    } catch (IOException | KubernetesClientException e) {
      return waitFor("the store or the API", e);
    }
    return restoring.restoring(
        request,
        status,
        status.getJobs().stream().filter(j -> planned.containsKey(j.getName())).toList());
  }

  /**
   * Observes a Job not ended, lets {@link JobFollow} move its status entry on and carries out what
   * it says; when that fails, the entry is as it was. Returns the report once the Job ended and its
   * report could be read.
   */
  private Optional<RestoreReport> follow(RestoreJob job, AgentJob agent, S3Location s3)
      throws IOException {
    if (job.getPhase().isFinal()) {
      return Optional.empty();
    }
    JobSeen seen = observer.job(job, agent, s3);
    TaskPhase phase = job.getPhase();
    String startTime = job.getStartTime();
    String message = job.getMessage();
    try {
      actions.carryOut(JobFollow.next(job, seen, agent, s3, settings.now()));
    } catch (RuntimeException e) {
      job.setPhase(phase);
      job.setStartTime(startTime);
      job.setMessage(message);
      throw e;
    }
    return seen.report();
  }

  private Outcome waitFor(String what, Exception e) {
    LOG.warn(
        "restore {}/{}: {}",
        request.getMetadata().getNamespace(),
        request.getMetadata().getName(),
        e.toString());
    return decision.waitFor(status, what, e);
  }

  private QuiesceStep quiesceStep() {
    return new QuiesceStep(request, observer, actions, settings, notices);
  }

  private boolean cancelled() {
    return Boolean.TRUE.equals(request.getSpec().getCancel());
  }
}
