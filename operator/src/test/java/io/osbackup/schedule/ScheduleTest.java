package io.osbackup.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Schedule on fixed instants: zones with and without DST, catch-up, cron dialect, and the errors
 * users see.
 */
class ScheduleTest {

  private static Instant at(String instant) {
    return Instant.parse(instant);
  }

  /** Every slot in [from, to), by walking next(). */
  private static List<Instant> slots(Schedule schedule, String from, String to) {
    List<Instant> slots = new ArrayList<>();
    Instant t = at(from).minusNanos(1);
    while (true) {
      Instant next = schedule.next(t).orElseThrow();
      if (!next.isBefore(at(to))) {
        return slots;
      }
      slots.add(next);
      t = next;
    }
  }

  @Test
  void tokyoHasNoDstAndTwoInTheMorningIsFiveInTheAfternoonUtc() throws Exception {
    Schedule s = Schedule.parse("0 2 * * *", "Asia/Tokyo");
    assertThat(s.next(at("2026-11-20T16:59:59Z"))).contains(at("2026-11-20T17:00:00Z"));
    assertThat(s.next(at("2026-11-20T17:00:00Z"))).contains(at("2026-11-21T17:00:00Z"));
    assertThat(slots(s, "2026-03-01T00:00:00Z", "2026-12-01T00:00:00Z"))
        .hasSize(275)
        .allSatisfy(slot -> assertThat(slot.atZone(ZoneOffset.UTC).getHour()).isEqualTo(17));
  }

  @Test
  void dueIsTheSlotAtOrBeforeNowThatIsAfterTheLastOne() throws Exception {
    Schedule s = Schedule.parse("0 2 * * *", "Asia/Tokyo");
    assertThat(s.due(at("2026-11-20T16:59:59Z"), null)).contains(at("2026-11-19T17:00:00Z"));
    assertThat(s.due(at("2026-11-20T17:00:00Z"), null)).contains(at("2026-11-20T17:00:00Z"));
    assertThat(s.due(at("2026-11-20T17:30:00Z"), at("2026-11-19T17:00:00Z")))
        .contains(at("2026-11-20T17:00:00Z"));
    assertThat(s.due(at("2026-11-20T17:30:00Z"), at("2026-11-20T17:00:00Z"))).isEmpty();
  }

  @Test
  void afterThreeDaysOfDowntimeOnlyTheLatestSlotIsDue() throws Exception {
    Schedule s = Schedule.parse("0 2 * * *", "UTC");
    assertThat(s.due(at("2026-11-21T10:00:00Z"), at("2026-11-18T02:00:00Z")))
        .contains(at("2026-11-21T02:00:00Z"));
    Schedule hourly = Schedule.parse("@hourly", "UTC");
    assertThat(hourly.due(at("2026-11-21T10:59:00Z"), at("2026-11-18T02:00:00Z")))
        .contains(at("2026-11-21T10:00:00Z"));
  }

  @Test
  void berlinSpringSlotInTheSkippedHourRunsOnceWhenTheClocksJump() throws Exception {
    // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:30 does not exist that night.
    Schedule s = Schedule.parse("30 2 * * *", "Europe/Berlin");
    assertThat(slots(s, "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z"))
        .containsExactly(
            at("2026-03-28T01:30:00Z"), at("2026-03-29T01:00:00Z"), at("2026-03-30T00:30:00Z"));
    // Four slots in the skipped hour fall together into one.
    Schedule quarterly = Schedule.parse("*/15 2 * * *", "Europe/Berlin");
    assertThat(slots(quarterly, "2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z"))
        .containsExactly(at("2026-03-29T01:00:00Z"));
    // Around the jump, every slot moves forward: 01:45 CET, the jump, 03:00 CEST and 03:15 CEST.
    Schedule every15 = Schedule.parse("*/15 1-3 * * *", "Europe/Berlin");
    assertThat(slots(every15, "2026-03-29T00:40:00Z", "2026-03-29T01:20:00Z"))
        .containsExactly(
            at("2026-03-29T00:45:00Z"), at("2026-03-29T01:00:00Z"), at("2026-03-29T01:15:00Z"));
  }

