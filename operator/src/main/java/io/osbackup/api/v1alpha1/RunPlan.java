package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
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

  @JsonPropertyDescription("Database targets.")
  private List<DatabaseTarget> databases = new ArrayList<>();

  @JsonPropertyDescription("Files targets.")
  private List<FilesTarget> files = new ArrayList<>();

  @JsonPropertyDescription("At most this many files Jobs at once.")
  private Integer maxParallelNodes;

  @JsonPropertyDescription("Job settings.")
  private JobSettings job;
}
