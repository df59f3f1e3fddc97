package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.operator.reconcile.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Quiesced workloads must stay at zero: one seen scaled up again (by someone, or a controller that
 * was not paused) is scaled to zero again at once, a QuiesceBroken Warning names it and who changed
 * it, and status keeps it. A Job already writing is not stopped: an agent killed in the middle of a
 * switch is what the restore is built to avoid. Pure.
 */
final class QuiesceHold {

  /** What to scale to zero again, what came back (described) and the Warnings to tell. */
  record Held(List<RestoreAction> actions, List<String> cameBack, List<Outcome.Notice> told) {}

  private QuiesceHold() {}

  /**
   * Marks each of {@code seen}'s workloads that came back as broken at {@code now}, {@code during}
   * naming the step.
   */
  static Held hold(Map<QuiescedWorkload, Quiesce.Seen> seen, String during, String now) {
    List<RestoreAction> actions = new ArrayList<>();
    List<String> cameBack = new ArrayList<>();
    List<Outcome.Notice> told = new ArrayList<>();
    seen.forEach(
        (q, s) -> {
          if (!s.cameBack()) {
            return;
          }
          actions.add(new RestoreAction.Scale(q.getKind(), q.getName(), 0));
          String what = s.describe() + ", changed by " + s.changedBy();
          q.setBroken(what + ", seen at " + now);
          told.add(
              new Outcome.Notice(
                  true,
                  "QuiesceBroken",
                  what + " came back while " + during + ": scaled to zero again"));
          cameBack.add(what);
        });
    return new Held(actions, cameBack, told);
  }
}
