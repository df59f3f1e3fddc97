package io.osbackup.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What once mode prints last: each run and restore, its outcome, artifacts, sizes and where they
 * are.
 */
class LocalSummaryTest {

  @Test
  void everyRunAndRestoreWithItsArtifactsSizeAndPlace() {
    LocalSummary summary =
        new LocalSummary()
            .add(
                new LocalSummary.Item(
                    "backup",
                    "before-upgrade",
                    "Succeeded",
                    true,
                    13,
                    23_568L,
                    "s3://openstack-backups/prod/openstack/control-plane-daily/b-1/ at http://127.0.0.1:9000",
                    List.of()))
            .add(
                new LocalSummary.Item(
                    "restore",
                    "local-nova-copy",
                    "Succeeded",
                    true,
                    2,
                    null,
                    "to [127.0.0.1:3306/nova_restored]",
                    List.of()))
            .note("Logs: /tmp/osbackup-local.log");
    assertThat(summary.succeeded()).isTrue();
    assertThat(summary.lines())
        .containsExactly(
            "Summary: all 2 succeeded",
            "  ok      backup  before-upgrade   Succeeded, 13 artifacts, 23.0 KiB",
            "          s3://openstack-backups/prod/openstack/control-plane-daily/b-1/ at http://127.0.0.1:9000",
            "  ok      restore local-nova-copy  Succeeded, 2 artifacts",
            "          to [127.0.0.1:3306/nova_restored]",
            "  Logs: /tmp/osbackup-local.log");
  }

  @Test
  void aFailureIsCountedAndSaysWhy() {
    LocalSummary summary =
        new LocalSummary()
            .add(
                new LocalSummary.Item(
                    "backup",
                    "before-upgrade",
                    "PartiallySucceeded",
                    false,
                    12,
                    1_000L,
                    null,
                    List.of("swift-rings: node controller-1: /etc/swift is denied")))
            .add(
                new LocalSummary.Item(
                    "restore", "local-nova-copy", "Pending", false, null, null, null, List.of()));
    assertThat(summary.succeeded()).isFalse();
    assertThat(summary.lines())
        .containsExactly(
            "Summary: 2 of 2 FAILED",
            "  FAILED  backup  before-upgrade   PartiallySucceeded, 12 artifacts, 1000 B",
            "          failed: swift-rings: node controller-1: /etc/swift is denied",
            "  FAILED  restore local-nova-copy  Pending");
    assertThat(new LocalSummary().succeeded()).as("nothing ran").isFalse();
  }

  @Test
  void sizesReadAsAPersonReadsThem() {
    assertThat(LocalSummary.size(0)).isEqualTo("0 B");
    assertThat(LocalSummary.size(1023)).isEqualTo("1023 B");
    assertThat(LocalSummary.size(1536)).isEqualTo("1.5 KiB");
    assertThat(LocalSummary.size(5L * 1024 * 1024 * 1024)).isEqualTo("5.0 GiB");
  }
}
