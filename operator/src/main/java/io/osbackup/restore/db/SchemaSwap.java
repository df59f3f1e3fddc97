package io.osbackup.restore.db;

import io.osbackup.restore.db.SchemaObjects.Event;
import io.osbackup.restore.db.SchemaObjects.Routine;
import io.osbackup.restore.db.SchemaObjects.Settings;
import io.osbackup.restore.db.SchemaObjects.Trigger;
import io.osbackup.restore.db.SchemaObjects.View;
import io.osbackup.restore.db.StagingScript.CharacterSet;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The switch from the old contents of a database to the restored ones: every table of the
 * destination goes to the keep schema and every table of the staging schema to the destination in
 * one {@code RENAME TABLE}, and the views, triggers, routines and events, which RENAME TABLE does
 * not move, are re-created on the side they belong to. Until that RENAME succeeds, a failure puts
 * back what was dropped and the destination is as before.
 */
final class SchemaSwap {

  private static final Logger LOG = LoggerFactory.getLogger(SchemaSwap.class);

  private final Connection c;
  private final String staging;
  private final String destination;
  private final String keep;
  private final CharacterSet characterSet;
  private final long lockWaitSeconds;
  private boolean exactNames;
  private String clientCharset;
  private String connectionCollation;

  /**
   * @param characterSet the backed-up database's, for the destination; null to keep the server's
   *     default (new destination) or the destination's own
   * @param lockWait how long each statement waits for other sessions using the tables
   */
  SchemaSwap(
      Connection c,
      String staging,
      String destination,
      String keep,
      CharacterSet characterSet,
      java.time.Duration lockWait) {
    this.c = c;
    this.staging = staging;
    this.destination = destination;
    this.keep = keep;
    this.characterSet = characterSet;
    this.lockWaitSeconds = Math.max(1, lockWait.toSeconds());
  }

  /**
   * Moves the staging schema's contents into the destination, and the destination's (if it exists)
   * into the keep schema. Leaves the staging schema in place (the caller drops it).
   *
   * @throws DatabaseRestoreException saying whether the destination is untouched
   */
  DatabaseRestore.Outcome run() throws DatabaseRestoreException {
    SchemaObjects incoming;
    CharacterSet destinationCharset;
    try {
      prepareSession();
      incoming = SchemaObjects.read(c, staging, exactNames);
      destinationCharset = charsetOf(destination);
    } catch (SQLException e) {
      throw untouched("could not read the staging schema " + quote(staging), e);
    }
    LOG.info(
        "{}: staging schema {} holds {}", quote(destination), quote(staging), incoming.counts());
    if (destinationCharset == null) {
      intoNewDatabase(incoming);
      return outcome(incoming, null);
    }
    overExisting(incoming, destinationCharset);
    return outcome(incoming, keep);
  }

  private void prepareSession() throws SQLException {
    try (Statement s = statement()) {
      s.execute(
          "SET SESSION foreign_key_checks = 0, sql_mode = '', lock_wait_timeout = "
              + lockWaitSeconds);
      try (ResultSet rs =
          s.executeQuery(
              "SELECT @@lower_case_table_names, @@character_set_client, @@collation_connection")) {
        rs.next();
        exactNames = rs.getInt(1) == 0;
        clientCharset = rs.getString(2);
        connectionCollation = rs.getString(3);
      }
    }
  }

  // ---- a destination that does not exist yet ----

