package io.osbackup.operator.policy;

import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicyStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.retention.Backup;
import io.osbackup.retention.ClockSkew;
import io.osbackup.retention.RetentionPass;
import io.osbackup.retention.RetentionPolicy;
import io.osbackup.retention.RetentionResult;
import io.osbackup.schedule.InvalidScheduleException;
import io.osbackup.schedule.Schedule;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Records the result of a finished retention pass in a policy's status (kept backups, the preview
 * of what is due for deletion, backups stamped by a wrong clock, folders not ours), says it in
 * Events, and names the BackupRuns of the backups it removed. Pure: no client, no bucket.
 */
final class RetentionReport {

  private RetentionReport() {}

  /** What recording a pass decided: the outcome so far with its Events, and the runs to delete. */
  record Recorded(Outcome outcome, List<String> runsToDelete) {}

  static Recorded record(
      BackupPolicy policy,
      BackupPolicyStatus status,
      RetentionResult result,
      List<BackupRun> own,
      Instant now,
      String clusterId,
      Outcome outcome) {
    if (result.refused()) {
      return new Recorded(
          outcome.warn("RetentionFailed", String.join("; ", result.errors())), List.of());
    }
    status.setKeptBackups(result.kept().size());
    status.setDueForDeletion(preview(policy, result, zone(policy), now));
    outcome = reportClockSkew(status, result, outcome);
    outcome = reportNotOwned(status, result, clusterId, outcome);
    if (!result.ok()) {
      outcome =
          outcome.warn(
              "RetentionFailed",
              "nothing more was deleted after: " + String.join("; ", result.errors()));
    }
    if (!result.deleted().isEmpty()) {
      outcome = outcome.tell("BackupsDeleted", "retention deleted " + result.deleted());
    }
    if (!result.leftoversRemoved().isEmpty()) {
      outcome =
          outcome.tell(
              "LeftoversRemoved", "failed runs' leftovers removed: " + result.leftoversRemoved());
    }
    Set<String> gone = new HashSet<>(result.deleted());
    gone.addAll(result.leftoversRemoved());
    List<String> runs = new ArrayList<>();
    for (BackupRun run : own) {
      if (run.getStatus() != null
          && gone.contains(run.getStatus().getBackupId())
          && !PolicyDecision.isActive(run)
          && !FoundBackups.isForeign(run)) {
        runs.add(run.getMetadata().getName());
      }
    }
    return new Recorded(outcome, runs);
  }

  /** The policy's time zone, UTC if it is invalid (the Ready condition says so). */
  static ZoneId zone(BackupPolicy policy) {
    try {
      return Schedule.zone(policy.getSpec().getTimeZone());
    } catch (InvalidScheduleException e) {
      return java.time.ZoneOffset.UTC;
    }
  }

  /**
   * Folders retention left alone as not ours: listed in status, told in an Event when the list
   * changes.
   */
  private static Outcome reportNotOwned(
      BackupPolicyStatus status, RetentionResult result, String clusterId, Outcome outcome) {
    List<String> listed = result.notOwned().stream().limit(20).toList();
    if (!listed.isEmpty() && !listed.equals(status.getNotOwnedFolders())) {
      outcome =
          outcome.tell(
              "FoldersNotOwned",
              result.notOwned().size()
                  + " folders under the policy's folder were not written by this store (cluster "
                  + clusterId
                  + ") and are neither counted nor deleted: "
                  + String.join("; ", listed));
    }
    status.setNotOwnedFolders(new ArrayList<>(listed));
    return outcome;
  }

  /**
   * Backups written by a wrong clock: listed in status and told in a Warning Event whenever the
   * list changes.
   */
  private static Outcome reportClockSkew(
      BackupPolicyStatus status, RetentionResult result, Outcome outcome) {
    List<String> skewed = result.clockSkew().stream().map(ClockSkew::describe).toList();
    List<String> before =
        status.getClockSkewedBackups().stream()
            .map(d -> d.substring(0, Math.max(0, d.indexOf(' '))))
            .toList();
    List<String> ids = result.clockSkew().stream().map(ClockSkew::backupId).toList();
    status.setClockSkewedBackups(new ArrayList<>(skewed));
    if (!skewed.isEmpty() && !before.equals(ids)) {
      outcome =
          outcome.warn(
              "ClockSkew",
              skewed.size()
                  + " backups were stamped by a clock that disagrees with the store's (more than "
                  + RetentionPass.CLOCK_TOLERANCE.toMinutes()
                  + " min ahead, or more than the longest run behind);"
                  + " retention ages them by the store's time and never counts one stamped ahead as the newest: "
                  + String.join(", ", skewed)
                  + ". Check the clocks (NTP) of the operator and of any other cluster"
                  + " writing to this bucket.");
    }
    return outcome;
  }

  /**
   * What the next pass will delete once the next backup succeeds (at the next slot, or now for a
   * policy run on demand), plus whatever this pass could not delete: a preview a user can check a
   * new rule against.
   */
  static List<String> preview(
      BackupPolicy policy, RetentionResult result, ZoneId zone, Instant now) {
    Instant next = now;
    String cron = policy.getSpec().getSchedule();
    if (cron != null && !cron.isBlank()) {
      try {
        next = Schedule.parse(cron, policy.getSpec().getTimeZone()).next(now).orElse(now);
      } catch (InvalidScheduleException e) {
        next = now;
      }
    }
    List<Backup> backups = new ArrayList<>();
    result.kept().forEach(k -> backups.add(k.backup()));
    backups.add(new Backup("(next backup)", next));
    List<String> due = new ArrayList<>(result.dueForDeletion());
    try {
      for (String id :
          RetentionPolicy.keep(backups, policy.getSpec().getRetention(), zone, next).deletedIds()) {
        if (!due.contains(id)) {
          due.add(id);
        }
      }
    } catch (IllegalArgumentException e) {
      // a bad maxAge: the pass reported it already
    }
    return due;
  }
}
