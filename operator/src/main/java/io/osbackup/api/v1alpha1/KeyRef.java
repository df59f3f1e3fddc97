package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

/** One key of a Secret or ConfigMap in the same namespace. */
@Data
@NoArgsConstructor
@AllArgsConstructor
public class KeyRef {

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription("Name of the Secret or ConfigMap, in the same namespace.")
  private String name;

  @Required
  @Pattern("^[-._a-zA-Z0-9]+$")
  @JsonPropertyDescription("Key holding the PEM certificates, for example ca.crt.")
  private String key;
}
