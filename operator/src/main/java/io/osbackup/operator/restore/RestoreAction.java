package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.operator.restore.RestoreJobPlan.AgentJob;

/** What a restore's decision asks to be done in the cluster; {@link RestoreActions} does it. */
sealed interface RestoreAction {

  /** Create the Job of {@code agent} (a Job of that name this request owns counts as created). */
  record CreateJob(AgentJob agent, S3Location s3) implements RestoreAction {}

  /** Delete a Job of the restore (and, in the background, its pods). */
  record DeleteJob(String name) implements RestoreAction {}

  /** Scale a Deployment or StatefulSet to {@code replicas}. */
  record Scale(String kind, String name, int replicas) implements RestoreAction {}
}
