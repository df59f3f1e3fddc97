package io.osbackup.retention;

import static io.osbackup.retention.RetentionPolicyTest.rules;
import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.Retention;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link RetentionPass} against a bucket in memory that records and fails requests. */
class RetentionPassTest {

  private static final String NOVA = "prod/openstack/nova";
  private static final String NOVA_CELLS = "prod/openstack/nova-cells";
  private static final ZoneId UTC = ZoneOffset.UTC;
  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
  private static final Duration LONGEST_RUN = Duration.ofHours(3);
  private static final DateTimeFormatter ID =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(UTC);

  private final MemoryRetentionStore store = new MemoryRetentionStore();

  @Test
  void deletesWhatTheRulesDeleteAndOnlyInItsOwnPolicyFolder() {
    List<String> nova = seedDaily(NOVA, "nova", 5);
    List<String> cells = seedDaily(NOVA_CELLS, "nova-cells", 5);
    store.put("prod/openstack/nova.txt", 1, NOW.minus(Duration.ofDays(400)));
    store.put(NOVA + "/loose.txt", 1, NOW.minus(Duration.ofDays(400)));

    RetentionResult result = pass(NOVA, rules(2, 0, 0, 0, 0, 0, null), false);

    assertThat(result.errors()).isEmpty();
    assertThat(result.keptIds()).containsExactly(nova.get(4), nova.get(3));
    assertThat(result.deleted()).containsExactly(nova.get(2), nova.get(1), nova.get(0));
    assertThat(folders(NOVA)).containsOnlyKeys(nova.get(4), nova.get(3));
    assertThat(folders(NOVA_CELLS)).containsOnlyKeys(cells);
    assertThat(store.objects).containsKeys("prod/openstack/nova.txt", NOVA + "/loose.txt");
    assertThat(store.requests)
        .filteredOn(r -> r.startsWith("list "))
        .containsExactly("list " + NOVA + "/");
    assertThat(store.deletes()).allSatisfy(r -> assertThat(r).doesNotContain(NOVA_CELLS));
    assertThat(result.deletedBytes()).isEqualTo(3 * (1000 + 300 + 200 + 10));
    assertThat(result.keptBytes()).isEqualTo(2 * (1000 + 300 + 200 + 10));
  }

  @Test
  void deletesTheManifestBeforeTheArtifacts() {
    List<String> ids = seedDaily(NOVA, "nova", 3);

    pass(NOVA, rules(1, 0, 0, 0, 0, 0, null), false);

    // Every due manifest in one batch first, then the artifacts of those folders in batches.
    assertThat(store.deletes())
        .containsExactly(
            "delete "
                + NOVA
                + "/"
                + ids.get(0)
                + "/manifest.json,"
                + NOVA
                + "/"
                + ids.get(1)
                + "/manifest.json",
            "delete " + artifacts(ids.get(0)) + "," + artifacts(ids.get(1)));
  }

  @Test
  void aBackupBeingRestoredIsLeftForALaterPass() {
    List<String> ids = seedDaily(NOVA, "nova", 3);

    RetentionResult result =
        RetentionPass.run(
            store,
            NOVA,
            rules(1, 0, 0, 0, 0, 0, null),
            UTC,
            NOW,
            LONGEST_RUN,
            false,
            Set.of(ids.get(0)));

    assertThat(result.deleted()).containsExactly(ids.get(1));
    assertThat(result.dueForDeletion()).containsExactly(ids.get(0));
    assertThat(folders(NOVA)).containsOnlyKeys(ids.get(0), ids.get(2));
  }

  @Test
  void theNewestBackupSurvivesMaxAgeAndEveryOtherRule() {
    List<String> ids = seedDaily(NOVA, "nova", 4, Instant.parse("2026-01-01T02:00:00Z"));

    RetentionResult result = pass(NOVA, rules(0, 0, 0, 0, 0, 0, "7d"), false);

    assertThat(result.keptIds()).containsExactly(ids.get(3));
    assertThat(folders(NOVA)).containsOnlyKeys(ids.get(3));
  }