  private void intoNewDatabase(SchemaObjects incoming) throws DatabaseRestoreException {
    try {
      execute("CREATE DATABASE " + quote(destination) + charsetClause(characterSet));
    } catch (SQLException e) {
      throw untouched("could not create database " + quote(destination), e);
    }
    try {
      for (Trigger t : incoming.triggers()) {
        execute("DROP TRIGGER " + quote(staging) + "." + quote(t.name()));
      }
      rename(incoming.tables(), List.of());
    } catch (SQLException e) {
      try {
        if (SchemaObjects.read(c, destination, exactNames).isEmpty()) {
          execute("DROP DATABASE " + quote(destination));
        }
      } catch (SQLException again) {
        e.addSuppressed(again);
        LOG.warn("could not drop the new, empty {}: {}", quote(destination), again.getMessage());
      }
      throw untouched("could not move the restored tables into " + quote(destination), e);
    }
    LOG.info(
        "{}: created it with the {} restored tables", quote(destination), incoming.tables().size());
    List<String> failures = new ArrayList<>();
    createAll(incoming, destination, false, failures);
    finish(failures, null);
  }

  // ---- over an existing destination ----

  private void overExisting(SchemaObjects incoming, CharacterSet destinationCharset)
      throws DatabaseRestoreException {
    SchemaObjects previous;
    boolean keepCreated;
    try {
      previous = SchemaObjects.read(c, destination, exactNames);
      if (charsetOf(keep) != null) {
        SchemaObjects kept = SchemaObjects.read(c, keep, exactNames);
        if (!kept.isEmpty()) {
          throw new DatabaseRestoreException(
              keepNotEmpty(destination, keep, kept.counts()), null, true);
        }
        keepCreated = false;
      } else {
        execute("CREATE DATABASE " + quote(keep) + charsetClause(destinationCharset));
        keepCreated = true;
      }
    } catch (SQLException e) {
      throw untouched("could not prepare the keep schema " + quote(keep), e);
    }
    LOG.info(
        "{}: holds {}; keeping them in {}", quote(destination), previous.counts(), quote(keep));

    // Before the RENAME: only what can be put back.
    List<Trigger> droppedTriggers = new ArrayList<>();
    List<View> droppedViews = new ArrayList<>();
    Set<String> incomingTables = new HashSet<>(incoming.tables());
    try {
      use(keep);
      for (Routine r : previous.routines()) {
        inSession(r.settings(), () -> execute(r.createIn(false)));
      }
      for (Event e : previous.events()) {
        inSession(e.settings(), () -> execute(e.createIn(false)));
        if (e.enabled()) {
          disable(e);
        }
      }
      for (Trigger t : previous.triggers()) {
        execute("DROP TRIGGER " + quote(destination) + "." + quote(t.name()));
        droppedTriggers.add(t);
      }
      for (Trigger t : incoming.triggers()) {
        execute("DROP TRIGGER " + quote(staging) + "." + quote(t.name()));
      }
      for (View v : previous.views()) {
        if (incomingTables.contains(v.name())) {
          execute("DROP VIEW " + quote(destination) + "." + quote(v.name()));
          droppedViews.add(v);
        }
      }
      rename(incoming.tables(), previous.tables());
    } catch (SQLException e) {
      String undo = putBack(previous, droppedTriggers, droppedViews, keepCreated);
      if (undo.isEmpty()) {
        throw untouched("could not switch the tables of " + quote(destination), e);
      }
      throw new DatabaseRestoreException(
          "could not switch the tables of "
              + quote(destination)
              + " ("
              + e.getMessage()
              + "), and putting back what was dropped failed: "
              + undo,
          e,
          false);
    }
    LOG.info(
        "{}: switched {} restored tables in, {} previous tables to {}",
        quote(destination),
        incoming.tables().size(),
        previous.tables().size(),
        quote(keep));

    // The tables are switched: from here on, carry on past failures and report them all.
    List<String> failures = new ArrayList<>();
    if (characterSet != null && !characterSet.equals(destinationCharset)) {
      attempt(
          failures,
          "setting the default character set of " + quote(destination),
          () -> execute("ALTER DATABASE " + quote(destination) + charsetClause(characterSet)));
    }
    createAll(incoming, destination, true, failures);
    Set<String> incomingViews = names(incoming.views(), View::name);
    for (View v : previous.views()) {
      if (!incomingViews.contains(v.name()) && !droppedViews.contains(v)) {
        attempt(
            failures,
            "dropping the previous view " + quote(v.name()) + " of " + quote(destination),
            () -> execute("DROP VIEW IF EXISTS " + quote(destination) + "." + quote(v.name())));
      }
    }
    Set<String> incomingRoutines = names(incoming.routines(), r -> r.type() + " " + r.name());
    for (Routine r : previous.routines()) {
      if (!incomingRoutines.contains(r.type() + " " + r.name())) {
        attempt(
            failures,
            "dropping the previous "
                + r.type()
                + " "
                + quote(r.name())
                + " of "
                + quote(destination),
            () ->
                execute(
                    "DROP "
                        + r.type()
                        + " IF EXISTS "
                        + quote(destination)
                        + "."
                        + quote(r.name())));
      }
    }
    Set<String> incomingEvents = names(incoming.events(), Event::name);
    for (Event e : previous.events()) {
      if (!incomingEvents.contains(e.name())) {
        attempt(
            failures,
            "dropping the previous event " + quote(e.name()) + " of " + quote(destination),
            () -> execute("DROP EVENT IF EXISTS " + quote(destination) + "." + quote(e.name())));
      }
    }
    createViews(previous.views(), destination, keep, false, failures);
    createTriggers(previous.triggers(), keep, failures);
    finish(failures, keep);
  }