  @Test
  void berlinAutumnSlotInTheRepeatedHourRunsOnceAtItsFirstOccurrence() throws Exception {
    // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 happens at 00:30 UTC and again at
    // 01:30 UTC.
    Schedule s = Schedule.parse("30 2 * * *", "Europe/Berlin");
    assertThat(slots(s, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z"))
        .containsExactly(
            at("2026-10-24T00:30:00Z"), at("2026-10-25T00:30:00Z"), at("2026-10-26T01:30:00Z"));
    // During the second 02:30 the first one is not due again.
    assertThat(s.due(at("2026-10-25T01:45:00Z"), at("2026-10-25T00:30:00Z"))).isEmpty();
    assertThat(s.next(at("2026-10-25T01:45:00Z"))).contains(at("2026-10-26T01:30:00Z"));
  }

  @Test
  void newYorkAutumnOneThirtyRunsOnce() throws Exception {
    // 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00 UTC); 01:30 happens at 05:30 and 06:30 UTC.
    Schedule s = Schedule.parse("30 1 * * *", "America/New_York");
    assertThat(slots(s, "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z"))
        .containsExactly(
            at("2026-10-31T05:30:00Z"), at("2026-11-01T05:30:00Z"), at("2026-11-02T06:30:00Z"));
    assertThat(s.due(at("2026-11-01T06:40:00Z"), null)).contains(at("2026-11-01T05:30:00Z"));
  }

  @Test
  void sevenAndZeroAndSunAreSunday() throws Exception {
    for (String cron :
        List.of("0 2 * * 7", "0 2 * * 0", "0 2 * * SUN", "0 2 * * sun", "0 2 * * 6-7")) {
      List<Instant> slots =
          slots(Schedule.parse(cron, "UTC"), "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
      assertThat(slots).as(cron).isNotEmpty();
      assertThat(slots)
          .as(cron)
          .filteredOn(i -> i.atZone(ZoneOffset.UTC).getDayOfWeek() == DayOfWeek.SUNDAY)
          .hasSize(5);
    }
  }

  @Test
  void dayOfMonthAndDayOfWeekBothSetMeansEitherAsInCron() throws Exception {
    // The 13th of the month or any Friday.
    List<Instant> slots =
        slots(Schedule.parse("0 0 13 * 5", "UTC"), "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
    assertThat(slots)
        .containsExactly(
            at("2026-11-06T00:00:00Z"),
            at("2026-11-13T00:00:00Z"),
            at("2026-11-20T00:00:00Z"),
            at("2026-11-27T00:00:00Z"));
    List<Instant> first =
        slots(Schedule.parse("0 0 1 * MON", "UTC"), "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
    assertThat(first).contains(at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z")).hasSize(6);
  }

  @Test
  void nicknamesNamesStepsAndQuestionMarks() throws Exception {
    Instant now = at("2026-11-21T10:20:00Z"); // a Saturday
    assertThat(Schedule.parse("@hourly", null).next(now)).contains(at("2026-11-21T11:00:00Z"));
    assertThat(Schedule.parse("@daily", "UTC").next(now)).contains(at("2026-11-22T00:00:00Z"));
    assertThat(Schedule.parse("@midnight", "UTC").next(now)).contains(at("2026-11-22T00:00:00Z"));
    assertThat(Schedule.parse("@weekly", "UTC").next(now)).contains(at("2026-11-22T00:00:00Z"));
    assertThat(Schedule.parse("@monthly", "UTC").next(now)).contains(at("2026-12-01T00:00:00Z"));
    assertThat(Schedule.parse("@yearly", "UTC").next(now)).contains(at("2027-01-01T00:00:00Z"));
    assertThat(Schedule.parse("@ANNUALLY", "UTC").next(now)).contains(at("2027-01-01T00:00:00Z"));
    assertThat(Schedule.parse(" 30  1 * * mon-fri ", "UTC").next(now))
        .contains(at("2026-11-23T01:30:00Z"));
    assertThat(Schedule.parse("*/20 * * * *", "UTC").next(now))
        .contains(at("2026-11-21T10:40:00Z"));
    assertThat(Schedule.parse("0 2 ? * *", "UTC").next(now)).contains(at("2026-11-22T02:00:00Z"));
    assertThat(Schedule.parse("0 0 1 jan,jul *", "UTC").next(now))
        .contains(at("2027-01-01T00:00:00Z"));
    assertThat(Schedule.parse("0 0 29 2 *", "UTC").next(now)).contains(at("2028-02-29T00:00:00Z"));
  }

  @Test
  void badCronQuotesTheValueAndTheAcceptedForm() {
    for (String cron :
        List.of(
            "61 2 * * *", "0 2 * *", "0 2 * * * *", "every day", "@fortnightly", "0 0 31 2 *")) {
      assertThatThrownBy(() -> Schedule.parse(cron, "UTC"))
          .as(cron)
          .isInstanceOf(InvalidScheduleException.class)
          .hasMessageContaining("spec.schedule \"" + cron + "\"")
          .hasMessageContaining("minute (0-59) hour (0-23)")
          .hasMessageContaining("\"0 2 * * *\"")
          .satisfies(
              e -> assertThat(((InvalidScheduleException) e).field()).isEqualTo("spec.schedule"));
    }
    assertThatThrownBy(() -> Schedule.parse("0 0 31 2 *", "UTC"))
        .hasMessageContaining("matches no date");
    assertThatThrownBy(() -> Schedule.parse("CRON_TZ=Asia/Tokyo 0 2 * * *", "UTC"))
        .hasMessageContaining("set spec.timeZone");
  }

  @Test
  void unknownZoneQuotesTheValueAndTheAcceptedForm() {
    assertThatThrownBy(() -> Schedule.parse("0 2 * * *", "Mars/Olympus_Mons"))
        .isInstanceOf(InvalidScheduleException.class)
        .hasMessage(
            "spec.timeZone \"Mars/Olympus_Mons\" is not a known time zone: use an IANA time zone"
                + " name such as \"UTC\", \"Europe/Berlin\" or \"Asia/Tokyo\"")
        .satisfies(
            e -> assertThat(((InvalidScheduleException) e).value()).isEqualTo("Mars/Olympus_Mons"));
  }
}
