package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Part sizes and the size cap of an upload, as pure arithmetic. */
class UploadLimitsTest {

  private static final long MIB = 1L << 20;

  @Test
  void defaultsFitEveryStoreAndHoldAtMost128MiBPerUpload() {
    UploadLimits limits = UploadLimits.DEFAULT;

    assertThat(limits.maxParts()).isEqualTo(1000);
    assertThat(limits.firstPartSize(0)).isEqualTo(32 * MIB);
    assertThat(limits.capacity(32 * MIB))
        .isEqualTo(64_000 * MIB); // 500x32 + 250x64 + 250x128: 62.5 GiB
    assertThat(limits.capacity(128 * MIB)).isEqualTo(128_000 * MIB); // 125 GiB
    for (int n = 1; n <= 1000; n++) {
      assertThat(limits.partSize(n, 32 * MIB)).isBetween(32 * MIB, 128 * MIB);
    }
  }

  @Test
  void partsDoubleEachTimeHalfOfThePartsLeftAreUsed() {
    UploadLimits limits = new UploadLimits(32 * MIB, 128 * MIB, 4, UploadLimits.Retries.DEFAULT);

    assertThat(limits.partSize(1, 32 * MIB)).isEqualTo(32 * MIB);
    assertThat(limits.partSize(2, 32 * MIB)).isEqualTo(32 * MIB);
    assertThat(limits.partSize(3, 32 * MIB)).isEqualTo(64 * MIB);
    assertThat(limits.partSize(4, 32 * MIB)).isEqualTo(128 * MIB);
    assertThat(limits.capacity(32 * MIB)).isEqualTo(256 * MIB);
  }

  @Test
  void anExpectedSizeSetsTheFirstPartWithAQuarterOfHeadroom() {
    UploadLimits limits = UploadLimits.DEFAULT;

    assertThat(limits.firstPartSize(10 * MIB)).isEqualTo(32 * MIB); // never below partSize
    assertThat(limits.firstPartSize(80_000 * MIB)).isEqualTo(100 * MIB); // 100,000 MiB / 1000
    assertThat(limits.firstPartSize(1_000_000 * MIB))
        .isEqualTo(128 * MIB); // never above maxPartSize
    assertThat(limits.withMaxParts(10_000).firstPartSize(80_000 * MIB)).isEqualTo(32 * MIB);
  }

  @Test
  void theLimitIsDescribedWithHowToRaiseIt() {
    assertThat(UploadLimits.DEFAULT.describe(32 * MIB))
        .startsWith("1000 parts of at most 128 MiB (starting at 32 MiB: 64000 MiB in all)")
        .contains("spec.s3.maxUploadParts")
        .contains("max_upload_part_num");
  }
}
