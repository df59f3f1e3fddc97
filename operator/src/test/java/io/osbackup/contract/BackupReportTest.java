package io.osbackup.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's JSON: warnings are optional both ways. */
class BackupReportTest {

  private static final Instant T = Instant.parse("2026-11-21T02:00:05Z");

  @Test
  void noWarningsAreLeftOutOfTheJson() throws Exception {
    BackupReport report = new BackupReport("j", "t", "n", true, null, T, T, null, List.of());

    String json = Json.MAPPER.writeValueAsString(report);

    assertThat(report.warnings()).isEmpty();
    assertThat(json).doesNotContain("warnings").contains("\"startedAt\":\"2026-11-21T02:00:05Z\"");
  }

  @Test
  void warningsRoundTrip() throws Exception {
    BackupReport report =
        new BackupReport(
            "j", "t", "n", true, null, T, T, null, List.of(), List.of("skipped socket"));

    String json = Json.MAPPER.writeValueAsString(report);

    assertThat(json).contains("\"warnings\":[\"skipped socket\"]");
    assertThat(Json.MAPPER.readValue(json, BackupReport.class)).isEqualTo(report);
  }

  @Test
  void anArtifactIsBuiltFromWhatTheStoreReturned() {
    StoredArtifact stored = new StoredArtifact("k.sql.zst", 10, 40, "ab", Compression.ZSTD);

    assertThat(BackupReport.Artifact.of(stored, "nova", null))
        .isEqualTo(new BackupReport.Artifact("k.sql.zst", "nova", null, 10, 40, "ab", "zstd"));
    assertThat(BackupReport.Artifact.of(stored, null, 3L).files()).isEqualTo(3L);
  }

  @Test
  void anArtifactLeavesOutWhatItDoesNotHave() throws Exception {
    BackupReport.Artifact artifact = new BackupReport.Artifact("k", null, 3L, 1, 2, "ab", "none");

    assertThat(Json.MAPPER.writeValueAsString(artifact)).doesNotContain("database");
  }

  @Test
  void aReportWithoutWarningsReadsAsEmpty() throws Exception {
    BackupReport report =
        Json.MAPPER.readValue(
            "{\"jobName\":\"j\",\"succeeded\":true,\"artifacts\":[],\"future\":1}",
            BackupReport.class);

    assertThat(report.warnings()).isEmpty();
    assertThat(report.succeeded()).isTrue();
  }
}
