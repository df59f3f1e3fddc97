package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import lombok.Data;

/**
 * Which successful backups to keep (restic's rules: a backup is kept if any rule keeps it). The newest successful
 * backup is always kept.
 */
@Data
public class Retention {

  @Min(0)
  @JsonPropertyDescription("Keep the newest N backups.")
  private Integer keepLast;

  @Min(0)
  @JsonPropertyDescription("Keep the newest backup of each of the last N hours that have one.")
  private Integer keepHourly;

  @Min(0)
  @JsonPropertyDescription("Keep the newest backup of each of the last N days that have one (in the policy's time zone).")
  private Integer keepDaily;

  @Min(0)
  @JsonPropertyDescription("Keep the newest backup of each of the last N weeks that have one.")
  private Integer keepWeekly;

  @Min(0)
  @JsonPropertyDescription("Keep the newest backup of each of the last N months that have one.")
  private Integer keepMonthly;

  @Min(0)
  @JsonPropertyDescription("Keep the newest backup of each of the last N years that have one.")
  private Integer keepYearly;

  @Pattern("^[0-9]+(h|d|w)$")
  @JsonPropertyDescription(
      "Delete backups older than this, for example 90d, 12h or 8w (h: hours, d: days, w: weeks). The newest"
          + " successful backup is kept even when it is older.")
  private String maxAge;

  @Default("3")
  @Min(0)
  @JsonPropertyDescription("How many failed or partial runs of this policy to keep for inspection before their leftovers are removed.")
  private Integer failedRunsHistoryLimit = 3;
}
