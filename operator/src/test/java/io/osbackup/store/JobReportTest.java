package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's JSON: warnings are optional both ways. */
class JobReportTest {

  private static final Instant T = Instant.parse("2026-11-21T02:00:05Z");

  @Test
  void noWarningsAreLeftOutOfTheJson() throws Exception {
    JobReport report = new JobReport("j", "t", "n", true, null, T, T, null, List.of());

    String json = Json.MAPPER.writeValueAsString(report);

    assertThat(report.warnings()).isEmpty();
    assertThat(json).doesNotContain("warnings").contains("\"startedAt\":\"2026-11-21T02:00:05Z\"");
  }

  @Test
  void warningsRoundTrip() throws Exception {
    JobReport report =
        new JobReport("j", "t", "n", true, null, T, T, null, List.of(), List.of("skipped socket"));

    String json = Json.MAPPER.writeValueAsString(report);

    assertThat(json).contains("\"warnings\":[\"skipped socket\"]");
    assertThat(Json.MAPPER.readValue(json, JobReport.class)).isEqualTo(report);
  }

  @Test
  void anArtifactIsBuiltFromWhatTheStoreReturned() {
    StoredArtifact stored = new StoredArtifact("k.sql.zst", 10, 40, "ab", Compression.ZSTD);

    assertThat(JobReport.Artifact.of(stored, "nova", null))
        .isEqualTo(new JobReport.Artifact("k.sql.zst", "nova", null, 10, 40, "ab", "zstd"));
    assertThat(JobReport.Artifact.of(stored, null, 3L).files()).isEqualTo(3L);
  }

  @Test
  void anArtifactLeavesOutWhatItDoesNotHave() throws Exception {
    JobReport.Artifact artifact = new JobReport.Artifact("k", null, 3L, 1, 2, "ab", "none");

    assertThat(Json.MAPPER.writeValueAsString(artifact)).doesNotContain("database");
  }

  @Test
  void aReportWithoutWarningsReadsAsEmpty() throws Exception {
    JobReport report =
        Json.MAPPER.readValue(
            "{\"jobName\":\"j\",\"succeeded\":true,\"artifacts\":[],\"future\":1}",
            JobReport.class);

    assertThat(report.warnings()).isEmpty();
    assertThat(report.succeeded()).isTrue();
  }
}