  @Test
  void aFailedListingDeletesNothing() {
    seedDaily(NOVA, "nova", 5);
    store.failList = p -> true;

    RetentionResult result = pass(NOVA, rules(1, 0, 0, 0, 0, 0, null), false);

    assertThat(result.ok()).isFalse();
    assertThat(result.refused())
        .as("refused: the policy's kept backups are unknown, not zero")
        .isTrue();
    assertThat(result.errors().get(0))
        .startsWith("could not list " + NOVA + "/: access denied")
        .endsWith("nothing was deleted");
    assertThat(store.deletes()).isEmpty();
  }

  @Test
  void aManifestThatCannotBeReadDeletesNothing() {
    List<String> ids = seedDaily(NOVA, "nova", 5);
    store.failRead = k -> k.contains(ids.get(2));

    RetentionResult result = pass(NOVA, rules(1, 0, 0, 0, 0, 0, null), false);

    assertThat(result.errors())
        .singleElement()
        .asString()
        .contains("could not read the manifest of backup " + ids.get(2));
    assertThat(result.refused()).isTrue();
    assertThat(store.deletes()).isEmpty();
  }

  @Test
  void aManifestListedButGoneDeletesNothing() {
    List<String> ids = seedDaily(NOVA, "nova", 3);
    store.manifests.remove(NOVA + "/" + ids.get(1) + "/manifest.json");

    RetentionResult result = pass(NOVA, rules(1, 0, 0, 0, 0, 0, null), false);

    assertThat(result.ok()).isFalse();
    assertThat(store.deletes()).isEmpty();
  }

  @Test
  void aFailedManifestDeletionStopsTheRetention() {
    List<String> ids = seedDaily(NOVA, "nova", 4);
    seedLeftover(NOVA, "nova", NOW.minus(Duration.ofDays(30)));
    store.failDelete = k -> k.equals(NOVA + "/" + ids.get(1) + "/manifest.json");

    RetentionResult result = pass(NOVA, withLimit(rules(1, 0, 0, 0, 0, 0, null), 0), false);

    assertThat(result.deleted()).isEmpty();
    assertThat(result.dueForDeletion()).containsExactly(ids.get(2), ids.get(1), ids.get(0));
    assertThat(result.leftoversRemoved()).isEmpty();
    assertThat(result.errors()).singleElement().asString().contains("retention stopped");
    assertThat(result.refused()).as("it decided, then stopped deleting").isFalse();
    assertThat(store.deletes()).hasSize(1);
    assertThat(folders(NOVA))
        .containsOnlyKeys(ids.get(0), ids.get(1), ids.get(2), ids.get(3), "nova-20261022-120000");
  }

  @Test
  void aBackupWhoseArtifactsCouldNotBeDeletedIsALeftoverAtTheNextPass() {
    List<String> ids = seedDaily(NOVA, "nova", 3);
    store.failDelete = k -> k.startsWith(NOVA + "/" + ids.get(0) + "/db/");

    RetentionResult first = pass(NOVA, withLimit(rules(1, 0, 0, 0, 0, 0, null), 0), false);

    // The failed batch held both folders: neither counts as deleted, but both manifests are gone.
    assertThat(first.deleted()).isEmpty();
    assertThat(first.dueForDeletion()).containsExactly(ids.get(1), ids.get(0));
    assertThat(first.errors())
        .singleElement()
        .asString()
        .startsWith("could not delete every object of 2 folders");
    assertThat(store.objects).doesNotContainKey(NOVA + "/" + ids.get(0) + "/manifest.json");
    assertThat(store.objects).doesNotContainKey(NOVA + "/" + ids.get(1) + "/manifest.json");

    store.failDelete = k -> false;
    RetentionResult second = pass(NOVA, withLimit(rules(1, 0, 0, 0, 0, 0, null), 0), false);

    assertThat(second.keptIds()).containsExactly(ids.get(2));
    assertThat(second.leftoversRemoved()).containsExactly(ids.get(1), ids.get(0));
    assertThat(folders(NOVA)).containsOnlyKeys(ids.get(2));
  }

