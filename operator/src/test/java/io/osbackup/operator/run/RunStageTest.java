package io.osbackup.operator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.catalog.FoundBackups;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which step a BackupRun takes, read from its phase, plan, tasks and cancel request. */
class RunStageTest {

  @Test
  void aNewRunIsPlanned() {
    BackupRun run = RunFixtures.run();
    assertThat(RunStage.of(run)).isEqualTo(RunStage.PLANNING);
    run.setStatus(new BackupRunStatus());
    run.getStatus().setPhase(RunPhase.Pending);
    assertThat(RunStage.of(run)).isEqualTo(RunStage.PLANNING);
  }

  @Test
  void aRunFoundInTheStoreIsAdoptedNotPlanned() {
    BackupRun run = RunFixtures.run();
    run.getMetadata()
        .setAnnotations(Map.of(FoundBackups.MANIFEST_ANNOTATION, "prod/x/manifest.json"));
    assertThat(RunStage.of(run)).isEqualTo(RunStage.ADOPTING);
  }

  @Test
  void aPlannedRunWithJobsLeftIsRunningAndOnceAllEndedIsFinishing() {
    BackupRun run = RunFixtures.planned();
    assertThat(RunStage.of(run)).isEqualTo(RunStage.RUNNING);
    run.getStatus().getTasks().forEach(t -> t.setPhase(TaskPhase.Succeeded));
    assertThat(RunStage.of(run)).isEqualTo(RunStage.FINISHING);
    run.getStatus().getTasks().get(0).setPhase(TaskPhase.Failed);
    assertThat(RunStage.of(run)).isEqualTo(RunStage.FINISHING);
  }

  @Test
  void cancelBySpecOrAnnotationCancelsAPlannedRun() {
    BackupRun run = RunFixtures.planned();
    run.getSpec().setCancel(true);
    assertThat(RunStage.of(run)).isEqualTo(RunStage.CANCELLING);
    assertThat(RunStage.cancelReason(run)).isEqualTo("spec.cancel is true");

    BackupRun replaced = RunFixtures.planned();
    replaced.getMetadata().setAnnotations(Map.of(Api.CANCEL_ANNOTATION, "replaced by cp-2"));
    assertThat(RunStage.of(replaced)).isEqualTo(RunStage.CANCELLING);
    assertThat(RunStage.cancelReason(replaced)).isEqualTo("replaced by cp-2");

    replaced.getMetadata().setAnnotations(Map.of(Api.CANCEL_ANNOTATION, ""));
    assertThat(RunStage.cancelReason(replaced)).isEqualTo(Api.CANCEL_ANNOTATION);
  }

  @Test
  void cancelOfARunNotPlannedYetIsThePlanningStepsToHonour() {
    BackupRun run = RunFixtures.run();
    run.getSpec().setCancel(true);
    assertThat(RunStage.of(run)).isEqualTo(RunStage.PLANNING);
  }

  @ParameterizedTest
  @EnumSource(
      value = RunPhase.class,
      names = {"Succeeded", "PartiallyFailed", "Failed", "Cancelled"})
  void everyFinalPhaseIsEnded(RunPhase phase) {
    BackupRun run = RunFixtures.planned();
    run.getStatus().setPhase(phase);
    run.getSpec().setCancel(true);
    assertThat(RunStage.of(run)).isEqualTo(RunStage.ENDED);
  }
}
