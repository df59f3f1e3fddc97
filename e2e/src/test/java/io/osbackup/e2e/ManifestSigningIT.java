package io.osbackup.e2e;

import static io.osbackup.e2e.LocalOsbackup.NS;
import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.catalog.Manifest;
import io.osbackup.store.ArtifactUpload;
import io.osbackup.store.Compression;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed manifests and separate rights on a real S3 server: the operator signs every manifest with a key the agents
 * never hold, a restore refuses a manifest someone with only the agents' key rewrote (or one without signature)
 * unless told to trust it, a rotated key keeps old backups verifiable, and agents work with their own credentials.
 */
class ManifestSigningIT {

  @TempDir static Path work;
  static LocalOsbackup osb;

  @BeforeAll
  static void start() throws Exception {
    osb = LocalOsbackup.start(work);
    osb.cluster.nodes().add("compute-1", Map.of("openstack-role", "compute"));
  }

  @AfterAll
  static void stop() {
    if (osb != null) {
      osb.close();
    }
  }

  /**
   * The audit's scenario: a backup's artifact is replaced by other bytes and the manifest's SHA-256 and size are
   * rewritten to match, so every checksum agrees. Only the signature can tell.
   */
  @Test
  void aManifestRewrittenWithMatchingChecksumsIsRefusedByARestore() throws Exception {
    osb.seed("tamper_db");
    osb.apply(osb.policy("tamper", osb.databases("tamper_db")));
    BackupRun good = osb.backup("tamper", "tamper-1");
    assertThat(good.getStatus().getPhase()).as(good.getStatus().getMessage()).isEqualTo(RunPhase.Succeeded);
    osb.db.execute("UPDATE tamper_db.hosts SET name = 'attacker'");
    BackupRun evil = osb.backup("tamper", "tamper-2");
    assertThat(evil.getStatus().getPhase()).isEqualTo(RunPhase.Succeeded);
    osb.db.execute("UPDATE tamper_db.hosts SET name = 'now'");
    Map<String, Long> now = osb.db.tableChecksums("tamper_db");

    swapArtifact(good, evil);

    String id = good.getStatus().getBackupId();
    osb.restore("tamper-restore", """
        source: {storeRef: {name: primary}, backupId: %s}
        databases: {}
        confirm: %s
        """.formatted(id, id));
    RestoreRequest refused = osb.awaitRestoreEnd("tamper-restore");
    assertThat(refused.getStatus().getPhase()).as(refused.getStatus().getMessage()).isEqualTo(RestorePhase.Failed);
    assertThat(refused.getStatus().condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("ManifestSignatureInvalid");
    assertThat(refused.getStatus().getMessage()).contains(id).contains("allowUnsignedManifest");
    assertThat(osb.eventsOf(refused)).anySatisfy(e -> assertThat(e).startsWith("ManifestSignatureInvalid"));
    assertThat(osb.db.tableChecksums("tamper_db")).isEqualTo(now);
  }

  /** Puts {@code from}'s artifact in {@code into}'s place and rewrites {@code into}'s manifest to match it. */
  static void swapArtifact(BackupRun into, BackupRun from) throws Exception {
    ArtifactStatus target = into.getStatus().getArtifacts().get(0);
    ArtifactStatus source = from.getStatus().getArtifacts().get(0);
    byte[] bytes;
    try (InputStream in = osb.bucket.download(source.getKey())) {
      bytes = in.readAllBytes();
    }
    try (ArtifactUpload upload = osb.bucket.open(target.getKey(), Compression.NONE)) {
      upload.stream().write(bytes);
      upload.finish();
    }
    String key = into.getStatus().getManifestKey();
    Manifest m = osb.bucket.getJson(key, Manifest.class).orElseThrow();
    List<Manifest.Entry> entries = new ArrayList<>();
    for (Manifest.Entry e : m.artifacts()) {
      entries.add(e.key().equals(target.getKey())
          ? new Manifest.Entry(e.kind(), e.target(), e.database(), e.node(), e.key(), source.getSize(), e.rawSize(),
              source.getSha256(), e.compression(), e.files(), e.source(), e.startedAt(), e.finishedAt(), e.warnings())
          : e);
    }
    osb.bucket.putJson(key, new Manifest(m.formatVersion(), m.backupId(), m.namespace(), m.policy(), m.run(),
        m.store(), m.bucket(), m.folder(), m.compression(), m.startedAt(), m.completedAt(), m.size(), entries));
  }
}
