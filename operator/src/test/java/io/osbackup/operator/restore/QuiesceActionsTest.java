package io.osbackup.operator.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What Quiescing does to workloads, decided from what was seen of them: replica counts recorded
 * before anything is scaled, every workload scaled to zero, one that came back held at zero ({@link
 * QuiesceDecision}, {@link QuiesceHold}). No Kubernetes.
 */
class QuiesceActionsTest {

  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  final OperatorSettings settings =
      OperatorSettings.defaults().withClock(Clock.fixed(NOW, ZoneOffset.UTC));
  final QuiesceDecision quiescing = new QuiesceDecision(settings);
  final RestoreRequestStatus status = new RestoreRequestStatus();

  static RestoreRequestSpec.WorkloadRef ref(String name) {
    RestoreRequestSpec.WorkloadRef w = new RestoreRequestSpec.WorkloadRef();
    w.setKind(RestoreRequestSpec.WorkloadKind.Deployment);
    w.setName(name);
    return w;
  }

  @Test
  void replicaCountsAreRecordedBeforeAnythingIsScaled() {
    status.getQuiesced().add(RestoreDecisionTest.quiesced("keystone", 3));
    Optional<Outcome> outcome =
        quiescing.recordReplicas(
            status,
            List.of(
                new QuiesceDecision.SeenReplicas(ref("keystone"), Optional.of(1)),
                new QuiesceDecision.SeenReplicas(ref("nova-api"), Optional.of(2))));
    assertThat(outcome).isPresent();
    assertThat(outcome.get().lookAgainAfter()).contains(settings.timings().nextStep());
    assertThat(status.getQuiesced())
        .extracting(QuiescedWorkload::getName, QuiescedWorkload::getReplicas)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("keystone", 3),
            org.assertj.core.groups.Tuple.tuple("nova-api", 2));
    assertThat(status.getQuiesced().get(1).getResumed()).isFalse();
    assertThat(status.getMessage()).isEqualTo("recorded the replica counts of 2 workloads");
  }

  @Test
  void nothingToRecordOnceEveryWorkloadIsKnown() {
    status.getQuiesced().add(RestoreDecisionTest.quiesced("keystone", 3));
    assertThat(
            quiescing.recordReplicas(
                status, List.of(new QuiesceDecision.SeenReplicas(ref("keystone"), Optional.of(0)))))
        .isEmpty();
    assertThat(status.getQuiesced().get(0).getReplicas()).isEqualTo(3);
  }

  @Test
  void aWorkloadThatIsGoneStopsTheRequestBeforeAnythingIsRestored() {
    Optional<Outcome> outcome =
        quiescing.recordReplicas(
            status, List.of(new QuiesceDecision.SeenReplicas(ref("nova-api"), Optional.empty())));
    assertThat(outcome).isPresent();
    assertThat(status.getPhase()).isEqualTo(RestorePhase.Resuming);
    assertThat(status.getJobs()).hasSize(1);
    assertThat(status.getJobs().get(0).getPhase()).isEqualTo(TaskPhase.Failed);
    assertThat(status.getJobs().get(0).getMessage())
        .isEqualTo("WorkloadNotFound: Deployment 'nova-api' is gone");
    assertThat(outcome.get().notices())
        .extracting(Outcome.Notice::reason)
        .contains("WorkloadNotFound");
  }

  @Test
  void everyWorkloadGoesToZeroAndKeepsWhenItFirstDid() {
    QuiescedWorkload earlier = RestoreDecisionTest.quiesced("keystone", 3);
    earlier.setQuiescedAt("2026-03-01T11:00:00Z");
    QuiescedWorkload fresh = RestoreDecisionTest.quiesced("nova-api", 2);
    status.getQuiesced().addAll(List.of(earlier, fresh));
    assertThat(quiescing.toZero(status))
        .containsExactly(
            new RestoreAction.Scale("Deployment", "keystone", 0),
            new RestoreAction.Scale("Deployment", "nova-api", 0));
    assertThat(earlier.getQuiescedAt()).isEqualTo("2026-03-01T11:00:00Z");
    assertThat(fresh.getQuiescedAt()).isEqualTo(NOW.toString());
  }

  @Test
  void aWorkloadThatCameBackIsScaledToZeroAgainAndTold() {
    QuiescedWorkload api = RestoreDecisionTest.quiesced("nova-api", 2);
    QuiescedWorkload db = RestoreDecisionTest.quiesced("nova-db", 1);
    Map<QuiescedWorkload, Quiesce.Seen> seen = new LinkedHashMap<>();
    seen.put(api, new Quiesce.Seen("Deployment", "nova-api", true, 2, 0, List.of(), "kubectl"));
    seen.put(db, new Quiesce.Seen("Deployment", "nova-db", true, 0, 0, List.of(), null));
    QuiesceHold.Held held = QuiesceHold.hold(seen, "restoring", NOW.toString());
    assertThat(held.actions())
        .containsExactly(new RestoreAction.Scale("Deployment", "nova-api", 0));
    assertThat(held.cameBack())
        .containsExactly("Deployment/nova-api (replicas 2), changed by kubectl");
    assertThat(held.told()).hasSize(1);
    assertThat(held.told().get(0).warning()).isTrue();
    assertThat(held.told().get(0).reason()).isEqualTo("QuiesceBroken");
    assertThat(held.told().get(0).message())
        .endsWith("came back while restoring: scaled to zero again");
    assertThat(api.getBroken()).endsWith(", seen at " + NOW.toString());
    assertThat(db.getBroken()).isNull();
  }
}
