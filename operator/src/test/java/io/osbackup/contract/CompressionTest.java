package io.osbackup.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Compression names and key suffixes. */
class CompressionTest {

  @Test
  void parsesSpecValuesCaseInsensitivelyAndDefaultsToGzip() {
    assertThat(Compression.of("zstd")).isEqualTo(Compression.ZSTD);
    assertThat(Compression.of("GZIP")).isEqualTo(Compression.GZIP);
    assertThat(Compression.of("none")).isEqualTo(Compression.NONE);
    assertThat(Compression.of(null)).isEqualTo(Compression.GZIP);
    assertThat(Compression.of(" ")).isEqualTo(Compression.GZIP);
  }

  @Test
  void unknownValueNamesTheChoices() {
    assertThatThrownBy(() -> Compression.of("bzip2"))
        .hasMessage("unknown compression 'bzip2': use gzip, zstd or none");
  }

  @Test
  void suffixes() {
    assertThat(Compression.GZIP.suffix()).isEqualTo(".gz");
    assertThat(Compression.ZSTD.suffix()).isEqualTo(".zst");
    assertThat(Compression.NONE.suffix()).isEmpty();
  }
}
