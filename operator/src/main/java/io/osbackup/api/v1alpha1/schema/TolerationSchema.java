package io.osbackup.api.v1alpha1.schema;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The schema of a pod toleration ({@code io.fabric8.kubernetes.api.model.Toleration}). */
public final class TolerationSchema {

  @JsonPropertyDescription(
      "Taint key the toleration matches; empty with operator Exists matches every taint.")
  public String key;

  @JsonPropertyDescription(
      "How key and value are compared: Equal (the default) or Exists (any value).")
  public String operator;

  @JsonPropertyDescription("Taint value the toleration matches; leave empty with operator Exists.")
  public String value;

  @JsonPropertyDescription(
      "Taint effect matched: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.")
  public String effect;

  @JsonPropertyDescription(
      "With effect NoExecute: seconds a running pod stays once the taint appears; empty: for"
          + " ever.")
  public Long tolerationSeconds;

  private TolerationSchema() {}
}
