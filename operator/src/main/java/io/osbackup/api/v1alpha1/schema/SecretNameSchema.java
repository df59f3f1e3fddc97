package io.osbackup.api.v1alpha1.schema;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The schema of an image pull Secret reference ({@code
 * io.fabric8.kubernetes.api.model.LocalObjectReference}).
 */
public final class SecretNameSchema {

  @JsonPropertyDescription(
      "Name of a Secret of type kubernetes.io/dockerconfigjson in the resource's namespace.")
  public String name;

  private SecretNameSchema() {}
}
