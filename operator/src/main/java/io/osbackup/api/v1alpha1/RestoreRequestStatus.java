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

  @JsonPropertyDescription(
      "Pending, Validating, Verifying, Quiescing, Restoring, Resuming, Succeeded, Failed or Cancelled.")
  private RestorePhase phase;

  @JsonPropertyDescription("One line saying what the restore is doing or why it stopped.")
  private String message;

  @JsonPropertyDescription("Id of the backup being restored.")
  private String backupId;

  @JsonPropertyDescription("When the restore started (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription("When the restore ended (RFC 3339).")
  private String completionTime;

  @JsonPropertyDescription("What is (or, for a dry run, would be) restored: artifacts, bytes and destinations.")
  private List<RestoreItem> plan = new ArrayList<>();

  @JsonPropertyDescription("Workloads scaled to zero, with the replica counts they go back to.")
  private List<QuiescedWorkload> quiesced = new ArrayList<>();

  /** One artifact to restore and where it goes. */
  @Data
  public static class RestoreItem {
    @JsonPropertyDescription("Object key of the artifact.")
    private String key;

    @JsonPropertyDescription("Bytes of the artifact.")
    private Long size;

    @JsonPropertyDescription("Where it goes: host:port/database, or node:path.")
    private String destination;

    @JsonPropertyDescription("Where the previous contents are kept: a schema or a <dir>.orig-<timestamp> path.")
    private String previousKeptAt;

    @JsonPropertyDescription("Pending, Verified, Restored or Failed.")
    private String state;
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
  }
}
