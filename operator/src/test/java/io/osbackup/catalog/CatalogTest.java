package io.osbackup.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.contract.Json;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.store.ObjectInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** Reading the backups of a namespace from the manifests in a bucket. */
class CatalogTest {

  /** A bucket in memory that counts listings and can fail them. */
  static final class MemoryShelf implements Catalog.Shelf {
    final TreeMap<String, byte[]> objects = new TreeMap<>();
    final List<String> listed = new ArrayList<>();
    boolean listingFails;

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
      listed.add(prefix);
      if (listingFails) {
        throw new IOException("connection reset");
      }
      return objects.entrySet().stream()
          .filter(e -> e.getKey().startsWith(prefix))
          .map(e -> new ObjectInfo(e.getKey(), e.getValue().length, "etag", Instant.EPOCH))
          .toList();
    }

    @Override
    public Optional<byte[]> read(String key) {
      return Optional.ofNullable(objects.get(key));
    }

    void put(String key, Object json) throws IOException {
      objects.put(key, Json.MAPPER.writeValueAsBytes(json));
    }
  }

  static Manifest manifest(String policy, String backupId, long... sizes) {
    List<Manifest.Entry> entries = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < sizes.length; i++) {
      String key = "prod/openstack/" + policy + "/" + backupId + "/db/galera/db" + i + ".sql.gz";
      entries.add(
          new Manifest.Entry(
              "database",
              "galera",
              "db" + i,
              null,
              key,
              sizes[i],
              sizes[i] * 3,
              "ab" + i,
              "gzip",
              null,
              null,
              Instant.parse("2026-11-21T02:00:01Z"),
              Instant.parse("2026-11-21T02:00:05Z"),
              List.of()));
      total += sizes[i];
    }
    return new Manifest(
        Manifest.FORMAT_VERSION,
        backupId,
        "openstack",
        policy,
        backupId,
        "primary",
        "openstack-backups",
        "prod/openstack/" + policy + "/" + backupId,
        "gzip",
        Instant.parse("2026-11-21T02:00:00Z"),
        Instant.parse("2026-11-21T02:00:06Z"),
        total,
        entries);
  }

  static String key(String policy, String backupId) {
    return "prod/openstack/" + policy + "/" + backupId + "/manifest.json";
  }

  @Test
  void findsEveryManifestOfTheNamespaceWithOneListing() throws Exception {
    MemoryShelf shelf = new MemoryShelf();
    shelf.put(
        key("daily", "daily-20261121-020000"), manifest("daily", "daily-20261121-020000", 10, 20));
    shelf.put(key("daily", "daily-20261122-020000"), manifest("daily", "daily-20261122-020000", 5));
    shelf.put(
        key("configs", "configs-20261121-030000"),
        manifest("configs", "configs-20261121-030000", 7));
    shelf.objects.put(
        "prod/openstack/daily/daily-20261121-020000/db/galera/db0.sql.gz", new byte[10]);
    shelf.objects.put(
        "prod/openstack/daily/daily-20261123-020000/reports/job.json", new byte[3]); // no manifest
    shelf.put("prod/other-ns/daily/daily-20261121-020000/manifest.json", manifest("daily", "x", 1));

    Catalog.Listing listing = new Catalog(shelf).read("prod", "openstack");

    assertThat(shelf.listed).containsExactly("prod/openstack/");
    assertThat(listing.skipped()).isEmpty();
    assertThat(listing.backups())
        .extracting(Catalog.Backup::backupId)
        .containsExactly(
            "configs-20261121-030000", "daily-20261121-020000", "daily-20261122-020000");
    assertThat(listing.bytes()).isEqualTo(42);
    Catalog.Backup first = listing.backups().get(1);
    assertThat(first.policy()).isEqualTo("daily");
    assertThat(first.folder()).isEqualTo("prod/openstack/daily/daily-20261121-020000");
    assertThat(first.key()).isEqualTo(key("daily", "daily-20261121-020000"));
    assertThat(first.completedAt()).isEqualTo(Instant.parse("2026-11-21T02:00:06Z"));
    assertThat(first.manifest().artifacts()).hasSize(2);
  }

  @Test
  void anEmptyPrefixListsTheNamespaceFolderAtTheRoot() throws Exception {
    MemoryShelf shelf = new MemoryShelf();
    shelf.put("openstack/daily/daily-1/manifest.json", manifest("daily", "daily-1", 1));
    Catalog.Listing listing = new Catalog(shelf).read(null, "openstack");
    assertThat(shelf.listed).containsExactly("openstack/");
    assertThat(listing.backups())
        .extracting(Catalog.Backup::folder)
        .containsExactly("openstack/daily/daily-1");
  }

  @Test
  void manifestsThatCannotBeUsedAreSkippedNamingTheirKeyAndWhy() throws Exception {
    MemoryShelf shelf = new MemoryShelf();
    shelf.put(key("daily", "good"), manifest("daily", "good", 1));
    shelf.objects.put(
        key("daily", "truncated"),
        "{\"formatVersion\": 1, \"backupId\": \"trun".getBytes(StandardCharsets.UTF_8));
    shelf.put(key("daily", "elsewhere"), manifest("daily", "copied-from-another-folder", 1));
    shelf.put(
        key("daily", "future"),
        Map.of("formatVersion", 99, "backupId", "future", "policy", "daily"));
    shelf.put("prod/openstack/daily/too/deep/manifest.json", manifest("daily", "deep", 1));

    Catalog.Listing listing = new Catalog(shelf).read("prod", "openstack");

    assertThat(listing.backups()).extracting(Catalog.Backup::backupId).containsExactly("good");
    Map<String, String> skipped =
        listing.skipped().stream()
            .collect(Collectors.toMap(Catalog.Skipped::key, Catalog.Skipped::problem));
    assertThat(skipped).hasSize(4);
    assertThat(skipped.get(key("daily", "truncated")))
        .startsWith("is not a valid manifest: ")
        .doesNotContain("\n");
    assertThat(skipped.get(key("daily", "elsewhere")))
        .isEqualTo(
            "describes backup 'copied-from-another-folder' of policy 'daily', not the folder it lies in");
    assertThat(skipped.get(key("daily", "future"))).startsWith("has format version 99");
    assertThat(skipped.get("prod/openstack/daily/too/deep/manifest.json"))
        .isEqualTo("is not at prod/openstack/<policy>/<backupId>/manifest.json");
  }

  @Test
  void aFailedListingThrowsSoNothingIsTakenForTheWhole() {
    MemoryShelf shelf = new MemoryShelf();
    shelf.listingFails = true;
    assertThatThrownBy(() -> new Catalog(shelf).read("prod", "openstack"))
        .hasMessageContaining("connection reset");
  }

  @Test
  void aManifestDeletedBetweenListingAndReadingIsLeftOut() throws Exception {
    MemoryShelf shelf = new MemoryShelf();
    shelf.put(key("daily", "a"), manifest("daily", "a", 1));
    Catalog.Shelf vanishing =
        new Catalog.Shelf() {
          @Override
          public List<ObjectInfo> list(String prefix) throws IOException {
            return shelf.list(prefix);
          }

          @Override
          public Optional<byte[]> read(String key) {
            return Optional.empty();
          }
        };
    Catalog.Listing listing = new Catalog(vanishing).read("prod", "openstack");
    assertThat(listing.backups()).isEmpty();
    assertThat(listing.skipped()).isEmpty();
  }

  @Test
  void theCatalogChecksEachSignatureListsUnsignedOnesMarkedAndSkipsRewrittenOnes()
      throws Exception {
    SigningKeys keys =
        SigningKeys.forSigning(
            Map.of("k1", "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8)),
            "Secret 's'");
    MemoryShelf shelf = new MemoryShelf();
    for (String id : List.of("signed", "rewritten", "moved")) {
      shelf.put(key("daily", id), manifest("daily", id, 1));
      shelf.objects.put(
          key("daily", id).replace("manifest.json", "manifest.sig"),
          keys.signatureObject(shelf.objects.get(key("daily", id))));
    }
    shelf.put(key("daily", "unsigned"), manifest("daily", "unsigned", 1));
    // someone with only the agents' key rewrites a manifest: same backup, another checksum
    shelf.put(key("daily", "rewritten"), manifest("daily", "rewritten", 2));
    // a signed manifest copied into another backup's folder under its name
    Manifest moved = manifest("daily", "moved", 1);
    byte[] elsewhere =
        Json.MAPPER.writeValueAsBytes(
            new Manifest(
                1,
                "moved",
                "openstack",
                "daily",
                "moved",
                "primary",
                "openstack-backups",
                "prod/openstack/daily/other",
                "gzip",
                moved.startedAt(),
                moved.completedAt(),
                1,
                moved.artifacts()));
    shelf.objects.put(key("daily", "moved"), elsewhere);
    shelf.objects.put(
        key("daily", "moved").replace("manifest.json", "manifest.sig"),
        keys.signatureObject(elsewhere));

    Catalog.Listing listing = new Catalog(shelf, keys).read("prod", "openstack");

    Map<String, SignatureCheck.Outcome> found =
        listing.backups().stream()
            .collect(Collectors.toMap(Catalog.Backup::backupId, b -> b.signature().outcome()));
    assertThat(found)
        .containsOnly(
            Map.entry("signed", SignatureCheck.Outcome.VERIFIED),
            Map.entry("unsigned", SignatureCheck.Outcome.UNSIGNED));
    assertThat(listing.skipped())
        .extracting(Catalog.Skipped::key, Catalog.Skipped::reason)
        .containsExactlyInAnyOrder(
            Tuple.tuple(key("daily", "moved"), "ManifestSignatureInvalid"),
            Tuple.tuple(key("daily", "rewritten"), "ManifestSignatureInvalid"));
    assertThat(listing.skipped())
        .extracting(Catalog.Skipped::problem)
        .anySatisfy(p -> assertThat(p).contains("changed after the operator wrote it"))
        .anySatisfy(p -> assertThat(p).contains("signed for folder prod/openstack/daily/other"));
  }

  @Test
  void backupsOfAnotherClusterOrStoreAreForeignNotOurs() throws Exception {
    Owner prod = new Owner("prod", "openstack", "primary", "uid-p");
    Owner dr = new Owner("dr", "openstack", "primary", "uid-d");
    MemoryShelf shelf = new MemoryShelf();
    shelf.put(
        key("daily", "daily-20261121-020000"),
        manifest("daily", "daily-20261121-020000", 1).withOwner(prod));
    shelf.put(
        key("daily", "daily-20261122-020000"),
        manifest("daily", "daily-20261122-020000", 1).withOwner(dr));
    // written before owners existed: ours when its store is ours and no marker says otherwise
    shelf.put(key("daily", "daily-20261120-020000"), manifest("daily", "daily-20261120-020000", 1));
    shelf.put(key("daily", "daily-20261119-020000"), manifest("daily", "daily-20261119-020000", 1));
    shelf.put(
        "prod/openstack/daily/daily-20261119-020000/owner.json",
        new Owner.Marker(1, dr, "daily-20261119-020000", "daily-20261119-020000"));
    Manifest otherStore = manifest("daily", "daily-20261118-020000", 1);
    shelf.put(
        key("daily", "daily-20261118-020000"),
        new Manifest(
            otherStore.formatVersion(),
            otherStore.backupId(),
            "openstack",
            "daily",
            otherStore.run(),
            "secondary",
            otherStore.bucket(),
            otherStore.folder(),
            "gzip",
            otherStore.startedAt(),
            otherStore.completedAt(),
            1,
            otherStore.artifacts()));

    Catalog.Listing asProd = new Catalog(shelf).read("prod", "openstack", prod);
    Catalog.Listing asDr = new Catalog(shelf).read("prod", "openstack", dr);

    assertThat(asProd.backups())
        .extracting(Catalog.Backup::backupId)
        .containsExactlyInAnyOrder("daily-20261121-020000", "daily-20261120-020000");
    assertThat(asProd.foreign())
        .extracting(Catalog.Backup::backupId)
        .containsExactlyInAnyOrder(
            "daily-20261122-020000", "daily-20261119-020000", "daily-20261118-020000");
    assertThat(asDr.backups())
        .extracting(Catalog.Backup::backupId)
        .containsExactlyInAnyOrder(
            "daily-20261122-020000", "daily-20261120-020000", "daily-20261119-020000");
    assertThat(new Catalog(shelf).read("prod", "openstack").backups())
        .as("no owner given: the CLI sees all")
        .hasSize(5);
  }
}