  @Test
  void removesOldFailedRunsBeyondTheHistoryLimitButNeverARunThatMayStillBeGoing() {
    seedDaily(NOVA, "nova", 1);
    String young = seedLeftover(NOVA, "nova", NOW.minus(Duration.ofHours(1)));
    String a = seedLeftover(NOVA, "nova", NOW.minus(Duration.ofDays(1)));
    String b = seedLeftover(NOVA, "nova", NOW.minus(Duration.ofDays(2)));
    String c = seedLeftover(NOVA, "nova", NOW.minus(Duration.ofDays(3)));
    String d = seedLeftover(NOVA, "nova", NOW.minus(Duration.ofDays(4)));
    String handMade = "nova-20261110-120000-0a1b2c";
    store.put(
        NOVA + "/" + handMade + "/db/control-plane/nova.sql.gz", 5, NOW.minus(Duration.ofDays(11)));
    store.uploads.add(NOVA + "/" + d + "/files/nova-config/compute-1.tar.gz");
    store.uploads.add(NOVA + "/" + young + "/files/nova-config/compute-1.tar.gz");

    RetentionResult result = pass(NOVA, withLimit(rules(0, 0, 7, 0, 0, 0, null), 2), false);

    assertThat(result.leftoversRemoved()).containsExactly(c, d, handMade);
    assertThat(result.abortedUploads()).isEqualTo(1);
    assertThat(folders(NOVA)).containsKeys(young, a, b).doesNotContainKeys(c, d, handMade);
    assertThat(store.uploads)
        .containsExactly(NOVA + "/" + young + "/files/nova-config/compute-1.tar.gz");
  }

  @Test
  void aDryRunDeletesNothingAndSaysWhatIsDue() {
    List<String> ids = seedDaily(NOVA, "nova", 4);
    String old = seedLeftover(NOVA, "nova", NOW.minus(Duration.ofDays(10)));

    RetentionResult result = pass(NOVA, withLimit(rules(2, 0, 0, 0, 0, 0, null), 0), true);

    assertThat(result.keptIds()).containsExactly(ids.get(3), ids.get(2));
    assertThat(result.dueForDeletion()).containsExactly(ids.get(1), ids.get(0));
    assertThat(result.leftoversDue()).containsExactly(old);
    assertThat(result.deleted()).isEmpty();
    assertThat(store.deletes()).isEmpty();
    assertThat(store.requests).noneMatch(r -> r.startsWith("abort ") || r.startsWith("uploads "));
  }

  @Test
  void withoutRetentionEveryBackupIsKeptAndOldFailedRunsAreStillCleaned() {
    List<String> ids = seedDaily(NOVA, "nova", 5);
    for (int i = 1; i <= 4; i++) {
      seedLeftover(NOVA, "nova", NOW.minus(Duration.ofDays(i)));
    }

    RetentionResult result = pass(NOVA, null, false);

    assertThat(result.keptIds()).hasSize(5).containsAll(ids);
    assertThat(result.leftoversRemoved()).hasSize(1);
  }

  @Test
  void anInvalidMaxAgeDeletesNothing() {
    seedDaily(NOVA, "nova", 3);

    RetentionResult result = pass(NOVA, rules(1, 0, 0, 0, 0, 0, "7 days"), false);

    assertThat(result.errors()).singleElement().asString().contains("retention.maxAge '7 days'");
    assertThat(store.requests).isEmpty();
  }

  @Test
  void aPolicyFolderWithATrailingSlashIsTheSameFolder() {
    seedDaily(NOVA, "nova", 3);
    seedDaily(NOVA_CELLS, "nova-cells", 3);

    RetentionResult result = pass(NOVA + "/", rules(1, 0, 0, 0, 0, 0, null), false);

    assertThat(result.deleted()).hasSize(2);
    assertThat(folders(NOVA_CELLS)).hasSize(3);
  }

