package io.osbackup.contract;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Where things live in the bucket. */
class BackupLayoutTest {

  @Test
  void foldersSkipAnEmptyPrefix() {
    assertThat(BackupLayout.policyFolder("prod", "openstack", "daily"))
        .isEqualTo("prod/openstack/daily");
    assertThat(BackupLayout.policyFolder("", "openstack", "daily")).isEqualTo("openstack/daily");
    assertThat(BackupLayout.backupFolder(null, "openstack", "daily", "daily-20261121-020000"))
        .isEqualTo("openstack/daily/daily-20261121-020000");
  }

  @Test
  void artifactKeys() {
    String folder = BackupLayout.backupFolder("prod", "os", "daily", "b1");

    assertThat(BackupLayout.databaseArtifact(folder, "cp", "nova", Compression.GZIP))
        .isEqualTo("prod/os/daily/b1/db/cp/nova.sql.gz");
    assertThat(BackupLayout.filesArtifact(folder, "nova-config", "compute-07", Compression.ZSTD))
        .isEqualTo("prod/os/daily/b1/files/nova-config/compute-07.tar.zst");
    assertThat(BackupLayout.filesArtifact(folder, "rings", "ctl-0", Compression.NONE))
        .isEqualTo("prod/os/daily/b1/files/rings/ctl-0.tar");
    assertThat(BackupLayout.report(folder, "job-1"))
        .isEqualTo("prod/os/daily/b1/reports/job-1.json");
    assertThat(BackupLayout.manifest(folder)).isEqualTo("prod/os/daily/b1/manifest.json");
  }
}
