package io.osbackup.store;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.minio.AbortMultipartUploadArgs;
import io.minio.CompleteMultipartUploadArgs;
import io.minio.CreateMultipartUploadArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.Http;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.UploadPartArgs;
import io.minio.messages.DeleteRequest;
import io.minio.messages.DeleteResult;
import io.minio.messages.Item;
import io.minio.messages.ListMultipartUploadsResult;
import io.minio.messages.Part;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bucket of an S3-compatible store (AWS, MinIO, Ceph RGW, Swift's s3api): probe, JSON
 * documents, listing, deletion, incomplete-upload cleanup and streaming artifact uploads. Every
 * failure is a {@link StoreException} described by {@link StoreErrors}; no secret ever reaches a
 * message.
 */
public final class ObjectStore implements Bucket {

  /**
   * The region signed into requests when a store names none: what S3 servers that ignore regions
   * (MinIO, Ceph RGW, Swift's s3api) accept, and the default of a BackupStore's {@code s3.region}.
   */
  public static final String DEFAULT_REGION = "us-east-1";

  private static final Logger LOG = LoggerFactory.getLogger(ObjectStore.class);

  /** Part size of artifact uploads when nothing else is known: see {@link UploadLimits#DEFAULT}. */
  public static final long PART_SIZE = UploadLimits.DEFAULT.partSize();

  /** Connect timeout: an unreachable endpoint fails within this time. */
  public static final long CONNECT_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(5);

  /** Read and write timeout of one request (a stalled transfer fails after this). */
  public static final long IO_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(2);

  private static final String PROBE_FOLDER = ".osbackup-probe";

  private final MinioAsyncClient client;
  private final String endpoint;
  private final String bucket;
  private final UploadLimits limits;
  private final Retry retry;

  private ObjectStore(
      MinioAsyncClient client, String endpoint, String bucket, UploadLimits limits) {
    this.client = client;
    this.endpoint = endpoint;
    this.bucket = bucket;
    this.limits = limits;
    UploadLimits.Retries r = limits.retries();
    this.retry =
        Retry.of(
            "s3 " + endpoint,
            RetryConfig.custom()
                .maxAttempts(r.maxAttempts())
                .intervalFunction(
                    IntervalFunction.ofExponentialBackoff(
                        r.initialBackoffMillis(), 2.0, r.maxBackoffMillis()))
                .retryOnException(StoreErrors::isTransient)
                .build());
  }

  /**
   * {@link #connect(String, String, boolean, String, Credentials, byte[], UploadLimits)} with the
   * JVM's trusted CAs and {@link UploadLimits#DEFAULT}.
   */
  public static ObjectStore connect(
      String endpoint,
      String region,
      boolean forcePathStyle,
      String bucket,
      Credentials credentials) {
    return connect(
        endpoint, region, forcePathStyle, bucket, credentials, null, UploadLimits.DEFAULT);
  }

  /**
   * A client for {@code bucket} at {@code endpoint}. Nothing is sent yet: use {@link
   * #probe(String)} to check that the store answers. The region is set so no GetBucketLocation
   * request is needed.
   *
   * @param endpoint {@code http(s)://host[:port]}
   * @param region the signing region; {@code us-east-1} if blank
   * @param forcePathStyle true: {@code http://host/bucket/key}; false: {@code
   *     http://bucket.host/key}
   * @param caBundle PEM certificates of the CAs to trust for an {@code https} endpoint instead of
   *     the JVM's; null for the JVM's
   * @param limits part sizes, part count and retries of this store
   */
  public static ObjectStore connect(
      String endpoint,
      String region,
      boolean forcePathStyle,
      String bucket,
      Credentials credentials,
      byte[] caBundle,
      UploadLimits limits) {
    if (bucket == null || bucket.isBlank()) {
      throw new IllegalArgumentException("no bucket given: set spec.s3.bucket");
    }
    OkHttpClient http = httpClient(caBundle == null ? null : TrustedCas.fromPem(caBundle));
    MinioAsyncClient client;
    try {
      client =
          new S3Client(
              MinioAsyncClient.builder()
                  .endpoint(endpoint)
                  .region(region == null || region.isBlank() ? DEFAULT_REGION : region)
                  .credentials(credentials.accessKey(), credentials.secretKey())
                  .httpClient(http, true)
                  .build());
    } catch (IllegalArgumentException e) {
      http.dispatcher().executorService().shutdown();
      throw new IllegalArgumentException(
          "invalid object store endpoint '" + endpoint + "': " + e.getMessage(), e);
    }
    if (forcePathStyle) {
      client.disableVirtualStyleEndpoint();
    } else {
      client.enableVirtualStyleEndpoint();
    }
    return new ObjectStore(client, endpoint, bucket, limits);
  }

  private static OkHttpClient httpClient(TrustedCas cas) {
    // Part reads of a running upload happen on the dispatcher's callback thread while its call
    // still counts as running; raise OkHttp's default of 5 calls per host so several parallel
    // uploads cannot starve each other.
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(128);
    dispatcher.setMaxRequestsPerHost(64);
    OkHttpClient.Builder builder =
        DefaultClient.INSTANCE
            .newBuilder()
            .dispatcher(dispatcher)
            .connectTimeout(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .readTimeout(IO_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .writeTimeout(IO_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    // Retries are ours (UploadLimits.Retries: per request, with backoff, on network errors too);
    // minio's interceptor would retry 5xx answers again inside each of our attempts.
    builder.interceptors().removeIf(i -> i instanceof Http.StatusRetryInterceptor);
    if (cas != null) {
      builder.sslSocketFactory(cas.socketFactory(), cas.trustManager());
    }
    return builder.build();
  }

  /**
   * minio's default client, built once: it reads and parses the CA bundle named by {@code
   * SSL_CERT_FILE} / {@code SSL_CERT_DIR}, which cost the operator hundreds of milliseconds per
   * connect at scale. Each store gets its own dispatcher and timeouts on top of it and shares its
   * connection pool.
   */
  private static final class DefaultClient {
    static final OkHttpClient INSTANCE = Http.newDefaultClient();
  }

  public String endpoint() {
    return endpoint;
  }

  public String bucket() {
    return bucket;
  }

  /**
   * Writes, reads back and deletes a small object under {@code <prefix>/.osbackup-probe/}. Never
   * throws: a failure is returned with a reason code of {@link StoreErrors} and a message saying
   * what to fix.
   */
  public ProbeResult probe(String prefix) {
    String key = under(prefix, PROBE_FOLDER + "/" + UUID.randomUUID());
    byte[] body = ("osbackup probe " + key + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      put(key, body, "text/plain");
      byte[] back;
      try (InputStream in = download(key)) {
        back = in.readAllBytes();
      }
      call(
          () -> client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build()));
      if (!Arrays.equals(body, back)) {
        return new ProbeResult(
            false,
            StoreErrors.PROBE_FAILED,
            "the object store at "
                + endpoint
                + " returned other bytes than were written to "
                + key);
      }
      return ProbeResult.reachable(endpoint, bucket);
    } catch (IOException | RuntimeException e) {
      return ProbeResult.failed(StoreErrors.describe(e, endpoint, bucket));
    }
  }

  /** Writes {@code value} as JSON to {@code key}, replacing what is there. */
  @Override
  public void putJson(String key, Object value) throws IOException {
    put(
        key,
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value),
        "application/json");
  }

  /** Writes exactly {@code body} as a JSON document to {@code key}, replacing what is there. */
  public void putJsonBytes(String key, byte[] body) throws IOException {
    put(key, body, "application/json");
  }

  /**
   * Reads the JSON document at {@code key}; empty if there is none. A document that does not parse
   * throws.
   */
  public <T> Optional<T> getJson(String key, Class<T> type) throws IOException {
    byte[] bytes;
    try (InputStream in = call(() -> client.getObject(get(key)))) {
      bytes = in.readAllBytes();
    } catch (StoreException e) {
      if (StoreErrors.OBJECT_NOT_FOUND.equals(e.reason())) {
        return Optional.empty();
      }
      throw e;
    }
    try {
      return Optional.of(Json.MAPPER.readValue(bytes, type));
    } catch (IOException e) {
      throw new StoreException(
          StoreErrors.STORE_ERROR,
          "object "
              + key
              + " in bucket '"
              + bucket
              + "' is not a valid "
              + type.getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Size, ETag and time of the object at {@code key}; empty if there is none. */
  public Optional<ObjectInfo> stat(String key) throws IOException {
    try {
      StatObjectResponse r =
          call(
              () -> client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()));
      return Optional.of(
          new ObjectInfo(
              key,
              r.size(),
              unquote(r.etag()),
              r.lastModified() == null ? null : r.lastModified().toInstant()));
    } catch (StoreException e) {
      if (StoreErrors.OBJECT_NOT_FOUND.equals(e.reason())) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Every object whose key starts with {@code prefix} (recursively), in key order. */
  public List<ObjectInfo> list(String prefix) throws IOException {
    return retrying(
        null,
        () -> {
          List<ObjectInfo> out = new ArrayList<>();
          Iterable<Result<Item>> items =
              client.listObjects(
                  ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build());
          for (Result<Item> result : items) {
            Item item = result.get();
            out.add(
                new ObjectInfo(
                    item.objectName(),
                    item.size(),
                    unquote(item.etag()),
                    item.lastModified() == null ? null : item.lastModified().toInstant()));
          }
          return out;
        });
  }

  /** Deletes the objects; keys that do not exist are fine. Throws if any deletion failed. */
  public void delete(Collection<String> keys) throws IOException {
    if (keys.isEmpty()) {
      return;
    }
    List<DeleteRequest.Object> objects = keys.stream().map(DeleteRequest.Object::new).toList();
    List<String> failures = new ArrayList<>();
    try {
      // the batch delete is lazy: nothing is deleted until the results are iterated
      for (Result<DeleteResult.Error> result :
          client.removeObjects(
              RemoveObjectsArgs.builder().bucket(bucket).objects(objects).build())) {
        DeleteResult.Error error = result.get();
        failures.add(error.objectName() + " (" + error.code() + ": " + error.message() + ")");
      }
    } catch (Exception e) {
      throw error(e);
    }
    if (!failures.isEmpty()) {
      throw new StoreException(
          StoreErrors.STORE_ERROR,
          "could not delete "
              + failures.size()
              + " of "
              + keys.size()
              + " objects in bucket '"
              + bucket
              + "' at "
              + endpoint
              + ": "
              + String.join(", ", failures.subList(0, Math.min(5, failures.size())))
              + (failures.size() > 5 ? ", …" : ""),
          null);
    }
  }

  /**
   * Keys of the multipart uploads under {@code prefix} that were started and neither completed nor
   * aborted.
   */
  public List<String> incompleteUploads(String prefix) throws IOException {
    return uploads(prefix).stream().map(ListMultipartUploadsResult.Upload::objectName).toList();
  }

  /**
   * Aborts every incomplete multipart upload under {@code prefix}; returns how many were aborted.
   */
  public int abortIncompleteUploads(String prefix) throws IOException {
    return abortIncompleteUploads(prefix, false);
  }

  int abortIncompleteUploads(String prefix, boolean exactKey) throws IOException {
    int aborted = 0;
    for (ListMultipartUploadsResult.Upload upload : uploads(prefix)) {
      if (exactKey && !upload.objectName().equals(prefix)) {
        continue;
      }
      try {
        call(
            () ->
                client.abortMultipartUpload(
                    AbortMultipartUploadArgs.builder()
                        .bucket(bucket)
                        .object(upload.objectName())
                        .uploadId(upload.uploadId())
                        .build()));
        aborted++;
      } catch (StoreException e) {
        if (!StoreErrors.UPLOAD_NOT_FOUND.equals(e.reason())) { // gone meanwhile: fine
          throw e;
        }
      }
    }
    return aborted;
  }

  private List<ListMultipartUploadsResult.Upload> uploads(String prefix) throws IOException {
    List<ListMultipartUploadsResult.Upload> out = new ArrayList<>();
    String keyMarker = null;
    String uploadIdMarker = null;
    while (true) {
      ListMultipartUploadsArgs.Builder args =
          ListMultipartUploadsArgs.builder().bucket(bucket).maxUploads(1000);
      if (prefix != null && !prefix.isEmpty()) {
        args.prefix(prefix);
      }
      if (keyMarker != null) {
        args.keyMarker(keyMarker);
      }
      if (uploadIdMarker != null) {
        args.uploadIdMarker(uploadIdMarker);
      }
      ListMultipartUploadsResult result =
          call(() -> client.listMultipartUploads(args.build())).result();
      if (result.uploads() != null) {
        out.addAll(result.uploads());
      }
      if (!result.isTruncated()
          || (result.nextKeyMarker() == null && result.nextUploadIdMarker() == null)) {
        return out;
      }
      keyMarker = result.nextKeyMarker();
      uploadIdMarker = result.nextUploadIdMarker();
    }
  }

  /**
   * The stored bytes of {@code key}, as they are in the bucket (still compressed). The caller
   * closes it.
   */
  public InputStream download(String key) throws IOException {
    GetObjectResponse response = call(() -> client.getObject(get(key)));
    return response;
  }

  /**
   * Starts a streaming upload to {@code key}: the bytes written are compressed, hashed and uploaded
   * in parts while they are written (see {@link UploadLimits}). See {@link ArtifactUpload} for
   * finishing and aborting.
   */
  @Override
  public ArtifactUpload open(String key, Compression compression) throws IOException {
    return open(key, compression, 0);
  }

  /**
   * Starts a streaming upload to {@code key} whose stored size is expected to be about {@code
   * expectedSize} bytes (0: unknown): the part size is chosen so it fits. An expected size beyond
   * what the store takes in one upload fails here, before anything is sent, with reason {@link
   * StoreErrors#ARTIFACT_TOO_LARGE}.
   */
  @Override
  public ArtifactUpload open(String key, Compression compression, long expectedSize)
      throws IOException {
    long first = limits.firstPartSize(expectedSize);
    if (expectedSize > limits.capacity(first)) {
      throw new StoreException(
          StoreErrors.ARTIFACT_TOO_LARGE,
          "artifact "
              + key
              + " is expected to reach about "
              + UploadLimits.mib(expectedSize)
              + ", more than the store at "
              + endpoint
              + " takes in one upload: "
              + limits.describe(first),
          null);
    }
    return new StreamingUpload(this, key, compression, first);
  }

  UploadLimits limits() {
    return limits;
  }

  /** Writes {@code length} bytes of {@code data} as the whole object {@code key}. */
  void putBytes(String key, byte[] data, int length, String contentType) throws StoreException {
    retrying(
        "upload of " + key,
        () ->
            join(
                client.putObject(
                    PutObjectArgs.builder()
                        .bucket(bucket)
                        .object(key)
                        .data(data, length)
                        .contentType(contentType)
                        .build())));
  }

  /** Starts a multipart upload of {@code key}; returns its upload id. */
  String createUpload(String key, String contentType) throws StoreException {
    return retrying(
        "start of the multipart upload of " + key,
        () ->
            join(client.createMultipartUpload(
                    CreateMultipartUploadArgs.builder()
                        .bucket(bucket)
                        .object(key)
                        .headers(new Http.Headers("Content-Type", contentType))
                        .build()))
                .result()
                .uploadId());
  }

  /** Uploads part {@code number} (from 1) of an upload, trying it again on a transient failure. */
  Part uploadPart(String key, String uploadId, int number, byte[] data, int length)
      throws StoreException {
    return retrying(
        "upload of part " + number + " of " + key,
        () ->
            join(client.uploadPart(
                    UploadPartArgs.builder()
                        .bucket(bucket)
                        .object(key)
                        .uploadId(uploadId)
                        .partNumber(number)
                        .data(data, length)
                        .build()))
                .part());
  }

  /**
   * Completes an upload from its parts. A repeated attempt that finds the upload gone is taken as
   * done (the first attempt completed it but its answer was lost); the caller checks the size.
   */
  void completeUpload(String key, String uploadId, List<Part> parts) throws StoreException {
    AtomicInteger attempts = new AtomicInteger();
    retrying(
        "completion of the multipart upload of " + key,
        () -> {
          try {
            attempts.incrementAndGet();
            return join(
                client.completeMultipartUpload(
                    CompleteMultipartUploadArgs.builder()
                        .bucket(bucket)
                        .object(key)
                        .uploadId(uploadId)
                        .parts(parts.toArray(new Part[0]))
                        .build()));
          } catch (StoreException e) {
            if (attempts.get() > 1 && StoreErrors.UPLOAD_NOT_FOUND.equals(e.reason())) {
              return null;
            }
            throw e;
          }
        });
  }

  /** Aborts one multipart upload; one that is gone already is fine. */
  void abortUpload(String key, String uploadId) throws StoreException {
    try {
      call(
          () ->
              client.abortMultipartUpload(
                  AbortMultipartUploadArgs.builder()
                      .bucket(bucket)
                      .object(key)
                      .uploadId(uploadId)
                      .build()));
    } catch (StoreException e) {
      if (!StoreErrors.UPLOAD_NOT_FOUND.equals(e.reason())) {
        throw e;
      }
    }
  }

  @Override
  public void close() {
    client.close();
  }

  MinioAsyncClient client() {
    return client;
  }

  /** {@code failure} as a {@link StoreException} naming this store's endpoint and bucket. */
  StoreException error(Throwable failure) {
    return StoreErrors.toException(failure, endpoint, bucket);
  }

  private void put(String key, byte[] body, String contentType) throws IOException {
    call(
        () ->
            client.putObject(
                PutObjectArgs.builder()
                    .bucket(bucket)
                    .object(key)
                    .data(body, body.length)
                    .contentType(contentType)
                    .build()));
  }

  private GetObjectArgs get(String key) {
    return GetObjectArgs.builder().bucket(bucket).object(key).build();
  }

  /** One request, tried again on a transient failure as {@link UploadLimits.Retries} says. */
  private <T> T call(Supplier<CompletableFuture<T>> request) throws StoreException {
    return retrying(null, () -> join(request.get()));
  }

  /**
   * Runs {@code request}, trying it again after a transient failure ({@link
   * StoreErrors#isTransient}) with exponential backoff, at most {@code maxAttempts} times in all.
   * The failure after several attempts names {@code what} (if given), how many attempts were made
   * and the last error.
   */
  <T> T retrying(String what, CheckedSupplier<T> request) throws StoreException {
    AtomicInteger attempts = new AtomicInteger();
    try {
      return Retry.decorateCheckedSupplier(
              retry,
              () -> {
                int attempt = attempts.incrementAndGet();
                try {
                  return request.get();
                } catch (Throwable t) {
                  if (attempt < limits.retries().maxAttempts() && StoreErrors.isTransient(t)) {
                    LOG.warn(
                        "{} failed (attempt {} of {}), trying again: {}",
                        what == null ? "a request to " + endpoint : what,
                        attempt,
                        limits.retries().maxAttempts(),
                        StoreErrors.describe(t, endpoint, bucket).message());
                  }
                  throw t;
                }
              })
          .get();
    } catch (Throwable t) {
      if (t instanceof Error e) {
        throw e;
      }
      StoreException e = error(t);
      if (attempts.get() > 1 || what != null) {
        throw new StoreException(
            e.reason(),
            (what == null ? "" : what + ": ")
                + (attempts.get() > 1 ? "failed after " + attempts.get() + " attempts: " : "")
                + e.getMessage(),
            e.getCause());
      }
      throw e;
    }
  }

  private <T> T join(CompletableFuture<T> future) throws StoreException {
    try {
      return future.join();
    } catch (CompletionException e) {
      throw error(e.getCause() == null ? e : e.getCause());
    } catch (RuntimeException e) {
      throw error(e);
    }
  }

  static String under(String prefix, String rest) {
    if (prefix == null || prefix.isEmpty()) {
      return rest;
    }
    return prefix.endsWith("/") ? prefix + rest : prefix + "/" + rest;
  }

  private static String unquote(String etag) {
    if (etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
      return etag.substring(1, etag.length() - 1);
    }
    return etag;
  }

  @Override
  public String toString() {
    return "ObjectStore[" + endpoint + ", bucket=" + bucket + "]";
  }
}
