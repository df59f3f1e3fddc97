package io.osbackup.agent.restore.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What one schema holds, read over JDBC so it can be moved: its tables by name, and its views,
 * triggers, routines and events as statements that re-create them in another schema. RENAME TABLE
 * moves tables between schemas but nothing else, so a restore captures the rest here, drops it,
 * renames the tables and re-creates the rest where it belongs.
 *
 * @param schema the schema read
 * @param tables base tables and sequences
 */
record SchemaObjects(
    String schema,
    List<String> tables,
    List<View> views,
    List<Trigger> triggers,
    List<Routine> routines,
    List<Event> events) {

  /**
   * The session settings an object was created with; it is re-created with the same ones. A
   * character set other than the utf8 family is not taken over: JDBC sends UTF-8.
   */
  record Settings(
      String sqlMode, String clientCharset, String connectionCollation, String timeZone) {}

  /**
   * A view as {@code SHOW CREATE VIEW} gives it with its schema as the current database: table
   * names of that schema come unqualified, or qualified with {@code schema} when the view also
   * reads another database.
   */
  record View(String name, String statement, Settings settings) {

    /**
     * The statement creating this view, read in {@code from}, in the current database {@code into}.
     */
    String createIn(String from, String into, boolean orReplace) {
      String sql = statement.replace(quote(from) + ".`", quote(into) + ".`");
      return orReplace ? orReplace(sql) : sql;
    }
  }

  /** A trigger from {@code information_schema.TRIGGERS}, in the order it fires among its peers. */
  record Trigger(
      String name,
      String table,
      String timing,
      String event,
      String body,
      String definer,
      Settings settings) {

    /** The statement creating this trigger on {@code table} of the current database. */
    String create() {
      return "CREATE "
          + definerClause(definer)
          + "TRIGGER "
          + quote(name)
          + " "
          + timing
          + " "
          + event
          + " ON "
          + quote(table)
          + " FOR EACH ROW "
          + body;
    }
  }

  /** A stored procedure, function, package or package body as {@code SHOW CREATE} gives it. */
  record Routine(String type, String name, String statement, Settings settings) {

    /** The statement creating this routine in the current database. */
    String createIn(boolean orReplace) {
      return orReplace ? orReplace(statement) : statement;
    }
  }

  /** An event as {@code SHOW CREATE EVENT} gives it, with its definer and whether it is enabled. */
  record Event(String name, String statement, String definer, boolean enabled, Settings settings) {

    /** The statement creating this event in the current database. */
    String createIn(boolean orReplace) {
      return orReplace ? orReplace(statement) : statement;
    }

    /** The statement disabling this event of {@code schema}, keeping its definer. */
    String disableIn(String schema) {
      return "ALTER "
          + definerClause(definer)
          + "EVENT "
          + quote(schema)
          + "."
          + quote(name)
          + " DISABLE";
    }
  }

  /** Whether the schema holds nothing at all. */
  boolean isEmpty() {
    return tables.isEmpty() && views.isEmpty() && routines.isEmpty() && events.isEmpty();
  }

  /** How many tables, views, routines, triggers and events it holds, for logs. */
  String counts() {
    return tables.size()
        + " tables, "
        + views.size()
        + " views, "
        + triggers.size()
        + " triggers, "
        + routines.size()
        + " routines, "
        + events.size()
        + " events";
  }

  /**
   * Reads {@code schema}. Leaves {@code schema} as the connection's current database and the
   * session's {@code sql_mode} empty (so {@code SHOW CREATE} quotes names with backticks).
   *
   * @param exactNames whether names are case-sensitive ({@code lower_case_table_names=0})
   */
  static SchemaObjects read(Connection c, String schema, boolean exactNames) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.setEscapeProcessing(false);
      s.execute("SET SESSION sql_mode = ''");
      s.execute("USE " + quote(schema));
    }
    List<String> tables = new ArrayList<>();
    List<String> viewNames = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES"
                + " WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!same(rs.getString(1), schema, exactNames)) {
            continue;
          }
          String type = rs.getString(3);
          if (type.equals("VIEW")) {
            viewNames.add(rs.getString(2));
          } else if (!type.equals("SYSTEM VIEW") && !type.equals("TEMPORARY")) {
            tables.add(rs.getString(2));
          }
        }
      }
    }
    List<View> views = new ArrayList<>();
    for (String name : viewNames) {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW CREATE VIEW " + quote(name))) {
        rs.next();
        views.add(
            new View(
                name,
                required(rs.getString(2), "VIEW", schema, name),
                new Settings(null, rs.getString(3), rs.getString(4), null)));
      }
    }
    return new SchemaObjects(
        schema,
        List.copyOf(tables),
        List.copyOf(views),
        triggers(c, schema, exactNames),
        routines(c, schema, exactNames),
        events(c, schema, exactNames));
  }

  private static List<Trigger> triggers(Connection c, String schema, boolean exactNames)
      throws SQLException {
    List<Trigger> triggers = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING,"
                + " EVENT_MANIPULATION, ACTION_STATEMENT, DEFINER, SQL_MODE, CHARACTER_SET_CLIENT,"
                + " COLLATION_CONNECTION FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?"
                + " ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION,"
                + " ACTION_ORDER")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (same(rs.getString(1), schema, exactNames)) {
            triggers.add(
                new Trigger(
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getString(6),
                    rs.getString(7),
                    new Settings(rs.getString(8), rs.getString(9), rs.getString(10), null)));
          }
        }
      }
    }
    return List.copyOf(triggers);
  }

  private static final List<String> ROUTINE_ORDER =
      List.of("FUNCTION", "PROCEDURE", "PACKAGE", "PACKAGE BODY");

  private static List<Routine> routines(Connection c, String schema, boolean exactNames)
      throws SQLException {
    List<String[]> names = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT ROUTINE_SCHEMA, ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES"
                + " WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (same(rs.getString(1), schema, exactNames)) {
            names.add(new String[] {rs.getString(2), rs.getString(3)});
          }
        }
      }
    }
    names.sort(Comparator.comparingInt(n -> ROUTINE_ORDER.indexOf(n[0])));
    List<Routine> routines = new ArrayList<>();
    for (String[] n : names) {
      if (!ROUTINE_ORDER.contains(n[0])) {
        throw new SQLException(
            "routine " + n[1] + " of " + quote(schema) + " has unknown type " + n[0]);
      }
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW CREATE " + n[0] + " " + quote(n[1]))) {
        rs.next();
        routines.add(
            new Routine(
                n[0],
                n[1],
                required(rs.getString(3), n[0], schema, n[1]),
                new Settings(rs.getString(2), rs.getString(4), rs.getString(5), null)));
      }
    }
    return List.copyOf(routines);
  }

  private static List<Event> events(Connection c, String schema, boolean exactNames)
      throws SQLException {
    List<String[]> found = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT EVENT_SCHEMA, EVENT_NAME, DEFINER, STATUS FROM information_schema.EVENTS"
                + " WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (same(rs.getString(1), schema, exactNames)) {
            found.add(new String[] {rs.getString(2), rs.getString(3), rs.getString(4)});
          }
        }
      }
    }
    List<Event> events = new ArrayList<>();
    for (String[] e : found) {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW CREATE EVENT " + quote(e[0]))) {
        rs.next();
        events.add(
            new Event(
                e[0],
                required(rs.getString(4), "EVENT", schema, e[0]),
                e[1],
                "ENABLED".equals(e[2]),
                new Settings(rs.getString(2), rs.getString(5), rs.getString(6), rs.getString(3))));
      }
    }
    return List.copyOf(events);
  }

  private static boolean same(String found, String wanted, boolean exactNames) {
    return exactNames ? found.equals(wanted) : found.equalsIgnoreCase(wanted);
  }

  private static String required(String statement, String type, String schema, String name)
      throws SQLException {
    if (statement == null || !statement.regionMatches(true, 0, "CREATE ", 0, 7)) {
      throw new SQLException(
          "cannot read the definition of "
              + type
              + " "
              + quote(schema)
              + "."
              + quote(name)
              + ": the restore login needs the privileges to see it (SHOW CREATE gave none)");
    }
    return statement;
  }

  /** {@code CREATE ...} as {@code CREATE OR REPLACE ...}. */
  static String orReplace(String create) {
    return "CREATE OR REPLACE " + create.substring("CREATE ".length());
  }

  /**
   * {@code DEFINER=`user`@`host} for {@code user@host} as information_schema shows it (a role has
   * no host); empty for none.
   */
  static String definerClause(String definer) {
    if (definer == null || definer.isEmpty()) {
      return "";
    }
    int at = definer.lastIndexOf('@');
    String who =
        at < 0
            ? quote(definer)
            : quote(definer.substring(0, at)) + "@" + quote(definer.substring(at + 1));
    return "DEFINER=" + who + " ";
  }

  /** {@code `name`} with backticks doubled. */
  static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
