package io.osbackup.plan;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunSpec;
import io.osbackup.api.v1alpha1.RunRetention;
import io.osbackup.contract.Manifest;
import io.osbackup.retention.RetentionPolicy;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * How a run's backup is kept, read from its spec when it starts: made by hand or by the schedule,
 * kept on its own terms ({@code keepUntil}, {@code keepFor}, or until deleted) or by the policy's
 * rules. Pure: the clock is passed in.
 *
 * @param terms what the manifest records
 * @param problem why the spec cannot be honoured (a status condition and an Event naming the
 *     field); null when it can
 */
public record KeepTerms(Manifest.RunRetention terms, PlanProblem problem) {

  private static final Pattern KEEP_FOR = Pattern.compile("0*[1-9][0-9]*[hdw]");

  /** Whether the spec can be honoured. */
  public boolean ok() {
    return problem == null;
  }

  /**
   * Reads {@code run}'s terms at {@code now}. A run named {@code <policy>-<yyyyMMdd-HHmmss>} is the
   * schedule's (as its backup id says, see {@link RunPlanner#backupId}); any other was made by
   * hand. Unset {@code spec.retention} is Policy for the schedule's runs and Keep for hand-made
   * ones.
   */
  public static KeepTerms of(BackupRun run, String policy, Instant now) {
    BackupRunSpec spec = run.getSpec();
    String origin =
        RunPlanner.isScheduled(run, policy)
            ? Manifest.RunRetention.SCHEDULED
            : Manifest.RunRetention.ON_DEMAND;
    RunRetention rules =
        spec.getRetention() != null
            ? spec.getRetention()
            : Manifest.RunRetention.SCHEDULED.equals(origin)
                ? RunRetention.Policy
                : RunRetention.Keep;
    String keepUntil = blankToNull(spec.getKeepUntil());
    String keepFor = blankToNull(spec.getKeepFor());
    if (keepUntil != null && keepFor != null) {
      return problem(
          "KeepTermsConflict",
          "spec.keepUntil and spec.keepFor are both set: keep the backup until a time or for a while, not both;"
              + " delete this run and create it again with one of them");
    }
    if (rules == RunRetention.Policy && (keepUntil != null || keepFor != null)) {
      return problem(
          "KeepTermsConflict",
          "spec.retention Policy lets the policy's rules decide when the backup goes, but spec."
              + (keepUntil != null ? "keepUntil" : "keepFor")
              + " is set, which applies to retention Keep: delete"
              + " this run and create it again without one or the other");
    }
    Instant until = null;
    if (keepUntil != null) {
      try {
        until = OffsetDateTime.parse(keepUntil).toInstant();
      } catch (DateTimeParseException e) {
        return problem(
            "InvalidKeepUntil",
            "spec.keepUntil '"
                + keepUntil
                + "' is not an RFC 3339 time: write one such as 2027-01-31T00:00:00Z (or"
                + " spec.keepFor: 30d), then delete this run and create it again");
      }
      if (!until.isAfter(now)) {
        return problem(
            "KeepUntilInPast",
            "spec.keepUntil "
                + keepUntil
                + " is already past (now "
                + now
                + "): the backup would be deleted by the"
                + " next retention pass; set a later time (or spec.keepFor: 30d), then delete this run and create it"
                + " again");
      }
    }
    if (keepFor != null) {
      Duration duration = null;
      try {
        duration = KEEP_FOR.matcher(keepFor).matches() ? RetentionPolicy.maxAge(keepFor) : null;
      } catch (IllegalArgumentException e) {
        duration = null;
      }
      if (duration == null) {
        return problem(
            "InvalidKeepFor",
            "spec.keepFor '"
                + keepFor
                + "' is not a number above 0 followed by h, d or w: write how long to keep"
                + " the backup, for example 30d, 12h or 8w, then delete this run and create it again");
      }
    }
    return new KeepTerms(new Manifest.RunRetention(origin, rules.name(), until, keepFor), null);
  }

  /**
   * When the backup goes, for a backup written at {@code written}; null when it is kept until
   * deleted or by policy.
   */
  public static Instant expiresAt(Manifest.RunRetention terms, Instant written) {
    if (terms == null || !terms.keptOnOwnTerms()) {
      return null;
    }
    if (terms.keepUntil() != null) {
      return terms.keepUntil();
    }
    if (terms.keepFor() == null || written == null) {
      return null;
    }
    try {
      Duration keepFor = RetentionPolicy.maxAge(terms.keepFor());
      return keepFor == null ? null : written.plus(keepFor);
    } catch (IllegalArgumentException | ArithmeticException | DateTimeException e) {
      return null;
    }
  }

  /** {@code status.keep}: 'until <time>', 'until deleted' or 'by policy <name>'. */
  public static String describe(Manifest.RunRetention terms, Instant expiresAt, String policy) {
    if (terms == null || !terms.keptOnOwnTerms()) {
      return "by policy " + policy;
    }
    if (expiresAt != null) {
      return "until " + expiresAt;
    }
    return terms.keepFor() != null ? "for " + terms.keepFor() : "until deleted";
  }

  private static KeepTerms problem(String reason, String message) {
    return new KeepTerms(null, new PlanProblem(reason, message, false));
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
