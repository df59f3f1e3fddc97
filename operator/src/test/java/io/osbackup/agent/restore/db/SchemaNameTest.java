package io.osbackup.agent.restore.db;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Names of the staging and keep schemas beside a database. */
class SchemaNameTest {

  @Test
  void shortNamesAreDatabaseUnderscoreSuffix() {
    assertThat(SchemaName.of("nova", "osbr_staging")).isEqualTo("nova_osbr_staging");
    assertThat(SchemaName.of("cell-1", "orig_20261121_031500"))
        .isEqualTo("cell-1_orig_20261121_031500");
  }

  @Test
  void exactly64CharactersStayAsTheyAre() {
    String db = "d".repeat(64 - "_osbr_staging".length());
    assertThat(SchemaName.of(db, "osbr_staging")).hasSize(64).isEqualTo(db + "_osbr_staging");
  }

  @Test
  void longerNamesAreCutWithAHashAndKeepTheSuffix() {
    String a = "a".repeat(60);
    String b = "a".repeat(59) + "b";

    String nameA = SchemaName.of(a, "orig_20261121_031500");
    String nameB = SchemaName.of(b, "orig_20261121_031500");

    assertThat(nameA).hasSize(64).endsWith("_orig_20261121_031500").startsWith("aaaa");
    assertThat(nameA).matches("a{34}_[0-9a-f]{8}_orig_20261121_031500");
    assertThat(nameB).hasSize(64).isNotEqualTo(nameA);
    assertThat(SchemaName.of(a, "orig_20261121_031500")).isEqualTo(nameA);
  }

  @Test
  void cuttingNeverSplitsACharacter() {
    String db = "🚀".repeat(60); // 60 characters, 120 UTF-16 units

    String name = SchemaName.of(db, "osbr_staging");

    assertThat(name.codePointCount(0, name.length())).isEqualTo(64);
    assertThat(name).startsWith("🚀".repeat(42) + "_").endsWith("_osbr_staging");
  }

  @Test
  void anOverlongSuffixIsCutToo() {
    String name = SchemaName.of("nova", "x".repeat(70));

    assertThat(name).hasSize(64).startsWith("nova_xxx").matches(".*_[0-9a-f]{8}");
  }
}
