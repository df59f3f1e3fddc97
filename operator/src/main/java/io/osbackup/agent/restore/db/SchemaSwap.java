package io.osbackup.agent.restore.db;

import io.osbackup.agent.restore.db.SchemaObjects.Event;
import io.osbackup.agent.restore.db.SchemaObjects.Routine;
import io.osbackup.agent.restore.db.SchemaObjects.Settings;
import io.osbackup.agent.restore.db.SchemaObjects.Trigger;
import io.osbackup.agent.restore.db.SchemaObjects.View;
import io.osbackup.agent.restore.db.StagingScript.CharacterSet;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The switch from the old contents of a database to the restored ones: every table of the
 * destination goes to the keep schema and every table of the staging schema to the destination in
 * one {@code RENAME TABLE}, and the views, triggers, routines and events, which RENAME TABLE does
 * not move, are re-created on the side they belong to. Before its first statement that changes
 * anything, the switch writes a {@link SwapJournal} holding the full definitions of all of them and
 * advances it after each statement, so an agent killed at any point leaves enough in the server for
 * the next attempt ({@link #recover}) to finish the switch (the RENAME happened) or to undo it (it
 * did not): the destination is never left half old, half new.
 */
final class SchemaSwap {

  private static final Logger LOG = LoggerFactory.getLogger(SchemaSwap.class);

  // The steps of a switch, in order: the journal records the last one done; SwapPause names them.
  /** The journal is written; nothing is changed yet. */
  static final String JOURNALED = "journaled";

  /** The destination database is created (into a new database only). */
  static final String CREATE = "create";

  /** The keep schema is created and holds copies of the routines and (disabled) events. */
  static final String KEEP = "keep";

  /** Triggers of the destination and of the staging schema are dropped. */
  static final String TRIGGERS = "triggers";

  /** Views of the destination named like a restored table are dropped. */
  static final String VIEWS = "views";

  /** The RENAME TABLE switched the tables. */
  static final String RENAME = "rename";

  /** Views, triggers, routines and events are re-created on both sides. */
  static final String OBJECTS = "objects";

  /** The switch is complete. */
  static final String DONE = "done";

  /** What was done before the RENAME is being undone. */
  static final String ROLLBACK = "rollback";

  private final Connection c;
  private final String staging;
  private final String destination;
  private final String keep;
  private final CharacterSet characterSet;
  private final long lockWaitSeconds;
  private boolean exactNames;
  private String clientCharset;
  private String connectionCollation;
  private SwapJournal journal;
  private boolean rollingBack;
  private boolean pastRename;

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
      Duration lockWait) {
    this.c = c;
    this.staging = staging;
    this.destination = destination;
    this.keep = keep;
    this.characterSet = characterSet;
    this.lockWaitSeconds = Math.max(1, lockWait.toSeconds());
  }

  /**
   * What the next attempt found of a switch into the same destination whose agent died, and what it
   * did about it.
   *
   * @param step the last step the journal recorded
   * @param lastStatement the last statement it recorded as done, or null
   * @param renamed whether the RENAME had happened
   * @param action {@code finished}, {@code rolled back}, or {@code none} (the switch had completed)
   */
  record Recovery(
      SwapJournal.Plan plan,
      String step,
      String lastStatement,
      Instant interruptedAt,
      boolean renamed,
      String action) {

    /** Whether the destination now holds what that switch restored. */
    boolean switched() {
      return !"rolled back".equals(action);
    }

    /** For the report: which step was reached and what was done. */
    String message() {
      String d = quote(plan.destination());
      if ("none".equals(action)) {
        return "an earlier attempt already switched "
            + d
            + " to the restored tables"
            + (plan.overExisting() ? " (the previous ones are in " + quote(plan.keep()) + ")" : "")
            + "; nothing was restored again";
      }
      return "an earlier attempt was interrupted after step '"
          + step
          + "' of the switch of "
          + d
          + (lastStatement == null
              ? ""
              : " (last statement recorded: " + abbreviate(lastStatement) + ")")
          + (interruptedAt == null ? "" : " at " + interruptedAt)
          + ("finished".equals(action)
              ? ", after its RENAME: the switch was finished, "
                  + d
                  + " holds the restored tables"
                  + (plan.overExisting() ? " and " + quote(plan.keep()) + " the previous ones" : "")
              : ", before its RENAME: it was rolled back, " + d + " was as before it began");
    }

    private static String abbreviate(String sql) {
      return sql.length() <= 200 ? sql : sql.substring(0, 200) + "...";
    }
  }

  /**
   * Moves the staging schema's contents into the destination, and the destination's (if it exists)
   * into the keep schema. Leaves the staging schema in place (the caller drops it).
   *
   * @throws DatabaseRestoreException saying whether the destination is untouched
   */
  DatabaseRestorer.Outcome run() throws DatabaseRestoreException {
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
    SwapJournal.Plan plan =
        new SwapJournal.Plan(destination, staging, keep, characterSet, null, false, null, incoming);
    begin(plan);
    try {
      step(CREATE, "CREATE DATABASE " + quote(destination) + charsetClause(characterSet));
      for (Trigger t : incoming.triggers()) {
        step(TRIGGERS, "DROP TRIGGER " + quote(staging) + "." + quote(t.name()));
      }
      rename(incoming.tables(), List.of());
    } catch (SQLException e) {
      String undo = rollBack(plan);
      if (undo.isEmpty()) {
        throw untouched("could not move the restored tables into " + quote(destination), e);
      }
      throw notPutBack("could not move the restored tables into " + quote(destination), e, undo);
    }
    LOG.info(
        "{}: created it with the {} restored tables", quote(destination), incoming.tables().size());
    finish(afterRename(plan), null);
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
        keepCreated = true;
      }
    } catch (SQLException e) {
      throw untouched("could not prepare the keep schema " + quote(keep), e);
    }
    LOG.info(
        "{}: holds {}; keeping them in {}", quote(destination), previous.counts(), quote(keep));
    SwapJournal.Plan plan =
        new SwapJournal.Plan(
            destination,
            staging,
            keep,
            characterSet,
            destinationCharset,
            keepCreated,
            previous,
            incoming);
    begin(plan);

    // Before the RENAME: only what the journal can put back.
    try {
      if (keepCreated) {
        step(KEEP, "CREATE DATABASE " + quote(keep) + charsetClause(destinationCharset));
      }
      for (Routine r : previous.routines()) {
        use(keep);
        inSession(r.settings(), () -> execute(r.createIn(false)));
        advance(KEEP, "CREATE " + r.type() + " " + quote(keep) + "." + quote(r.name()));
      }
      for (Event e : previous.events()) {
        use(keep);
        inSession(e.settings(), () -> execute(e.createIn(false)));
        if (e.enabled()) {
          disable(e);
        }
        advance(KEEP, "CREATE EVENT " + quote(keep) + "." + quote(e.name()));
      }
      for (Trigger t : previous.triggers()) {
        step(TRIGGERS, "DROP TRIGGER " + quote(destination) + "." + quote(t.name()));
      }
      for (Trigger t : incoming.triggers()) {
        step(TRIGGERS, "DROP TRIGGER " + quote(staging) + "." + quote(t.name()));
      }
      for (View v : colliding(plan)) {
        step(VIEWS, "DROP VIEW " + quote(destination) + "." + quote(v.name()));
      }
      rename(incoming.tables(), previous.tables());
    } catch (SQLException e) {
      String undo = rollBack(plan);
      if (undo.isEmpty()) {
        throw untouched("could not switch the tables of " + quote(destination), e);
      }
      throw notPutBack("could not switch the tables of " + quote(destination), e, undo);
    }
    LOG.info(
        "{}: switched {} restored tables in, {} previous tables to {}",
        quote(destination),
        incoming.tables().size(),
        previous.tables().size(),
        quote(keep));
    finish(afterRename(plan), keep);
  }

  /** The destination's views named like a restored table: dropped before the RENAME. */
  private static List<View> colliding(SwapJournal.Plan plan) {
    Set<String> incomingTables = new HashSet<>(plan.incoming().tables());
    return plan.previous().views().stream().filter(v -> incomingTables.contains(v.name())).toList();
  }

  /**
   * After the RENAME, from any point: re-creates the restored views, triggers, routines and events
   * in the destination, drops the previous ones it no longer has, and re-creates the previous views
   * and triggers in the keep schema. Every statement can run twice. Ends the journal.
   *
   * @return what could not be done
   */
  private List<String> afterRename(SwapJournal.Plan plan) {
    pastRename = true;
    List<String> failures = new ArrayList<>();
    SchemaObjects incoming = plan.incoming();
    SchemaObjects previous = plan.previous();
    if (!plan.overExisting()) {
      attempt(
          failures,
          "creating database " + quote(destination),
          () -> {
            if (charsetOf(destination) == null) {
              execute("CREATE DATABASE " + quote(destination) + charsetClause(characterSet));
            }
          });
    } else if (characterSet != null && !characterSet.equals(plan.destinationCharset())) {
      attempt(
          failures,
          "setting the default character set of " + quote(destination),
          () ->
              step(OBJECTS, "ALTER DATABASE " + quote(destination) + charsetClause(characterSet)));
    }
    createAll(incoming, destination, failures);
    if (previous != null) {
      Set<String> incomingViews = names(incoming.views(), View::name);
      List<View> colliding = colliding(plan);
      for (View v : previous.views()) {
        if (!incomingViews.contains(v.name()) && !colliding.contains(v)) {
          attempt(
              failures,
              "dropping the previous view " + quote(v.name()) + " of " + quote(destination),
              () ->
                  step(
                      OBJECTS,
                      "DROP VIEW IF EXISTS " + quote(destination) + "." + quote(v.name())));
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
                  step(
                      OBJECTS,
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
              () ->
                  step(
                      OBJECTS,
                      "DROP EVENT IF EXISTS " + quote(destination) + "." + quote(e.name())));
        }
      }
      createViews(previous.views(), destination, keep, failures);
      createTriggers(previous.triggers(), keep, failures);
    }
    endJournal(
        SwapJournal.DONE,
        DONE,
        failures.isEmpty() ? null : "not re-created: " + String.join("; ", failures));
    SwapPause.at(DONE);
    return failures;
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

  /**
   * Before the RENAME, from any point: puts back the destination's triggers (all of them, in their
   * order) and the views dropped, and removes what went into the keep schema (or a destination it
   * created). Every statement can run twice. Ends the journal when all of it worked.
   *
   * @return what could not be put back; empty when the destination is as before
   */
  private String rollBack(SwapJournal.Plan plan) {
    rollingBack = true;
    List<String> failures = new ArrayList<>();
    if (plan.overExisting()) {
      createViews(colliding(plan), destination, destination, failures);
      createTriggers(plan.previous().triggers(), destination, failures);
      if (plan.keepCreated()) {
        attempt(
            failures,
            "dropping " + quote(keep),
            () -> execute("DROP DATABASE IF EXISTS " + quote(keep)));
      } else {
        for (Routine r : plan.previous().routines()) {
          attempt(
              failures,
              "dropping " + r.type() + " " + quote(r.name()) + " from " + quote(keep),
              () ->
                  execute(
                      "DROP " + r.type() + " IF EXISTS " + quote(keep) + "." + quote(r.name())));
        }
        for (Event e : plan.previous().events()) {
          attempt(
              failures,
              "dropping event " + quote(e.name()) + " from " + quote(keep),
              () -> execute("DROP EVENT IF EXISTS " + quote(keep) + "." + quote(e.name())));
        }
      }
    } else {
      attempt(
          failures,
          "dropping the new, empty " + quote(destination),
          () -> {
            if (charsetOf(destination) != null
                && SchemaObjects.read(c, destination, exactNames).isEmpty()) {
              execute("DROP DATABASE " + quote(destination));
            }
          });
    }
    if (failures.isEmpty()) {
      endJournal(SwapJournal.ROLLED_BACK, ROLLBACK, null);
    }
    return String.join("; ", failures);
  }

  // ---- an attempt that died ----

  /**
   * Finishes or rolls back a switch into {@code destination} whose agent died (its journal is still
   * {@code Running}), and drops the staging schema a completed or undone switch left behind.
   *
   * @return what was found and done; empty when no switch into {@code destination} was journaled or
   *     the last one had ended normally and left nothing behind
   * @throws DatabaseRestoreException when finishing or rolling back failed (the journal stays, so a
   *     later attempt tries again)
   */
  static Optional<Recovery> recover(Connection c, String destination, Duration lockWait)
      throws SQLException, DatabaseRestoreException {
    Optional<SwapJournal.Entry> found = SwapJournal.find(c, destination);
    if (found.isEmpty() || SwapJournal.ROLLED_BACK.equals(found.get().state())) {
      return Optional.empty();
    }
    SwapJournal.Entry entry = found.get();
    SwapJournal.Plan plan = entry.plan();
    SchemaSwap swap =
        new SchemaSwap(c, plan.staging(), destination, plan.keep(), plan.characterSet(), lockWait);
    swap.prepareSession();
    swap.journal = SwapJournal.of(c, destination);
    if (SwapJournal.DONE.equals(entry.state())) {
      swap.dropStagingLeftOver();
      return Optional.of(
          new Recovery(plan, entry.step(), entry.lastStatement(), entry.updatedAt(), true, "none"));
    }
    boolean renamed = swap.renamed(plan, entry.step());
    LOG.warn(
        "{}: a switch was interrupted after step '{}' (last statement recorded: {}); {}",
        quote(destination),
        entry.step(),
        entry.lastStatement(),
        renamed
            ? "its RENAME happened, finishing it"
            : "its RENAME did not happen, rolling it back");
    Recovery recovery =
        new Recovery(
            plan,
            entry.step(),
            entry.lastStatement(),
            entry.updatedAt(),
            renamed,
            renamed ? "finished" : "rolled back");
    if (renamed) {
      List<String> failures = swap.afterRename(plan);
      if (!failures.isEmpty()) {
        throw new DatabaseRestoreException(
            recovery.message()
                + ", but not everything around the tables could be re-created: "
                + String.join("; ", failures),
            null,
            false);
      }
    } else {
      String undo = swap.rollBack(plan);
      if (!undo.isEmpty()) {
        throw new DatabaseRestoreException(
            "an earlier attempt was interrupted after step '"
                + entry.step()
                + "' of the switch of "
                + quote(destination)
                + ", before its RENAME, and rolling it back failed: "
                + undo
                + "; the journal "
                + SwapJournal.table()
                + " keeps what is needed for the next attempt",
            null,
            false);
      }
    }
    swap.dropStagingLeftOver();
    return Optional.of(recovery);
  }

  /**
   * Whether the RENAME of {@code plan} happened: recorded, or else seen in the schemas (the RENAME
   * is atomic; the journal is advanced after it).
   */
  private boolean renamed(SwapJournal.Plan plan, String step) throws SQLException {
    if (List.of(RENAME, OBJECTS, DONE).contains(step)) {
      return true;
    }
    if (plan.previous() != null && !plan.previous().tables().isEmpty()) {
      return hasTable(keep, plan.previous().tables().get(0));
    }
    if (!plan.incoming().tables().isEmpty()) {
      return !hasTable(staging, plan.incoming().tables().get(0));
    }
    return true; // no table to move: finishing re-creates the rest
  }

  private boolean hasTable(String schema, String table) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?"
                + " AND TABLE_NAME = ? AND TABLE_TYPE <> 'VIEW'")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (exactNames
              ? rs.getString(1).equals(schema) && rs.getString(2).equals(table)
              : rs.getString(1).equalsIgnoreCase(schema)
                  && rs.getString(2).equalsIgnoreCase(table)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private void dropStagingLeftOver() {
    try {
      execute("DROP DATABASE IF EXISTS " + quote(staging));
    } catch (SQLException e) {
      LOG.warn("could not drop the staging schema {}: {}", quote(staging), e.getMessage());
    }
  }

  // ---- the journal ----

  private void begin(SwapJournal.Plan plan) throws DatabaseRestoreException {
    try {
      journal = SwapJournal.begin(c, plan, JOURNALED);
    } catch (SQLException e) {
      throw untouched(
          "could not write the journal of the switch to "
              + SwapJournal.table()
              + " (the restore login needs CREATE, SELECT, INSERT, UPDATE and DELETE on "
              + quote(SwapJournal.SCHEMA)
              + ".*)",
          e);
    }
    SwapPause.at(JOURNALED);
  }

  /**
   * Ends the journal. Should that fail, the switch is still complete (or undone): the journal stays
   * {@code Running} and the next attempt repeats the last part, which changes nothing.
   */
  private void endJournal(String state, String step, String note) {
    try {
      journal.end(state, step, note);
    } catch (SQLException e) {
      LOG.warn(
          "{}: could not end the journal {}: {}",
          quote(destination),
          SwapJournal.table(),
          e.getMessage());
    }
  }

  /** Runs one statement of {@code step} and records it in the journal. */
  private void step(String step, String sql) throws SQLException {
    execute(sql);
    advance(step, sql);
  }

  /**
   * Records that {@code what}, of {@code step}, is done (while rolling back, as step {@value
   * #ROLLBACK}). The test pause sits before the record, where the journal lags one statement.
   */
  private void advance(String step, String what) throws SQLException {
    String recorded = rollingBack ? ROLLBACK : step;
    SwapPause.at(recorded);
    try {
      journal.step(recorded, what);
    } catch (SQLException e) {
      if (!pastRename && !rollingBack) {
        throw e; // before the RENAME, a switch that cannot be journaled stops and is rolled back
      }
      // After the RENAME (or while undoing it) a lagging journal is safe: the next attempt sees
      // where the tables are and repeats the remaining statements, each of which can run twice.
      LOG.warn("{}: could not advance the journal: {}", quote(destination), e.getMessage());
    }
  }

  // ---- re-creating ----

  /**
   * Re-creates the views, triggers, routines and events of {@code objects} in {@code into},
   * replacing those of the same name, so it can run again after an interruption.
   */
  private void createAll(SchemaObjects objects, String into, List<String> failures) {
    createViews(objects.views(), objects.schema(), into, failures);
    createTriggers(objects.triggers(), into, failures);
    for (Routine r : objects.routines()) {
      attempt(
          failures,
          "creating " + r.type() + " " + quote(r.name()) + " in " + quote(into),
          () -> {
            use(into);
            inSession(r.settings(), () -> execute(r.createIn(true)));
            advance(OBJECTS, "CREATE " + r.type() + " " + quote(into) + "." + quote(r.name()));
          });
    }
    for (Event e : objects.events()) {
      attempt(
          failures,
          "creating event " + quote(e.name()) + " in " + quote(into),
          () -> {
            use(into);
            inSession(e.settings(), () -> execute(e.createIn(true)));
            advance(OBJECTS, "CREATE EVENT " + quote(into) + "." + quote(e.name()));
          });
    }
  }

  /**
   * Creates (or replaces) {@code views}, read in {@code from}, in {@code into}; a view reading
   * another view is retried after the others until no more succeed.
   */
  private void createViews(List<View> views, String from, String into, List<String> failures) {
    List<View> pending = new ArrayList<>(views);
    Map<View, SQLException> errors = new LinkedHashMap<>();
    while (!pending.isEmpty()) {
      List<View> failed = new ArrayList<>();
      errors.clear();
      for (View v : pending) {
        try {
          use(into);
          inSession(v.settings(), () -> execute(v.createIn(from, into, true)));
          advance(OBJECTS, "CREATE VIEW " + quote(into) + "." + quote(v.name()));
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

  /**
   * Creates {@code triggers} in {@code into}, in their order; each is dropped first if it exists,
   * so that after an interruption they come back complete and in the same order.
   */
  private void createTriggers(List<Trigger> triggers, String into, List<String> failures) {
    for (Trigger t : triggers) {
      attempt(
          failures,
          "creating trigger " + quote(t.name()) + " on " + quote(into) + "." + quote(t.table()),
          () -> {
            execute("DROP TRIGGER IF EXISTS " + quote(into) + "." + quote(t.name()));
            use(into);
            inSession(t.settings(), () -> execute(t.create()));
            advance(OBJECTS, "CREATE TRIGGER " + quote(into) + "." + quote(t.name()));
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
    pastRename = true; // from here on, the switch is only ever finished
    advance(RENAME, "RENAME TABLE of " + pairs.size() + " tables");
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

  private DatabaseRestoreException notPutBack(String what, SQLException e, String undo) {
    return new DatabaseRestoreException(
        what
            + " ("
            + e.getMessage()
            + "), and putting back what was dropped failed: "
            + undo
            + "; the journal "
            + SwapJournal.table()
            + " keeps what is needed, and the next restore into "
            + quote(destination)
            + " puts it back first",
        e,
        false);
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

  private DatabaseRestorer.Outcome outcome(SchemaObjects incoming, String keptAs) {
    return new DatabaseRestorer.Outcome(
        destination,
        keptAs,
        incoming.tables().size(),
        incoming.views().size(),
        incoming.routines().size(),
        incoming.triggers().size(),
        incoming.events().size());
  }

  private static <T> Set<String> names(List<T> items, Function<T, String> name) {
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
