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

  @JsonPropertyDescription("When the last scheduled run was created (RFC 3339).")
  private String lastScheduleTime;

  @JsonPropertyDescription("When the next scheduled run is due (RFC 3339).")
  private String nextScheduleTime;

  @JsonPropertyDescription("The newest run that succeeded.")
  private RunReference lastSuccessfulRun;

  @JsonPropertyDescription("Runs of this policy that have not ended.")
  private List<String> activeRuns = new ArrayList<>();

  @JsonPropertyDescription("Number of successful backups kept by retention at its last pass.")
  private Integer keptBackups;

  @JsonPropertyDescription("Backups retention will delete at its next pass (a preview of the rules).")
  private List<String> dueForDeletion = new ArrayList<>();

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
