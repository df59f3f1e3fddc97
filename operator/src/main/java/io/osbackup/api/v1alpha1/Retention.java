package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/**
 * Which successful backups to keep (restic's rules: a backup is kept if any rule keeps it). The
 * newest successful backup is always kept.
 */
@ValidationRule(
    value =
        "!has(self.maxAge) || !self.maxAge.matches('^0*([0-9]|1[0-9]|2[0-3])h$|^0+[dw]$')"
            + " || (has(self.keepLast) && self.keepLast > 0) || (has(self.keepHourly) && self.keepHourly > 0)"
            + " || (has(self.keepDaily) && self.keepDaily > 0) || (has(self.keepWeekly) && self.keepWeekly > 0)"
            + " || (has(self.keepMonthly) && self.keepMonthly > 0) || (has(self.keepYearly) && self.keepYearly > 0)",
    message =
        "spec.retention.maxAge below one day with no keep rule deletes every backup but the newest within hours:"
            + " add a keep rule (keepLast, keepHourly, keepDaily, ...) or set maxAge to 1d or more")
@Data
public class Retention {

  @Min(0)
  @JsonPropertyDescription("Keep the newest N backups.")
  private Integer keepLast;

  @Min(0)
  @JsonPropertyDescription("Keep the newest backup of each of the last N hours that have one.")
  private Integer keepHourly;

  @Min(0)
  @JsonPropertyDescription(
      "Keep the newest backup of each of the last N days that have one (in the policy's time zone).")
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
  @JsonPropertyDescription(
      "How many failed or partial runs of this policy to keep for inspection before their leftovers are removed.")
  private Integer failedRunsHistoryLimit = 3;
}
