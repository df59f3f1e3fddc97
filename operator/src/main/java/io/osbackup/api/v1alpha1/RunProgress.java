package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** How far a run is. */
@Data
public class RunProgress {

  @JsonPropertyDescription("Jobs that have ended.")
  private Integer tasksDone;

  @JsonPropertyDescription("Jobs in the run.")
  private Integer tasksTotal;

  @JsonPropertyDescription("Artifacts stored so far.")
  private Integer artifacts;

  @JsonPropertyDescription("Bytes stored so far.")
  private Long bytes;

  @JsonPropertyDescription("The same in a few words, for kubectl get: \"3/5 jobs, 12 artifacts\".")
  private String summary;
}
