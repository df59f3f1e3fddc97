package io.osbackup.agent.restore.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The restore login's privileges, read from {@code SHOW GRANTS} (its own grants and its default
 * role's) and checked before anything is downloaded: what loading into a staging schema, the switch
 * and its journal need on every schema a restore touches, and for accounts {@code CREATE USER} and
 * {@code GRANT OPTION} on {@code *.*}. The full list, and SQL granting it, is in docs/privileges.md
 * and docs/sql/restore-account.sql.
 */
public final class RestorePrivileges {

  /**
   * What a database restore needs on the destination, its staging and keep schemas and the journal
   * schema.
   */
  public static final List<String> DATABASE =
      List.of(
          "SELECT",
          "INSERT",
          "UPDATE",
          "DELETE",
          "CREATE",
          "DROP",
          "ALTER",
          "INDEX",
          "LOCK TABLES",
          "CREATE VIEW",
          "SHOW VIEW",
          "TRIGGER",
          "CREATE ROUTINE",
          "ALTER ROUTINE",
          "EVENT");

  /**
   * What an accounts restore needs on {@code *.*} besides: creating accounts and granting what they
   * hold.
   */
  public static final List<String> ACCOUNTS = List.of("CREATE USER", "SELECT");

  private static final Set<String> ALL = new LinkedHashSet<>(List.of("ALL PRIVILEGES"));

  /** The privileges held: on {@code *.*}, and per database pattern. */
  record Held(Set<String> global, boolean grantOption, Map<String, Set<String>> databases) {

    boolean has(String privilege, String schema) {
      if (global.contains(privilege) || global.containsAll(ALL)) {
        return true;
      }
      for (Map.Entry<String, Set<String>> e : databases.entrySet()) {
        if (like(schema, e.getKey())
            && (e.getValue().contains(privilege) || e.getValue().contains("ALL PRIVILEGES"))) {
          return true;
        }
      }
      return false;
    }
  }

  private RestorePrivileges() {}

  /**
   * Checks the login of {@code c} for restoring into {@code schemas} (destinations with their
   * staging and keep schemas, and {@link SwapJournal#SCHEMA}) and, with {@code accounts}, for
   * restoring accounts.
   *
   * @return null when it has all it needs, else a message naming the login, what is missing and the
   *     SQL to grant it
   */
  public static String missing(Connection c, List<String> schemas, boolean accounts)
      throws SQLException {
    String user;
    List<String> grants = new ArrayList<>();
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT CURRENT_USER()")) {
        rs.next();
        user = rs.getString(1);
      }
      try (ResultSet rs = s.executeQuery("SHOW GRANTS")) {
        while (rs.next()) {
          grants.add(rs.getString(1));
        }
      }
    }
    Held held = held(grants);
    Map<String, List<String>> lacking = new LinkedHashMap<>();
    for (String schema : schemas) {
      for (String p : DATABASE) {
        if (!held.has(p, schema)) {
          lacking.computeIfAbsent(p, k -> new ArrayList<>()).add(schema);
        }
      }
    }
    int at = user.lastIndexOf('@');
    String login = "'" + user.substring(0, at) + "'@'" + user.substring(at + 1) + "'";
    List<String> problems = new ArrayList<>();
    if (!lacking.isEmpty()) {
      problems.add(
          "lacks "
              + String.join(", ", lacking.keySet())
              + " on "
              + lacking.values().stream().flatMap(List::stream).distinct().toList()
              + " (GRANT "
              + String.join(", ", lacking.keySet())
              + " ON *.* TO "
              + login
              + ";)");
    }
    if (accounts) {
      List<String> global = new ArrayList<>();
      for (String p : ACCOUNTS) {
        if (!held.global().contains(p) && !held.global().contains("ALL PRIVILEGES")) {
          global.add(p);
        }
      }
      if (!global.isEmpty() || !held.grantOption()) {
        problems.add(
            "cannot restore accounts: it lacks "
                + (global.isEmpty() ? "" : String.join(", ", global) + " and ")
                + (held.grantOption() ? "" : "GRANT OPTION ")
                + "on *.* (GRANT ALL PRIVILEGES ON *.* TO "
                + login
                + " WITH GRANT OPTION;, since GRANT needs the grantor to hold each privilege it grants)");
      }
    }
    if (problems.isEmpty()) {
      return null;
    }
    return "the restore login "
        + login
        + " "
        + String.join("; it ", problems)
        + "; see docs/privileges.md and docs/sql/restore-account.sql. Nothing was downloaded or written";
  }

  /** Parses {@code SHOW GRANTS} lines. */
  static Held held(List<String> grants) {
    Set<String> global = new LinkedHashSet<>();
    boolean grantOption = false;
    Map<String, Set<String>> databases = new LinkedHashMap<>();
    for (String line : grants) {
      if (!line.startsWith("GRANT ")) {
        continue;
      }
      int on = line.indexOf(" ON ");
      int to = line.indexOf(" TO ", on < 0 ? 0 : on);
      if (on < 0 || to < 0) {
        continue; // a role granted
      }
      Set<String> privileges = new LinkedHashSet<>();
      for (String p : line.substring("GRANT ".length(), on).split(",")) {
        String name = p.strip();
        int paren = name.indexOf(" (");
        if (paren < 0) {
          privileges.add(name);
        }
      }
      String object = line.substring(on + 4, to);
      if (object.equals("*.*")) {
        global.addAll(privileges);
        grantOption |= line.substring(to).contains("WITH GRANT OPTION");
      } else if (object.startsWith("`") && object.endsWith("`.*")) {
        String pattern = object.substring(1, object.length() - 3).replace("``", "`");
        databases.computeIfAbsent(pattern, k -> new LinkedHashSet<>()).addAll(privileges);
      }
    }
    return new Held(global, grantOption, databases);
  }

  /** SQL LIKE as database grants match names: {@code %} any, {@code _} one, {@code \} escapes. */
  static boolean like(String name, String pattern) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '\\' && i + 1 < pattern.length()) {
        regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
      } else if (c == '%') {
        regex.append(".*");
      } else if (c == '_') {
        regex.append('.');
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.DOTALL)
        .matcher(name)
        .matches();
  }
}
