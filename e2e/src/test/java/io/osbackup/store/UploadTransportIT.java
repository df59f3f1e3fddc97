package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.osbackup.contract.Compression;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.testbed.S3Relay;
import io.osbackup.testbed.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artifact uploads over a bad network and into a store with few parts: the real Swift (s3api with
 * {@code max_upload_part_num = 4}) behind {@link S3Relay}, which fails chosen UploadPart requests.
 */
class UploadTransportIT {

  private static final String BUCKET = "osbackup-transport";
  private static final int MIB = 1 << 20;
  private static final int MAX_PARTS = 4;

  @TempDir static Path work;

  static S3Server server;
  S3Relay relay;
  ObjectStore store;

  @BeforeAll
  static void start() throws IOException {
    assumeThat(Files.isExecutable(Path.of("/usr/bin/swift-proxy-server")))
        .as("Swift is installed")
        .isTrue();
    server = S3Server.startSwift(work, MAX_PARTS);
    server.createBucket(BUCKET);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void relay() throws IOException {
    relay = S3Relay.start(server.endpoint());
    store = connect(UploadLimits.DEFAULT);
  }

  @AfterEach
  void closeRelay() {
    store.close();
    relay.close();
  }

  private ObjectStore connect(UploadLimits limits) {
    return ObjectStore.connect(
        relay.endpoint(), server.region(), true, BUCKET, server.credentials(), null, limits);
  }

  /** Retries as in production, with short waits so a test takes seconds. */
  private static UploadLimits fast(int maxParts) {
    return new UploadLimits(
        UploadLimits.DEFAULT.partSize(),
        UploadLimits.DEFAULT.maxPartSize(),
        maxParts,
        new UploadLimits.Retries(8, 20, 200));
  }

  @Test
  void uploadPartsAnsweredWith503AreRetriedAndTheArtifactIsWhole() throws Exception {
    store = connect(fast(MAX_PARTS));
    relay.failUploadParts(6, S3Relay.Fault.UNAVAILABLE);

    String key = "retry-503/db/cp/nova.sql";
    String sha = uploadAndCheck(key, 80L * MIB, 1);

    assertThat(relay.faultsInjected()).isEqualTo(6);
    assertThat(sha).isNotEmpty();
    assertThat(store.incompleteUploads("retry-503/")).isEmpty();
  }

  @Test
  void uploadPartsWhoseConnectionIsResetAreRetried() throws Exception {
    store = connect(fast(MAX_PARTS));
    relay.failUploadParts(3, S3Relay.Fault.RESET);

    uploadAndCheck("retry-reset/db/cp/nova.sql", 80L * MIB, 2);

    assertThat(relay.faultsInjected()).isEqualTo(3);
    assertThat(store.incompleteUploads("retry-reset/")).isEmpty();
  }

  @Test
  void aStoreThatKeepsFailingFailsTheUploadNamingTheLastErrorAndLeavesNothing() throws Exception {
    store = connect(fast(MAX_PARTS));
    relay.failUploadParts(1_000, S3Relay.Fault.UNAVAILABLE);
    String key = "retry-never/db/cp/nova.sql";

    assertThatThrownBy(
            () -> {
              try (ArtifactUpload upload = store.open(key, Compression.NONE)) {
                RandomBytes.write(upload.stream(), 80L * MIB, 3, null);
                upload.finish();
              }
            })
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("part 1")
        .hasMessageContaining("8 attempts")
        .hasMessageContaining("ServiceUnavailable");
    assertThat(relay.faultsInjected()).isEqualTo(8);
    assertThat(store.stat(key)).isEmpty();
    assertThat(store.incompleteUploads("retry-never/")).isEmpty();
  }

  @Test
  void anArtifactOfUnknownSizeBeyondPartSizeTimesMaxPartsGrowsItsParts() throws Exception {
    store = connect(UploadLimits.DEFAULT.withMaxParts(MAX_PARTS));
    // 5 parts of the default 32 MiB would be refused by this Swift (max_upload_part_num = 4)
    uploadAndCheck("grow/db/cp/nova.sql", 160L * MIB, 4);

    assertThat(store.incompleteUploads("grow/")).isEmpty();
  }

  @Test
  void anExpectedSizeSetsThePartSizeSoTheArtifactFits() throws Exception {
    // parts of at most 16 MiB and 4 parts: 64 MiB unless the part size follows the expected size
    store =
        connect(new UploadLimits(5L * MIB, 40L * MIB, MAX_PARTS, UploadLimits.DEFAULT.retries()));
    String key = "expected/db/cp/nova.sql";
    try (ArtifactUpload upload = store.open(key, Compression.NONE, 100L * MIB)) {
      RandomBytes.write(upload.stream(), 100L * MIB, 5, null);
      StoredArtifact stored = upload.finish();
      assertThat(stored.size()).isEqualTo(100L * MIB);
    }
    assertThat(relay.requests().stream().filter(r -> r.contains("partNumber=")).count())
        .isLessThanOrEqualTo(MAX_PARTS);
    store.delete(List.of(key));
  }

  @Test
  void anExpectedSizeBeyondTheLimitIsRefusedBeforeAnythingIsSent() {
    store =
        connect(new UploadLimits(5L * MIB, 16L * MIB, MAX_PARTS, UploadLimits.DEFAULT.retries()));
    int before = relay.requests().size();

    assertThatThrownBy(() -> store.open("refused/db/cp/nova.sql", Compression.NONE, 100L * MIB))
        .isInstanceOf(StoreException.class)
        .satisfies(
            e ->
                assertThat(((StoreException) e).reason()).isEqualTo(StoreErrors.ARTIFACT_TOO_LARGE))
        .hasMessageContaining("4 parts of at most 16 MiB")
        .hasMessageContaining("spec.s3.maxUploadParts");
    assertThat(relay.requests()).hasSize(before);
  }

  @Test
  void anArtifactGrowingPastTheLimitFailsClearlyAndLeavesNothing() throws Exception {
    store =
        connect(new UploadLimits(5L * MIB, 10L * MIB, MAX_PARTS, UploadLimits.DEFAULT.retries()));
    String key = "too-large/db/cp/nova.sql";

    assertThatThrownBy(
            () -> {
              try (ArtifactUpload upload = store.open(key, Compression.NONE)) {
                RandomBytes.write(upload.stream(), 60L * MIB, 6, null);
                upload.finish();
              }
            })
        .isInstanceOf(StoreException.class)
        .satisfies(
            e ->
                assertThat(((StoreException) e).reason()).isEqualTo(StoreErrors.ARTIFACT_TOO_LARGE))
        .hasMessageContaining(key)
        .hasMessageContaining("spec.s3.maxUploadParts");
    assertThat(store.stat(key)).isEmpty();
    assertThat(store.incompleteUploads("too-large/")).isEmpty();
  }

  /** Uploads {@code size} random bytes uncompressed and checks the stored object byte for byte. */
  private String uploadAndCheck(String key, long size, long seed) throws Exception {
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    StoredArtifact stored;
    try (ArtifactUpload upload = store.open(key, Compression.NONE)) {
      RandomBytes.write(upload.stream(), size, seed, written);
      stored = upload.finish();
    }
    assertThat(stored.size()).isEqualTo(size);
    MessageDigest read = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new DigestInputStream(server.store(BUCKET).download(key), read)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    String sha = HexFormat.of().formatHex(written.digest());
    assertThat(HexFormat.of().formatHex(read.digest())).isEqualTo(sha).isEqualTo(stored.sha256());
    store.delete(List.of(key));
    return sha;
  }
}
