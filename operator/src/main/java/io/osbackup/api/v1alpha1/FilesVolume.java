package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import lombok.Data;

/** A PersistentVolumeClaim whose contents a files target archives. */
@Data
public class FilesVolume {

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @JsonPropertyDescription(
      "Name of the PersistentVolumeClaim, in the same namespace. It is mounted read-only; a ReadWriteOnce claim"
          + " must be usable from the node the Job lands on.")
  private String claimName;
}
