package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** Which policy a run executes, and whether to cancel it. */
@Data
public class BackupRunSpec {

  @Required
  @ValidationRule(
      value = "self == oldSelf",
      message = "spec.policyRef cannot change once a run exists; create a new BackupRun instead")
  @JsonPropertyDescription(
      "The BackupPolicy, in the same namespace, to run now. The policy's spec is copied into status when the run"
          + " starts, so later edits of the policy do not change a running backup.")
  private LocalRef policyRef;

  @Default("false")
  @JsonPropertyDescription(
      "Set to true to stop the run: its Jobs are deleted, partial uploads are removed, and the run ends Cancelled.")
  private Boolean cancel = false;
}
