package io.osbackup.local;

import java.util.ArrayList;
import java.util.List;

/**
 * What local mode did, as it prints it last: each backup run and restore with its outcome, how many
 * artifacts of how many bytes, and where they are; then where the logs and the break-glass CLI's
 * logins are.
 */
final class LocalSummary {

  /**
   * One backup run or restore.
   *
   * @param kind {@code backup} or {@code restore}
   * @param phase the final phase, or what it was when local mode stopped following it
   * @param artifacts artifacts written or restored; null when unknown
   * @param bytes their total size; null when unknown
   * @param where where they are (the store's folder, the restore's destinations)
   * @param failures one line per failed target
   */
  record Item(
      String kind,
      String name,
      String phase,
      boolean succeeded,
      Integer artifacts,
      Long bytes,
      String where,
      List<String> failures) {}

  private final List<Item> items = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  LocalSummary add(Item item) {
    items.add(item);
    return this;
  }

  /** A line printed below the items, e.g. where the logs are. */
  LocalSummary note(String line) {
    notes.add(line);
    return this;
  }

  /** Whether every item succeeded (and there is at least one). */
  boolean succeeded() {
    return !items.isEmpty() && items.stream().allMatch(Item::succeeded);
  }

  /** The lines to print, without a trailing newline each. */
  List<String> lines() {
    List<String> lines = new ArrayList<>();
    long ok = items.stream().filter(Item::succeeded).count();
    lines.add(
        "Summary: "
            + (items.isEmpty()
                ? "nothing ran"
                : ok == items.size()
                    ? "all " + items.size() + " succeeded"
                    : (items.size() - ok) + " of " + items.size() + " FAILED"));
    int width = items.stream().mapToInt(i -> i.name().length()).max().orElse(0);
    for (Item item : items) {
      StringBuilder line =
          new StringBuilder("  ")
              .append(item.succeeded() ? "ok      " : "FAILED  ")
              .append(
                  String.format(
                      "%-8s%-" + width + "s  %s", item.kind(), item.name(), item.phase()));
      if (item.artifacts() != null) {
        line.append(", ")
            .append(item.artifacts())
            .append(item.artifacts() == 1 ? " artifact" : " artifacts");
        if (item.bytes() != null) {
          line.append(", ").append(size(item.bytes()));
        }
      }
      lines.add(line.toString());
      if (item.where() != null && !item.where().isBlank()) {
        lines.add("          " + item.where());
      }
      item.failures().forEach(f -> lines.add("          failed: " + f));
    }
    notes.forEach(n -> lines.add("  " + n));
    return lines;
  }

  /** Bytes as a person reads them: {@code 512 B}, {@code 23.0 KiB}, {@code 1.5 MiB}. */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
