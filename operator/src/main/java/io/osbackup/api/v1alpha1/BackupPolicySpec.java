package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

/** What a BackupPolicy backs up, when, where to, and for how long. */
@Data
@ValidationRule(
    value = "(has(self.databases) && size(self.databases) > 0) || (has(self.files) && size(self.files) > 0)",
    message = "a policy needs at least one target: add an entry to spec.databases or spec.files")
@ValidationRule(
    value =
        "!has(self.databases) || !has(self.files) || self.databases.all(d, !self.files.exists(f, f.name == d.name))",
    message = "target names must be unique within a policy: a name is used in both spec.databases and spec.files")
public class BackupPolicySpec {

  @Pattern("^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\\S+\\s+){4}\\S+)$")
  @JsonPropertyDescription(
      "When to run, as a five-field cron expression (minute hour day-of-month month day-of-week), for example"
          + " \"0 2 * * *\" for 02:00 every day, or @daily/@hourly/@weekly/@monthly/@yearly. Evaluated in timeZone."
          + " Leave empty for a policy that only runs on demand (a BackupRun created by hand).")
  private String schedule;

  @Default("UTC")
  @JsonPropertyDescription(
      "IANA time zone the schedule and the retention buckets are evaluated in, for example Asia/Tokyo.")
  private String timeZone = "UTC";

  @Default("false")
  @JsonPropertyDescription("Stop creating scheduled runs. Runs already started go on; on-demand runs still work.")
  private Boolean suspend = false;

  @Default("Forbid")
  @JsonPropertyDescription(
      "What a scheduled slot does while an earlier run of this policy is active: Forbid skips the slot, Replace"
          + " cancels the active run and starts a new one.")
  private ConcurrencyPolicy concurrencyPolicy = ConcurrencyPolicy.Forbid;

  @Min(0)
  @JsonPropertyDescription(
      "How late (seconds) a missed slot may still start, for example after the operator was down. At most one"
          + " catch-up run is started. Unset: a missed slot is started whenever the operator notices it.")
  private Long startingDeadlineSeconds;

  @Required
  @JsonPropertyDescription("The BackupStore, in the same namespace, that backups of this policy go to.")
  private LocalRef storeRef;

  @ValidationRule(
      value = "self.all(d, self.exists_one(e, e.name == d.name))",
      message = "spec.databases has two targets with the same name; give each a unique name")
  @Size(max = 50)
  @JsonPropertyDescription(
      "Database servers to dump. Each target is dumped as one consistent snapshot and stored as one artifact per"
          + " database.")
  private List<DatabaseTarget> databases = new ArrayList<>();

  @ValidationRule(
      value = "self.all(f, self.exists_one(e, e.name == f.name))",
      message = "spec.files has two targets with the same name; give each a unique name")
  @Size(max = 50)
  @JsonPropertyDescription(
      "Directories to archive, either on every node matching a nodeSelector (one archive per node) or on a"
          + " PersistentVolumeClaim.")
  private List<FilesTarget> files = new ArrayList<>();

  @Default("5")
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("At most this many files Jobs (one per node) run at once for one run.")
  private Integer maxParallelNodes = 5;

  @Default("gzip")
  @JsonPropertyDescription("How artifacts are compressed: gzip (default), zstd (faster, smaller) or none.")
  private CompressionType compression = CompressionType.GZIP;

  @JsonPropertyDescription("Which backups to keep. Unset keeps every backup.")
  private Retention retention;

  @JsonPropertyDescription("Settings of the Jobs that do the work: deadline, resources, tolerations, image.")
  private JobSettings job = new JobSettings();
}
