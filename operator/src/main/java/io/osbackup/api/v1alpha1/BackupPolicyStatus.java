package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;
import lombok.EqualsAndHashCode;

/** What the scheduler and retention did for a policy. */
@Data
@EqualsAndHashCode(callSuper = false)
public class BackupPolicyStatus extends ResourceStatus {

  /** Condition type: the policy is valid and its store exists. */
  public static final String READY = "Ready";

  /**
   * Condition type: the retention rules keep more than one backup (False with reason
   * KeepsOnlyOneBackup, set before any pass deletes).
   */
  public static final String RETENTION_SAFE = "RetentionSafe";

  @JsonPropertyDescription(
      "The slot (RFC 3339) of the last scheduled run created; its run is named <policy>-<yyyyMMdd-HHmmss> of this"
          + " time in UTC.")
  private String lastScheduleTime;

  @JsonPropertyDescription("When the next scheduled run is due (RFC 3339).")
  private String nextScheduleTime;

  @JsonPropertyDescription("The newest run that succeeded.")
  private RunReference lastSuccessfulRun;

  @JsonPropertyDescription("Runs of this policy that have not ended.")
  private List<String> activeRuns = new ArrayList<>();

  @JsonPropertyDescription(
      "The last slot that started no run: skipped because a run was still active (concurrencyPolicy Forbid), or"
          + " missed because it was noticed more than startingDeadlineSeconds late.")
  private SkippedSlot lastSkippedSlot;

  @JsonPropertyDescription("Number of successful backups kept by retention at its last pass.")
  private Integer keptBackups;

  @JsonPropertyDescription(
      "Backups retention will delete at its next pass (a preview of the rules).")
  private List<String> dueForDeletion = new ArrayList<>();

  @JsonPropertyDescription(
      "Backups whose manifest times disagree with the store's write time of the manifest (the clock of the operator"
          + " or cluster that wrote them was wrong), each with the offset, newest first. Retention ages backups by"
          + " the store's time, and a backup stamped ahead is never counted as the newest.")
  private List<String> clockSkewedBackups = new ArrayList<>();

  @JsonPropertyDescription(
      "Folders in the policy's folder that retention left alone because this store (cluster, namespace, store name)"
          + " did not write them: another cluster's or store's backups, another store's prefix lying inside this"
          + " folder, or objects no backup run writes. Each is '<folder>: <why>'; at most 20 are listed.")
  private List<String> notOwnedFolders = new ArrayList<>();

  /** A scheduled slot that started no run, and why. */
  @Data
  public static class SkippedSlot {
    /** Reason: a run of the policy was still active and concurrencyPolicy is Forbid. */
    public static final String CONCURRENCY_FORBID = "RunStillActive";

    /** Reason: the slot was noticed more than startingDeadlineSeconds late. */
    public static final String MISSED_DEADLINE = "MissedStartingDeadline";

    @JsonPropertyDescription("The slot (RFC 3339).")
    private String time;

    @JsonPropertyDescription("RunStillActive or MissedStartingDeadline.")
    private String reason;

    @JsonPropertyDescription("What happened, naming the active run or the deadline.")
    private String message;
  }

  /** A run by name and time. */
  @Data
  public static class RunReference {
    @JsonPropertyDescription("Name of the BackupRun.")
    private String name;

    @JsonPropertyDescription("Backup id of the run.")
    private String backupId;

    @JsonPropertyDescription("When the run completed (RFC 3339).")
    private String time;
  }
}
