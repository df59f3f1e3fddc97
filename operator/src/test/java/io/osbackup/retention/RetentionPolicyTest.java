package io.osbackup.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.api.v1alpha1.Retention;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link RetentionPolicy#keep} on hand-made histories. */
class RetentionPolicyTest {

  private static final ZoneId UTC = ZoneOffset.UTC;
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
  private static final Instant NOW = Instant.parse("2027-02-01T00:00:00Z");

  @Test
  void noRetentionKeepsEverything() {
    List<Backup> backups =
        backups("2026-01-01T02:00:00Z", "2025-01-01T02:00:00Z", "2020-01-01T02:00:00Z");

    RetentionDecision decision = RetentionPolicy.keep(backups, null, UTC, NOW);

    assertThat(decision.deleted()).isEmpty();
    assertThat(decision.keptIds())
        .containsExactly("b-20260101-020000", "b-20250101-020000", "b-20200101-020000");
    assertThat(decision.kept().get(1).reasons()).containsExactly(RetentionRule.NO_RULES);
    assertThat(decision.kept().get(0).reasons())
        .containsExactlyInAnyOrder(RetentionRule.NO_RULES, RetentionRule.NEWEST);
  }

  @Test
  void countsOfZeroAreNoRulesAndKeepEverything() {
    Retention rules = rules(0, 0, 0, 0, 0, 0, null);

    RetentionDecision decision =
        RetentionPolicy.keep(daily("2026-11-01T02:00:00Z", 20), rules, UTC, NOW);

    assertThat(decision.deleted()).isEmpty();
  }

  @Test
  void emptyHistoryKeepsAndDeletesNothing() {
    RetentionDecision decision =
        RetentionPolicy.keep(List.of(), rules(3, 0, 7, 0, 0, 0, "7d"), UTC, NOW);

    assertThat(decision.kept()).isEmpty();
    assertThat(decision.deleted()).isEmpty();
  }

  @Test
  void keepLastKeepsTheNewestWhateverTheInputOrder() {
    List<Backup> backups = new ArrayList<>(daily("2026-11-01T02:00:00Z", 5));
    Collections.shuffle(backups, new Random(7));

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(3, 0, 0, 0, 0, 0, null), UTC, NOW);

