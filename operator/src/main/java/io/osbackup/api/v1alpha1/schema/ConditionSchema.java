package io.osbackup.api.v1alpha1.schema;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The schema of a status condition ({@code io.fabric8.kubernetes.api.model.Condition}). */
public final class ConditionSchema {

  @JsonPropertyDescription("What the condition is about, for example Ready, Available or Complete.")
  public String type;

  @JsonPropertyDescription("True, False or Unknown.")
  public String status;

  @JsonPropertyDescription(
      "Why, as one CamelCase word a program or an alert can match, for example"
          + " BackupStoreUnavailable.")
  public String reason;

  @JsonPropertyDescription("Why, for a person: what happened and what to do about it.")
  public String message;

  @JsonPropertyDescription("When status last changed (RFC 3339).")
  public String lastTransitionTime;

  @JsonPropertyDescription("The metadata.generation of the resource the condition was written for.")
  public Long observedGeneration;

  private ConditionSchema() {}
}
