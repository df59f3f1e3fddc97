package io.osbackup.agent;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The secret values the agent has read (store keys, database password); {@link #redact} scrubs them
 * out of every message before it is logged, reported or written to the termination log.
 */
final class Secrets {

  static final String MASK = "***";

  private final List<String> values;

  private Secrets(List<String> values) {
    this.values = values;
  }

  /** No secrets known yet. */
  static Secrets none() {
    return new Secrets(List.of());
  }

  /**
   * These secrets and {@code more}. Each value is also scrubbed in the escaped forms a server or
   * tool may echo it in: backslash-escaped (MariaDB strings, JSON) and with doubled quotes (SQL).
   */
  Secrets with(String... more) {
    Set<String> all = new LinkedHashSet<>(values);
    for (String value : more) {
      if (value == null || value.isEmpty()) {
        continue;
      }
      all.add(value);
      all.add(value.replace("\\", "\\\\").replace("'", "\\'").replace("\"", "\\\""));
      all.add(value.replace("\\", "\\\\").replace("\"", "\\\""));
      all.add(value.replace("'", "''"));
    }
    List<String> sorted = new ArrayList<>(all);
    // the longest first, so a secret that contains another is masked whole
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    return new Secrets(List.copyOf(sorted));
  }

  /** {@code message} with every known secret replaced by {@value #MASK}; null stays null. */
  String redact(String message) {
    if (message == null) {
      return null;
    }
    String safe = message;
    for (String secret : values) {
      safe = safe.replace(secret, MASK);
    }
    return safe;
  }
}
