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
    value =
        "(has(self.databases) && size(self.databases) > 0) || (has(self.files) && size(self.files) > 0)",
    message = "a policy needs at least one target: add an entry to spec.databases or spec.files")
@ValidationRule(
    value =
        "!has(self.databases) || !has(self.files) || self.databases.all(d, !self.files.exists(f, f.name == d.name))",
    message =
        "target names must be unique within a policy: a name is used in both spec.databases and spec.files")
public class BackupPolicySpec {

  /** How many files Jobs of one run run at once when spec.maxParallelNodes is not set. */
  public static final int DEFAULT_MAX_PARALLEL_NODES = 5;

  // Checked by a CEL rule rather than a pattern so that a bad schedule gets a readable message, not
  // this regex.
  // A five-field cron expression as Kubernetes CronJobs take it: each field a list of *, values or
  // ranges with an
  // optional step, values within the field's range (month and weekday also by three-letter name,
  // weekday 7 = Sunday).
  private static final String MINUTE = "[0-5]?[0-9]";
  private static final String HOUR = "([01]?[0-9]|2[0-3])";
  private static final String DAY = "(0?[1-9]|[12][0-9]|3[01])";
  private static final String MONTH =
      "(0?[1-9]|1[0-2]|(?i:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))";
  private static final String WEEKDAY = "([0-7]|(?i:SUN|MON|TUE|WED|THU|FRI|SAT))";
  private static final String STEP = "(/[0-9]{1,2})?";
  private static final String MINUTE_ITEM = "(\\*|" + MINUTE + "(-" + MINUTE + ")?)" + STEP;
  private static final String HOUR_ITEM = "(\\*|" + HOUR + "(-" + HOUR + ")?)" + STEP;
  private static final String DAY_ITEM = "(\\*|\\?|" + DAY + "(-" + DAY + ")?)" + STEP;
  private static final String MONTH_ITEM = "(\\*|" + MONTH + "(-" + MONTH + ")?)" + STEP;
  private static final String WEEKDAY_ITEM = "(\\*|\\?|" + WEEKDAY + "(-" + WEEKDAY + ")?)" + STEP;
  private static final String CRON =
      "^\\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)"
          + "|"
          + MINUTE_ITEM
          + "(,"
          + MINUTE_ITEM
          + ")*\\s+"
          + HOUR_ITEM
          + "(,"
          + HOUR_ITEM
          + ")*\\s+"
          + DAY_ITEM
          + "(,"
          + DAY_ITEM
          + ")*\\s+"
          + MONTH_ITEM
          + "(,"
          + MONTH_ITEM
          + ")*\\s+"
          + WEEKDAY_ITEM
          + "(,"
          + WEEKDAY_ITEM
          + ")*"
          + ")\\s*$";

  @Size(max = 128)
  @ValidationRule(
      value = "self.matches(r'" + CRON + "')",
      message =
          "spec.schedule must be a five-field cron expression: minute (0-59) hour (0-23) day-of-month (1-31) month"
              + " (1-12 or JAN-DEC) day-of-week (0-7 or SUN-SAT), each a list of *, values or ranges with an optional"
              + " /step, for example \"0 2 * * *\"; or one of @hourly, @daily, @weekly, @monthly, @yearly")
  @JsonPropertyDescription(
      "When to run, as a five-field cron expression (minute hour day-of-month month day-of-week), for example"
          + " \"0 2 * * *\" for 02:00 every day or \"30 1 * * MON-FRI\", or @daily/@hourly/@weekly/@monthly/@yearly."
          + " Evaluated in timeZone (a TZ= or CRON_TZ= prefix is not accepted: use timeZone). Leave empty for a policy"
          + " that only runs on demand (a BackupRun created by hand).")
  private String schedule;

  @Default("UTC")
  @Size(max = 64)
  @Pattern("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")
  @JsonPropertyDescription(
      "IANA time zone the schedule and the retention buckets are evaluated in, for example Asia/Tokyo.")
  private String timeZone = "UTC";

  @Default("false")
  @JsonPropertyDescription(
      "Stop creating scheduled runs. Runs already started go on; on-demand runs still work.")
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
  @JsonPropertyDescription(
      "The BackupStore, in the same namespace, that backups of this policy go to.")
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

  @Default("" + DEFAULT_MAX_PARALLEL_NODES)
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("At most this many files Jobs (one per node) run at once for one run.")
  private Integer maxParallelNodes = DEFAULT_MAX_PARALLEL_NODES;

  @Default("gzip")
  @JsonPropertyDescription(
      "How artifacts are compressed: gzip (default), zstd (faster, smaller) or none.")
  private CompressionType compression = CompressionType.GZIP;

  @JsonPropertyDescription("Which backups to keep. Unset keeps every backup.")
  private Retention retention;

  @JsonPropertyDescription(
      "Settings of the Jobs that do the work: deadline, resources, tolerations, image.")
  private JobSettings job = new JobSettings();
}
