package io.osbackup.contract;

import java.util.Locale;

/**
 * What an artifact (and the task that writes it) holds, as written in plans, reports, manifests and
 * the BackupRun's tasks. The wire form stays a string ({@link #value()}) in those records, so a
 * reader that meets a kind it does not know (written by a newer agent) skips that artifact instead
 * of failing to read the whole manifest.
 */
public enum ArtifactKind {
  /** One database's dump. */
  DATABASE,
  /** One node's (or volume's) archive of a files target. */
  FILES,
  /** A database target's accounts, roles and grants. */
  ACCOUNTS;

  /** The string written for this kind: {@code database}, {@code files}, {@code accounts}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether {@code written} names this kind. */
  public boolean is(String written) {
    return value().equals(written);
  }
}
