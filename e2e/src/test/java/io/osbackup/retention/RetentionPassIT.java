package io.osbackup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.Retention;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.store.Credentials;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.S3Server;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RetentionPass} against a real S3 server (Swift with s3api, or S3Proxy): two policies share
 * a bucket and a prefix, {@code prod/openstack/nova/} and {@code prod/openstack/nova-cells/}.
 */
class RetentionPassIT {

  private static final String NOVA = "prod/openstack/nova";
  private static final String NOVA_CELLS = "prod/openstack/nova-cells";
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final Duration LONGEST_RUN = Duration.ofHours(3);
  private static final DateTimeFormatter ID =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  @TempDir static Path work;

  static S3Server server;
  String bucket;
  ObjectStore store;

  @BeforeAll
  static void start() throws IOException {
    long start = System.nanoTime();
    server = S3Server.start(work);
    System.out.printf("%s started in %d ms%n", server, (System.nanoTime() - start) / 1_000_000);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void bucket() {
    bucket = "retention-" + BUCKETS.incrementAndGet();
    server.createBucket(bucket);
    store = server.store(bucket);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void twoPoliciesSharingABucketAndPrefixNeverDeleteEachOthersBackups() throws IOException {
    List<String> nova = seedDaily(NOVA, "nova", 6);
    List<String> cells = seedDaily(NOVA_CELLS, "nova-cells", 6);

    RetentionResult result = pass(NOVA, rules(2, null), false);

    assertThat(result.errors()).isEmpty();
    assertThat(result.keptIds()).containsExactly(nova.get(5), nova.get(4));
    assertThat(result.deleted())
        .containsExactly(nova.get(3), nova.get(2), nova.get(1), nova.get(0));
    assertThat(folders(NOVA)).containsOnlyKeys(nova.get(5), nova.get(4));
    assertThat(folders(NOVA).get(nova.get(5))).hasSize(4);
    assertThat(folders(NOVA_CELLS)).containsOnlyKeys(cells);

    // Ages come from the store's write times, and these were all written a moment ago: keepLast,
    // not maxAge.
    RetentionResult cellsResult = pass(NOVA_CELLS, rules(3, null), false);

    assertThat(cellsResult.keptIds()).containsExactly(cells.get(5), cells.get(4), cells.get(3));
    assertThat(folders(NOVA)).containsOnlyKeys(nova.get(5), nova.get(4));
    assertThat(folders(NOVA_CELLS)).containsOnlyKeys(cells.get(5), cells.get(4), cells.get(3));
  }

  @Test
  void theManifestIsDeletedBeforeTheArtifacts() throws IOException {
    List<String> ids = seedDaily(NOVA, "nova", 2);
    List<List<String>> deletes = new ArrayList<>();
    RetentionStore recording =
        new Forwarding(RetentionStore.of(store)) {
          @Override
          public void delete(Collection<String> keys) throws IOException {
            deletes.add(List.copyOf(keys));
            super.delete(keys);
          }
        };

    RetentionPass.run(recording, NOVA, rules(1, null), BERLIN, Instant.now(), LONGEST_RUN, false);

    String folder = NOVA + "/" + ids.get(0) + "/";
    assertThat(deletes)
        .containsExactly(
            List.of(folder + "manifest.json"),
            List.of(
                folder + "db/control-plane/nova.sql.gz",
                folder + "files/nova-config/compute-0.tar.gz",
                folder + "reports/job.json"));
  }

  @Test
  void aBackupHalfDeletedIsNeverSeenAsWholeAndIsCleanedAsALeftover() throws IOException {
    List<String> ids = seedDaily(NOVA, "nova", 3);
    AtomicInteger calls = new AtomicInteger();
    RetentionStore failingAfterFirstDelete =
        new Forwarding(RetentionStore.of(store)) {
          @Override
          public void delete(Collection<String> keys) throws IOException {
            if (calls.incrementAndGet() > 1) {
              throw new IOException("connection reset");
            }
            super.delete(keys);
          }
        };

    RetentionResult first =
        RetentionPass.run(
            failingAfterFirstDelete,
            NOVA,
            rules(1, null),
            BERLIN,
            Instant.now(),
            LONGEST_RUN,
            false);

    // The manifests went in the first request; the artifacts' request failed: both folders are half
    // deleted, and
    // neither is a backup any more.
    for (String id : List.of(ids.get(0), ids.get(1))) {
      assertThat(store.stat(NOVA + "/" + id + "/manifest.json")).isEmpty();
      assertThat(store.stat(NOVA + "/" + id + "/db/control-plane/nova.sql.gz")).isPresent();
    }
    assertThat(first.deleted()).isEmpty();
    assertThat(first.errors())
        .singleElement()
        .asString()
        .contains("could not delete every object of 2 folders");
    assertThat(folders(NOVA)).containsOnlyKeys(ids);

    Retention noFailedRunKept = rules(1, null);
    noFailedRunKept.setFailedRunsHistoryLimit(0);
    // the leftover was written a moment ago: only once longestRun has passed is it surely no run in
    // progress
    RetentionResult second =
        RetentionPass.run(
            store,
            NOVA,
            noFailedRunKept,
            BERLIN,
            Instant.now().plus(Duration.ofHours(4)),
            LONGEST_RUN,
            false);

    assertThat(second.keptIds())
        .containsExactly(ids.get(2)); // never counted as a successful backup
    assertThat(second.deleted()).isEmpty();
    assertThat(second.leftoversRemoved()).containsExactly(ids.get(1), ids.get(0));
    assertThat(folders(NOVA)).containsOnlyKeys(ids.get(2));
  }

  @Test
  void aListingThatFailsDeletesNothing() throws IOException {
    seedDaily(NOVA, "nova", 4);
    Credentials wrong =
        server
            .deniedCredentials()
            .orElse(new Credentials(server.accessKey(), "wrong-" + System.nanoTime()));

    try (ObjectStore denied =
            ObjectStore.connect(server.endpoint(), server.region(), true, bucket, wrong);
        ObjectStore missing = server.store("no-such-bucket")) {
      RetentionResult deniedResult =
          RetentionPass.run(
              denied, NOVA, rules(1, null), BERLIN, Instant.now(), LONGEST_RUN, false);
      RetentionResult missingResult =
          RetentionPass.run(
              missing, NOVA, rules(1, null), BERLIN, Instant.now(), LONGEST_RUN, false);

      assertThat(deniedResult.errors())
          .singleElement()
          .asString()
          .startsWith("could not list " + NOVA + "/: ")
          .endsWith("nothing was deleted");
      assertThat(missingResult.errors()).singleElement().asString().contains("no-such-bucket");
      System.out.println(deniedResult.errors().get(0));
      System.out.println(missingResult.errors().get(0));
    }
    assertThat(folders(NOVA)).hasSize(4);
  }

  @Test
  void aBucketRemovedMeanwhileDeletesNothing() throws IOException {
    seedDaily(NOVA, "nova", 3);
    server.deleteBucket(bucket);

    RetentionResult result = pass(NOVA, rules(1, null), false);

    assertThat(result.ok()).isFalse();
    assertThat(result.deleted()).isEmpty();
    server.createBucket(bucket); // for symmetry with the other tests' buckets
  }

  @Test
  void oldFailedRunsBeyondTheLimitAreRemovedAndARunThatMayStillBeGoingIsNot() throws Exception {
    List<String> ids = seedDaily(NOVA, "nova", 1);
    Instant t = Instant.parse("2026-11-01T02:00:00Z");
    List<String> old = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      old.add(seedLeftover(NOVA, "nova", t.plus(Duration.ofDays(i))));
    }
    Thread.sleep(4_000);
    String young = seedLeftover(NOVA, "nova", Instant.now());
    Retention keepTwoFailedRuns = rules(3, null);
    keepTwoFailedRuns.setFailedRunsHistoryLimit(2);

    // lastModified is the server's clock: "old" means not written to for 2 s here
    RetentionResult result =
        RetentionPass.run(
            store, NOVA, keepTwoFailedRuns, BERLIN, Instant.now(), Duration.ofSeconds(2), false);

    assertThat(result.errors()).isEmpty();
    assertThat(result.leftoversRemoved()).containsExactly(old.get(1), old.get(0));
    assertThat(folders(NOVA)).containsOnlyKeys(ids.get(0), old.get(3), old.get(2), young);
  }

  @Test
  void aDryRunDeletesNothingAndPreviewsWhatIsDue() throws IOException {
    List<String> ids = seedDaily(NOVA, "nova", 5);
    String leftover = seedLeftover(NOVA, "nova", Instant.parse("2026-01-01T02:00:00Z"));
    Retention rules = rules(3, null);
    rules.setFailedRunsHistoryLimit(0);
    Map<String, List<String>> before = folders(NOVA);

    RetentionResult result =
        RetentionPass.run(
            store, NOVA, rules, BERLIN, Instant.now().plus(Duration.ofDays(1)), LONGEST_RUN, true);

    assertThat(result.keptIds()).containsExactly(ids.get(4), ids.get(3), ids.get(2));
    assertThat(result.dueForDeletion()).containsExactly(ids.get(1), ids.get(0));
    assertThat(result.leftoversDue()).containsExactly(leftover);
    assertThat(result.deleted()).isEmpty();
    assertThat(folders(NOVA)).isEqualTo(before);
  }

  @Test
  void aLargeFolderIsListedOnceAndEachManifestReadOnce() throws IOException {
    // 120 backups of 10 objects (a manifest, 7 dumps, an archive, a report): more than one page of
    // 1,000 keys
    Instant first = Instant.now().minus(Duration.ofDays(120));
    java.util.stream.IntStream.range(0, 120)
        .parallel()
        .forEach(
            i -> {
              try {
                seedBackup(NOVA, "nova", first.plus(Duration.ofDays(i)), 6);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    Map<String, Integer> requests = new TreeMap<>();
    RetentionStore counting =
        new Forwarding(RetentionStore.of(store)) {
          @Override
          public List<ObjectInfo> list(String prefix) throws IOException {
            requests.merge("list", 1, Integer::sum);
            return super.list(prefix);
          }

          @Override
          public Optional<Manifest> manifest(String key) throws IOException {
            requests.merge("manifest", 1, Integer::sum);
            return super.manifest(key);
          }

          @Override
          public void delete(Collection<String> keys) throws IOException {
            requests.merge("delete", 1, Integer::sum);
            super.delete(keys);
          }
        };
    long start = System.nanoTime();

    RetentionResult result =
        RetentionPass.run(
            counting, NOVA, rules(7, "30d"), BERLIN, Instant.now(), LONGEST_RUN, false);
    // keepLast 7 keeps 7; maxAge only deletes, it keeps nothing when a keep rule is set

    System.out.printf(
        "retention over %d objects on %s: %d ms, requests %s%n",
        120 * 10, server.kind(), (System.nanoTime() - start) / 1_000_000, requests);
    assertThat(result.errors()).isEmpty();
    assertThat(requests).containsEntry("list", 1).containsEntry("manifest", 120);
    assertThat(result.keptIds()).hasSize(7);
    assertThat(result.deleted()).hasSize(113);
    // one request for the 113 manifests, then whole folders of 10 objects, 100 folders a request
    assertThat(requests).containsEntry("delete", 1 + 2);
    assertThat(folders(NOVA)).hasSize(7);
  }

  @Test
  void backupsStampedAYearAheadNeverOutliveNewRealBackups() throws Exception {
    // An operator (or another cluster) with its clock a year ahead wrote three backups into the
    // folder.
    Instant yearAhead = Instant.now().plus(Duration.ofDays(365));
    List<String> skewed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      skewed.add(seedBackup(NOVA, "nova", yearAhead.plus(Duration.ofHours(i)), 0));
    }
    List<String> real = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Thread.sleep(1_100); // the store's time has a resolution of a second
      real.add(seedBackup(NOVA, "nova", Instant.now(), 0));
    }

    RetentionResult result = pass(NOVA, rules(3, null), false);

    assertThat(result.errors()).isEmpty();
    assertThat(result.keptIds()).containsExactly(real.get(2), real.get(1), real.get(0));
    assertThat(result.deleted()).containsExactlyInAnyOrderElementsOf(skewed);
    assertThat(result.clockSkew())
        .extracting(ClockSkew::backupId)
        .containsExactlyInAnyOrderElementsOf(skewed);
    assertThat(result.clockSkew())
        .allSatisfy(s -> assertThat(s.offset()).isGreaterThan(Duration.ofDays(364)));
    assertThat(folders(NOVA)).containsOnlyKeys(real);
  }

  @Test
  void aBackupStampedAheadAndWrittenLastDoesNotTakeTheNewestRealBackupsPlace() throws Exception {
    String real = seedBackup(NOVA, "nova", Instant.now(), 0);
    Thread.sleep(1_100);
    String ahead = seedBackup(NOVA, "nova", Instant.now().plus(Duration.ofDays(365)), 0);

    RetentionResult result = pass(NOVA, rules(1, null), false);

    assertThat(result.keptIds()).containsExactly(ahead, real);
    assertThat(result.clockSkew()).extracting(ClockSkew::backupId).containsExactly(ahead);
    assertThat(folders(NOVA)).containsOnlyKeys(ahead, real);
  }

  @Test
  void backupsStampedYearsBehindAreAgedByTheStore() throws IOException {
    Instant yearsAgo = Instant.now().minus(Duration.ofDays(3 * 365));
    List<String> behind = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      behind.add(seedBackup(NOVA, "nova", yearsAgo.plus(Duration.ofDays(i)), 0));
    }

    RetentionResult result = pass(NOVA, rules(0, "7d"), false);

    assertThat(result.errors()).isEmpty();
    assertThat(result.keptIds()).containsExactlyInAnyOrderElementsOf(behind);
    assertThat(result.deleted()).isEmpty();
    assertThat(result.clockSkew()).hasSize(3).allSatisfy(s -> assertThat(s.ahead()).isFalse());
    assertThat(folders(NOVA)).containsOnlyKeys(behind);
  }

  @Test
  void anotherStoresPrefixInsideAPolicyFolderIsNeverDeleted() throws Exception {
    // Store "primary" writes under prefix prod; store "dr" was given the prefix
    // prod/openstack/nova/dr, which lies
    // inside primary's policy folder prod/openstack/nova/.
    Owner primary = new Owner("cluster-a", "openstack", "primary", "uid-1");
    Owner dr = new Owner("cluster-a", "openstack", "dr", "uid-2");
    String drFolder = NOVA + "/dr/openstack/nova";
    Instant t = Instant.parse("2026-11-01T02:00:00Z");
    String ours = seedOwned(NOVA, "nova", t, primary, true);
    String oursFailed = seedOwned(NOVA, "nova", t.plus(Duration.ofDays(1)), primary, false);
    String theirs = seedOwned(drFolder, "nova", t, dr, true);
    String theirsFailed = seedOwned(drFolder, "nova", t.plus(Duration.ofDays(1)), dr, false);
    List<String> drKeys = store.list(NOVA + "/dr/").stream().map(ObjectInfo::key).toList();
    Retention rules = rules(1, null);
    rules.setFailedRunsHistoryLimit(0);

    // hours later: every folder without a manifest directly inside it is old enough to be a failed
    // run's leftover
    RetentionResult result =
        RetentionPass.run(
            store,
            NOVA,
            rules,
            BERLIN,
            Instant.now().plus(Duration.ofHours(4)),
            LONGEST_RUN,
            false,
            java.util.Set.of(),
            primary);

    assertThat(store.list(NOVA + "/dr/").stream().map(ObjectInfo::key).toList())
        .as("the dr store's backup %s and failed run %s", theirs, theirsFailed)
        .containsExactlyInAnyOrderElementsOf(drKeys);
    assertThat(result.leftoversRemoved()).containsExactly(oursFailed);
    assertThat(result.keptIds()).containsExactly(ours);
    assertThat(result.notOwned()).singleElement().asString().startsWith("dr: ");
  }

  @Test
  void prodAndDrClustersOnOneBucketNeverPruneEachOthersBackups() throws Exception {
    // Both clusters apply the same GitOps manifests: same namespace, policy and store names, same
    // prefix.
    Owner prod = new Owner("prod", "openstack", "primary", "uid-prod");
    Owner dr = new Owner("dr", "openstack", "primary", "uid-dr");
    Instant t = Instant.parse("2026-11-01T02:00:00Z");
    List<String> prodIds = new ArrayList<>();
    List<String> drIds = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      prodIds.add(seedOwned(NOVA, "nova", t.plus(Duration.ofDays(i)), prod, true));
      drIds.add(seedOwned(NOVA, "nova", t.plus(Duration.ofDays(i)).plusSeconds(1), dr, true));
    }
    String prodFailed = seedOwned(NOVA, "nova", t.plus(Duration.ofDays(5)), prod, false);
    Retention rules = rules(1, null);
    rules.setFailedRunsHistoryLimit(0);
    Instant later = Instant.now().plus(Duration.ofHours(4));

    RetentionResult drPass =
        RetentionPass.run(
            store, NOVA, rules, BERLIN, later, LONGEST_RUN, false, java.util.Set.of(), dr);

    assertThat(drPass.keptIds()).containsExactly(drIds.get(2));
    assertThat(drPass.deleted()).containsExactlyInAnyOrder(drIds.get(1), drIds.get(0));
    assertThat(drPass.leftoversRemoved()).isEmpty();
    assertThat(folders(NOVA))
        .containsKeys(prodIds.get(0), prodIds.get(1), prodIds.get(2), prodFailed);
    assertThat(drPass.notOwned()).hasSize(4);

    RetentionResult prodPass =
        RetentionPass.run(
            store, NOVA, rules, BERLIN, later, LONGEST_RUN, false, java.util.Set.of(), prod);

    assertThat(prodPass.keptIds()).containsExactly(prodIds.get(2));
    assertThat(prodPass.leftoversRemoved()).containsExactly(prodFailed);
    assertThat(folders(NOVA)).containsOnlyKeys(prodIds.get(2), drIds.get(2));
  }

