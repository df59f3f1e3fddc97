package io.osbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreSpec;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.operator.reconcile.Outcome.Notice;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.operator.store.StoreDecision.Decision;
import io.osbackup.operator.store.StoreDecision.State;
import io.osbackup.operator.store.StoreObservation.Answer;
import io.osbackup.operator.store.StoreObservation.CatalogRead;
import io.osbackup.operator.store.StoreObservation.Probe;
import io.osbackup.operator.store.StoreObservation.SigningKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The store's decision with recorded observations: probe answers, credentials, overlap with another
 * store, the catalog plan, signing and the probe interval. No Kubernetes, no S3.
 */
class StoreDecisionTest {

  static final Timings TIMINGS = Timings.defaults();
  static final Instant NOW = Instant.parse("2026-11-02T02:00:00Z");
  static final SigningKey KEY = new SigningKey("primary-signing", true, false, "k1", 1, null, null);

  static BackupStore store(String extra) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: primary, namespace: openstack, uid: u1, generation: 1}
        spec:
          s3: {endpoint: "http://s3:9000", bucket: backups, prefix: prod, credentialsSecret: {name: s3}}
        """
            + extra.indent(2),
        BackupStore.class);
  }

  static Catalog.Backup backup(String id) {
    return new Catalog.Backup(
        "prod/openstack/nightly/" + id + "/manifest.json",
        "nightly",
        id,
        "prod/openstack/nightly/" + id,
        10,
        NOW,
        null,
        null);
  }

  static StoreObservation seen(
      Probe probe, Optional<String> overlap, Optional<CatalogRead> catalog) {
    return new StoreObservation(probe, overlap, catalog, KEY, Set.of());
  }

  static StoreObservation reachable(Catalog.Listing listing, List<BackupRun> runs) {
    return seen(Probe.reachable(), Optional.empty(), Optional.of(CatalogRead.read(listing, runs)));
  }

  static String available(BackupStore store) {
    return store
        .getStatus()
        .condition(BackupStoreStatus.AVAILABLE)
        .map(c -> c.getStatus() + "/" + c.getReason())
        .orElse("none");
  }

  static Optional<Notice> notice(Decision d, String reason) {
    return d.outcome().notices().stream().filter(n -> n.reason().equals(reason)).findFirst();
  }

  @Test
  void aReachableBucketMakesTheStoreAvailableAndPlansRunsForBackupsWithoutOne() {
    BackupStore store = store("probeIntervalSeconds: 600");
    BackupRun existing = FoundBackups.runFor(backup("b1"), "openstack", "primary");
    Catalog.Listing listing = new Catalog.Listing(List.of(backup("b1"), backup("b2")), List.of());

    Decision d = StoreDecision.decide(store, reachable(listing, List.of(existing)), NOW, TIMINGS);

    assertThat(d.state()).isEqualTo(State.AVAILABLE);
    assertThat(available(store)).isEqualTo("True/ProbeSucceeded");
    assertThat(notice(d, "Available")).get().extracting(Notice::warning).isEqualTo(false);
    assertThat(d.catalog().get().toCreate())
        .extracting(r -> r.run().getMetadata().getName())
        .containsExactly("b2");
    assertThat(store.getStatus().getLastProbeTime()).isEqualTo(NOW.toString());
    assertThat(d.outcome().lookAgainAfter()).contains(Duration.ofSeconds(600));

    StoreDecision.synced(store, listing, 1, NOW);
    assertThat(store.getStatus().getBackups()).isEqualTo(2L);
    assertThat(store.getStatus().getBytes()).isEqualTo(20L);
    assertThat(store.getStatus().condition(BackupStoreStatus.CATALOG_SYNCED).get().getMessage())
        .contains("2 backups, 20 bytes under prod/openstack")
        .contains("1 BackupRuns created");

    // Still available at the next probe: no second Available Event.
    Decision again = StoreDecision.decide(store, reachable(listing, List.of()), NOW, TIMINGS);
    assertThat(notice(again, "Available")).isEmpty();
  }

  @Test
  void aRefusedProbeMakesTheStoreUnavailableWithItsReasonAndProbesSooner() {
    BackupStore store = store("");
    Probe refused = new Probe(Answer.REFUSED, "BucketNotFound", "bucket backups does not exist");

    Decision d =
        StoreDecision.decide(
            store, seen(refused, Optional.empty(), Optional.empty()), NOW, TIMINGS);

    assertThat(d.state()).isEqualTo(State.UNREACHABLE);
    assertThat(available(store)).isEqualTo("False/BucketNotFound");
    assertThat(notice(d, "BucketNotFound"))
        .get()
        .satisfies(n -> assertThat(n.warning()).isTrue())
        .satisfies(n -> assertThat(n.message()).isEqualTo("bucket backups does not exist"));
    assertThat(d.catalog()).isEmpty();
    assertThat(d.outcome().lookAgainAfter()).contains(TIMINGS.storeUnavailable());
    Probe failed = new Probe(Answer.FAILED, "ProbeFailed", "probing bucket failed: refused");
    assertThat(
            StoreDecision.decide(
                    store, seen(failed, Optional.empty(), Optional.empty()), NOW, TIMINGS)
                .state())
        .isEqualTo(State.UNREACHABLE);
    assertThat(available(store)).isEqualTo("False/ProbeFailed");
  }

  @Test
  void aCredentialsProblemIsTheReasonTheStoreIsUnavailable() {
    BackupStore store = store("");
    Probe missing = new Probe(Answer.CREDENTIALS, "SecretNotFound", "Secret s3 does not exist");

    Decision d =
        StoreDecision.decide(
            store,
            seen(missing, Optional.of("overlaps openstack/other"), Optional.empty()),
            NOW,
            TIMINGS);

    assertThat(d.state()).isEqualTo(State.CREDENTIALS_PROBLEM);
    assertThat(available(store))
        .as("the store's own problem is told before an overlap")
        .isEqualTo("False/SecretNotFound");
    assertThat(notice(d, "SecretNotFound")).isPresent();
  }

  @Test
  void aStoreOverlappingAnotherIsUnavailableNamingBothAndSyncsNoCatalog() {
    BackupStore primary = store("");
    primary.getMetadata().setCreationTimestamp("2026-11-01T00:00:00Z");
    BackupStore copy = store("");
    copy.getMetadata().setName("copy");
    copy.getMetadata().setUid("u2");
    copy.getMetadata().setCreationTimestamp("2026-11-02T00:00:00Z");
    Optional<String> overlap = StoreOverlap.overlap(copy, List.of(primary, copy));
    assertThat(overlap).isPresent();

    Decision d =
        StoreDecision.decide(
            copy, seen(Probe.reachable(), overlap, Optional.empty()), NOW, TIMINGS);

    assertThat(d.state()).isEqualTo(State.OVERLAPPING);
    assertThat(available(copy)).isEqualTo("False/" + BackupStoreStatus.PREFIX_OVERLAP);
    assertThat(copy.getStatus().condition(BackupStoreStatus.AVAILABLE).get().getMessage())
        .contains("openstack/copy")
        .contains("openstack/primary");
    assertThat(d.catalog()).isEmpty();
    assertThat(notice(d, BackupStoreStatus.PREFIX_OVERLAP)).isPresent();
  }

  @Test
  void aCatalogThatCannotBeReadSaysSoOnceAndCreatesNothing() {
    BackupStore store = store("");
    StoreObservation seen =
        seen(
            Probe.reachable(),
            Optional.empty(),
            Optional.of(CatalogRead.failed("AccessDenied", "could not read the backups")));

    Decision d = StoreDecision.decide(store, seen, NOW, TIMINGS);

    assertThat(d.state()).isEqualTo(State.AVAILABLE);
    assertThat(d.catalog()).isEmpty();
    assertThat(store.getStatus().condition(BackupStoreStatus.CATALOG_SYNCED).get().getReason())
        .isEqualTo("AccessDenied");
    assertThat(notice(d, "CatalogSyncFailed")).isPresent();
    assertThat(notice(StoreDecision.decide(store, seen, NOW, TIMINGS), "CatalogSyncFailed"))
        .isEmpty();
  }

  @Test
  void skippedManifestsAreToldOnceAcrossSyncs() {
    BackupStore store = store("");
    Catalog.Listing listing =
        new Catalog.Listing(List.of(), List.of(new Catalog.Skipped("k/manifest.json", "is bad")));
    Decision first = StoreDecision.decide(store, reachable(listing, List.of()), NOW, TIMINGS);
    assertThat(notice(first, "ManifestInvalid")).isPresent();
    assertThat(first.catalog().get().problems()).containsExactly("k/manifest.json");

    StoreObservation told =
        new StoreObservation(
            Probe.reachable(),
            Optional.empty(),
            Optional.of(CatalogRead.read(listing, List.of())),
            KEY,
            Set.of("k/manifest.json"));
    assertThat(notice(StoreDecision.decide(store, told, NOW, TIMINGS), "ManifestInvalid"))
        .isEmpty();
  }

  @Test
  void theProbeIntervalIsTheSpecsOrTheDefaultAndShorterWhileUnavailable() {
    BackupStore store = store("");
    store.getSpec().setProbeIntervalSeconds(null);
    assertThat(StoreDecision.probeInterval(store, true, TIMINGS))
        .isEqualTo(Duration.ofSeconds(BackupStoreSpec.DEFAULT_PROBE_INTERVAL_SECONDS));
    assertThat(StoreDecision.probeInterval(store, false, TIMINGS))
        .isEqualTo(TIMINGS.storeUnavailable());
    store.getSpec().setProbeIntervalSeconds(30);
    assertThat(StoreDecision.probeInterval(store, false, TIMINGS))
        .as("already sooner than the unavailable delay")
        .isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void signingAndAgentCredentialsAreConditions() {
    BackupStore store = store("");
    StoreObservation badKey =
        new StoreObservation(
            new Probe(Answer.REFUSED, "AccessDenied", "denied"),
            Optional.empty(),
            Optional.empty(),
            new SigningKey("primary-signing", false, false, null, 0, "SigningKeyInvalid", "bad"),
            Set.of());

    Decision d = StoreDecision.decide(store, badKey, NOW, TIMINGS);

    assertThat(store.getStatus().condition(BackupStoreStatus.MANIFEST_SIGNING).get().getStatus())
        .isEqualTo("False");
    assertThat(notice(d, "SigningKeyInvalid").get().message())
        .isEqualTo("bad; no backup runs until it is fixed");
    assertThat(store.getStatus().getSigningKeySecret()).isEqualTo("primary-signing");
    assertThat(notice(d, "SharedWithOperator")).isPresent();
    assertThat(store.getStatus().condition(BackupStoreStatus.AGENT_CREDENTIALS).get().getStatus())
        .isEqualTo("False");
  }
}
