package io.osbackup.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.contract.Json;
import io.osbackup.contract.Manifest;
import io.osbackup.store.ObjectInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackupFinderTest {

  /** A bucket held in memory, with the time each object was written. */
  static final class Shelf implements Catalog.Shelf {
    final Map<String, byte[]> objects = new LinkedHashMap<>();
    final Map<String, Instant> written = new LinkedHashMap<>();
    int reads;

    void backup(String policy, String id, Instant completed) throws IOException {
      String key = "prod/openstack/" + policy + "/" + id + "/manifest.json";
      Manifest m =
          new Manifest(
              1,
              id,
              "openstack",
              policy,
              id,
              "primary",
              "b",
              "prod/openstack/" + policy + "/" + id,
              "gzip",
              completed.minusSeconds(60),
              completed,
              1,
              List.of());
      objects.put(key, Json.MAPPER.writeValueAsBytes(m));
      written.put(key, completed.plusSeconds(1));
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
      List<ObjectInfo> out = new ArrayList<>();
      objects.forEach(
          (k, v) -> {
            if (k.startsWith(prefix)) {
              out.add(new ObjectInfo(k, v.length, "e", written.get(k)));
            }
          });
      return out;
    }

    @Override
    public Optional<byte[]> read(String key) {
      reads++;
      return Optional.ofNullable(objects.get(key));
    }
  }

  static final Instant T = Instant.parse("2026-11-20T02:00:00Z");

  @Test
  void asOfPicksTheNewestBackupCompletedAtOrBeforeTheTime() throws Exception {
    Shelf shelf = new Shelf();
    for (int day = 0; day < 30; day++) {
      shelf.backup("cp", "cp-day-" + day, T.plusSeconds(86400L * day));
    }
    shelf.backup("other", "other-late", T.plusSeconds(86400L * 10 + 5));
    BackupFinder finder = new BackupFinder(shelf, "prod", "openstack");
    assertThat(finder.asOf("cp", T.plusSeconds(86400L * 10 + 3600)).backupId())
        .isEqualTo("cp-day-10");
    assertThat(finder.asOf("cp", T.plusSeconds(86400L * 10)).backupId()).isEqualTo("cp-day-10");
    assertThat(finder.asOf("cp", T.plusSeconds(86400L * 10 - 1)).backupId()).isEqualTo("cp-day-9");
    shelf.reads = 0;
    finder.asOf("cp", T.plusSeconds(86400L * 10 + 3600));
    assertThat(shelf.reads).as("manifests read for one lookup among 30").isLessThanOrEqualTo(3);
  }

  @Test
  void asOfBeforeTheFirstBackupNamesTheOldest() throws Exception {
    Shelf shelf = new Shelf();
    shelf.backup("cp", "cp-first", T);
    shelf.backup("cp", "cp-second", T.plusSeconds(86400));
    BackupFinder finder = new BackupFinder(shelf, "prod", "openstack");
    assertThatThrownBy(() -> finder.asOf("cp", T.minusSeconds(1)))
        .isInstanceOfSatisfying(
            BackupFinder.NotFound.class,
            e -> {
              assertThat(e.reason()).isEqualTo("AsOfBeforeFirstBackup");
              assertThat(e.getMessage()).contains("cp-first").contains("source.asOf");
            });
    assertThatThrownBy(() -> finder.asOf("nothing", T))
        .isInstanceOfSatisfying(
            BackupFinder.NotFound.class, e -> assertThat(e.reason()).isEqualTo("NoBackups"));
  }

  @Test
  void byIdFindsTheBackupInWhicheverPolicyHoldsIt() throws Exception {
    Shelf shelf = new Shelf();
    shelf.backup("cp", "cp-1", T);
    shelf.backup("cp", "shared-id", T);
    shelf.backup("other", "shared-id", T);
    BackupFinder finder = new BackupFinder(shelf, "prod", "openstack");
    assertThat(finder.byId(null, "cp-1").policy()).isEqualTo("cp");
    assertThat(finder.byId("other", "shared-id").policy()).isEqualTo("other");
    assertThatThrownBy(() -> finder.byId(null, "shared-id"))
        .hasMessageContaining("source.policyRef");
    assertThatThrownBy(() -> finder.byId(null, "missing")).hasMessageContaining("source.backupId");
  }

  @Test
  void asOfAcceptsRfc3339TimesAndAges() {
    Instant now = Instant.parse("2026-11-21T12:00:00Z");
    assertThat(BackupFinder.parseAsOf("2026-11-20T00:00:00Z", now))
        .isEqualTo("2026-11-20T00:00:00Z");
    assertThat(BackupFinder.parseAsOf("2026-11-20T09:00:00+09:00", now))
        .isEqualTo("2026-11-20T00:00:00Z");
    assertThat(BackupFinder.parseAsOf("10d", now)).isEqualTo("2026-11-11T12:00:00Z");
    assertThat(BackupFinder.parseAsOf("12h", now)).isEqualTo("2026-11-21T00:00:00Z");
    assertThat(BackupFinder.parseAsOf("30m", now)).isEqualTo("2026-11-21T11:30:00Z");
    assertThat(BackupFinder.parseAsOf("2w", now)).isEqualTo("2026-11-07T12:00:00Z");
    assertThatThrownBy(() -> BackupFinder.parseAsOf("yesterday", now))
        .hasMessageContaining("RFC 3339")
        .hasMessageContaining("10d");
  }
}
