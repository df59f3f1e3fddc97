package io.osbackup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.Retention;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToLongFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of {@link RetentionPolicy#keep} over random histories, rules, time zones and clocks;
 * one of them compares it with a literal port of restic's {@code ApplyPolicy}.
 */
class RetentionPropertiesTest {

  private static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
  private static final DateTimeFormatter ID =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  /** One random case: a history, rules, the policy's zone and the clock. */
  record Case(List<Backup> history, Retention rules, ZoneId zone, Instant now) {}

  @Property
  void everyBackupIsEitherKeptOrDeleted(@ForAll("cases") Case c) {
    RetentionDecision d = decide(c);

    List<String> all = new ArrayList<>(d.keptIds());
    all.addAll(d.deletedIds());
    assertThat(all).containsExactlyInAnyOrderElementsOf(ids(c.history()));
    Set<String> both = new HashSet<>(d.keptIds());
    both.retainAll(d.deletedIds());
    assertThat(both).isEmpty();
  }

  @Property
  void theNewestBackupIsAlwaysKept(@ForAll("cases") Case c) {
    RetentionDecision d = decide(c);

    if (!c.history().isEmpty()) {
      Backup newest = c.history().stream().sorted(RetentionPolicy.NEWEST_FIRST).findFirst().get();
      assertThat(d.keptIds()).contains(newest.backupId());
      assertThat(d.kept().get(0).backup()).isEqualTo(newest);
    }
  }

  @Property
  void keepLastKeepsTheNewestThatMaxAgeSpares(@ForAll("cases") Case c) {
    RetentionDecision d = decide(c);

    int n = c.rules().getKeepLast() == null ? 0 : c.rules().getKeepLast();
    Duration maxAge = RetentionPolicy.maxAge(c.rules().getMaxAge());
    c.history().stream()
        .sorted(RetentionPolicy.NEWEST_FIRST)
        .limit(n)
        .filter(b -> maxAge == null || Duration.between(b.time(), c.now()).compareTo(maxAge) <= 0)
        .forEach(b -> assertThat(d.keptIds()).contains(b.backupId()));
  }

  @Property
  void withoutRulesNothingIsDeleted(@ForAll("cases") Case c) {
    assertThat(RetentionPolicy.keep(c.history(), null, c.zone(), c.now()).deleted()).isEmpty();
    assertThat(RetentionPolicy.keep(c.history(), new Retention(), c.zone(), c.now()).deleted())
        .isEmpty();
  }

  @Property
  void applyingTheDecisionAgainDeletesNothingMore(@ForAll("cases") Case c) {
    RetentionDecision first = decide(c);
    List<Backup> kept = first.kept().stream().map(RetentionDecision.Kept::backup).toList();

    RetentionDecision again = RetentionPolicy.keep(kept, c.rules(), c.zone(), c.now());

    assertThat(again.deleted()).isEmpty();
  }

  @Property
  void aKeptBackupStaysKeptWhenOlderBackupsAreAdded(
      @ForAll("cases") Case c, @ForAll("olderOffsets") List<Long> minutesBefore) {
    Instant oldest = c.history().stream().map(Backup::time).min(Instant::compareTo).orElse(c.now());
    List<Backup> more = new ArrayList<>(c.history());
    for (int i = 0; i < minutesBefore.size(); i++) {
      Instant t = oldest.minus(Duration.ofMinutes(minutesBefore.get(i)));
      more.add(new Backup("old-" + ID.format(t) + "-" + i, t));
    }

    RetentionDecision before = decide(c);
    RetentionDecision after = RetentionPolicy.keep(more, c.rules(), c.zone(), c.now());

    assertThat(after.keptIds()).containsAll(before.keptIds());
  }

  @Property
  void itIsResticsForgetFollowedByMaxAge(@ForAll("cases") Case c) {
    Set<Backup> restic = resticKeeps(c.history(), c.rules(), c.zone());
    Duration maxAge = RetentionPolicy.maxAge(c.rules().getMaxAge());
    List<Backup> sorted = c.history().stream().sorted(RetentionPolicy.NEWEST_FIRST).toList();
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < sorted.size(); i++) {
      Backup b = sorted.get(i);
      boolean young = maxAge == null || Duration.between(b.time(), c.now()).compareTo(maxAge) <= 0;
      boolean keptByRules = RetentionPolicy.hasKeepRule(c.rules()) ? restic.contains(b) : true;
      if (i == 0 || (young && keptByRules)) {
        expected.add(b.backupId());
      }
    }

    assertThat(decide(c).keptIds()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Property
  void handMadeBackupsChangeNothingTheRulesDecideAboutThePolicysOwn(
      @ForAll("cases") Case c, @ForAll("handMade") List<Backup> handMade) {
    List<Backup> all = new ArrayList<>(c.history());
    all.addAll(handMade);

    RetentionDecision with = RetentionPolicy.keep(all, c.rules(), c.zone(), c.now());
    RetentionDecision without = decide(c);

    Set<String> held = new HashSet<>(ids(handMade));
    assertThat(with.keptIds().stream().filter(id -> !held.contains(id)).toList())
        .isEqualTo(without.keptIds());
    assertThat(with.deletedIds().stream().filter(id -> !held.contains(id)).toList())
        .isEqualTo(without.deletedIds());
  }

  @Property
  void aHandMadeBackupIsKeptExactlyUntilItsOwnTimePasses(
      @ForAll("cases") Case c, @ForAll("handMade") List<Backup> handMade) {
    List<Backup> all = new ArrayList<>(c.history());
    all.addAll(handMade);

    RetentionDecision d = RetentionPolicy.keep(all, c.rules(), c.zone(), c.now());

    for (Backup b : handMade) {
      boolean due = b.hold().until() != null && c.now().isAfter(b.hold().until());
      assertThat(due ? d.deletedIds() : d.keptIds()).contains(b.backupId());
      if (!due) {
        assertThat(
                d.kept().stream()
                    .filter(k -> k.backup().equals(b))
                    .findFirst()
                    .orElseThrow()
                    .reasons())
            .containsExactly(RetentionRule.OWN_TERMS);
      }
    }
  }

  /**
   * restic's {@code ApplyPolicy} (internal/restic/snapshot_policy.go), literally: newest first, a
   * bucket rule keeps a backup when its bucket differs from the last one that rule kept.
   */
  static Set<Backup> resticKeeps(List<Backup> history, Retention r, ZoneId zone) {
    List<Backup> list = history.stream().sorted(RetentionPolicy.NEWEST_FIRST).toList();
    List<ToLongFunction<ZonedDateTime>> bucketers =
        List.of(
            t ->
                t.getYear() * 1_000_000L
                    + t.getMonthValue() * 10_000L
                    + t.getDayOfMonth() * 100L
                    + t.getHour(),
            t -> t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth(),
            t -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR),
            t -> t.getYear() * 100L + t.getMonthValue(),
            t -> (long) t.getYear());
    int[] count = {
      orZero(r.getKeepHourly()),
      orZero(r.getKeepDaily()),
      orZero(r.getKeepWeekly()),
      orZero(r.getKeepMonthly()),
      orZero(r.getKeepYearly())
    };
    long[] last = {-1, -1, -1, -1, -1};
    Set<Backup> keep = new HashSet<>();
    for (int nr = 0; nr < list.size(); nr++) {
      Backup cur = list.get(nr);
      boolean keepSnap = nr < orZero(r.getKeepLast());
      for (int i = 0; i < bucketers.size(); i++) {
        if (count[i] > 0) {
          long val = bucketers.get(i).applyAsLong(cur.time().atZone(zone));
          if (val != last[i]) {
            keepSnap = true;
            last[i] = val;
            count[i]--;
          }
        }
      }
      if (keepSnap) {
        keep.add(cur);
      }
    }
    return keep;
  }

  @Provide
  Arbitrary<Case> cases() {
    // minutes after START the history may span: two days (hours collide), two months, three years
    Arbitrary<List<Backup>> histories =
        Arbitraries.of(2L * 24 * 60, 60L * 24 * 60, 3L * 365 * 24 * 60)
            .flatMap(span -> Arbitraries.longs().between(0, span).list().ofMaxSize(60))
            .map(RetentionPropertiesTest::history);
    Arbitrary<Integer> count = Arbitraries.integers().between(0, 8).injectNull(0.3);
    Arbitrary<String> maxAge =
        Arbitraries.of("6h", "2d", "7d", "30d", "8w", "1000w").injectNull(0.6);
    Arbitrary<Retention> rules =
        Combinators.combine(count, count, count, count, count, count, maxAge)
            .as(RetentionPolicyTest::rules);
    Arbitrary<ZoneId> zones =
        Arbitraries.of("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo")
            .map(ZoneId::of);
    Arbitrary<Instant> now =
        Arbitraries.longs()
            .between(0, 4L * 365 * 24 * 60)
            .map(m -> START.plus(Duration.ofMinutes(m)));
    return Combinators.combine(histories, rules, zones, now).as(Case::new);
  }

  /** Backups made by hand over the same years, kept until deleted or until a time of their own. */
  @Provide
  Arbitrary<List<Backup>> handMade() {
    Arbitrary<Long> minutes = Arbitraries.longs().between(0, 4L * 365 * 24 * 60);
    Arbitrary<Long> keepFor = Arbitraries.longs().between(1, 400L * 24 * 60).injectNull(0.3);
    return Combinators.combine(minutes, keepFor)
        .as(
            (m, k) -> {
              Instant t = START.plus(Duration.ofMinutes(m));
              return new Backup(
                  "hand-" + ID.format(t) + "-" + Long.toHexString(m * 31 + (k == null ? 0 : k)),
                  t,
                  false,
                  k == null ? Hold.UNTIL_DELETED : new Hold(t.plus(Duration.ofMinutes(k))));
            })
        .list()
        .ofMaxSize(8)
        .uniqueElements(Backup::backupId);
  }

  @Provide
  Arbitrary<List<Long>> olderOffsets() {
    return Arbitraries.longs().between(1, 400L * 24 * 60).list().ofMaxSize(20);
  }

  private static List<Backup> history(List<Long> minutes) {
    List<Backup> out = new ArrayList<>();
    for (int i = 0; i < minutes.size(); i++) {
      Instant t = START.plus(Duration.ofMinutes(minutes.get(i)));
      out.add(new Backup("b-" + ID.format(t) + "-" + i, t));
    }
    return out;
  }

  private static RetentionDecision decide(Case c) {
    return RetentionPolicy.keep(c.history(), c.rules(), c.zone(), c.now());
  }

  private static List<String> ids(List<Backup> backups) {
    return backups.stream().map(Backup::backupId).toList();
  }

  private static int orZero(Integer n) {
    return n == null ? 0 : n;
  }
}
