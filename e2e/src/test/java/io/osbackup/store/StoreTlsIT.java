package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.agent.BucketConnector;
import io.osbackup.cli.BackupsCommand;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.testbed.S3Relay;
import io.osbackup.testbed.S3Server;
import io.osbackup.testbed.TestCa;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The S3 store behind TLS with a private CA (the real S3 server behind {@link S3Relay} serving a
 * {@link TestCa} certificate for {@code localhost}): the operator's client, the agent's and the
 * break-glass CLI trust it only through the CA bundle, and fail naming TLS and the CA bundle
 * without it, with another CA, or on a host name the certificate does not name.
 */
class StoreTlsIT {

  private static final String BUCKET = "osbackup-tls";

  @TempDir static Path work;

  static S3Server server;
  static TestCa ca;
  static TestCa otherCa;
  static S3Relay tls;
  static byte[] caPem;

  @BeforeAll
  static void start() throws IOException {
    server = S3Server.start(work.resolve("s3"));
    server.createBucket(BUCKET);
    ca = TestCa.create(work.resolve("ca"));
    otherCa = TestCa.create(work.resolve("other-ca"));
    caPem = Files.readAllBytes(ca.caCertificate());
    tls = S3Relay.startTls(server.endpoint(), ca.serverContext());
  }

  @AfterAll
  static void stop() {
    if (tls != null) {
      tls.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static ObjectStore connect(String endpoint, byte[] cas) {
    return ObjectStore.connect(
        endpoint, server.region(), true, BUCKET, server.credentials(), cas, UploadLimits.DEFAULT);
  }

  @Test
  void withTheCaBundleArtifactsGoUpAndComeBackWhole() throws IOException {
    try (ObjectStore store = connect(tls.endpointByName(), caPem)) {
      ProbeResult probe = store.probe("prod");
      assertThat(probe.ok()).as(probe.message()).isTrue();

      byte[] raw = new byte[3 << 20];
      new Random(1).nextBytes(raw);
      String key = "prod/tls/db/cp/nova.sql";
      try (ArtifactUpload upload = store.open(key, Compression.NONE)) {
        upload.stream().write(raw);
        upload.finish();
      }
      try (InputStream in = store.download(key)) {
        assertThat(in.readAllBytes()).isEqualTo(raw);
      }
      store.delete(List.of(key));
    }
  }

  @Test
  void withoutTheCaBundleTheStoreIsRefusedNamingTlsAndTheCaBundle() {
    try (ObjectStore store = connect(tls.endpointByName(), null)) {
      ProbeResult probe = store.probe("prod");

      assertThat(probe.ok()).isFalse();
      assertThat(probe.reason()).as(probe.message()).isEqualTo(StoreErrors.TLS_FAILED);
      assertThat(probe.message())
          .contains("TLS")
          .contains("not trusted")
          .contains("spec.s3.caBundle")
          .contains("--ca-bundle");
    }
  }

  @Test
  void anotherCaIsRefusedLikewise() throws IOException {
    try (ObjectStore store =
        connect(tls.endpointByName(), Files.readAllBytes(otherCa.caCertificate()))) {
      ProbeResult probe = store.probe("prod");

      assertThat(probe.reason()).as(probe.message()).isEqualTo(StoreErrors.TLS_FAILED);
      assertThat(probe.message()).contains("spec.s3.caBundle");
    }
  }

  @Test
  void aHostNameTheCertificateDoesNotNameIsRefusedNamingTheHost() {
    try (ObjectStore store = connect(tls.endpoint(), caPem)) { // https://127.0.0.1:<port>
      ProbeResult probe = store.probe("prod");

      assertThat(probe.reason()).as(probe.message()).isEqualTo(StoreErrors.TLS_FAILED);
      assertThat(probe.message()).contains("127.0.0.1").contains("host name");
    }
  }

  @Test
  void theAgentTrustsTheCaBundleMountedFromThePlan() throws Exception {
    BackupPlan.Store withCa =
        new BackupPlan.Store(
            tls.endpointByName(),
            BUCKET,
            server.region(),
            true,
            BackupPlan.STORE_CREDENTIALS_DIR,
            ca.caCertificate().toString(),
            1000);
    try (Bucket bucket = BucketConnector.objectStore().connect(withCa, server.credentials())) {
      bucket.putJson("prod/tls/report.json", Map.of("ok", true));
      try (InputStream in = bucket.download("prod/tls/report.json")) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("\"ok\"");
      }
    }
    BackupPlan.Store missingFile =
        new BackupPlan.Store(
            tls.endpointByName(),
            BUCKET,
            server.region(),
            true,
            BackupPlan.STORE_CREDENTIALS_DIR,
            work.resolve("no-such-ca.crt").toString(),
            null);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> BucketConnector.objectStore().connect(missingFile, server.credentials()))
        .hasMessageContaining("spec.s3.caBundle")
        .hasMessageContaining("no-such-ca.crt");
  }

  @Test
  void theBreakGlassCliListsThroughTlsWithCaBundleAndFailsClearlyWithout() {
    Map<String, String> env =
        Map.of(
            "OSBACKUP_S3_ACCESS_KEY",
            server.accessKey(),
            "OSBACKUP_S3_SECRET_KEY",
            server.secretKey());
    String[] common = {
      "--endpoint", tls.endpointByName(), "--bucket", BUCKET, "--region", server.region()
    };

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int withCa =
        new CommandLine(new BackupsCommand(env, new PrintStream(out), new PrintStream(err)))
            .execute(concat(common, "--ca-bundle", ca.caCertificate().toString()));
    assertThat(withCa).as(err.toString()).isZero();

    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    int without =
        new CommandLine(
                new BackupsCommand(
                    env, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err2)))
            .execute(common);
    assertThat(without).isNotZero();
    assertThat(err2.toString()).contains("TLS").contains("--ca-bundle");
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
