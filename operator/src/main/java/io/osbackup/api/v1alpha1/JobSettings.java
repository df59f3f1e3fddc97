package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.osbackup.api.v1alpha1.schema.ResourcesSchema;
import io.osbackup.api.v1alpha1.schema.SecretNameSchema;
import io.osbackup.api.v1alpha1.schema.TolerationSchema;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

/** Settings of the Jobs that do the data work of a run. */
@Data
public class JobSettings {

  /** How long a Job may run when spec.job.activeDeadlineSeconds is not set. */
  public static final long DEFAULT_ACTIVE_DEADLINE_SECONDS = 7200;

  @Default("" + DEFAULT_ACTIVE_DEADLINE_SECONDS)
  @Min(60)
  @JsonPropertyDescription(
      "Seconds one Job may run before Kubernetes stops it and its artifact fails (DeadlineExceeded).")
  private Long activeDeadlineSeconds = DEFAULT_ACTIVE_DEADLINE_SECONDS;

  @Default("0")
  @Min(0)
  @Max(10)
  @JsonPropertyDescription(
      "Retries of a failed Job before its artifact fails. A retry starts the artifact over.")
  private Integer backoffLimit = 0;

  @Default("86400")
  @Min(0)
  @JsonPropertyDescription(
      "Seconds a finished Job (and its pod and logs) is kept before Kubernetes deletes it.")
  private Integer ttlSecondsAfterFinished = 86400;

  @JsonPropertyDescription(
      "Agent container image. Empty: the image of the running operator (set by the Helm chart).")
  private String image;

  @JsonPropertyDescription(
      "Resources of the agent container. Empty: requests of 100m CPU and 320Mi memory.")
  @SchemaFrom(type = ResourcesSchema.class)
  private ResourceRequirements resources;

  @JsonPropertyDescription(
      "Tolerations of every Job of the run, for example to reach control-plane nodes.")
  @SchemaFrom(type = TolerationSchema[].class)
  private List<Toleration> tolerations = new ArrayList<>();

  @JsonPropertyDescription("Priority class of the Jobs' pods.")
  private String priorityClassName;

  @JsonPropertyDescription("Secrets used to pull the agent image.")
  @SchemaFrom(type = SecretNameSchema[].class)
  private List<LocalObjectReference> imagePullSecrets = new ArrayList<>();
}