  private RetentionResult pass(String folder, Retention rules, boolean dryRun) {
    return RetentionPass.run(store, folder, rules, BERLIN, Instant.now(), LONGEST_RUN, dryRun);
  }

  private static Retention rules(Integer keepLast, String maxAge) {
    Retention r = new Retention();
    r.setKeepLast(keepLast);
    r.setMaxAge(maxAge);
    return r;
  }

  /** {@code days} successful backups, one a day ending an hour ago; ids oldest first. */
  private List<String> seedDaily(String folder, String policy, int days) throws IOException {
    List<String> ids = new ArrayList<>();
    Instant last = Instant.now().minus(Duration.ofHours(1));
    for (int i = days - 1; i >= 0; i--) {
      ids.add(seedBackup(folder, policy, last.minus(Duration.ofDays(i)), 0));
    }
    return ids;
  }

  /**
   * A successful backup: a dump, a files archive, a report, {@code extra} more dumps, and last the
   * manifest.
   */
  private String seedBackup(String folder, String policy, Instant startedAt, int extra)
      throws IOException {
    String id = policy + "-" + ID.format(startedAt);
    String f = folder + "/" + id + "/";
    store.putJson(f + "db/control-plane/nova.sql.gz", "dump");
    for (int i = 0; i < extra; i++) {
      store.putJson(f + "db/control-plane/db" + i + ".sql.gz", "dump");
    }
    store.putJson(f + "files/nova-config/compute-0.tar.gz", "archive");
    store.putJson(f + "reports/job.json", Map.of("ok", true));
    store.putJson(
        f + "manifest.json",
        new Manifest(
            Manifest.FORMAT_VERSION,
            id,
            "openstack",
            policy,
            id,
            "primary",
            bucket,
            folder + "/" + id,
            "gzip",
            startedAt,
            startedAt.plusSeconds(300),
            3,
            List.of()));
    return id;
  }