    assertThat(decision.keptIds())
        .containsExactly("b-20261105-020000", "b-20261104-020000", "b-20261103-020000");
    assertThat(decision.deletedIds()).containsExactly("b-20261102-020000", "b-20261101-020000");
    assertThat(decision.kept().get(2).reasons()).containsExactly(RetentionRule.LAST);
  }

  @Test
  void keepDailyKeepsTheNewestOfEachOfTheLastDaysThatHaveABackup() {
    // two backups a day, and no backup on the 3rd: days without a backup do not count
    List<Backup> backups =
        backups(
            "2026-11-05T14:00:00Z",
            "2026-11-05T02:00:00Z",
            "2026-11-04T14:00:00Z",
            "2026-11-04T02:00:00Z",
            "2026-11-02T14:00:00Z",
            "2026-11-02T02:00:00Z",
            "2026-11-01T14:00:00Z");

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(0, 0, 3, 0, 0, 0, null), UTC, NOW);

    assertThat(decision.keptIds())
        .containsExactly("b-20261105-140000", "b-20261104-140000", "b-20261102-140000");
    assertThat(decision.kept())
        .allSatisfy(k -> assertThat(k.reasons()).contains(RetentionRule.DAILY));
  }

  @Test
  void aBackupKeptByTwoRulesCarriesBothReasons() {
    RetentionDecision decision =
        RetentionPolicy.keep(
            daily("2026-11-01T02:00:00Z", 5), rules(1, 0, 2, 0, 1, 0, null), UTC, NOW);

    assertThat(decision.kept().get(0).reasons())
        .containsExactlyInAnyOrder(
            RetentionRule.NEWEST, RetentionRule.LAST, RetentionRule.DAILY, RetentionRule.MONTHLY);
    assertThat(decision.kept().get(1).reasons()).containsExactly(RetentionRule.DAILY);
    assertThat(decision.keptIds()).hasSize(2);
  }

  @Test
  void daysAreCountedInThePolicysTimeZone() {
    // 23:30 UTC on the 20th and 01:00 UTC on the 21st are both the 21st in Tokyo
    List<Backup> backups =
        backups("2026-11-21T01:00:00Z", "2026-11-20T23:30:00Z", "2026-11-20T01:00:00Z");
    Retention keepTwoDays = rules(0, 0, 2, 0, 0, 0, null);

    assertThat(RetentionPolicy.keep(backups, keepTwoDays, UTC, NOW).keptIds())
        .containsExactly("b-20261121-010000", "b-20261120-233000");
    assertThat(RetentionPolicy.keep(backups, keepTwoDays, TOKYO, NOW).keptIds())
        .containsExactly("b-20261121-010000", "b-20261120-010000");
  }

  @Test
  void theHourRepeatedWhenSummerTimeEndsIsOneHour() {
    // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET; 00:30Z and 01:30Z are both 02:30 on the
    // wall clock
    List<Backup> backups =
        backups(
            "2026-10-25T02:30:00Z",
            "2026-10-25T01:30:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-24T23:30:00Z");

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(0, 3, 0, 0, 0, 0, null), BERLIN, NOW);

    // hours 03, 02 (newest of both real hours) and 01
    assertThat(decision.keptIds())
        .containsExactly("b-20261025-023000", "b-20261025-013000", "b-20261024-233000");
    assertThat(decision.deletedIds()).containsExactly("b-20261025-003000");
  }

  @Test
  void theShortDayWhenSummerTimeStartsIsOneDay() {
    // New York, 2026-03-08 has 23 hours: 01:30 EST (06:30Z) and 03:30 EDT (07:30Z) are the same day
    List<Backup> backups =
        backups(
            "2026-03-09T06:30:00Z",
            "2026-03-08T07:30:00Z",
            "2026-03-08T06:30:00Z",
            "2026-03-07T07:30:00Z");

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(0, 0, 3, 0, 0, 0, null), NEW_YORK, NOW);

    assertThat(decision.keptIds())
        .containsExactly("b-20260309-063000", "b-20260308-073000", "b-20260307-073000");
    assertThat(decision.deletedIds()).containsExactly("b-20260308-063000");
  }

  @Test
  void weeksAreIsoWeeksAcrossTheTurnOfTheYear() {
    // 2026 has 53 ISO weeks: Mon 2026-12-28 .. Sun 2027-01-03 is 2026-W53, Mon 2027-01-04 starts
    // 2027-W01
    List<Backup> backups =
        backups(
            "2027-01-04T10:00:00Z",
            "2027-01-03T10:00:00Z",
            "2027-01-01T10:00:00Z",
            "2026-12-28T10:00:00Z",
            "2026-12-27T10:00:00Z");

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(0, 0, 0, 3, 0, 0, null), UTC, NOW);

    assertThat(decision.keptIds())
        .containsExactly("b-20270104-100000", "b-20270103-100000", "b-20261227-100000");
    assertThat(decision.deletedIds()).containsExactly("b-20270101-100000", "b-20261228-100000");
  }

  @Test
  void weeksStartOnMondayInThePolicysTimeZone() {
    // 2026-11-22T23:30Z is Sunday in UTC and Monday 00:30 in Berlin
    List<Backup> backups =
        backups("2026-11-23T10:00:00Z", "2026-11-22T23:30:00Z", "2026-11-22T10:00:00Z");
    Retention keepTwoWeeks = rules(0, 0, 0, 2, 0, 0, null);

    assertThat(RetentionPolicy.keep(backups, keepTwoWeeks, UTC, NOW).keptIds())
        .containsExactly("b-20261123-100000", "b-20261122-233000");
    assertThat(RetentionPolicy.keep(backups, keepTwoWeeks, BERLIN, NOW).keptIds())
        .containsExactly("b-20261123-100000", "b-20261122-100000");
  }

  @Test
  void monthsAndYearsTurnAtMidnightInThePolicysTimeZone() {
    // 2025-12-31T15:30Z is already 2026-01-01 00:30 in Tokyo
    List<Backup> backups =
        backups(
            "2026-01-01T10:00:00Z",
            "2025-12-31T15:30:00Z",
            "2025-12-31T10:00:00Z",
            "2025-06-01T10:00:00Z");

    assertThat(RetentionPolicy.keep(backups, rules(0, 0, 0, 0, 0, 2, null), UTC, NOW).keptIds())
        .containsExactly("b-20260101-100000", "b-20251231-153000");
    assertThat(RetentionPolicy.keep(backups, rules(0, 0, 0, 0, 0, 2, null), TOKYO, NOW).keptIds())
        .containsExactly("b-20260101-100000", "b-20251231-100000");
    assertThat(RetentionPolicy.keep(backups, rules(0, 0, 0, 0, 3, 0, null), TOKYO, NOW).keptIds())
        .containsExactly("b-20260101-100000", "b-20251231-100000", "b-20250601-100000");
  }

  @Test
  void maxAgeDeletesOlderBackupsEvenWhenAKeepRuleWouldKeepThem() {
    Instant now = Instant.parse("2026-11-21T12:00:00Z");
    List<Backup> backups = daily("2026-11-01T02:00:00Z", 21); // 1st .. 21st

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(0, 0, 30, 0, 12, 0, "7d"), UTC, now);

    // taken after 2026-11-14T12:00Z: the 15th .. 21st
    assertThat(decision.keptIds()).hasSize(7).last().isEqualTo("b-20261115-020000");
    assertThat(decision.deletedIds()).hasSize(14).first().isEqualTo("b-20261114-020000");
  }

  @Test
  void aBackupExactlyMaxAgeOldIsKept() {
    Instant now = Instant.parse("2026-11-21T02:00:00Z");
    List<Backup> backups =
        backups("2026-11-21T01:00:00Z", "2026-11-20T02:00:00Z", "2026-11-20T01:59:59Z");

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(0, 0, 0, 0, 0, 0, "24h"), UTC, now);

    assertThat(decision.keptIds()).containsExactly("b-20261121-010000", "b-20261120-020000");
    assertThat(decision.kept().get(1).reasons())
        .containsExactly(RetentionRule.YOUNGER_THAN_MAX_AGE);
    assertThat(decision.deletedIds()).containsExactly("b-20261120-015959");
  }

  @Test
  void theNewestBackupIsKeptEvenWhenEveryBackupIsOlderThanMaxAge() {
    // the schedule stopped months ago: "delete backups older than 7 days" must not delete the last
    // good copy
    List<Backup> backups = daily("2026-06-01T02:00:00Z", 3);

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(3, 0, 7, 0, 0, 0, "7d"), UTC, NOW);

    assertThat(decision.keptIds()).containsExactly("b-20260603-020000");
    assertThat(decision.kept().get(0).reasons()).containsExactly(RetentionRule.NEWEST);
    assertThat(decision.deletedIds()).containsExactly("b-20260602-020000", "b-20260601-020000");
  }

  @Test
  void backupsTakenInTheSameSecondAreOrderedById() {
    List<Backup> backups =
        List.of(
            new Backup("b-20261121-020000-aaaaaa", Instant.parse("2026-11-21T02:00:00Z")),
            new Backup("b-20261121-020000-bbbbbb", Instant.parse("2026-11-21T02:00:00Z")));

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(1, 0, 0, 0, 0, 0, null), UTC, NOW);

    assertThat(decision.keptIds()).containsExactly("b-20261121-020000-bbbbbb");
  }

  @Test
  void maxAgeIsHoursDaysOrWeeks() {
    assertThat(RetentionPolicy.maxAge("12h")).isEqualTo(Duration.ofHours(12));
    assertThat(RetentionPolicy.maxAge("90d")).isEqualTo(Duration.ofDays(90));
    assertThat(RetentionPolicy.maxAge("8w")).isEqualTo(Duration.ofDays(56));
    assertThat(RetentionPolicy.maxAge(null)).isNull();
    assertThat(RetentionPolicy.maxAge(" ")).isNull();
    assertThatThrownBy(() -> RetentionPolicy.maxAge("7 days"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retention.maxAge '7 days'");
    assertThatThrownBy(() -> RetentionPolicy.maxAge("99999999999999999999w"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aHugeMaxAgeDeletesNothing() {
    RetentionDecision decision =
        RetentionPolicy.keep(
            daily("2026-11-01T02:00:00Z", 3), rules(0, 0, 0, 0, 0, 0, "1000000000000w"), UTC, NOW);

    assertThat(decision.deleted()).isEmpty();
  }

  @Test
  void rulesThatKeepOnlyTheNewestAreFlaggedAndOthersAreNot() {
    assertThat(RetentionPolicy.keepsOnlyTheNewest(rules(1, 0, 0, 0, 0, 0, null)))
        .get()
        .asString()
        .contains("keeps only the newest backup");
    assertThat(RetentionPolicy.keepsOnlyTheNewest(rules(1, 1, 1, 1, 1, 1, "30d"))).isPresent();
    assertThat(RetentionPolicy.keepsOnlyTheNewest(rules(0, 0, 0, 0, 0, 0, "12h")))
        .get()
        .asString()
        .contains("maxAge 12h with no keep rule");
    assertThat(RetentionPolicy.keepsOnlyTheNewest(rules(2, 0, 0, 0, 0, 0, null))).isEmpty();
    assertThat(RetentionPolicy.keepsOnlyTheNewest(rules(1, 0, 7, 0, 0, 0, null))).isEmpty();
    assertThat(RetentionPolicy.keepsOnlyTheNewest(rules(0, 0, 0, 0, 0, 0, "1d"))).isEmpty();
    assertThat(RetentionPolicy.keepsOnlyTheNewest(null)).isEmpty();
    // what they keep agrees: keepLast 1 with keepDaily 1 keeps one backup of several days
    assertThat(
            RetentionPolicy.keep(
                    daily("2026-11-17T02:00:00Z", 5),
                    rules(1, 0, 1, 0, 0, 0, null),
                    ZoneOffset.UTC,
                    Instant.parse("2026-11-22T00:00:00Z"))
                .kept())
        .hasSize(1);
  }

  @Test
  void aHandMadeBackupIsNeverCountedTowardKeepLastNorPrunedByTheRules() {
    // local mode: every five minutes, keepLast 1; before-upgrade was taken by hand between two
    // scheduled backups
    List<Backup> backups =
        new ArrayList<>(
            backups("2026-12-05T10:05:00Z", "2026-12-05T10:10:00Z", "2026-12-05T10:15:00Z"));
    Backup beforeUpgrade =
        new Backup(
            "b-20261205-100700-0a1b2c",
            Instant.parse("2026-12-05T10:07:00Z"),
            false,
            Hold.UNTIL_DELETED);
    backups.add(beforeUpgrade);

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(1, 0, 0, 0, 0, 0, "1d"), UTC, NOW);

    assertThat(decision.keptIds()).containsExactly("b-20261205-101500", "b-20261205-100700-0a1b2c");
    assertThat(decision.kept().get(1).reasons()).containsExactly(RetentionRule.OWN_TERMS);
    assertThat(decision.deletedIds()).containsExactly("b-20261205-101000", "b-20261205-100500");
  }

  @Test
  void aHandMadeBackupGoesOnlyOnceItsOwnTimeHasPassed() {
    Instant until = Instant.parse("2026-12-06T00:00:00Z");
    Backup held =
        new Backup(
            "b-20261205-100700-0a1b2c",
            Instant.parse("2026-12-05T10:07:00Z"),
            false,
            new Hold(until));
    List<Backup> backups = List.of(held);

    assertThat(RetentionPolicy.keep(backups, null, UTC, until.minusSeconds(1)).keptIds())
        .containsExactly(held.backupId());
    assertThat(RetentionPolicy.keep(backups, null, UTC, until).keptIds())
        .containsExactly(held.backupId());
    RetentionDecision after = RetentionPolicy.keep(backups, null, UTC, until.plusSeconds(1));
    // no rules keep everything of the policy's own; a hand-made backup's own time is not the
    // policy's to extend
    assertThat(after.deletedIds()).containsExactly(held.backupId());
    assertThat(after.kept()).isEmpty();
  }

  @Test
  void aHandMadeBackupNeverStandsInForThePolicysNewest() {
    // the hand-made backup is the newest of all; the policy's own newest is still kept, and maxAge
    // does not matter
    Backup held =
        new Backup(
            "b-20270131-120000-0a1b2c",
            Instant.parse("2027-01-31T12:00:00Z"),
            false,
            new Hold(Instant.parse("2027-03-01T00:00:00Z")));
    List<Backup> backups = new ArrayList<>(backups("2026-01-01T02:00:00Z", "2025-01-01T02:00:00Z"));
    backups.add(held);

    RetentionDecision decision =
        RetentionPolicy.keep(backups, rules(1, 0, 0, 0, 0, 0, "7d"), UTC, NOW);

    assertThat(decision.keptIds()).containsExactly(held.backupId(), "b-20260101-020000");
    assertThat(decision.kept().get(1).reasons()).contains(RetentionRule.NEWEST);
    assertThat(decision.kept().get(0).reasons()).containsExactly(RetentionRule.OWN_TERMS);
    assertThat(decision.deletedIds()).containsExactly("b-20250101-020000");
  }

  static Retention rules(
      Integer last,
      Integer hourly,
      Integer daily,
      Integer weekly,
      Integer monthly,
      Integer yearly,
      String maxAge) {
    Retention r = new Retention();
    r.setKeepLast(last);
    r.setKeepHourly(hourly);
    r.setKeepDaily(daily);
    r.setKeepWeekly(weekly);
    r.setKeepMonthly(monthly);
    r.setKeepYearly(yearly);
    r.setMaxAge(maxAge);
    return r;
  }

  /** Backups named {@code b-<yyyyMMdd-HHmmss>} of their UTC time. */
  static List<Backup> backups(String... times) {
    List<Backup> out = new ArrayList<>();
    for (String t : times) {
      Instant at = Instant.parse(t);
      out.add(new Backup("b-" + ID.format(at), at));
    }
    return out;
  }

  /** {@code days} backups, one a day from {@code first}. */
  static List<Backup> daily(String first, int days) {
    List<Backup> out = new ArrayList<>();
    for (int i = 0; i < days; i++) {
      Instant at = Instant.parse(first).plus(Duration.ofDays(i));
      out.add(new Backup("b-" + ID.format(at), at));
    }
    return out;
  }

  private static final DateTimeFormatter ID =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(UTC);
}