  /**
   * Disables a kept event, so the copy does nothing on its own. A one-time event whose time has
   * passed is dropped by the server as it is created (ON COMPLETION NOT PRESERVE): nothing to do.
   */
  private void disable(Event e) throws SQLException {
    try {
      execute(e.disableIn(keep));
    } catch (SQLException notThere) {
      if (notThere.getErrorCode() != 1539) { // ER_EVENT_DOES_NOT_EXIST
        throw notThere;
      }
      LOG.info("{}: event {} has expired, it is not kept", quote(destination), quote(e.name()));
    }
  }

  /** Puts back what was dropped before a RENAME that failed; returns what could not be. */
  private String putBack(
      SchemaObjects previous, List<Trigger> triggers, List<View> views, boolean keepCreated) {
    List<String> failures = new ArrayList<>();
    createViews(views, destination, destination, false, failures);
    createTriggers(triggers, destination, failures);
    if (keepCreated) {
      attempt(
          failures,
          "dropping " + quote(keep),
          () -> execute("DROP DATABASE IF EXISTS " + quote(keep)));
    } else {
      for (Routine r : previous.routines()) {
        attempt(
            failures,
            "dropping " + r.type() + " " + quote(r.name()) + " from " + quote(keep),
            () ->
                execute("DROP " + r.type() + " IF EXISTS " + quote(keep) + "." + quote(r.name())));
      }
      for (Event e : previous.events()) {
        attempt(
            failures,
            "dropping event " + quote(e.name()) + " from " + quote(keep),
            () -> execute("DROP EVENT IF EXISTS " + quote(keep) + "." + quote(e.name())));
      }
    }
    return String.join("; ", failures);
  }

  // ---- re-creating ----

  /** Re-creates the views, triggers, routines and events of {@code objects} in {@code into}. */
  private void createAll(
      SchemaObjects objects, String into, boolean orReplace, List<String> failures) {
    createViews(objects.views(), objects.schema(), into, orReplace, failures);
    createTriggers(objects.triggers(), into, failures);
    for (Routine r : objects.routines()) {
      attempt(
          failures,
          "creating " + r.type() + " " + quote(r.name()) + " in " + quote(into),
          () -> {
            use(into);
            inSession(r.settings(), () -> execute(r.createIn(orReplace)));
          });
    }
    for (Event e : objects.events()) {
      attempt(
          failures,
          "creating event " + quote(e.name()) + " in " + quote(into),
          () -> {
            use(into);
            inSession(e.settings(), () -> execute(e.createIn(orReplace)));
          });
    }
  }

