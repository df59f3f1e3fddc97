package io.osbackup.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * When a policy runs: a five-field cron expression (Kubernetes CronJob syntax) evaluated on the
 * wall clock of a time zone.
 *
 * <p>The expression is matched against local wall-clock times; each matching local time (a
 * <em>slot</em>) becomes an instant by these rules, so every slot happens at most once and slots
 * never go back in time:
 *
 * <ul>
 *   <li>a local time that exists once is that instant;
 *   <li>a local time skipped when clocks go forward (02:30 on the spring day in Europe/Berlin)
 *       happens once, at the instant the clocks jump (03:00 local); several skipped slots fall
 *       together into that one instant;
 *   <li>a local time that occurs twice when clocks go back (02:30 on the autumn day in
 *       Europe/Berlin) happens once, at its first occurrence.
 * </ul>
 */
public final class Schedule {

  /** The accepted form of {@code spec.schedule}, quoted in every error about it. */
  public static final String ACCEPTED_CRON =
      "five fields, minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or JAN-DEC)"
          + " day-of-week (0-7 or SUN-SAT, 0 and 7 are Sunday), each a list of *, values or ranges"
          + " with an optional /step, for example \"0 2 * * *\"; or one of @hourly, @daily,"
          + " @midnight, @weekly, @monthly, @yearly, @annually";

  /** The accepted form of {@code spec.timeZone}, quoted in every error about it. */
  public static final String ACCEPTED_ZONE =
      "an IANA time zone name such as \"UTC\", \"Europe/Berlin\" or \"Asia/Tokyo\"";

  private static final CronParser PARSER =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private static final Map<String, String> NICKNAMES =
      Map.of(
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *",
          "@monthly", "0 0 1 * *",
          "@weekly", "0 0 * * 0",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@hourly", "0 * * * *");

  private final String expression;
  private final ZoneId zone;
  private final ExecutionTime wallClock;

  private Schedule(String expression, ZoneId zone, ExecutionTime wallClock) {
    this.expression = expression;
    this.zone = zone;
    this.wallClock = wallClock;
  }

  /**
   * Parses a schedule.
   *
   * @param cron the cron expression or @nickname
   * @param timeZone an IANA zone name; null or blank means UTC
   * @throws InvalidScheduleException naming the field, quoting the value and the accepted form
   */
  public static Schedule parse(String cron, String timeZone) throws InvalidScheduleException {
    ZoneId zone = zone(timeZone);
    if (cron == null || cron.isBlank()) {
      throw invalidCron(cron, "it is empty");
    }
    String normalized = cron.strip().replaceAll("\\s+", " ");
    if (normalized.startsWith("TZ=") || normalized.startsWith("CRON_TZ=")) {
      throw invalidCron(
          cron, "a TZ= or CRON_TZ= prefix is not accepted, set spec.timeZone instead");
    }
    String fields = NICKNAMES.getOrDefault(normalized.toLowerCase(Locale.ROOT), normalized);
    if (fields.startsWith("@")) {
      throw invalidCron(cron, "unknown nickname");
    }
    String[] parts = fields.split(" ");
    if (parts.length != 5) {
      throw invalidCron(cron, "it has " + parts.length + " fields, not 5");
    }
    // "?" (Quartz's "no specific value") in a day field means the same as "*" in five-field cron.
    for (int i = 2; i < 5; i += 2) {
      if (parts[i].equals("?")) {
        parts[i] = "*";
      }
    }
    Cron parsed;
    try {
      parsed = PARSER.parse(String.join(" ", parts).toUpperCase(Locale.ROOT));
      parsed.validate();
    } catch (IllegalArgumentException e) {
      throw invalidCron(cron, e.getMessage());
    }
    ExecutionTime wallClock = ExecutionTime.forCron(parsed);
    Schedule schedule = new Schedule(normalized, zone, wallClock);
    if (schedule.nextLocal(LocalDateTime.of(2000, 1, 1, 0, 0)).isEmpty()) {
      throw invalidCron(
          cron, "it matches no date (for example day 31 of a month that has 30 days)");
    }
    return schedule;
  }

  /** The time zone of {@code timeZone} (null or blank: UTC). */
  public static ZoneId zone(String timeZone) throws InvalidScheduleException {
    if (timeZone == null || timeZone.isBlank()) {
      return ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(timeZone.strip());
    } catch (DateTimeException e) {
      throw new InvalidScheduleException(
          "spec.timeZone",
          timeZone,
          "spec.timeZone \"" + timeZone + "\" is not a known time zone: use " + ACCEPTED_ZONE);
    }
  }

  private static InvalidScheduleException invalidCron(String cron, String why) {
    return new InvalidScheduleException(
        "spec.schedule",
        cron,
        "spec.schedule \""
            + cron
            + "\" is not a valid cron expression ("
            + why
            + "): use "
            + ACCEPTED_CRON);
  }

  /** The expression as written, with runs of blanks made one. */
  public String expression() {
    return expression;
  }

  public ZoneId zone() {
    return zone;
  }

  /** The first slot strictly after {@code now}. */
  public Optional<Instant> next(Instant now) {
    return nextSlot(now).map(this::instant);
  }

  /**
   * The slot that is due at {@code now}: the latest slot at or before {@code now}, if it is
   * strictly after {@code after} (null: no lower bound). Slots before it are never returned, so
   * after a long pause there is at most one.
   */
  public Optional<Instant> due(Instant now, Instant after) {
    return nextSlot(now)
        .flatMap(this::previousLocal)
        .map(this::instant)
        .filter(slot -> after == null || slot.isAfter(after));
  }

  /** The first local slot whose instant is after {@code now}. */
  private Optional<LocalDateTime> nextSlot(Instant now) {
    // Every local time up to now's own has an instant at or before now; only in an autumn overlap
    // do a few later
    // local times still map to instants before now, and they are stepped over.
    Optional<LocalDateTime> local = nextLocal(LocalDateTime.ofInstant(now, zone));
    while (local.isPresent() && !instant(local.get()).isAfter(now)) {
      local = nextLocal(local.get());
    }
    return local;
  }

  private Optional<LocalDateTime> nextLocal(LocalDateTime local) {
    // cron-utils evaluates in UTC, which has no DST: it sees the wall clock as it is written.
    return wallClock
        .nextExecution(local.atZone(ZoneOffset.UTC))
        .map(ZonedDateTime::toLocalDateTime);
  }

  private Optional<LocalDateTime> previousLocal(LocalDateTime local) {
    return wallClock
        .lastExecution(local.atZone(ZoneOffset.UTC))
        .map(ZonedDateTime::toLocalDateTime);
  }

  /** The instant of a local slot, by the DST rules in the class comment. */
  Instant instant(LocalDateTime local) {
    ZoneOffsetTransition transition = zone.getRules().getTransition(local);
    if (transition != null && transition.isGap()) {
      return transition.getInstant();
    }
    return local.atZone(zone).toInstant(); // in an overlap, the earlier offset
  }

  @Override
  public String toString() {
    return expression + " (" + zone + ")";
  }
}
