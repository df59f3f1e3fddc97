package io.osbackup.agent.restore.files;

import java.io.IOException;

/**
 * An archive a files restore will not unpack, because of one entry (an absolute name, {@code ..}, a
 * path below a symlink or a file); nothing was written.
 */
public final class ArchiveRefusedException extends IOException {

  private final String entry;

  ArchiveRefusedException(String entry, String why) {
    super(
        "archive entry '" + entry + "' " + why + ": the archive is refused, nothing was restored");
    this.entry = entry;
  }

  /** The name of the refused entry, as the archive spells it. */
  public String entry() {
    return entry;
  }
}
