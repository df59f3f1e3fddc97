package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** Which policy a run executes, how long its backup is kept, and whether to cancel it. */
@ValidationRule(
    value = "!(has(self.keepUntil) && has(self.keepFor))",
    message =
        "spec.keepUntil and spec.keepFor are both set: keep the backup until a time or for a while, not both")
@ValidationRule(
    value =
        "!(has(self.retention) && self.retention == 'Policy' && (has(self.keepUntil) || has(self.keepFor)))",
    message =
        "spec.retention Policy lets the policy's rules decide when the backup goes; spec.keepUntil and spec.keepFor"
            + " apply to retention Keep: remove one or the other")
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

  @JsonPropertyDescription(
      "How the backup is kept. Keep: on its own terms, never counted toward the policy's keepLast, keepDaily, ..."
          + " nor pruned by them; it goes when spec.keepUntil or spec.keepFor passes, and with neither it stays until"
          + " deleted explicitly. Policy: counted and pruned by the policy's spec.retention like a scheduled backup."
          + " Unset: Keep for a run created by hand, Policy for a run the schedule created (named"
          + " <policy>-<yyyyMMdd-HHmmss>). Read when the run starts and recorded in the backup's manifest.")
  private RunRetention retention;

  @Pattern(
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")
  @JsonPropertyDescription(
      "Keep the backup until this time (RFC 3339, for example 2027-01-31T00:00:00Z); the first retention pass after"
          + " it deletes the backup, manifest first, and this run. Must lie in the future when the run starts.")
  private String keepUntil;

  @Pattern("^0*[1-9][0-9]*(h|d|w)$")
  @JsonPropertyDescription(
      "Keep the backup this long after it was written, for example 30d, 12h or 8w (h: hours, d: days, w: weeks),"
          + " counted from the store's write time of its manifest; then retention deletes it, manifest first, and"
          + " this run.")
  private String keepFor;

  @JsonPropertyDescription(
      "Set to this run's status.backupId to delete its backup now: manifest first, then its other objects, then this"
          + " BackupRun. Only for a backup kept on its own terms (status.retention Keep); the policy's own backups"
          + " are deleted by its retention. Deleting the BackupRun alone never deletes the backup.")
  private String deleteBackup;
}
