package io.osbackup.operator.restore;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.restore.RestoreJobPlan.PlannedJob;
import io.osbackup.operator.restore.RestoreJobPlan.Selected;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Quiescing and Resuming steps of a RestoreRequest, and holding quiesced workloads at zero
 * while it restores: observe the workloads ({@link RestoreObserver}), decide ({@link
 * QuiesceDecision}, {@link QuiesceHold}), scale them ({@link RestoreActions}). Warnings told while
 * acting go into the step's notices.
 */
final class QuiesceStep {

  private static final Logger LOG = LoggerFactory.getLogger(QuiesceStep.class);

  private final RestoreRequest request;
  private final RestoreRequestStatus status;
  private final RestoreObserver observer;
  private final RestoreActions actions;
  private final OperatorSettings settings;
  private final List<Outcome.Notice> notices;
  private final RestoreDecision decision;
  private final QuiesceDecision quiescing;
  private final ResumeDecision resuming;

  QuiesceStep(
      RestoreRequest request,
      RestoreObserver observer,
      RestoreActions actions,
      OperatorSettings settings,
      List<Outcome.Notice> notices) {
    this.request = request;
    this.status = request.getStatus();
    this.observer = observer;
    this.actions = actions;
    this.settings = settings;
    this.notices = notices;
    this.decision = new RestoreDecision(settings);
    this.quiescing = new QuiesceDecision(settings);
    this.resuming = new ResumeDecision(settings);
  }

  Outcome quiesce() {
    try {
      if (cancelled()) {
        return decision.toResuming(
            status,
            "cancel requested: resuming the workloads quiesced so far; nothing was restored");
      }
      List<QuiesceDecision.SeenReplicas> replicas = new ArrayList<>();
      for (RestoreRequestSpec.WorkloadRef w : request.getSpec().getQuiesce()) {
        if (quiesced(w).isEmpty()) {
          replicas.add(new QuiesceDecision.SeenReplicas(w, observer.replicas(w)));
        }
      }
      Optional<Outcome> recorded = quiescing.recordReplicas(status, replicas);
      if (recorded.isPresent()) {
        return recorded.get();
      }
      // One scaled up again after it was scaled to zero cannot be held: nothing is restored.
      List<String> cameBack = hold(q -> q.getQuiescedAt() != null, "quiescing");
      if (!cameBack.isEmpty()) {
        return quiescing.cameBackBeforeRestore(status, cameBack);
      }
      actions.carryOut(quiescing.toZero(status));
      // Stopped means no replica and no pod left, terminating ones included: a pod being deleted
      // may still write.
      List<String> running = new ArrayList<>();
      for (QuiescedWorkload q : status.getQuiesced()) {
        Quiesce.Seen seen = observer.see(q);
        if (!seen.stopped()) {
          running.add(seen.describe());
        }
      }
      if (!running.isEmpty()) {
        return quiescing.stillRunning(status, running);
      }
      Selected selected = observer.pinned();
      return quiescing.quiesced(
          request,
          status,
          new RestoreJobPlan(request, status)
              .restoreJobs(selected).values().stream().map(PlannedJob::status).toList());
    } catch (RestoreProblem p) {
      return p.retryable
          ? waitFor("the store", p)
          : quiescing.failedBeforeRestore(status, p.reason, p.getMessage());
    } catch (KubernetesClientException e) {
      return waitFor("the API", e);
    }
  }

  Outcome resume() {
    try {
      for (QuiescedWorkload q : status.getQuiesced()) {
        if (!Boolean.TRUE.equals(q.getResumed())) {
          actions.carryOut(
              List.of(new RestoreAction.Scale(q.getKind(), q.getName(), q.getReplicas())));
          q.setResumed(true);
        }
      }
    } catch (KubernetesClientException e) {
      return waitFor("the API", e);
    }
    return resuming.resumed(request, status);
  }

  /**
   * Holds the quiesced workloads {@code which} selects at zero; returns the ones that came back.
   */
  List<String> hold(Predicate<QuiescedWorkload> which, String during) {
    Map<QuiescedWorkload, Quiesce.Seen> seen = new LinkedHashMap<>();
    for (QuiescedWorkload q : status.getQuiesced().stream().filter(which).toList()) {
      seen.put(q, observer.see(q));
    }
    QuiesceHold.Held held = QuiesceHold.hold(seen, during, settings.now());
    actions.carryOut(held.actions());
    notices.addAll(held.told());
    return held.cameBack();
  }

  private Optional<QuiescedWorkload> quiesced(RestoreRequestSpec.WorkloadRef w) {
    return status.getQuiesced().stream()
        .filter(q -> q.getKind().equals(w.getKind().name()) && q.getName().equals(w.getName()))
        .findFirst();
  }

  private Outcome waitFor(String what, Exception e) {
    LOG.warn(
        "restore {}/{}: {}",
        request.getMetadata().getNamespace(),
        request.getMetadata().getName(),
        e.toString());
    return decision.waitFor(status, what, e);
  }

  private boolean cancelled() {
    return Boolean.TRUE.equals(request.getSpec().getCancel());
  }
}
