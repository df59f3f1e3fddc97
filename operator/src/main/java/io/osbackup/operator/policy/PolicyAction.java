package io.osbackup.operator.policy;

import io.osbackup.api.v1alpha1.Retention;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.contract.Owner;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

/** What a policy's decision asks to be done in the cluster or the bucket, as plain records. */
sealed interface PolicyAction {

  /** Creates the scheduled BackupRun {@code name} of {@code slot}. */
  record CreateRun(String name, Instant slot) implements PolicyAction {}

  /**
   * Cancels the active run {@code name} (concurrencyPolicy Replace), saying why in its annotation.
   */
  record CancelRun(String name, String why) implements PolicyAction {}

  /** Deletes the BackupRun {@code name}, whose backup retention removed. */
  record DeleteRun(String name) implements PolicyAction {}

  /** Notes that retention was due at {@code at}, whether or not a pass could start. */
  record NoteRetention(Instant at) implements PolicyAction {}

  /** Starts a retention pass over the policy's folder beside the reconciliations. */
  record StartRetention(RetentionJob job) implements PolicyAction {}

  /** Everything a retention pass needs, but the backups being restored, read when it starts. */
  record RetentionJob(
      String namespace,
      S3Location s3,
      String folder,
      Retention rules,
      ZoneId zone,
      Instant at,
      Duration longestRun,
      Owner owner) {}
}
