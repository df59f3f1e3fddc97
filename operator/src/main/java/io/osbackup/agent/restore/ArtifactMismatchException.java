package io.osbackup.agent.restore;

import java.io.IOException;

/**
 * An artifact in the bucket is not what its manifest says: changed, truncated or corrupted. Nothing
 * is restored.
 */
public final class ArtifactMismatchException extends IOException {

  private final String key;

  public ArtifactMismatchException(
      String key, long expectedSize, String expectedSha256, long actualSize, String actualSha256) {
    super(
        "artifact "
            + key
            + " does not match its manifest (expected "
            + expectedSize
            + " bytes, sha256 "
            + expectedSha256
            + "; read "
            + actualSize
            + " bytes, sha256 "
            + actualSha256
            + "): the object was changed or corrupted in the bucket; restore from another backup");
    this.key = key;
  }

  /** The artifact's object key. */
  public String key() {
    return key;
  }
}