  @Test
  void aHundredThousandObjectsAreListedOnceAndEachManifestReadOnce() {
    // 10,000 daily backups of 10 objects each
    Instant first = NOW.minus(Duration.ofDays(10_000));
    for (int i = 0; i < 10_000; i++) {
      Instant at = first.plus(Duration.ofDays(i));
      String folder = NOVA + "/nova-" + ID.format(at);
      for (int j = 0; j < 9; j++) {
        store.put(folder + "/db/control-plane/db" + j + ".sql.gz", 10, at);
      }
      store.putManifest(folder + "/manifest.json", manifest("nova-" + ID.format(at), at), at);
    }
    long start = System.nanoTime();

    RetentionResult result = pass(NOVA, rules(7, 0, 14, 8, 12, 5, null), false);

    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "retention over 100,000 objects: %d ms, %d requests%n", ms, store.requests.size());
    assertThat(result.keptIds().size() + result.deleted().size()).isEqualTo(10_000);
    assertThat(result.keptIds()).hasSizeGreaterThan(14);
    assertThat(store.requests).filteredOn(r -> r.startsWith("list ")).hasSize(1);
    assertThat(store.requests).filteredOn(r -> r.startsWith("get ")).hasSize(10_000);
    // one batch of manifests, then whole folders up to 1,000 keys a batch
    List<String> deletes = store.deletes();
    assertThat(deletes.get(0).split(","))
        .hasSize(result.deleted().size())
        .allSatisfy(k -> assertThat(k).endsWith("/manifest.json"));
    assertThat(deletes)
        .hasSize(
            1 + (int) Math.ceil(result.deleted().size() / 100.0)); // 10 listed objects a folder
    assertThat(deletes.subList(1, deletes.size()))
        .allSatisfy(d -> assertThat(d.split(",").length).isLessThanOrEqualTo(RetentionPass.BATCH));
    assertThat(store.objects).hasSize(10 * result.keptIds().size());
  }

  @Test
  void backupsStampedAYearAheadNeverOutliveTheNewRealOnes() {
    // An operator whose clock ran a year ahead wrote three backups early in November; its clock was
    // then fixed.
    List<String> skewed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Instant written = Instant.parse("2026-11-10T02:00:00Z").plus(Duration.ofDays(i));
      skewed.add(seedStamped(NOVA, "nova", written.plus(Duration.ofDays(365)), written));
    }
    String real = seedStamped(NOVA, "nova", Instant.parse("2026-11-20T02:00:00Z"), null);

    RetentionResult first = pass(NOVA, rules(3, 0, 0, 0, 0, 0, null), false);

    assertThat(first.keptIds()).containsExactly(real, skewed.get(2), skewed.get(1));
    assertThat(first.deleted()).containsExactly(skewed.get(0));
    assertThat(first.clockSkew())
        .extracting(ClockSkew::backupId)
        .containsExactlyInAnyOrder(skewed.get(0), skewed.get(1), skewed.get(2));
    assertThat(first.clockSkew()).allSatisfy(s -> assertThat(s.ahead()).isTrue());
    assertThat(first.clockSkew().get(0).offset()).isGreaterThan(Duration.ofDays(364));

    // Three more real backups: the real ones are the three newest, whatever the skewed manifests
    // say.
    List<String> more = new ArrayList<>(List.of(real));
    for (int i = 1; i <= 3; i++) {
      more.add(
          seedStamped(
              NOVA, "nova", Instant.parse("2026-11-20T02:00:00Z").plus(Duration.ofHours(i)), null));
    }

    RetentionResult second = pass(NOVA, rules(3, 0, 0, 0, 0, 0, null), false);

    assertThat(second.keptIds()).containsExactly(more.get(3), more.get(2), more.get(1));
    assertThat(second.deleted()).containsExactly(real, skewed.get(2), skewed.get(1));
    assertThat(folders(NOVA)).containsOnlyKeys(more.get(3), more.get(2), more.get(1));
  }

  @Test
  void aBackupStampedAheadIsNeverTheNewestButTheNewestInTheStoreIsKept() {
    List<String> real = seedDaily(NOVA, "nova", 3);
    // the latest write came from an operator whose clock is a year ahead
    String ahead =
        seedStamped(
            NOVA, "nova", NOW.plus(Duration.ofDays(365)), Instant.parse("2026-11-21T02:00:00Z"));

    RetentionResult result = pass(NOVA, rules(0, 0, 0, 0, 0, 0, "1d"), false);

    // maxAge 1d: the real newest (written 2026-11-20T02:01:40Z, 34 h ago) is kept as the newest
    // good backup
    assertThat(result.keptIds()).containsExactly(ahead, real.get(2));
    assertThat(result.kept().get(1).reasons()).contains(RetentionRule.NEWEST);
    assertThat(result.deleted()).containsExactly(real.get(1), real.get(0));
    assertThat(result.clockSkew()).extracting(ClockSkew::backupId).containsExactly(ahead);
  }

  @Test
  void backupsStampedYearsBehindAreAgedByTheStore() {
    // three backups of the last three days, written by a node whose clock said 2023
    List<String> behind = new ArrayList<>();
    for (int i = 3; i >= 1; i--) {
      Instant written = NOW.minus(Duration.ofDays(i));
      behind.add(seedStamped(NOVA, "nova", written.minus(Duration.ofDays(3 * 365)), written));
    }

    RetentionResult result = pass(NOVA, rules(0, 0, 0, 0, 0, 0, "7d"), false);

    assertThat(result.keptIds()).containsExactly(behind.get(2), behind.get(1), behind.get(0));
    assertThat(result.deleted()).isEmpty();
    assertThat(result.clockSkew()).hasSize(3).allSatisfy(s -> assertThat(s.ahead()).isFalse());
    assertThat(result.clockSkew().get(0).offset()).isLessThan(Duration.ofDays(-1000));
  }

  @Test
  void aManifestStampedWithinTheToleranceIsNotSkewed() {
    seedStamped(
        NOVA,
        "nova",
        NOW.minus(Duration.ofHours(2)).plus(RetentionPass.CLOCK_TOLERANCE).minusSeconds(101),
        NOW.minus(Duration.ofHours(2)));
    seedStamped(
        NOVA,
        "nova",
        NOW.minus(Duration.ofHours(1)).minus(LONGEST_RUN).minusSeconds(100),
        NOW.minus(Duration.ofHours(1)));

    RetentionResult result = pass(NOVA, rules(5, 0, 0, 0, 0, 0, null), false);

    assertThat(result.keptIds()).hasSize(2);
    assertThat(result.clockSkew()).isEmpty();
  }

  private static final Owner PRIMARY = new Owner("prod", "openstack", "primary", "uid-1");

  @Test
  void foldersOfAnotherOwnerAreNeitherCountedNorDeleted() {
    List<String> ours = seedDaily(NOVA, "nova", 2);
    Owner drCluster = new Owner("dr", "openstack", "primary", "uid-9");
    String theirs = "nova-20261121-020000-aa";
    store.putManifest(
        NOVA + "/" + theirs + "/manifest.json",
        manifest(theirs, Instant.parse("2026-11-21T02:00:00Z")).withOwner(drCluster),
        Instant.parse("2026-11-21T02:02:00Z"));
    String theirsFailed = "nova-20261001-020000-aa";
    store.putMarker(
        NOVA + "/" + theirsFailed + "/owner.json",
        new Owner.Marker(Owner.Marker.FORMAT_VERSION, drCluster, theirsFailed, theirsFailed),
        Instant.parse("2026-10-01T02:00:00Z"));
    store.put(
        NOVA + "/" + theirsFailed + "/db/control-plane/nova.sql.gz",
        5,
        Instant.parse("2026-10-01T02:01:00Z"));
    String otherStore = "nova-20261119-020000-bb";
    store.putManifest(
        NOVA + "/" + otherStore + "/manifest.json",
        new Manifest(
            1,
            otherStore,
            "openstack",
            "nova",
            otherStore,
            "secondary",
            "b",
            "f",
            "gzip",
            Instant.parse("2026-11-19T02:00:00Z"),
            Instant.parse("2026-11-19T02:01:00Z"),
            1,
            List.of()),
        Instant.parse("2026-11-19T02:01:00Z"));
    store.put(NOVA + "/notes/readme.txt", 5, Instant.parse("2026-01-01T00:00:00Z"));

    RetentionResult result =
        RetentionPass.run(
            store,
            NOVA,
            withLimit(rules(1, 0, 0, 0, 0, 0, null), 0),
            UTC,
            NOW,
            LONGEST_RUN,
            false,
            Set.of(),
            PRIMARY);

    assertThat(result.keptIds()).containsExactly(ours.get(1));
    assertThat(result.deleted()).containsExactly(ours.get(0));
    assertThat(result.leftoversRemoved()).isEmpty();
    assertThat(result.notOwned()).hasSize(4);
    assertThat(String.join("\n", result.notOwned()))
        .contains(theirs + ": its manifest.json names cluster dr, store openstack/primary")
        .contains(theirsFailed + ": its owner.json names cluster dr")
        .contains(otherStore + ": its manifest.json names no owner and describes backup")
        .contains("notes: has neither manifest.json nor owner.json");
    assertThat(folders(NOVA))
        .containsOnlyKeys(ours.get(1), theirs, theirsFailed, otherStore, "notes");
  }

  @Test
  void nothingBelowAFolderHoldingAnotherBackupsManifestIsDeleted() {
    seedDaily(NOVA, "nova", 1);
    // another store's prefix is prod/openstack/nova/old: its backups lie inside this policy's
    // folder
    store.put(
        NOVA + "/old/openstack/nova/nova-20200101-020000/db/control-plane/nova.sql.gz",
        5,
        Instant.parse("2020-01-01T02:00:00Z"));
    store.putManifest(
        NOVA + "/old/openstack/nova/nova-20200101-020000/manifest.json",
        manifest("nova-20200101-020000", Instant.parse("2020-01-01T02:00:00Z")),
        Instant.parse("2020-01-01T02:01:00Z"));

    RetentionResult result =
        RetentionPass.run(
            store,
            NOVA,
            withLimit(rules(1, 0, 0, 0, 0, 0, null), 0),
            UTC,
            NOW,
            LONGEST_RUN,
            false,
            Set.of(),
            PRIMARY);

    assertThat(result.leftoversRemoved()).isEmpty();
    assertThat(result.notOwned())
        .singleElement()
        .asString()
        .startsWith("old: holds " + NOVA + "/old/openstack/nova/");
    assertThat(store.deletes()).isEmpty();
  }

  @Test
  void aFolderWithOurMarkerAndNoManifestIsAFailedRunsLeftover() {
    seedDaily(NOVA, "nova", 1);
    String failed = "nova-20261001-020000";
    store.putMarker(
        NOVA + "/" + failed + "/owner.json",
        new Owner.Marker(
            Owner.Marker.FORMAT_VERSION,
            new Owner("prod", "openstack", "primary", "uid-2"),
            failed,
            failed),
        Instant.parse("2026-10-01T02:00:00Z"));

    RetentionResult result =
        RetentionPass.run(
            store,
            NOVA,
            withLimit(rules(1, 0, 0, 0, 0, 0, null), 0),
            UTC,
            NOW,
            LONGEST_RUN,
            false,
            Set.of(),
            PRIMARY);

    assertThat(result.leftoversRemoved())
        .as("the store's UID is informational")
        .containsExactly(failed);
    assertThat(result.notOwned()).isEmpty();
  }

  private static Retention withLimit(Retention rules, int failedRunsHistoryLimit) {
    rules.setFailedRunsHistoryLimit(failedRunsHistoryLimit);
    return rules;
  }

  private RetentionResult pass(String folder, Retention rules, boolean dryRun) {
    return RetentionPass.run(store, folder, rules, UTC, NOW, LONGEST_RUN, dryRun);
  }

  @Test
  void aBackupMadeByHandIsKeptOnItsOwnTermsAndGoesManifestFirstWhenTheyPass() {
    List<String> scheduled = seedDaily(NOVA, "nova", 3);
    Instant taken = Instant.parse("2026-11-19T10:00:00Z");
    String ttl =
        seedHandMade(
            "nova-20261119-100000-0a1b2c",
            taken,
            new Manifest.RunRetention("OnDemand", "Keep", null, "3d"));
    String pinned =
        seedHandMade(
            "nova-20261119-110000-3d4e5f",
            taken.plusSeconds(3600),
            new Manifest.RunRetention(
                "OnDemand", "Keep", Instant.parse("2026-11-22T00:00:00Z"), null));
    String optedIn =
        seedHandMade(
            "nova-20261119-120000-6a7b8c",
            taken.plusSeconds(7200),
            new Manifest.RunRetention("OnDemand", "Policy", null, null));
    // written before retention terms were recorded: a hand-made id is kept until deleted, a slot's
    // id is the policy's
    String legacy =
        seedHandMade("nova-20261118-100000-9d0e1f", taken.minus(Duration.ofDays(1)), null);

    RetentionResult result = pass(NOVA, rules(1, 0, 0, 0, 0, 0, null), false);

    assertThat(result.keptIds()).containsExactly(scheduled.get(2), pinned, ttl, legacy);
    assertThat(result.deleted()).containsExactly(optedIn, scheduled.get(1), scheduled.get(0));
    assertThat(result.kept().get(1).reasons()).containsExactly(RetentionRule.OWN_TERMS);

    store.requests.clear();
    Instant later = taken.plus(Duration.ofDays(3)).plusSeconds(200);
    RetentionResult expired =
        RetentionPass.run(
            store, NOVA, rules(1, 0, 0, 0, 0, 0, null), UTC, later, LONGEST_RUN, false);

    assertThat(expired.deleted()).containsExactly(pinned, ttl);
    assertThat(expired.keptIds()).containsExactly(scheduled.get(2), legacy);
    assertThat(store.deletes().get(0))
        .isEqualTo(
            "delete "
                + NOVA
                + "/"
                + ttl
                + "/manifest.json,"
                + NOVA
                + "/"
                + pinned
                + "/manifest.json");
  }

  private String seedHandMade(String id, Instant at, Manifest.RunRetention terms) {
    String f = NOVA + "/" + id;
    store.put(f + "/db/control-plane/nova.sql.gz", 300, at.plusSeconds(60));
    store.put(f + "/reports/job.json", 10, at.plusSeconds(95));
    store.putManifest(
        f + "/manifest.json", manifest(id, at).withRetention(terms), at.plusSeconds(100));
    return id;
  }

  /** {@code days} successful backups, one a day at 02:00 ending yesterday; ids oldest first. */
  private List<String> seedDaily(String folder, String policy, int days) {
    return seedDaily(
        folder,
        policy,
        days,
        Instant.parse("2026-11-20T02:00:00Z").minus(Duration.ofDays(days - 1)));
  }

  private List<String> seedDaily(String folder, String policy, int days, Instant first) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < days; i++) {
      Instant at = first.plus(Duration.ofDays(i));
      String id = policy + "-" + ID.format(at);
      String f = folder + "/" + id;
      store.put(f + "/db/control-plane/nova.sql.gz", 300, at.plusSeconds(60));
      store.put(f + "/files/nova-config/compute-0.tar.gz", 200, at.plusSeconds(90));
      store.put(f + "/reports/job.json", 10, at.plusSeconds(95));
      store.putManifest(f + "/manifest.json", manifest(id, at), at.plusSeconds(100));
      ids.add(id);
    }
    return ids;
  }

  /**
   * A backup whose manifest says it started at {@code stamped} (completed 100 s later), written to
   * the store at {@code written} (null: {@code stamped} + 100 s, a right clock); its id is the
   * stamped time, as a scheduled run's.
   */
  private String seedStamped(String folder, String policy, Instant stamped, Instant written) {
    Instant stored = written == null ? stamped.plusSeconds(100) : written;
    String id = policy + "-" + ID.format(stamped);
    String f = folder + "/" + id;
    store.put(f + "/db/control-plane/nova.sql.gz", 300, stored.minusSeconds(40));
    store.put(f + "/files/nova-config/compute-0.tar.gz", 200, stored.minusSeconds(10));
    store.put(f + "/reports/job.json", 10, stored.minusSeconds(5));
    store.putManifest(f + "/manifest.json", manifest(id, stamped), stored);
    return id;
  }

  /** A failed run's folder: one artifact and its report, no manifest. */
  private String seedLeftover(String folder, String policy, Instant at) {
    String id = policy + "-" + ID.format(at);
    store.put(folder + "/" + id + "/db/control-plane/nova.sql.gz", 300, at.plusSeconds(60));
    store.put(folder + "/" + id + "/reports/job.json", 10, at.plusSeconds(61));
    return id;
  }

  private static Manifest manifest(String id, Instant startedAt) {
    return new Manifest(
        Manifest.FORMAT_VERSION,
        id,
        "openstack",
        "nova",
        id,
        "primary",
        "b",
        "f",
        "gzip",
        startedAt,
        startedAt.plusSeconds(100),
        510,
        List.of());
  }

  private static String artifacts(String id) {
    String f = NOVA + "/" + id;
    return f
        + "/db/control-plane/nova.sql.gz,"
        + f
        + "/files/nova-config/compute-0.tar.gz,"
        + f
        + "/reports/job.json";
  }

  /** The backup folders under {@code folder}, each with its keys. */
  private Map<String, List<String>> folders(String folder) {
    Map<String, List<String>> out = new TreeMap<>();
    RetentionPass.folders(folder + "/", List.copyOf(store.objects.values()))
        .forEach((id, objects) -> out.put(id, objects.stream().map(o -> o.key()).toList()));
    return out;
  }
}
