package io.osbackup.retention;

import io.osbackup.api.v1alpha1.Retention;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which successful backups of a policy to keep: restic's {@code forget} rules plus {@code maxAge}.
 * Pure: no I/O, no clock. Times are the store's write times (see {@link Backup#time()}).
 *
 * <ul>
 *   <li>No rule set (null retention, or every count 0 or unset and no {@code maxAge}): everything
 *       is kept.
 *   <li>{@code keepLast N}: the N newest. {@code keepHourly/Daily/Weekly/Monthly/Yearly N}: the
 *       newest backup of each of the N newest hours/days/ISO weeks/months/years that have a backup,
 *       counted on the wall clock of {@code zone} (so in the hour repeated when summer time ends,
 *       both real hours are one bucket). A backup is kept if any rule keeps it.
 *   <li>{@code maxAge} is a deletion rule: a backup taken more than {@code maxAge} before {@code
 *       now} is deleted even if a keep rule would keep it ("delete backups older than 7 days" means
 *       exactly that). Days and weeks are 24 and 168 hours. Set alone, it keeps every younger
 *       backup.
 *   <li>The newest backup is always kept, whatever the rules say, and so is the newest one not
 *       {@link Backup#clockAhead()}.
 *   <li>Backups kept on their own terms ({@link Backup#hold()}, made by hand) are set apart first:
 *       the rules above neither count nor prune them, and they never stand in for the newest. Each
 *       is kept until its own time passes ({@link Hold#expired}), or for good when it has none.
 * </ul>
 *
 * Backups with the same time are ordered by id, so the decision does not depend on input order.
 */
public final class RetentionPolicy {

  private static final Pattern MAX_AGE = Pattern.compile("([0-9]+)([hdw])");

  /** Newest first; equal times by id, descending. */
  static final Comparator<Backup> NEWEST_FIRST =
      Comparator.comparing(Backup::time).thenComparing(Backup::backupId).reversed();

  private RetentionPolicy() {}

  /**
   * Decides which of the policy's successful backups to keep.
   *
   * @param successful the policy's successful backups (those with a manifest), in any order
   * @param rules the policy's retention; null keeps everything
   * @param zone the policy's time zone, for the hour, day, week, month and year buckets
   * @param now the time {@code maxAge} counts back from
   * @throws IllegalArgumentException if {@code maxAge} is not {@code <number><h|d|w>}
   */
  public static RetentionDecision keep(
      List<Backup> successful, Retention rules, ZoneId zone, Instant now) {
    List<Backup> all = new ArrayList<>(successful);
    all.sort(NEWEST_FIRST);
    Duration maxAge = rules == null ? null : maxAge(rules.getMaxAge());
    Map<Backup, Set<RetentionRule>> reasons = new LinkedHashMap<>();
    for (Backup b : all) {
      reasons.put(b, EnumSet.noneOf(RetentionRule.class));
    }
    // Backups kept on their own terms are decided by those alone; the rules below see only the
    // policy's own.
    List<Backup> backups = all.stream().filter(Backup::countedByPolicy).toList();
    all.stream()
        .filter(b -> !b.countedByPolicy() && !b.hold().expired(now))
        .forEach(b -> reasons.get(b).add(RetentionRule.OWN_TERMS));
    if (!hasKeepRule(rules)) {
      RetentionRule why =
          maxAge == null ? RetentionRule.NO_RULES : RetentionRule.YOUNGER_THAN_MAX_AGE;
      backups.forEach(b -> reasons.get(b).add(why));
    } else {
      for (int i = 0; i < Math.min(count(rules.getKeepLast()), backups.size()); i++) {
        reasons.get(backups.get(i)).add(RetentionRule.LAST);
      }
      keepNewestPerBucket(
          backups, count(rules.getKeepHourly()), RetentionRule.HOURLY, hour(zone), reasons);
      keepNewestPerBucket(
          backups, count(rules.getKeepDaily()), RetentionRule.DAILY, day(zone), reasons);
      keepNewestPerBucket(
          backups, count(rules.getKeepWeekly()), RetentionRule.WEEKLY, week(zone), reasons);
      keepNewestPerBucket(
          backups, count(rules.getKeepMonthly()), RetentionRule.MONTHLY, month(zone), reasons);
      keepNewestPerBucket(
          backups, count(rules.getKeepYearly()), RetentionRule.YEARLY, year(zone), reasons);
    }
    if (maxAge != null) {
      for (Backup b : backups) {
        if (Duration.between(b.time(), now).compareTo(maxAge) > 0) {
          reasons.get(b).clear();
        }
      }
    }
    // The newest by the store's time is never deleted, and neither is the newest whose writer's
    // clock was right:
    // a backup stamped in the future cannot stand in for the newest good one.
    if (!backups.isEmpty()) {
      reasons.get(backups.get(0)).add(RetentionRule.NEWEST);
    }
    backups.stream()
        .filter(b -> !b.clockAhead())
        .findFirst()
        .ifPresent(b -> reasons.get(b).add(RetentionRule.NEWEST));
    List<RetentionDecision.Kept> kept = new ArrayList<>();
    List<Backup> deleted = new ArrayList<>();
    for (Backup b : all) {
      if (reasons.get(b).isEmpty()) {
        deleted.add(b);
      } else {
        kept.add(new RetentionDecision.Kept(b, reasons.get(b)));
      }
    }
    return new RetentionDecision(kept, deleted);
  }

  /**
   * {@code maxAge} as a duration: {@code 12h}, {@code 7d} (7 × 24 h), {@code 8w}; null if blank.
   *
   * @throws IllegalArgumentException if it is not {@code <number><h|d|w>}
   */
  public static Duration maxAge(String maxAge) {
    if (maxAge == null || maxAge.isBlank()) {
      return null;
    }
    Matcher m = MAX_AGE.matcher(maxAge.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "retention.maxAge '" + maxAge + "' is not a number followed by h, d or w, e.g. 90d");
    }
    try {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "h" -> Duration.ofHours(n);
        case "d" -> Duration.ofDays(n);
        default -> Duration.ofDays(Math.multiplyExact(n, 7));
      };
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("retention.maxAge '" + maxAge + "' is too large", e);
    }
  }

  /**
   * Why the rules keep no more than the newest backup, if they do: every keep count is at most 1
   * (each such rule keeps the newest backup of the newest bucket, which is the newest backup), or
   * only a {@code maxAge} below one day is set. Empty when they may keep more; a bad {@code maxAge}
   * is reported elsewhere.
   */
  public static Optional<String> keepsOnlyTheNewest(Retention rules) {
    if (rules == null) {
      return Optional.empty();
    }
    if (hasKeepRule(rules)) {
      boolean allAtMostOne =
          Stream.of(
                  rules.getKeepLast(),
                  rules.getKeepHourly(),
                  rules.getKeepDaily(),
                  rules.getKeepWeekly(),
                  rules.getKeepMonthly(),
                  rules.getKeepYearly())
              .allMatch(n -> count(n) <= 1);
      return allAtMostOne
          ? Optional.of(
              "spec.retention keeps only the newest backup (every keep rule is at most 1): a backup that turns out"
                  + " bad leaves nothing to fall back on; keep at least 2 (e.g. keepLast: 2) unless this is meant")
          : Optional.empty();
    }
    Duration maxAge;
    try {
      maxAge = maxAge(rules.getMaxAge());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return maxAge != null && maxAge.compareTo(Duration.ofDays(1)) < 0
        ? Optional.of(
            "spec.retention.maxAge "
                + rules.getMaxAge()
                + " with no keep rule keeps only the backups of the last "
                + rules.getMaxAge()
                + " and the newest: add a keep rule (keepLast, keepDaily, ...) or a maxAge of 1d"
                + " or more")
        : Optional.empty();
  }

  /** Whether any keep rule (keepLast … keepYearly) is above 0. */
  static boolean hasKeepRule(Retention rules) {
    return rules != null
        && Stream.of(
                rules.getKeepLast(),
                rules.getKeepHourly(),
                rules.getKeepDaily(),
                rules.getKeepWeekly(),
                rules.getKeepMonthly(),
                rules.getKeepYearly())
            .anyMatch(n -> count(n) > 0);
  }

  /**
   * restic's bucket rule: walking newest first, the first backup of each not yet seen bucket is
   * kept, until {@code n} buckets were seen.
   */
  private static void keepNewestPerBucket(
      List<Backup> newestFirst,
      int n,
      RetentionRule rule,
      Function<Instant, Object> bucket,
      Map<Backup, Set<RetentionRule>> reasons) {
    Set<Object> seen = new HashSet<>();
    for (Backup b : newestFirst) {
      if (seen.size() >= n) {
        return;
      }
      if (seen.add(bucket.apply(b.time()))) {
        reasons.get(b).add(rule);
      }
    }
  }

  private static int count(Integer n) {
    return n == null ? 0 : Math.max(0, n);
  }

  private static Function<Instant, Object> hour(ZoneId zone) {
    return t -> {
      ZonedDateTime z = t.atZone(zone);
      return List.of(z.getYear(), z.getDayOfYear(), z.getHour());
    };
  }

  private static Function<Instant, Object> day(ZoneId zone) {
    return t -> t.atZone(zone).toLocalDate();
  }

  private static Function<Instant, Object> week(ZoneId zone) {
    return t -> {
      ZonedDateTime z = t.atZone(zone);
      return List.of(z.get(IsoFields.WEEK_BASED_YEAR), z.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    };
  }

  private static Function<Instant, Object> month(ZoneId zone) {
    return t -> {
      ZonedDateTime z = t.atZone(zone);
      return List.of(z.getYear(), z.getMonthValue());
    };
  }

  private static Function<Instant, Object> year(ZoneId zone) {
    return t -> t.atZone(zone).getYear();
  }
}
