package io.osbackup.store;

import io.minio.AbortMultipartUploadArgs;
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
import io.minio.messages.DeleteRequest;
import io.minio.messages.DeleteResult;
import io.minio.messages.Item;
import io.minio.messages.ListMultipartUploadsResult;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * One bucket of an S3-compatible store (AWS, MinIO, Ceph RGW, Swift's s3api): probe, JSON
 * documents, listing, deletion, incomplete-upload cleanup and streaming artifact uploads. Every
 * failure is a {@link StoreException} described by {@link StoreErrors}; no secret ever reaches a
 * message.
 */
public final class ObjectStore implements Bucket {

  /**
   * Part size of artifact uploads: 32 MiB. Artifacts are uploaded without knowing their size, so
   * the part size caps the object size at 10,000 parts (AWS, MinIO, Ceph): 312.5 GiB; Swift's s3api
   * allows 1,000 parts by default ({@code max_upload_part_num}): 31.25 GiB. One part is held in
   * memory per running upload.
   */
  public static final long PART_SIZE = 32L << 20;

  /** Connect timeout: an unreachable endpoint fails within this time. */
  public static final long CONNECT_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(5);

  /** Read and write timeout of one request (a stalled transfer fails after this). */
  public static final long IO_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(2);

  private static final String PROBE_FOLDER = ".osbackup-probe";

  private final MinioAsyncClient client;
  private final String endpoint;
  private final String bucket;

  private ObjectStore(MinioAsyncClient client, String endpoint, String bucket) {
    this.client = client;
    this.endpoint = endpoint;
    this.bucket = bucket;
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
   */
  public static ObjectStore connect(
      String endpoint,
      String region,
      boolean forcePathStyle,
      String bucket,
      Credentials credentials) {
    if (bucket == null || bucket.isBlank()) {
      throw new IllegalArgumentException("no bucket given: set spec.s3.bucket");
    }
    OkHttpClient http = httpClient();
    MinioAsyncClient client;
    try {
      client =
          new S3Client(
              MinioAsyncClient.builder()
                  .endpoint(endpoint)
                  .region(region == null || region.isBlank() ? "us-east-1" : region)
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
    return new ObjectStore(client, endpoint, bucket);
  }

  private static OkHttpClient httpClient() {
    // Part reads of a running upload happen on the dispatcher's callback thread while its call
    // still counts as
    // running; raise OkHttp's default of 5 calls per host so several parallel uploads cannot starve
    // each other.
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(128);
    dispatcher.setMaxRequestsPerHost(64);
    return DefaultClient.INSTANCE
        .newBuilder()
        .dispatcher(dispatcher)
        .connectTimeout(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .readTimeout(IO_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .writeTimeout(IO_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .build();
  }

  /**
   * minio's default client, built once: it reads and parses the CA bundle named by {@code SSL_CERT_FILE} /
   * {@code SSL_CERT_DIR}, which cost the operator hundreds of milliseconds per connect at scale. Each store gets its
   * own dispatcher and timeouts on top of it and shares its connection pool.
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
    byte[] body =
        ("osbackup probe " + key + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      put(key, body, "text/plain");
      byte[] back;
      try (InputStream in = download(key)) {
        back = in.readAllBytes();
      }
      call(client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build()));
      if (!java.util.Arrays.equals(body, back)) {
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
    try (InputStream in = call(client.getObject(get(key)))) {
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
          call(client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()));
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
    List<ObjectInfo> out = new ArrayList<>();
    Iterable<Result<Item>> items =
        client.listObjects(
            ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build());
    try {
      for (Result<Item> result : items) {
        Item item = result.get();
        out.add(
            new ObjectInfo(
                item.objectName(),
                item.size(),
                unquote(item.etag()),
                item.lastModified() == null ? null : item.lastModified().toInstant()));
      }
    } catch (Exception e) {
      throw error(e);
    }
    return out;
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
      ListMultipartUploadsResult result = call(client.listMultipartUploads(args.build())).result();
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
    GetObjectResponse response = call(client.getObject(get(key)));
    return response;
  }

  /**
   * Starts a streaming upload to {@code key}: the bytes written are compressed, hashed and uploaded
   * in parts of {@link #PART_SIZE} while they are written. See {@link ArtifactUpload} for finishing
   * and aborting.
   */
  @Override
  public ArtifactUpload open(String key, Compression compression) throws IOException {
    return new StreamingUpload(this, key, compression);
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

  private <T> T call(CompletableFuture<T> future) throws StoreException {
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
