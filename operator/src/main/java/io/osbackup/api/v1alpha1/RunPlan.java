package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

/** The settings a run uses, copied from its policy and store when it starts. */
@Data
public class RunPlan {

  @JsonPropertyDescription("The policy's metadata.generation when the run started.")
  private Long policyGeneration;

  @JsonPropertyDescription("Name of the BackupStore.")
  private String store;

  @JsonPropertyDescription("The store's bucket settings.")
  private S3Location s3;

  @JsonPropertyDescription("Compression of the artifacts.")
  private CompressionType compression;

  // Bounded as in the policy: the API server estimates the cost of DatabaseTarget's CEL rule from
  // maxItems, and
  // refuses the CRD when a list holding it is unbounded.
  @Size(max = 50)
  @JsonPropertyDescription("Database targets, as the policy had them when the run started.")
  private List<DatabaseTarget> databases = new ArrayList<>();

  @Size(max = 50)
  @JsonPropertyDescription("Files targets, as the policy had them when the run started.")
  private List<FilesTarget> files = new ArrayList<>();

  @JsonPropertyDescription("At most this many files Jobs at once.")
  private Integer maxParallelNodes;

  @JsonPropertyDescription("Job settings.")
  private JobSettings job;
}
