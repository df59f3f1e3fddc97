package io.osbackup.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.contract.BackupReport;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The draft keeps a bounded list of warnings. */
class ReportDraftTest {

  private final ReportDraft draft = new ReportDraft(a -> {});

  @Test
  void noWarningsIsAnEmptyList() {
    assertThat(draft.warnings()).isEmpty();
  }

  @Test
  void keepsFiftyWarningsAndCountsTheRest() {
    for (int i = 0; i < 53; i++) {
      draft.warning("warning " + i);
    }

    List<String> warnings = draft.warnings();
    assertThat(warnings).hasSize(BackupReport.MAX_WARNINGS + 1);
    assertThat(warnings.get(0)).isEqualTo("warning 0");
    assertThat(warnings.get(49)).isEqualTo("warning 49");
    assertThat(warnings.get(50)).isEqualTo("and 3 more warnings");
  }

  @Test
  void oneMoreIsSingular() {
    for (int i = 0; i < 51; i++) {
      draft.warning("w");
    }

    assertThat(draft.warnings()).last().isEqualTo("and 1 more warning");
  }

  @Test
  void warningsAreRedactedBeforeTheyAreCutOrShown() {
    List<String> shown = new ArrayList<>();
    ReportDraft redacting =
        new ReportDraft(a -> {}, text -> text.replace("s3cret", "***"), shown::add);

    redacting.warning("x".repeat(296) + "s3cret");

    assertThat(redacting.warnings()).containsExactly("x".repeat(296) + "***");
    assertThat(shown).containsExactly("x".repeat(296) + "***");
  }

  @Test
  void longWarningsAreCut() {
    draft.warning("x".repeat(1000));
    draft.warning("x".repeat(298) + "😀😀");

    assertThat(draft.warnings().get(0)).hasSize(BackupReport.MAX_WARNING_LENGTH).endsWith("x…");
    assertThat(draft.warnings().get(1)).isEqualTo("x".repeat(298) + "…");
  }
}
