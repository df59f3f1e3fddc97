package io.osbackup.store;

import io.minio.Http;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListMultipartUploadsResponse;
import io.minio.MinioAsyncClient;
import io.minio.Xml;
import io.minio.errors.XmlParserException;
import io.minio.messages.ListMultipartUploadsResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * minio's asynchronous client with one request fixed for Swift: ListMultipartUploads without an
 * empty {@code delimiter=} parameter. minio always sends it; AWS ignores it, but Swift's s3api then
 * files every upload under an empty common prefix and lists none.
 */
final class S3Client extends MinioAsyncClient {

  S3Client(MinioAsyncClient client) {
    super(client);
  }

  @Override
  public CompletableFuture<ListMultipartUploadsResponse> listMultipartUploads(
      ListMultipartUploadsArgs args) {
    Http.QueryParameters query =
        new Http.QueryParameters(
            "uploads",
            "",
            "max-uploads",
            args.maxUploads() != null ? args.maxUploads().toString() : "1000",
            "prefix",
            args.prefix() != null ? args.prefix() : "");
    if (args.delimiter() != null && !args.delimiter().isEmpty()) {
      query.add("delimiter", args.delimiter());
    }
    if (args.encodingType() != null) {
      query.add("encoding-type", args.encodingType());
    }
    if (args.keyMarker() != null) {
      query.add("key-marker", args.keyMarker());
    }
    if (args.uploadIdMarker() != null) {
      query.add("upload-id-marker", args.uploadIdMarker());
    }
    return executeGetAsync(args, null, query)
        .thenApply(
            response -> {
              try (response) {
                ListMultipartUploadsResult result =
                    Xml.unmarshal(ListMultipartUploadsResult.class, response.body().charStream());
                return new ListMultipartUploadsResponse(
                    response.headers(), args.bucket(), args.region(), result);
              } catch (XmlParserException e) {
                throw new CompletionException(e);
              }
            });
  }
}
