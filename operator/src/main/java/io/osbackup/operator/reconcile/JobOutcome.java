package io.osbackup.operator.reconcile;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.Optional;

/** What a Job's status says about how it ended, read the way the Job controller writes it. */
public record JobOutcome(boolean ended, boolean succeeded, String reason, String message) {

  public static JobOutcome of(Job job) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return new JobOutcome(false, false, null, null);
    }
    Optional<JobCondition> complete = find(job, "Complete");
    if (complete.isPresent()) {
      return new JobOutcome(true, true, "Complete", complete.get().getMessage());
    }
    Optional<JobCondition> failed = find(job, "Failed");
    if (failed.isPresent()) {
      return new JobOutcome(true, false, failed.get().getReason(), failed.get().getMessage());
    }
    return new JobOutcome(false, false, null, null);
  }

  private static Optional<JobCondition> find(Job job, String type) {
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
        .findFirst();
  }
}