  /**
   * A backup written by {@code owner}: its marker first, a dump and a report, and with {@code
   * complete} its manifest naming the owner; without it, the leftover of a failed run. The id ends
   * in the owner's cluster, as two clusters sharing a folder never write the same id twice.
   */
  private String seedOwned(
      String folder, String policy, Instant startedAt, Owner owner, boolean complete)
      throws IOException {
    String id =
        policy
            + "-"
            + ID.format(startedAt)
            + "-"
            + Integer.toHexString(owner.clusterId().hashCode() & 0xfff);
    String f = folder + "/" + id + "/";
    store.putJson(f + "owner.json", new Owner.Marker(Owner.Marker.FORMAT_VERSION, owner, id, id));
    store.putJson(f + "db/control-plane/nova.sql.gz", "dump");
    store.putJson(f + "reports/job.json", Map.of("ok", complete));
    if (complete) {
      store.putJson(
          f + "manifest.json",
          new Manifest(
                  Manifest.FORMAT_VERSION,
                  id,
                  owner.namespace(),
                  policy,
                  id,
                  owner.store(),
                  bucket,
                  folder + "/" + id,
                  "gzip",
                  startedAt,
                  startedAt.plusSeconds(300),
                  4,
                  List.of())
              .withOwner(owner));
    }
    return id;
  }

