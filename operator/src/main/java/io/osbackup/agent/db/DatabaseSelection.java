package io.osbackup.agent.db;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which databases of a server a target backs up: its include and exclude lists applied to what the
 * server has.
 */
public final class DatabaseSelection {

  /** Schemas that are views of the server's state, not data: never dumped, never restorable. */
  public static final Set<String> VIRTUAL = Set.of("information_schema", "performance_schema");

  /**
   * osbackup's own bookkeeping on the server (the restore's switch journal): never part of "every
   * database", only dumped when an include list names it.
   */
  public static final String OSBACKUP = "osbackup_restore";

  /** The server's own databases, skipped unless {@code includeSystemDatabases}. */
  public static final Set<String> SYSTEM = Set.of("mysql", "sys");

  private DatabaseSelection() {}

  /**
   * The databases to dump, in the server's order for an empty include list, else in the include
   * list's order.
   *
   * @throws IllegalArgumentException with a message naming the field when an included database does
   *     not exist
   */
  static List<String> resolve(
      List<String> include,
      List<String> exclude,
      boolean includeSystemDatabases,
      List<String> existing,
      String server) {
    Set<String> excluded = new LinkedHashSet<>(exclude == null ? List.of() : exclude);
    List<String> selected = new ArrayList<>();
    if (include == null || include.isEmpty()) {
      for (String db : existing) {
        if (VIRTUAL.contains(db)
            || OSBACKUP.equals(db)
            || (!includeSystemDatabases && SYSTEM.contains(db))) {
          continue;
        }
        if (!excluded.contains(db)) {
          selected.add(db);
        }
      }
      return selected;
    }
    List<String> missing = new ArrayList<>();
    for (String db : new LinkedHashSet<>(include)) {
      if (VIRTUAL.contains(db)) {
        throw new IllegalArgumentException(
            "spec.databases[].include names '"
                + db
                + "', a virtual schema of the server that cannot be backed up: remove it");
      }
      if (!existing.contains(db)) {
        missing.add(db);
      } else if (!excluded.contains(db)) {
        selected.add(db);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          "spec.databases[].include names "
              + (missing.size() == 1
                  ? "database '" + missing.get(0) + "', which does"
                  : "databases " + missing + ", which do")
              + " not exist on "
              + server
              + " (it has "
              + existing
              + ")");
    }
    return selected;
  }
}
