package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;
import lombok.EqualsAndHashCode;

/** What a run did: phase, plan, each Job, each artifact with size and SHA-256, and each failure. */
@Data
@EqualsAndHashCode(callSuper = false)
public class BackupRunStatus extends ResourceStatus {

  /** Condition type: True once the run succeeded; False with the reason once it ended otherwise. */
  public static final String COMPLETE = "Complete";

  @JsonPropertyDescription("Pending, Running, Succeeded, PartiallyFailed, Failed or Cancelled.")
  private RunPhase phase;

  @JsonPropertyDescription("One line saying what the run is doing or why it ended as it did.")
  private String message;

  @JsonPropertyDescription(
      "Id of the backup, <policy>-<yyyyMMdd-HHmmss> in UTC; the backup's folder in the bucket is named after it.")
  private String backupId;

  @JsonPropertyDescription(
      "Key of the backup's folder in the bucket, <prefix>/<namespace>/<policy>/<backupId>.")
  private String folder;

  @JsonPropertyDescription("Key of manifest.json, set once the backup is complete and verified.")
  private String manifestKey;

  @JsonPropertyDescription("When the run started (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription("When the run ended (RFC 3339).")
  private String completionTime;

  @JsonPropertyDescription("Total bytes stored for this backup.")
  private Long size;

  @JsonPropertyDescription("True when the run was recreated from a manifest found in the store.")
  private Boolean foundInStore;

  @JsonPropertyDescription(
      "What checking the manifest's signature found: Verified (signed by the store's signing keys), Unsigned (no"
          + " manifest.sig: written before manifests were signed), or UnknownKey (signed with a key the signing"
          + " Secret does not hold). A restore of a backup that is not Verified needs spec.allowUnsignedManifest.")
  private String manifestSignature;

  @JsonPropertyDescription(
      "Who started the run: Scheduled (the policy's schedule) or OnDemand (created by hand).")
  private String origin;

  @JsonPropertyDescription(
      "How the backup is kept, as recorded in its manifest: Keep (on its own terms, see keep and expiresAt) or"
          + " Policy (by the policy's spec.retention).")
  private String retention;

  @JsonPropertyDescription(
      "How long the backup is kept, in one line: 'until <time>', 'until deleted', or 'by policy <name>'.")
  private String keep;

  @JsonPropertyDescription(
      "When retention deletes the backup (RFC 3339): spec.keepUntil, or the backup's time plus spec.keepFor. Unset"
          + " when it is kept until deleted or by the policy's rules.")
  private String expiresAt;

  @JsonPropertyDescription("spec.keepFor as read when the run started.")
  private String keepFor;

  @JsonPropertyDescription("The policy and store settings this run uses, copied when it started.")
  private RunPlan plan;

  @JsonPropertyDescription("Artifacts done of total, and bytes stored so far.")
  private RunProgress progress;

  @JsonPropertyDescription("One entry per Job: a database target, or a files target on one node.")
  private List<RunTask> tasks = new ArrayList<>();

  @JsonPropertyDescription("Every artifact stored, with key, size and SHA-256.")
  private List<ArtifactStatus> artifacts = new ArrayList<>();

  @JsonPropertyDescription("Every failure, with the target, node and reason.")
  private List<RunFailure> failures = new ArrayList<>();
}
