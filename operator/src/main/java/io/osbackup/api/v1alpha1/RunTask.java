package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import lombok.Data;

/** One Job of a run. */
@Data
public class RunTask {

  @JsonPropertyDescription("Name of the Job.")
  private String job;

  @JsonPropertyDescription("database or files.")
  private String kind;

  @JsonPropertyDescription("The policy target.")
  private String target;

  @JsonPropertyDescription("The node a files Job reads from (pvc-<claim> for a volume target).")
  private String node;

  @JsonPropertyDescription("Pending, Running, Succeeded, Failed or Cancelled.")
  private TaskPhase phase;

  @JsonPropertyDescription("Why the Job failed, in the words of the tool that failed.")
  private String message;

  @JsonPropertyDescription(
      "What the agent noticed but did not fail for, for example a file that changed while it was read or a socket"
          + " it skipped.")
  private List<String> warnings;

  @JsonPropertyDescription(
      "Node subtrees inside the target's paths that are left out of its archive because the operator never reads"
          + " them (Kubernetes and OS secrets, other pods' data; see docs/backup-runs.md), for example /etc/kubernetes"
          + " for a target listing /etc.")
  private List<String> excluded;

  @JsonPropertyDescription("When the Job was created (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription("When the Job ended (RFC 3339).")
  private String completionTime;
}
