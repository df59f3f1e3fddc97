package io.osbackup.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Item states travel between agent and operator as the words reports have always held. */
class RestoreReportTest {

  @Test
  void anItemStateIsWrittenAsItsWord() throws Exception {
    RestoreReport report =
        new RestoreReport(
            "r-db",
            true,
            null,
            null,
            null,
            null,
            List.of(new RestoreReport.Item("k", "db:3306/nova", ItemState.RESTORED, null, null)),
            null,
            null);

    String json = Json.MAPPER.writeValueAsString(report);

    assertThat(json).contains("\"state\":\"Restored\"");
    assertThat(Json.MAPPER.readValue(json, RestoreReport.class)).isEqualTo(report);
  }

  @Test
  void aReportWrittenBeforeTheEnumStillReads() throws Exception {
    String old =
        "{\"jobName\":\"r-verify\",\"succeeded\":false,\"items\":["
            + "{\"key\":\"a\",\"state\":\"Verified\"},{\"key\":\"b\",\"state\":\"Failed\"},"
            + "{\"key\":\"c\",\"state\":\"Skipped\"},{\"key\":\"d\",\"state\":\"Restored\"}]}";

    RestoreReport report = Json.MAPPER.readValue(old, RestoreReport.class);

    assertThat(report.items())
        .extracting(RestoreReport.Item::state)
        .containsExactly(
            ItemState.VERIFIED, ItemState.FAILED, ItemState.SKIPPED, ItemState.RESTORED);
  }

  @Test
  void anUnknownStateIsRefused() {
    assertThatThrownBy(() -> ItemState.of("Done")).hasMessageContaining("unknown item state");
    assertThat(ItemState.of("Pending")).isEqualTo(ItemState.PENDING);
  }
}