  /** A failed run's folder: a dump and a report, no manifest. */
  private String seedLeftover(String folder, String policy, Instant startedAt) throws IOException {
    String id = policy + "-" + ID.format(startedAt);
    store.putJson(folder + "/" + id + "/db/control-plane/nova.sql.gz", "dump");
    store.putJson(folder + "/" + id + "/reports/job.json", Map.of("ok", false));
    return id;
  }

  /** The backup folders under {@code folder} with their keys, as the bucket lists them now. */
  private Map<String, List<String>> folders(String folder) throws IOException {
    Map<String, List<String>> out = new TreeMap<>();
    for (ObjectInfo o : store.list(folder + "/")) {
      String rest = o.key().substring(folder.length() + 1);
      out.computeIfAbsent(rest.substring(0, rest.indexOf('/')), k -> new ArrayList<>())
          .add(o.key());
    }
    return out;
  }

  /**
   * A {@link RetentionStore} that passes every request on; tests override one to record or fail it.
   */
  private static class Forwarding implements RetentionStore {
    private final RetentionStore store;

    Forwarding(RetentionStore store) {
      this.store = store;
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
      return store.list(prefix);
    }

    @Override
    public Optional<Manifest> manifest(String key) throws IOException {
      return store.manifest(key);
    }

    @Override
    public Optional<Owner.Marker> marker(String key) throws IOException {
      return store.marker(key);
    }

    @Override
    public void delete(Collection<String> keys) throws IOException {
      store.delete(keys);
    }

    @Override
    public List<String> incompleteUploads(String prefix) throws IOException {
      return store.incompleteUploads(prefix);
    }

    @Override
    public int abortIncompleteUploads(String prefix) throws IOException {
      return store.abortIncompleteUploads(prefix);
    }
  }
}
