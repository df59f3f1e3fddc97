package io.osbackup.store;

import io.minio.errors.ErrorResponseException;
import io.minio.messages.ErrorResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The one place that turns a failed object store request into a reason code and a message a human
 * can act on. The agent, the operator and {@link ObjectStore#probe(String)} all use it, so a bad
 * bucket reads the same everywhere.
 */
public final class StoreErrors {

  /** The bucket does not exist at the endpoint. */
  public static final String BUCKET_NOT_FOUND = "BucketNotFound";

  /**
   * The store refused the credentials or the request (invalid key, signature mismatch, HTTP 403).
   */
  public static final String ACCESS_DENIED = "AccessDenied";

  /**
   * The request was signed for another region than the store's (AuthorizationHeaderMalformed or a
   * 400 naming the expected region): fix spec.s3.region.
   */
  public static final String WRONG_REGION = "WrongRegion";

  /**
   * The TLS handshake with the store failed: its certificate is not signed by a trusted CA
   * (spec.s3.caBundle), does not name the endpoint's host, or the endpoint does not speak TLS.
   */
  public static final String TLS_FAILED = "TlsFailed";

  /** Nothing answered at the endpoint: connection refused, unknown host, timeout, TLS failure. */
  public static final String ENDPOINT_UNREACHABLE = "EndpointUnreachable";

  /** The object does not exist. */
  public static final String OBJECT_NOT_FOUND = "ObjectNotFound";

  /**
   * The multipart upload no longer exists (aborted by someone else, expired, or its bucket was
   * deleted).
   */
  public static final String UPLOAD_NOT_FOUND = "UploadNotFound";

  /**
   * The artifact is larger than the store takes in one multipart upload (part size × the most parts
   * it accepts): raise spec.s3.maxUploadParts where the store allows it.
   */
  public static final String ARTIFACT_TOO_LARGE = "ArtifactTooLarge";

  /** A probe failed for another reason. */
  public static final String PROBE_FAILED = "ProbeFailed";

  /** Any other failed request. */
  public static final String STORE_ERROR = "StoreError";

  private static final Set<String> DENIED_CODES =
      Set.of(
          "AccessDenied",
          "InvalidAccessKeyId",
          "SignatureDoesNotMatch",
          "InvalidToken",
          "ExpiredToken",
          "AllAccessDisabled",
          "AccountProblem",
          "AuthorizationHeaderMalformed",
          "InvalidSecurity");

  private StoreErrors() {}

  /**
   * A reason code and a message.
   *
   * @param reason one of the constants of {@link StoreErrors}
   * @param message what happened and what to do, never containing a secret
   */
  public record Described(String reason, String message) {}

  /**
   * Describes a failure without knowing the endpoint and bucket (they are taken from the error
   * where possible).
   */
  public static Described describe(Throwable failure) {
    return describe(failure, null, null);
  }

  /**
   * Describes a failed request to {@code bucket} at {@code endpoint}. A {@link StoreException} in
   * the cause chain is already described and is returned as it is.
   */
  public static Described describe(Throwable failure, String endpoint, String bucket) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof StoreException e) {
        return new Described(e.reason(), e.getMessage());
      }
      if (t instanceof ErrorResponseException e) {
        return describeResponse(e, endpoint, bucket);
      }
      Described network = describeNetwork(t, endpoint);
      if (network != null) {
        return network;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    Throwable root = rootCause(failure);
    return new Described(
        STORE_ERROR,
        "request to the object store at "
            + orUnknown(endpoint)
            + " failed: "
            + root.getClass().getSimpleName()
            + (root.getMessage() == null ? "" : ": " + root.getMessage()));
  }

  /**
   * Describes {@code failure} as a {@link StoreException} (returned as it is if it already is one).
   */
  public static StoreException toException(Throwable failure, String endpoint, String bucket) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof StoreException e) {
        return e;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    Described d = describe(failure, endpoint, bucket);
    return new StoreException(d.reason(), d.message(), rootCause(failure));
  }

  private static Described describeResponse(
      ErrorResponseException e, String endpoint, String bucket) {
    ErrorResponse response = e.errorResponse();
    String code = response == null ? null : response.code();
    int status = e.response() == null ? 0 : e.response().code();
    if (endpoint == null && e.response() != null) {
      endpoint =
          e.response().request().url().newBuilder().encodedPath("/").query(null).build().toString();
    }
    if (bucket == null && response != null) {
      bucket = response.bucketName();
    }
    String serverSays =
        (code == null ? "HTTP " + status : code)
            + (response == null || response.message() == null || response.message().isEmpty()
                ? ""
                : ": " + response.message());
    if ("NoSuchBucket".equals(code)) {
      return new Described(
          BUCKET_NOT_FOUND,
          "bucket '"
              + orUnknown(bucket)
              + "' does not exist at "
              + orUnknown(endpoint)
              + ": create it or fix spec.s3.bucket");
    }
    Described region = describeWrongRegion(code, response, endpoint, serverSays);
    if (region != null) {
      return region;
    }
    if ((code != null && DENIED_CODES.contains(code)) || status == 401 || status == 403) {
      String hint =
          switch (code == null ? "" : code) {
            case "InvalidAccessKeyId" -> "the access key is not known there";
            case "SignatureDoesNotMatch" -> "the secret key does not match the access key";
            default -> "the user may not read or write bucket '" + orUnknown(bucket) + "'";
          };
      return new Described(
          ACCESS_DENIED,
          "access denied by "
              + orUnknown(endpoint)
              + " ("
              + serverSays
              + "): "
              + hint
              + "; check the keys in the credentials Secret and the user's rights on the bucket");
    }
    if ("NoSuchUpload".equals(code)) {
      return new Described(
          UPLOAD_NOT_FOUND,
          "the multipart upload of '"
              + orUnknown(response.objectName())
              + "' in bucket '"
              + orUnknown(bucket)
              + "' at "
              + orUnknown(endpoint)
              + " no longer exists: it was aborted by someone else or the bucket was emptied or"
              + " deleted");
    }
    if ("NoSuchKey".equals(code)) {
      String object = response == null ? null : response.objectName();
      return new Described(
          OBJECT_NOT_FOUND,
          "object '"
              + orUnknown(object)
              + "' does not exist in bucket '"
              + orUnknown(bucket)
              + "' at "
              + orUnknown(endpoint)
              + " ("
              + serverSays
              + ")");
    }
    return new Described(
        STORE_ERROR, "the object store at " + orUnknown(endpoint) + " answered " + serverSays);
  }

  /**
   * A request signed for the wrong region: AWS, MinIO and Swift's s3api answer {@code
   * AuthorizationHeaderMalformed} "the region 'x' is wrong; expecting 'y'" (AWS also {@code
   * InvalidRegion}); null for anything else.
   */
  private static Described describeWrongRegion(
      String code, ErrorResponse response, String endpoint, String serverSays) {
    String message = response == null || response.message() == null ? "" : response.message();
    boolean regionCode =
        "InvalidRegion".equals(code) || "AuthorizationQueryParametersError".equals(code);
    boolean regionMessage = message.toLowerCase(Locale.ROOT).contains("region");
    if (!regionCode && !("AuthorizationHeaderMalformed".equals(code) && regionMessage)) {
      return null;
    }
    Matcher expecting = EXPECTED_REGION.matcher(message);
    Matcher sent = SENT_REGION.matcher(message);
    String expected = expecting.find() ? expecting.group(1) : null;
    return new Described(
        WRONG_REGION,
        "the object store at "
            + orUnknown(endpoint)
            + " expects region "
            + (expected == null ? "(not named)" : "'" + expected + "'")
            + (sent.find() ? ", not '" + sent.group(1) + "'" : "")
            + " ("
            + serverSays
            + "): set spec.s3.region (--region of the break-glass CLI)"
            + (expected == null ? " to the store's region" : " to " + expected));
  }

  private static final Pattern EXPECTED_REGION = Pattern.compile("expecting '([^']*)'");
  private static final Pattern SENT_REGION = Pattern.compile("region '([^']*)' is wrong");

  private static Described describeNetwork(Throwable t, String endpoint) {
    String why;
    if (t instanceof UnknownHostException) {
      why = "unknown host " + t.getMessage();
    } else if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
      why = "connection refused or no route (" + t.getMessage() + ")";
    } else if (t instanceof SocketTimeoutException
        || (t instanceof InterruptedIOException && "timeout".equals(t.getMessage()))) {
      why = "no answer in time (" + t.getMessage() + ")";
    } else if (t instanceof SSLException || t instanceof CertificateException) {
      return describeTls(t, endpoint);
    } else {
      return null;
    }
    return new Described(
        ENDPOINT_UNREACHABLE,
        "cannot reach the object store at "
            + orUnknown(endpoint)
            + ": "
            + why
            + "; check spec.s3.endpoint and that the store is up and reachable from here");
  }

  /**
   * Whether a failed request may succeed when tried again: the store answered HTTP 5xx, 408 or 429
   * (or SlowDown, InternalError, ServiceUnavailable, RequestTimeout), or the connection broke or
   * stalled mid-request (reset, broken pipe, unexpected end of stream, read or write timeout). A
   * refused connection, an unknown host, a connect timeout, a TLS failure and every other answer
   * are not: trying again cannot help.
   */
  public static boolean isTransient(Throwable failure) {
    boolean io = false;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof StoreException e) {
        return e.isTransient();
      }
      if (t instanceof ErrorResponseException e) {
        int status = e.response() == null ? 0 : e.response().code();
        String code = e.errorResponse() == null ? null : e.errorResponse().code();
        return status >= 500
            || status == 408
            || status == 429
            || (code != null && TRANSIENT_CODES.contains(code));
      }
      if (t instanceof SSLException
          || t instanceof CertificateException
          || t instanceof ConnectException
          || t instanceof NoRouteToHostException
          || t instanceof UnknownHostException) {
        return false;
      }
      if (t instanceof SocketTimeoutException
          && t.getMessage() != null
          && t.getMessage().toLowerCase(Locale.ROOT).contains("connect")) {
        return false;
      }
      if (t instanceof IOException) {
        io = true;
      }
    }
    return io;
  }

  private static final Set<String> TRANSIENT_CODES =
      Set.of("SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout");

  /**
   * A failed TLS handshake: an untrusted certificate, a host name it does not name, or no TLS at
   * all.
   */
  private static Described describeTls(Throwable t, String endpoint) {
    String detail = String.valueOf(t.getMessage());
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c.getMessage() != null) {
        detail = c.getMessage();
      }
    }
    String lower = (t.getMessage() + " " + detail).toLowerCase(Locale.ROOT);
    String why;
    if (t instanceof SSLPeerUnverifiedException
        || lower.contains("hostname")
        || lower.contains("subject alternative")) {
      why =
          "the store's certificate does not name the host name "
              + host(endpoint)
              + " ("
              + detail
              + "): use a host name the certificate names in spec.s3.endpoint";
    } else if (lower.contains("pkix")
        || lower.contains("certification path")
        || lower.contains("trust anchor")
        || lower.contains("certificate")) {
      why =
          "the store's certificate is not trusted ("
              + detail
              + "): set spec.s3.caBundle (--ca-bundle of the break-glass CLI) to the CA that"
              + " signed it";
    } else {
      why =
          "the handshake failed ("
              + detail
              + "): check that the endpoint speaks https, or use http://; a private CA goes in"
              + " spec.s3.caBundle (--ca-bundle of the break-glass CLI)";
    }
    return new Described(
        TLS_FAILED, "TLS to the object store at " + orUnknown(endpoint) + " failed: " + why);
  }

  private static String host(String endpoint) {
    try {
      return URI.create(endpoint).getHost();
    } catch (RuntimeException e) {
      return orUnknown(endpoint);
    }
  }

  private static Throwable rootCause(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  private static String orUnknown(String s) {
    return s == null || s.isEmpty() ? "(unknown)" : s;
  }
}
