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
   * Reads the files {@code accessKey} and {@code secretKey} of a mounted Secret. One trailing
   * newline (as left by {@code echo} or an editor) is removed from each.
   */
  public static Credentials fromDirectory(Path dir) throws IOException {
    return new Credentials(readKey(dir, ACCESS_KEY), readKey(dir, SECRET_KEY));
  }

  private static String readKey(Path dir, String name) throws IOException {
    String value;
    try {
      value = Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IOException(
          "store credentials in "
              + dir
              + " have no key '"
              + name
              + "': the credentials Secret must have the keys "
              + ACCESS_KEY
              + " and "
              + SECRET_KEY,
          e);
    }
    if (value.endsWith("\r\n")) {
      value = value.substring(0, value.length() - 2);
    } else if (value.endsWith("\n")) {
      value = value.substring(0, value.length() - 1);
    }
    if (value.isEmpty()) {
      throw new IOException(
          "store credentials in "
              + dir
              + " have an empty '"
              + name
              + "': fill it in the credentials Secret");
    }
    return value;
  }

  @Override
  public String toString() {
    return "Credentials[accessKey=" + accessKey + ", secretKey=****]";
  }
}
