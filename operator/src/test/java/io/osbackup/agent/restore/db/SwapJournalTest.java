package io.osbackup.agent.restore.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.agent.db.DatabaseSelection;
import io.osbackup.agent.restore.db.SchemaObjects.Event;
import io.osbackup.agent.restore.db.SchemaObjects.Routine;
import io.osbackup.agent.restore.db.SchemaObjects.Settings;
import io.osbackup.agent.restore.db.SchemaObjects.Trigger;
import io.osbackup.agent.restore.db.SchemaObjects.View;
import io.osbackup.agent.restore.db.StagingScript.CharacterSet;
import io.osbackup.contract.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The journal's plan survives its trip through JSON whole: it is all a retry has to go on. */
class SwapJournalTest {

  @Test
  void backupsOfEveryDatabaseLeaveTheJournalOut() {
    assertThat(DatabaseSelection.OSBACKUP).isEqualTo(SwapJournal.SCHEMA);
  }

  @Test
  void aPlanReadBackIsThePlanWritten() throws Exception {
    SchemaObjects previous =
        new SchemaObjects(
            "nova",
            List.of("instances", "`odd` name"),
            List.of(
                new View(
                    "active",
                    "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW"
                        + " `active` AS select 1",
                    new Settings(null, "utf8mb4", "utf8mb4_general_ci", null))),
            List.of(
                new Trigger(
                    "stamp",
                    "instances",
                    "BEFORE",
                    "INSERT",
                    "SET NEW.\"note\" = NEW.\"note\" || 'é'",
                    "nova@%",
                    new Settings(
                        "ANSI_QUOTES,PIPES_AS_CONCAT", "utf8mb3", "utf8mb3_unicode_ci", null))),
            List.of(
                new Routine(
                    "FUNCTION",
                    "greeting",
                    "CREATE FUNCTION `greeting`() RETURNS varchar(20) RETURN 'héllo'",
                    new Settings("", "utf8mb3", "utf8mb3_unicode_ci", null))),
            List.of(
                new Event(
                    "purge",
                    "CREATE EVENT `purge` ON SCHEDULE EVERY 1 DAY DO DELETE FROM t",
                    "root@localhost",
                    true,
                    new Settings("", "utf8mb4", "utf8mb4_general_ci", "SYSTEM"))));
    SchemaObjects incoming =
        new SchemaObjects(
            "nova_osbr_staging", List.of("instances"), List.of(), List.of(), List.of(), List.of());
    SwapJournal.Plan plan =
        new SwapJournal.Plan(
            "nova",
            "nova_osbr_staging",
            "nova_orig_20261121_031500",
            new CharacterSet("utf8mb4", "utf8mb4_unicode_ci"),
            new CharacterSet("utf8mb4", null),
            true,
            previous,
            incoming);

    SwapJournal.Plan read =
        Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(plan), SwapJournal.Plan.class);

    assertThat(read).isEqualTo(plan);
    assertThat(read.overExisting()).isTrue();
  }
}
