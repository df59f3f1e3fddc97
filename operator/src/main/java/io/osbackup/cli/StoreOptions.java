package io.osbackup.cli;

import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.store.Credentials;
import io.osbackup.store.ObjectStore;
import io.osbackup.store.TrustedCas;
import io.osbackup.store.UploadLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where the break-glass commands find the bucket. Credentials come from a directory holding the
 * files {@code accessKey} and {@code secretKey} (a mounted Secret) or from the environment, never
 * from the command line, which other users of the machine can read.
 */
public final class StoreOptions {

  /**
   * Environment variables read when no credentials directory is given (the AWS names are read as
   * well).
   */
  public static final String ACCESS_KEY_ENV = "OSBACKUP_S3_ACCESS_KEY";

  public static final String SECRET_KEY_ENV = "OSBACKUP_S3_SECRET_KEY";

  @Option(
      names = "--endpoint",
      required = true,
      description = "URL of the S3 API, e.g. http://swift-proxy:8080.")
  String endpoint;

  @Option(names = "--bucket", required = true, description = "Bucket holding the backups.")
  String bucket;

  @Option(
      names = "--prefix",
      description = "Key prefix of the BackupStore (spec.s3.prefix), if any.")
  String prefix;

  @Option(
      names = "--region",
      defaultValue = S3Location.DEFAULT_REGION,
      description = "Region (default: ${DEFAULT-VALUE}).")
  String region;

  @Option(
      names = "--virtual-host-style",
      description = "Address the bucket as a virtual host, not in the path.")
  boolean virtualHostStyle;

  @Option(
      names = "--s3-credentials-dir",
      description =
          "Directory with the files accessKey and secretKey. Default: $"
              + ACCESS_KEY_ENV
              + " and $"
              + SECRET_KEY_ENV
              + " (or $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY).")
  Path credentialsDir;

  @Option(
      names = "--ca-bundle",
      description =
          "PEM file of the CAs to trust for an https endpoint with a private CA (the BackupStore's"
              + " spec.s3.caBundle). Default: the JVM's CAs.")
  Path caBundle;

  /** Opens the bucket; the message of a failure says which setting to fix. */
  ObjectStore connect(Map<String, String> env) throws IOException {
    byte[] cas = null;
    if (caBundle != null) {
      TrustedCas.fromFile(caBundle); // a file without a certificate fails here, naming it
      cas = Files.readAllBytes(caBundle);
    }
    return ObjectStore.connect(
        endpoint, region, !virtualHostStyle, bucket, credentials(env), cas, UploadLimits.DEFAULT);
  }

  Credentials credentials(Map<String, String> env) throws IOException {
    if (credentialsDir != null) {
      return Credentials.fromDirectory(credentialsDir);
    }
    String access = first(env, ACCESS_KEY_ENV, "AWS_ACCESS_KEY_ID");
    String secret = first(env, SECRET_KEY_ENV, "AWS_SECRET_ACCESS_KEY");
    if (access == null || secret == null) {
      throw new IOException(
          "no S3 credentials: set --s3-credentials-dir (files accessKey and secretKey) or the"
              + " environment variables "
              + ACCESS_KEY_ENV
              + " and "
              + SECRET_KEY_ENV);
    }
    return new Credentials(access, secret);
  }

  private static String first(Map<String, String> env, String... names) {
    for (String name : names) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return null;
  }
}
