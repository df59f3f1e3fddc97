package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Compression;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.testbed.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link ObjectStore} against a real S3 server on loopback (Swift with s3api, or S3Proxy). */
class ObjectStoreIT {

  private static final String BUCKET = "osbackup-it";
  private static final int MIB = 1 << 20;

  @TempDir static Path work;

  static S3Server server;
  static ObjectStore store;

  @BeforeAll
  static void start() throws IOException {
    long start = System.nanoTime();
    server = S3Server.start(work);
    System.out.printf("%s started in %d ms%n", server, (System.nanoTime() - start) / 1_000_000);
    server.createBucket(BUCKET);
    store = server.store(BUCKET);
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void probeOfAWritableBucketIsReachableAndLeavesNothing() throws IOException {
    ProbeResult result = store.probe("prod");

    assertThat(result.ok()).as(result.message()).isTrue();
    assertThat(result.reason()).isEqualTo(ProbeResult.REACHABLE);
    assertThat(store.list("prod/")).isEmpty();
  }

  @Test
  void probeOfAMissingBucketSaysToCreateIt() {
    try (ObjectStore missing = connect("no-such-bucket", server.credentials())) {
      ProbeResult result = missing.probe("prod");

      assertThat(result.ok()).isFalse();
      assertThat(result.reason()).isEqualTo(StoreErrors.BUCKET_NOT_FOUND);
      assertThat(result.message())
          .isEqualTo(
              "bucket 'no-such-bucket' does not exist at "
                  + server.endpoint()
                  + ": create it or fix spec.s3.bucket");
    }
  }

  @Test
  void probeWithAWrongSecretIsAccessDeniedAndDoesNotShowTheSecret() {
    String wrongSecret = "wrong-secret-" + System.nanoTime();
    try (ObjectStore wrong = connect(BUCKET, new Credentials(server.accessKey(), wrongSecret))) {
      ProbeResult result = wrong.probe("prod");

      assertThat(result.ok()).isFalse();
      assertThat(result.reason()).isEqualTo(StoreErrors.ACCESS_DENIED);
      assertThat(result.message())
          .startsWith("access denied by " + server.endpoint())
          .contains("check the keys in the credentials Secret")
          .doesNotContain(wrongSecret);
    }
  }

  @Test
  void probeWithAnUnknownAccessKeyIsAccessDenied() {
    try (ObjectStore wrong = connect(BUCKET, new Credentials("nobody:nobody", "secret"))) {
      ProbeResult result = wrong.probe("prod");

      assertThat(result.reason()).isEqualTo(StoreErrors.ACCESS_DENIED);
      assertThat(result.message()).contains("credentials Secret");
    }
  }

  @Test
  void probeAsAUserWithoutRightsOnTheBucketIsAccessDenied() {
    assumeThat(server.deniedCredentials()).as("server has a user without rights").isPresent();
    try (ObjectStore denied = connect(BUCKET, server.deniedCredentials().get())) {
      ProbeResult result = denied.probe("prod");

      assertThat(result.reason()).as(result.message()).isEqualTo(StoreErrors.ACCESS_DENIED);
      assertThat(result.message()).contains("credentials Secret");
    }
  }

  @Test
  void probeWithAWrongRegionIsWrongRegionNamingTheExpectedOne() {
    try (ObjectStore wrong =
        ObjectStore.connect(server.endpoint(), "eu-west-9", true, BUCKET, server.credentials())) {
      ProbeResult result = wrong.probe("prod");

      assertThat(result.ok()).isFalse();
      assertThat(result.reason()).as(result.message()).isEqualTo(StoreErrors.WRONG_REGION);
      assertThat(result.message())
          .contains("eu-west-9")
          .contains("'" + server.region() + "'")
          .contains("spec.s3.region")
          .doesNotContain("access denied");
    }
  }

  @Test
  void probeOfAClosedPortIsEndpointUnreachableAndFast() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String endpoint = "http://127.0.0.1:" + port;
    long start = System.nanoTime();
    try (ObjectStore nowhere =
        ObjectStore.connect(endpoint, "us-east-1", true, BUCKET, server.credentials())) {
      ProbeResult result = nowhere.probe("prod");

      assertThat(result.reason()).isEqualTo(StoreErrors.ENDPOINT_UNREACHABLE);
      assertThat(result.message()).startsWith("cannot reach the object store at " + endpoint);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void jsonDocumentsRoundTripWithIsoInstants() throws IOException {
    Instant started = Instant.parse("2026-11-21T02:00:00Z");
    BackupReport report =
        new BackupReport(
            "job-1",
            "control-plane",
            null,
            true,
            null,
            started,
            started.plusSeconds(61),
            new BackupReport.Source("galera", 3306, "10.11.6-MariaDB", List.of("nova"), null),
            List.of(
                new BackupReport.Artifact("k/nova.sql.gz", "nova", null, 10, 100, "ab", "gzip")));
    String key = "json/reports/job-1.json";

    store.putJson(key, report);

    assertThat(store.getJson(key, BackupReport.class)).contains(report);
    try (InputStream in = store.download(key)) {
      assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
          .contains("\"startedAt\" : \"2026-11-21T02:00:00Z\"");
    }
    assertThat(store.getJson("json/reports/missing.json", BackupReport.class)).isEmpty();
    store.delete(List.of(key));
  }

  @Test
  void listStatAndDelete() throws IOException {
    for (String name : List.of("a", "b/c", "b/d")) {
      store.putJson("list/" + name + ".json", List.of(name));
    }

    List<ObjectInfo> listed = store.list("list/");
    assertThat(listed)
        .extracting(ObjectInfo::key)
        .containsExactly("list/a.json", "list/b/c.json", "list/b/d.json");
    Optional<ObjectInfo> stat = store.stat("list/b/c.json");
    assertThat(stat).isPresent();
    assertThat(stat.get().size()).isEqualTo(listed.get(1).size()).isPositive();
    assertThat(stat.get().lastModified()).isNotNull();
    assertThat(store.stat("list/none.json")).isEmpty();

    store.delete(List.of("list/a.json", "list/b/c.json", "list/b/d.json", "list/none.json"));

    assertThat(store.list("list/")).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void eightyMibStreamIsStoredWholeWithTheRightChecksum(Compression compression) throws Exception {
    String key = "artifacts/db/cp/nova.sql" + compression.suffix();
    long rawSize = 80L * MIB;
    MessageDigest rawDigest = MessageDigest.getInstance("SHA-256");

    StoredArtifact stored;
    try (ArtifactUpload upload = store.open(key, compression)) {
      RandomBytes.write(upload.stream(), rawSize, 42, rawDigest);
      stored = upload.finish();
    }

    assertThat(stored.key()).isEqualTo(key);
    assertThat(stored.rawSize()).isEqualTo(rawSize);
    assertThat(stored.compression()).isEqualTo(compression);
    assertThat(store.stat(key)).get().extracting(ObjectInfo::size).isEqualTo(stored.size());
    MessageDigest storedDigest = MessageDigest.getInstance("SHA-256");
    MessageDigest readBack = MessageDigest.getInstance("SHA-256");
    long rawRead;
    try (InputStream in = new DigestInputStream(store.download(key), storedDigest);
        InputStream raw = new DigestInputStream(decompress(in, compression), readBack)) {
      rawRead = raw.transferTo(OutputStream.nullOutputStream());
      in.transferTo(
          OutputStream.nullOutputStream()); // anything after the compressed stream counts too
    }
    assertThat(hex(storedDigest)).isEqualTo(stored.sha256());
    assertThat(rawRead).isEqualTo(rawSize);
    assertThat(hex(readBack)).isEqualTo(hex(rawDigest));
    assertThat(store.incompleteUploads("artifacts/")).isEmpty();
    store.delete(List.of(key));
  }

  @Test
  void smallArtifactIsOnePlainPut() throws IOException {
    String key = "artifacts/small.sql.gz";
    StoredArtifact stored;
    try (ArtifactUpload upload = store.open(key, Compression.GZIP)) {
      upload.stream().write("CREATE TABLE t (id int);\n".getBytes());
      upload.stream().close(); // closing the stream does not finish the artifact
      stored = upload.finish();
    }
    try (InputStream in = new GZIPInputStream(store.download(key))) {
      assertThat(new String(in.readAllBytes())).isEqualTo("CREATE TABLE t (id int);\n");
    }
    assertThat(stored.rawSize()).isEqualTo(25);
    store.delete(List.of(key));
  }

  @Test
  void writerFailingMidwayLeavesNoObjectAndNoIncompleteUpload() throws Exception {
    String key = "aborted/db/cp/nova.sql.gz";
    ArtifactUpload upload = store.open(key, Compression.NONE);
    RandomBytes.write(
        upload.stream(), 40L * MIB, 7, null); // more than one part: a multipart upload is running
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> store.incompleteUploads("aborted/").contains(key));

    upload.abort("mysqldump exited with 2");

    assertThat(store.stat(key)).isEmpty();
    assertThat(store.incompleteUploads("aborted/")).isEmpty();
    assertThat(store.list("aborted/")).isEmpty();
    assertThatThrownBy(upload::finish)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("aborted");
    assertThatThrownBy(() -> upload.stream().write(1)).isInstanceOf(IOException.class);
    upload.abort("again"); // safe twice
  }

  @Test
  void closingWithoutFinishLeavesNothing() throws Exception {
    String key = "closed/files/cfg/compute-0.tar.zst";
    try (ArtifactUpload upload = store.open(key, Compression.ZSTD)) {
      RandomBytes.write(upload.stream(), 3L * MIB, 3, null);
    }
    assertThat(store.stat(key)).isEmpty();
    assertThat(store.incompleteUploads("closed/")).isEmpty();
  }

  @Test
  void uploadRefusedByTheStoreFailsTheWriterWithTheStoresReason() throws Exception {
    Credentials refused =
        server
            .deniedCredentials()
            .orElse(new Credentials(server.accessKey(), "wrong-" + System.nanoTime()));
    String key = "refused/db/cp/nova.sql.gz";
    try (ObjectStore other = connect(BUCKET, refused);
        ArtifactUpload upload = other.open(key, Compression.NONE)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> RandomBytes.write(upload.stream(), 200L * MIB, 9, null))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("access denied")
          .hasMessageContaining("credentials Secret")
          .satisfies(
              e -> assertThat(((StoreException) e).reason()).isEqualTo(StoreErrors.ACCESS_DENIED));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
      assertThatThrownBy(upload::finish).isInstanceOf(IOException.class);
    }
    assertThat(store.stat(key)).isEmpty();
    assertThat(store.incompleteUploads("refused/")).isEmpty();
  }

  @Test
  void bucketDeletedMidStreamFailsTheWriter() throws Exception {
    String bucket = "osbackup-it-doomed";
    server.createBucket(bucket);
    String key = "db/cp/nova.sql";
    try (ObjectStore doomed = server.store(bucket);
        ArtifactUpload upload = doomed.open(key, Compression.NONE)) {
      RandomBytes.write(upload.stream(), 40L * MIB, 11, null);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> doomed.incompleteUploads("").contains(key));

      server.deleteBucket(bucket);

      assertThatThrownBy(
              () -> {
                RandomBytes.write(upload.stream(), 100L * MIB, 12, null);
                upload.finish();
              })
          .isInstanceOf(StoreException.class)
          .satisfies(
              e ->
                  assertThat(((StoreException) e).reason())
                      .isIn(StoreErrors.BUCKET_NOT_FOUND, StoreErrors.UPLOAD_NOT_FOUND));
      upload.abort("bucket gone");
      assertThat(doomed.probe("").reason()).isEqualTo(StoreErrors.BUCKET_NOT_FOUND);
    }
  }

  private static ObjectStore connect(String bucket, Credentials credentials) {
    return ObjectStore.connect(server.endpoint(), server.region(), true, bucket, credentials);
  }

  private static InputStream decompress(InputStream in, Compression compression)
      throws IOException {
    return switch (compression) {
      case GZIP -> new GZIPInputStream(in, 64 * 1024);
      case ZSTD -> new ZstdCompressorInputStream(in);
      case NONE -> in;
    };
  }

  private static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }
}
