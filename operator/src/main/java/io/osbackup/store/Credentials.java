package io.osbackup.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The S3 access key and secret key of a store. {@link #toString()} never shows the secret.
 *
 * @param accessKey the access key id (for Swift's s3api: {@code <account>:<user>})
 * @param secretKey the secret key; never logged, never put in an exception message
 */
public record Credentials(String accessKey, String secretKey) {

  /** File name of the access key in a mounted credentials Secret. */
  public static final String ACCESS_KEY = "accessKey";

  /** File name of the secret key in a mounted credentials Secret. */
  public static final String SECRET_KEY = "secretKey";

  public Credentials {
    if (accessKey == null || accessKey.isEmpty()) {
      throw new IllegalArgumentException("the access key is empty");
    }
    if (secretKey == null || secretKey.isEmpty()) {
      throw new IllegalArgumentException("the secret key is empty");
    }
  }

  /**
   * Reads the keys {@code accessKey} and {@code secretKey} of the Secret mounted at {@code dir} by
   * the rule of {@link #secretValue}; a missing or empty key is an error naming it and {@code dir}.
   */
  public static Credentials fromDirectory(Path dir) throws IOException {
    String hint =
        ": the store credentials Secret must have the keys " + ACCESS_KEY + " and " + SECRET_KEY;
    try {
      return new Credentials(readSecretKey(dir, ACCESS_KEY), readSecretKey(dir, SECRET_KEY));
    } catch (IOException e) {
      throw new IOException(e.getMessage() + hint, e);
    }
  }

  /**
   * The value of one Secret key: its bytes as UTF-8, with exactly one trailing {@code "\n"} or
   * {@code "\r\n"} removed (as left by {@code echo} or an editor, and kept by {@code kubectl create
   * secret --from-file}). The operator decodes Secret data and the agent reads mounted Secrets by
   * this one rule.
   *
   * @throws IllegalArgumentException {@code key 'secretKey' is empty} when nothing is left
   */
  public static String secretValue(byte[] raw, String key) {
    String value = raw == null ? "" : new String(raw, StandardCharsets.UTF_8);
    if (value.endsWith("\r\n")) {
      value = value.substring(0, value.length() - 2);
    } else if (value.endsWith("\n")) {
      value = value.substring(0, value.length() - 1);
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException("key '" + key + "' is empty");
    }
    return value;
  }

  /**
   * Reads key {@code key} of the Secret mounted at {@code dir} by the rule of {@link #secretValue}.
   *
   * @throws IOException naming the key and {@code dir} when the key is missing, unreadable or empty
   */
  public static String readSecretKey(Path dir, String key) throws IOException {
    byte[] raw;
    try {
      raw = Files.readAllBytes(dir.resolve(key));
    } catch (NoSuchFileException e) {
      throw new IOException("the Secret mounted at " + dir + " has no key '" + key + "'", e);
    } catch (IOException e) {
      throw new IOException(
          "cannot read key '" + key + "' of the Secret mounted at " + dir + ": " + e.getMessage(),
          e);
    }
    try {
      return secretValue(raw, key);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage() + " in the Secret mounted at " + dir, e);
    }
  }

  @Override
  public String toString() {
    return "Credentials[accessKey=" + accessKey + ", secretKey=****]";
  }
}
