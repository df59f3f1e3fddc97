package io.osbackup.agent.restore.db;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.osbackup.agent.restore.db.StagingScript.CharacterSet;
import io.osbackup.contract.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * The journal of a database switch, kept in the server itself ({@code
 * osbackup_restore.swap_journal}, one row per destination database): written before the first
 * statement that changes anything, with the full definitions of every trigger, view, routine and
 * event the switch drops or re-creates, and advanced after each statement. An agent killed
 * mid-switch leaves it {@code Running}; the next restore into that destination reads it and
 * finishes the switch (the RENAME happened) or rolls it back (it did not).
 */
final class SwapJournal {

  /** The schema holding the journal. */
  static final String SCHEMA = "osbackup_restore";

  static final String TABLE = "swap_journal";

  /** A switch under way, or one whose agent died. */
  static final String RUNNING = "Running";

  /** A switch that completed: tables switched, objects re-created as far as they could be. */
  static final String DONE = "Done";

  /** A switch undone before its RENAME: the destination is as it was. */
  static final String ROLLED_BACK = "RolledBack";

  /**
   * Everything needed to finish or undo a switch.
   *
   * @param characterSet the backed-up database's default character set, or null
   * @param destinationCharset the destination's before the switch; null when it did not exist
   * @param keepCreated whether the switch created the keep schema (else it existed, empty)
   * @param previous what the destination held; null when it did not exist
   * @param incoming what the staging schema held, triggers included
   */
  record Plan(
      String destination,
      String staging,
      String keep,
      CharacterSet characterSet,
      CharacterSet destinationCharset,
      boolean keepCreated,
      SchemaObjects previous,
      SchemaObjects incoming) {

    /** Whether the destination existed before the switch. */
    boolean overExisting() {
      return destinationCharset != null;
    }
  }

  /** One row of the journal. */
  record Entry(Plan plan, String state, String step, String lastStatement, Instant updatedAt) {}

  private final Connection c;
  private final String destination;

  private SwapJournal(Connection c, String destination) {
    this.c = c;
    this.destination = destination;
  }

  /**
   * Writes {@code plan} as the destination's journal, state {@code Running} at step {@code step},
   * replacing an earlier, ended one; creates the journal's schema and table when missing.
   */
  static SwapJournal begin(Connection c, Plan plan, String step) throws SQLException {
    String json;
    try {
      json = Json.MAPPER.writeValueAsString(plan);
    } catch (JsonProcessingException e) {
      throw new SQLException("cannot write the switch's journal: " + e.getOriginalMessage(), e);
    }
    try (Statement s = c.createStatement()) {
      s.setEscapeProcessing(false);
      s.execute(
          "CREATE DATABASE IF NOT EXISTS "
              + SchemaObjects.quote(SCHEMA)
              + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + table()
              + " (destination VARCHAR(64) NOT NULL PRIMARY KEY,"
              + " keep_schema VARCHAR(64) NOT NULL,"
              + " staging_schema VARCHAR(64) NOT NULL,"
              + " state VARCHAR(16) NOT NULL,"
              + " step VARCHAR(32) NOT NULL,"
              + " last_statement TEXT NULL,"
              + " plan LONGTEXT NOT NULL,"
              + " started_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
              + " updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))"
              + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "REPLACE INTO "
                + table()
                + " (destination, keep_schema, staging_schema, state, step, last_statement, plan,"
                + " started_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, NOW(6), NOW(6))")) {
      ps.setString(1, plan.destination());
      ps.setString(2, plan.keep());
      ps.setString(3, plan.staging());
      ps.setString(4, RUNNING);
      ps.setString(5, step);
      ps.setString(6, json);
      ps.executeUpdate();
    }
    return new SwapJournal(c, plan.destination());
  }

  /** The journal of a switch already written, to advance or end it. */
  static SwapJournal of(Connection c, String destination) {
    return new SwapJournal(c, destination);
  }

  /** Records that {@code statement}, of step {@code step}, completed. */
  void step(String step, String statement) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE "
                + table()
                + " SET step = ?, last_statement = ?, updated_at = NOW(6) WHERE destination = ?")) {
      ps.setString(1, step);
      ps.setString(2, statement);
      ps.setString(3, destination);
      ps.executeUpdate();
    }
  }

  /** Ends the switch with {@code state}, {@link #DONE} or {@link #ROLLED_BACK}. */
  void end(String state, String step, String note) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE "
                + table()
                + " SET state = ?, step = ?, last_statement = ?, updated_at = NOW(6)"
                + " WHERE destination = ?")) {
      ps.setString(1, state);
      ps.setString(2, step);
      ps.setString(3, note);
      ps.setString(4, destination);
      ps.executeUpdate();
    }
  }

  /** The journal of {@code destination}, if a switch into it was ever journaled. */
  static Optional<Entry> find(Connection c, String destination) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?")) {
      ps.setString(1, SCHEMA);
      ps.setString(2, TABLE);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT plan, state, step, last_statement, updated_at FROM "
                + table()
                + " WHERE destination = ?")) {
      ps.setString(1, destination);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        Plan plan;
        try {
          plan = Json.MAPPER.readValue(rs.getString(1), Plan.class);
        } catch (JsonProcessingException e) {
          throw new SQLException(
              "the journal of the switch into "
                  + SchemaObjects.quote(destination)
                  + " in "
                  + table()
                  + " cannot be read: "
                  + e.getOriginalMessage(),
              e);
        }
        Timestamp updated = rs.getTimestamp(5);
        return Optional.of(
            new Entry(
                plan,
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                updated == null ? null : updated.toInstant()));
      }
    }
  }

  /** {@code `osbackup_restore`.`swap_journal`}. */
  static String table() {
    return SchemaObjects.quote(SCHEMA) + "." + SchemaObjects.quote(TABLE);
  }
}
