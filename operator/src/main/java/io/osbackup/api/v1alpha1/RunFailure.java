package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** One failure of a run. */
@Data
public class RunFailure {

  @JsonPropertyDescription("The policy target, if the failure is one target's.")
  private String target;

  @JsonPropertyDescription("The node, if the failure is one node's.")
  private String node;

  @JsonPropertyDescription(
      "A CamelCase reason. Before any Job: PolicyNotFound, StoreNotFound, StoreUnavailable, SecretNotFound,"
          + " SecretKeyMissing, NoMatchingNodes, HostPathNotAllowed, ImageNotAllowed, BackupIdInUse. For one target or"
          + " node: NodeNotReady, PodNotStarting, JobFailed (the agent's own message), DeadlineExceeded, JobDeleted, ReportMissing,"
          + " ArtifactMissing, ArtifactSizeMismatch, ReportChanged. docs/backup-runs.md says what to do about each.")
  private String reason;

  @JsonPropertyDescription("What happened and what to do about it.")
  private String message;
}
