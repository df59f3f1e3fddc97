package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;
import lombok.EqualsAndHashCode;

/** Where a restore is, what it will or did write, and what it scaled down. */
@Data
@EqualsAndHashCode(callSuper = false)
public class RestoreRequestStatus extends ResourceStatus {

  /**
   * Condition type: True once the restore succeeded, False while it runs or when it failed, with
   * the reason.
   */
  public static final String COMPLETE = "Complete";

  @JsonPropertyDescription(
      "Pending, Validating, Verifying, Quiescing, Restoring, Resuming, Succeeded, Failed or Cancelled.")
  private RestorePhase phase;

  @JsonPropertyDescription("One line saying what the restore is doing or why it stopped.")
  private String message;

  @JsonPropertyDescription("Id of the backup being restored.")
  private String backupId;

  @JsonPropertyDescription("The BackupStore holding the backup.")
  private String store;

  @JsonPropertyDescription("Key of the backup's manifest in the bucket.")
  private String manifestKey;

  @JsonPropertyDescription(
      "The generation of the spec that started the restore. Once workloads are quiesced a request runs once: later"
          + " edits are not acted on (except spec.cancel); create a new RestoreRequest to restore again.")
  private Long startedGeneration;

  @JsonPropertyDescription(
      "Attempt number: a request that wrote nothing is validated again when its spec changes, with new Jobs.")
  private Integer attempt;

  @JsonPropertyDescription(
      "Stamp of this restore (yyyyMMdd-HHmmss, UTC) used in the names of what it keeps aside: <dir>.orig-<stamp> and"
          + " <database>_orig_<stamp>.")
  private String stamp;

  @JsonPropertyDescription("When the restore started (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription(
      "When the current phase began (RFC 3339), for phases that wait on the cluster.")
  private String phaseTime;

  @JsonPropertyDescription("When the restore ended (RFC 3339).")
  private String completionTime;

  @JsonPropertyDescription(
      "What is (or, for a dry run, would be) restored: artifacts, bytes and destinations.")
  private List<RestoreItem> plan = new ArrayList<>();

  @JsonPropertyDescription("Bytes of the selected artifacts, as stored (compressed).")
  private Long bytes;

  @JsonPropertyDescription(
      "The Jobs of the restore: one verify Job, then one per database target and per node.")
  private List<RestoreJob> jobs = new ArrayList<>();

  @JsonPropertyDescription("Workloads scaled to zero, with the replica counts they go back to.")
  private List<QuiescedWorkload> quiesced = new ArrayList<>();

  @JsonPropertyDescription("Progress, for example '3/5 artifacts restored'.")
  private String progress;

  /** One artifact to restore and where it goes. */
  @Data
  public static class RestoreItem {
    @JsonPropertyDescription(
        "database, files or accounts (a database target's accounts, roles and grants).")
    private String kind;

    @JsonPropertyDescription("Target of the backup the artifact belongs to.")
    private String target;

    @JsonPropertyDescription("Database of a database artifact.")
    private String database;

    @JsonPropertyDescription("Node of a files artifact (the node it came from).")
    private String node;

    @JsonPropertyDescription("Object key of the artifact.")
    private String key;

    @JsonPropertyDescription("Bytes of the artifact.")
    private Long size;

    @JsonPropertyDescription("Where it goes: host:port/database, or node:path[,path].")
    private String destination;

    @JsonPropertyDescription("True when it writes over what is there now (needs spec.confirm).")
    private Boolean inPlace;

    @JsonPropertyDescription(
        "Where the previous contents are kept: a schema or <dir>.orig-<stamp> paths.")
    private String previousKeptAt;

    @JsonPropertyDescription("Pending, Verified, Restored or Failed.")
    private String state;

    @JsonPropertyDescription(
        "Why it failed; for a restored database, also what was found of an earlier attempt killed"
            + " mid-switch and whether its switch was finished or rolled back.")
    private String message;
  }

  /** One Job of the restore. */
  @Data
  public static class RestoreJob {
    @JsonPropertyDescription("Name of the Job.")
    private String name;

    @JsonPropertyDescription("verify, database or files.")
    private String kind;

    @JsonPropertyDescription("The database target, or the files target.")
    private String target;

    @JsonPropertyDescription("The node a files Job writes on.")
    private String node;

    @JsonPropertyDescription("Pending, Running, Succeeded or Failed.")
    private TaskPhase phase;

    @JsonPropertyDescription("Why the Job failed.")
    private String message;

    @JsonPropertyDescription("When the Job was created (RFC 3339).")
    private String startTime;
  }

  /** A workload that was scaled to zero. */
  @Data
  public static class QuiescedWorkload {
    @JsonPropertyDescription("Deployment or StatefulSet.")
    private String kind;

    @JsonPropertyDescription("Name.")
    private String name;

    @JsonPropertyDescription("Replicas before the restore; the workload is scaled back to this.")
    private Integer replicas;

    @JsonPropertyDescription("True once it was scaled back.")
    private Boolean resumed;

    @JsonPropertyDescription("When it was first scaled to zero.")
    private String quiescedAt;

    @JsonPropertyDescription(
        "Set when the workload came back after it was scaled to zero (someone or something scaled it up): what was"
            + " seen and who changed it. It was scaled to zero again, and the restore ends QuiesceBroken rather than"
            + " Succeeded (before any restore Job was created: with nothing written).")
    private String broken;
  }
}