  /**
   * Creates {@code views}, read in {@code from}, in {@code into}; a view reading another view is
   * retried after the others until no more succeed.
   */
  private void createViews(
      List<View> views, String from, String into, boolean orReplace, List<String> failures) {
    List<View> pending = new ArrayList<>(views);
    Map<View, SQLException> errors = new LinkedHashMap<>();
    while (!pending.isEmpty()) {
      List<View> failed = new ArrayList<>();
      errors.clear();
      for (View v : pending) {
        try {
          use(into);
          inSession(v.settings(), () -> execute(v.createIn(from, into, orReplace)));
        } catch (SQLException e) {
          failed.add(v);
          errors.put(v, e);
        }
      }
      if (failed.size() == pending.size()) {
        errors.forEach(
            (v, e) ->
                failures.add(
                    "creating view "
                        + quote(v.name())
                        + " in "
                        + quote(into)
                        + ": "
                        + e.getMessage()));
        return;
      }
      pending = failed;
    }
  }

  private void createTriggers(List<Trigger> triggers, String into, List<String> failures) {
    for (Trigger t : triggers) {
      attempt(
          failures,
          "creating trigger " + quote(t.name()) + " on " + quote(into) + "." + quote(t.table()),
          () -> {
            use(into);
            inSession(t.settings(), () -> execute(t.create()));
          });
    }
  }

  // ---- SQL ----

  /**
   * One RENAME TABLE for all: {@code destination.t -> keep.t} for {@code previous}, {@code
   * staging.t -> destination.t}.
   */
  private void rename(List<String> incoming, List<String> previous) throws SQLException {
    List<String> pairs = new ArrayList<>();
    for (String t : previous) {
      pairs.add(quote(destination) + "." + quote(t) + " TO " + quote(keep) + "." + quote(t));
    }
    for (String t : incoming) {
      pairs.add(quote(staging) + "." + quote(t) + " TO " + quote(destination) + "." + quote(t));
    }
    if (!pairs.isEmpty()) {
      execute("RENAME TABLE " + String.join(", ", pairs));
    }
  }

