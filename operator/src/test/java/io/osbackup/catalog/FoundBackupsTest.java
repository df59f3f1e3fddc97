package io.osbackup.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunSpec;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.contract.Json;
import io.osbackup.contract.Manifest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which found backups need a run, the run created for one, and the status it reads from its
 * manifest.
 */
class FoundBackupsTest {

  static Catalog.Backup backup(String policy, String backupId) {
    Manifest manifest = CatalogTest.manifest(policy, backupId, 10, 20);
    String key = CatalogTest.key(policy, backupId);
    return Catalog.parse(key, bytes(manifest), "prod", "openstack").backup();
  }

  static byte[] bytes(Manifest manifest) {
    try {
      return Json.MAPPER.writeValueAsBytes(manifest);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static BackupRun run(String name, String policy, String backupId, RunPhase phase) {
    BackupRun run = new BackupRun();
    run.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("openstack").build());
    BackupRunSpec spec = new BackupRunSpec();
    spec.setPolicyRef(new LocalRef(policy));
    run.setSpec(spec);
    if (backupId != null || phase != null) {
      BackupRunStatus status = new BackupRunStatus();
      status.setBackupId(backupId);
      status.setPhase(phase);
      run.setStatus(status);
    }
    return run;
  }

  @Test
  void aBackupIsAccountedForByItsIdInStatusOrByTheNameOfARunNotYetPlanned() {
    Catalog.Backup byId = backup("daily", "daily-20261121-020000-ab12cd");
    Catalog.Backup byName = backup("daily", "daily-20261122-020000");
    Catalog.Backup missing = backup("daily", "daily-20261123-020000");
    Catalog.Backup taken = backup("daily", "daily-20261124-020000");
    Catalog.Backup takenByEndedRun = backup("daily", "daily-20261125-020000");

    FoundBackups.Gaps gaps =
        FoundBackups.gaps(
            List.of(byId, byName, missing, taken, takenByEndedRun),
            List.of(
                run("by-hand", "daily", "daily-20261121-020000-ab12cd", RunPhase.Succeeded),
                run("daily-20261122-020000", "daily", null, null),
                run(
                    "daily-20261124-020000",
                    "other",
                    "other-20261124-020000-ffffff",
                    RunPhase.Running),
                run("daily-20261125-020000", "daily", null, RunPhase.Failed)));

    assertThat(gaps.toCreate()).containsExactly(missing);
    assertThat(gaps.nameTaken()).containsExactly(taken, takenByEndedRun);
  }

  @Test
  void theRunCreatedForABackupIsNamedAfterItAndPointsAtItsManifestAndStore() {
    BackupRun run =
        FoundBackups.runFor(backup("daily", "daily-20261121-020000"), "openstack", "primary");

    assertThat(run.getMetadata().getName()).isEqualTo("daily-20261121-020000");
    assertThat(run.getMetadata().getNamespace()).isEqualTo("openstack");
    assertThat(run.getSpec().getPolicyRef().getName()).isEqualTo("daily");
    assertThat(run.getStatus()).isNull();
    assertThat(run.getMetadata().getLabels())
        .containsEntry(Api.POLICY_LABEL, "daily")
        .containsEntry(FoundBackups.FOUND_IN_STORE_LABEL, "true")
        .containsEntry(Api.MANAGED_BY_LABEL, Api.MANAGED_BY);
    assertThat(run.getMetadata().getAnnotations())
        .containsEntry(
            FoundBackups.MANIFEST_ANNOTATION,
            "prod/openstack/daily/daily-20261121-020000/manifest.json")
        .containsEntry(FoundBackups.STORE_ANNOTATION, "primary");
    assertThat(FoundBackups.isFound(run)).isTrue();
    assertThat(FoundBackups.isFound(run("x", "daily", null, null))).isFalse();
  }

  @Test
  void aFoundRunTakesEverythingFromTheManifest() {
    Catalog.Backup backup = backup("daily", "daily-20261121-020000");
    S3Location s3 = new S3Location();
    s3.setBucket("openstack-backups");
    BackupRunStatus status = new BackupRunStatus();

    FoundBackups.fill(status, backup, "primary", s3);

    assertThat(status.getPhase()).isEqualTo(RunPhase.Succeeded);
    assertThat(status.getFoundInStore()).isTrue();
    assertThat(status.getBackupId()).isEqualTo("daily-20261121-020000");
    assertThat(status.getFolder()).isEqualTo("prod/openstack/daily/daily-20261121-020000");
    assertThat(status.getManifestKey()).isEqualTo(backup.key());
    assertThat(status.getSize()).isEqualTo(30);
    assertThat(status.getStartTime()).isEqualTo("2026-11-21T02:00:00Z");
    assertThat(status.getCompletionTime()).isEqualTo("2026-11-21T02:00:06Z");
    assertThat(status.getPlan().getStore()).isEqualTo("primary");
    assertThat(status.getPlan().getS3().getBucket()).isEqualTo("openstack-backups");
    assertThat(status.getArtifacts())
        .extracting(
            a -> a.getTarget() + "/" + a.getDatabase() + " " + a.getSize() + " " + a.getSha256())
        .containsExactly("galera/db0 10 ab0", "galera/db1 20 ab1");
    assertThat(status.getArtifacts().get(0).getKey())
        .isEqualTo("prod/openstack/daily/daily-20261121-020000/db/galera/db0.sql.gz");
    assertThat(status.getProgress().getSummary()).isEqualTo("found in store, 2 artifacts");
  }

  @Test
  void aFoundRunOnlyTakesAManifestOfItsOwnPolicy() {
    Catalog.Backup backup = backup("daily", "daily-20261121-020000");
    assertThat(FoundBackups.mismatch(run("r", "daily", null, null), backup)).isEmpty();
    assertThat(FoundBackups.mismatch(run("r", "weekly", null, null), backup))
        .hasValueSatisfying(m -> assertThat(m).contains("policy 'daily'").contains("'weekly'"));
  }
}
