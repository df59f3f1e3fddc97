package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.errors.ErrorResponseException;
import io.minio.errors.MinioException;
import io.minio.messages.ErrorResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** Failure classification, with the exceptions minio and OkHttp really throw. */
class StoreErrorsTest {

  private static final String ENDPOINT = "http://swift-proxy:8080";

  private static ErrorResponseException response(String code, String message) {
    okhttp3.Response http =
        new okhttp3.Response.Builder()
            .request(new okhttp3.Request.Builder().url(ENDPOINT + "/backups/k").build())
            .protocol(okhttp3.Protocol.HTTP_1_1)
            .code(code.equals("NoSuchBucket") ? 404 : code.equals("InternalError") ? 500 : 403)
            .message("-")
            .build();
    return new ErrorResponseException(
        new ErrorResponse(code, message, "backups", "k", "/backups/k", "req", "host"), http, null);
  }

  @Test
  void noSuchBucketSaysToCreateIt() {
    StoreErrors.Described d =
        StoreErrors.describe(
            new CompletionException(response("NoSuchBucket", "no bucket")), ENDPOINT, "backups");

    assertThat(d.reason()).isEqualTo(StoreErrors.BUCKET_NOT_FOUND);
    assertThat(d.message())
        .isEqualTo(
            "bucket 'backups' does not exist at http://swift-proxy:8080: create it or fix"
                + " spec.s3.bucket");
  }

  @Test
  void keyAndSignatureProblemsAreAccessDenied() {
    for (String code :
        new String[] {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"}) {
      StoreErrors.Described d = StoreErrors.describe(response(code, "nope"), ENDPOINT, "backups");

      assertThat(d.reason()).as(code).isEqualTo(StoreErrors.ACCESS_DENIED);
      assertThat(d.message())
          .contains(ENDPOINT)
          .contains("check the keys in the credentials Secret");
    }
  }

  @Test
  void aWrongRegionIsWrongRegionNamingTheExpectedOneNotAccessDenied() {
    StoreErrors.Described d =
        StoreErrors.describe(
            response(
                "AuthorizationHeaderMalformed",
                "The authorization header is malformed; the region 'eu-west-9' is wrong;"
                    + " expecting 'us-east-1'"),
            ENDPOINT,
            "backups");

    assertThat(d.reason()).isEqualTo(StoreErrors.WRONG_REGION);
    assertThat(d.message())
        .startsWith(
            "the object store at http://swift-proxy:8080 expects region 'us-east-1', not"
                + " 'eu-west-9'")
        .endsWith("set spec.s3.region (--region of the break-glass CLI) to us-east-1")
        .doesNotContain("access denied");
  }

  @Test
  void aMalformedHeaderForAnotherReasonIsStillAccessDenied() {
    StoreErrors.Described d =
        StoreErrors.describe(
            response("AuthorizationHeaderMalformed", "the access key is empty"), ENDPOINT, "b");

    assertThat(d.reason()).isEqualTo(StoreErrors.ACCESS_DENIED);
  }

  @Test
  void fiveHundredsSlowDownResetsAndReadTimeoutsAreTransientTheRestIsNot() {
    okhttp3.Response unavailable =
        new okhttp3.Response.Builder()
            .request(new okhttp3.Request.Builder().url(ENDPOINT + "/backups/k").build())
            .protocol(okhttp3.Protocol.HTTP_1_1)
            .code(503)
            .message("-")
            .build();
    assertThat(
            StoreErrors.isTransient(
                new CompletionException(
                    new ErrorResponseException(
                        new ErrorResponse("ServiceUnavailable", "busy", "b", "k", "/", "r", "h"),
                        unavailable,
                        null))))
        .isTrue();
    assertThat(StoreErrors.isTransient(response("InternalError", "disk on fire"))).isTrue();
    assertThat(StoreErrors.isTransient(new SocketException("Connection reset"))).isTrue();
    assertThat(StoreErrors.isTransient(new SocketTimeoutException("timeout"))).isTrue();
    assertThat(StoreErrors.isTransient(new IOException("unexpected end of stream"))).isTrue();

    assertThat(StoreErrors.isTransient(response("AccessDenied", "no"))).isFalse();
    assertThat(StoreErrors.isTransient(response("NoSuchBucket", "no"))).isFalse();
    assertThat(StoreErrors.isTransient(new ConnectException("Connection refused"))).isFalse();
    assertThat(StoreErrors.isTransient(new UnknownHostException("swift-proxy"))).isFalse();
    assertThat(StoreErrors.isTransient(new SocketTimeoutException("Connect timed out"))).isFalse();
    assertThat(StoreErrors.isTransient(new SSLHandshakeException("PKIX path building failed")))
        .isFalse();
    assertThat(StoreErrors.isTransient(new IllegalStateException("bug"))).isFalse();
  }

  @Test
  void networkFailuresAreEndpointUnreachable() {
    for (Exception e :
        new Exception[] {
          new ConnectException("Failed to connect to swift-proxy/10.0.0.1:8080"),
          new UnknownHostException("swift-proxy"),
          new SocketTimeoutException("connect timed out")
        }) {
      StoreErrors.Described d =
          StoreErrors.describe(new CompletionException(new MinioException(e)), ENDPOINT, "backups");

      assertThat(d.reason()).as(e.toString()).isEqualTo(StoreErrors.ENDPOINT_UNREACHABLE);
      assertThat(d.message()).startsWith("cannot reach the object store at " + ENDPOINT);
    }
  }

  @Test
  void anythingElseIsAStoreErrorAndAProbeFailure() {
    StoreErrors.Described d =
        StoreErrors.describe(response("InternalError", "disk on fire"), ENDPOINT, "backups");

    assertThat(d.reason()).isEqualTo(StoreErrors.STORE_ERROR);
    assertThat(d.message()).contains("InternalError: disk on fire");
    assertThat(ProbeResult.failed(d).reason()).isEqualTo(StoreErrors.PROBE_FAILED);
  }

  @Test
  void aStoreExceptionIsKeptAsItIs() {
    StoreException e = new StoreException(StoreErrors.ACCESS_DENIED, "described before", null);

    assertThat(StoreErrors.toException(new CompletionException(e), ENDPOINT, "b")).isSameAs(e);
    assertThat(StoreErrors.describe(e).message()).isEqualTo("described before");
  }
}