  /** Runs {@code action} with the session settings an object was created with, then resets them. */
  private void inSession(Settings settings, SqlAction action) throws SQLException {
    List<String> sets = new ArrayList<>();
    List<String> values = new ArrayList<>();
    if (settings.sqlMode() != null) {
      sets.add("sql_mode = ?");
      values.add(settings.sqlMode());
    }
    if (isUtf8(settings.clientCharset())) {
      sets.add("character_set_client = ?");
      values.add(settings.clientCharset());
    }
    if (isUtf8(settings.connectionCollation())) {
      sets.add("collation_connection = ?");
      values.add(settings.connectionCollation());
    }
    if (settings.timeZone() != null) {
      sets.add("time_zone = ?");
      values.add(settings.timeZone());
    }
    if (!sets.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("SET SESSION " + String.join(", ", sets))) {
        for (int i = 0; i < values.size(); i++) {
          ps.setString(i + 1, values.get(i));
        }
        ps.execute();
      }
    }
    try {
      action.run();
    } finally {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SET SESSION sql_mode = '', character_set_client = ?, collation_connection = ?,"
                  + " time_zone = DEFAULT")) {
        ps.setString(1, clientCharset);
        ps.setString(2, connectionCollation);
        ps.execute();
      }
    }
  }

  private static boolean isUtf8(String charsetOrCollation) {
    return charsetOrCollation != null && charsetOrCollation.startsWith("utf8");
  }

  private CharacterSet charsetOf(String schema) throws SQLException {
    return charsetOf(c, schema, exactNames);
  }

  /** The default character set and collation of {@code schema}, or null when it does not exist. */
  private static CharacterSet charsetOf(Connection c, String schema, boolean exactNames)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME"
                + " FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          if (exactNames ? name.equals(schema) : name.equalsIgnoreCase(schema)) {
            return new CharacterSet(rs.getString(2), rs.getString(3));
          }
        }
      }
    }
    return null;
  }

  /**
   * Refuses, before anything is loaded, a restore over an existing {@code destination} whose keep
   * schema exists and is not empty.
   */
  static void refuseUsedKeep(Connection c, String destination, String keep)
      throws SQLException, DatabaseRestoreException {
    boolean exactNames;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT @@lower_case_table_names")) {
      rs.next();
      exactNames = rs.getInt(1) == 0;
    }
    if (charsetOf(c, destination, exactNames) == null || charsetOf(c, keep, exactNames) == null) {
      return;
    }
    SchemaObjects kept = SchemaObjects.read(c, keep, exactNames);
    if (!kept.isEmpty()) {
      throw new DatabaseRestoreException(
          keepNotEmpty(destination, keep, kept.counts()), null, true);
    }
  }

  static String charsetClause(CharacterSet cs) {
    if (cs == null) {
      return "";
    }
    return " CHARACTER SET "
        + cs.name()
        + (cs.collation() == null ? "" : " COLLATE " + cs.collation());
  }

  private void use(String schema) throws SQLException {
    execute("USE " + quote(schema));
  }

  private void execute(String sql) throws SQLException {
    try (Statement s = statement()) {
      s.execute(sql);
    }
  }

  private Statement statement() throws SQLException {
    Statement s = c.createStatement();
    s.setEscapeProcessing(false);
    return s;
  }

  private static void attempt(List<String> failures, String what, SqlAction action) {
    try {
      action.run();
    } catch (SQLException e) {
      LOG.warn("{} failed: {}", what, e.getMessage());
      failures.add(what + ": " + e.getMessage());
    }
  }

  private void finish(List<String> failures, String keptAs) throws DatabaseRestoreException {
    if (!failures.isEmpty()) {
      throw new DatabaseRestoreException(
          "the tables of "
              + quote(destination)
              + " were switched to the restored ones"
              + (keptAs == null ? "" : " (the previous ones are in " + quote(keptAs) + ")")
              + ", but not everything around them could be re-created; the staging schema "
              + quote(staging)
              + " was left for inspection: "
              + String.join("; ", failures),
          null,
          false);
    }
  }

  private DatabaseRestoreException untouched(String what, SQLException e) {
    String hint =
        e.getErrorCode() == 1205
            ? " (other sessions kept using its tables for "
                + lockWaitSeconds
                + " s: stop the services using it, see spec.quiesce, and restore again)"
            : "";
    return new DatabaseRestoreException(
        what + ": " + e.getMessage() + hint + "; " + quote(destination) + " was not changed",
        e,
        true);
  }

  static String keepNotEmpty(String destination, String keep, String counts) {
    return "the schema "
        + quote(keep)
        + " that would keep the previous contents of "
        + quote(destination)
        + " already exists and holds "
        + counts
        + ": an earlier restore may have switched "
        + quote(destination)
        + " already; check it, then drop it or restore with another keep suffix; "
        + quote(destination)
        + " was not changed";
  }

  private DatabaseRestore.Outcome outcome(SchemaObjects incoming, String keptAs) {
    return new DatabaseRestore.Outcome(
        destination,
        keptAs,
        incoming.tables().size(),
        incoming.views().size(),
        incoming.routines().size(),
        incoming.triggers().size(),
        incoming.events().size());
  }

  private static <T> Set<String> names(List<T> items, java.util.function.Function<T, String> name) {
    Set<String> names = new HashSet<>();
    for (T item : items) {
      names.add(name.apply(item));
    }
    return names;
  }

  private static String quote(String name) {
    return SchemaObjects.quote(name);
  }

  /** A step that runs SQL. */
  @FunctionalInterface
  private interface SqlAction {
    void run() throws SQLException;
  }
}
