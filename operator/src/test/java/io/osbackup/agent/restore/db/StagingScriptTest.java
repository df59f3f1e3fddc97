package io.osbackup.agent.restore.db;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.agent.restore.db.StagingScript.CharacterSet;
import io.osbackup.agent.restore.db.StagingScript.ScriptFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Retargeting canned per-database backup scripts at the staging schema. */
class StagingScriptTest {

  static final String HEADER =
      """
      /*M!999999\\- enable the sandbox mode */\s
      -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
      --
      -- Host: 127.0.0.1    Database: keystone
      -- ------------------------------------------------------
      -- Server version\t10.11.19-MariaDB-0+deb12u1

      /*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
      /*!40101 SET NAMES utf8mb4 */;
      /*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;

      --
      -- Current Database: `keystone`
      --

      """;

  static final String CREATE =
      "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `keystone` /*!40100 DEFAULT CHARACTER SET utf8mb4"
          + " COLLATE utf8mb4_unicode_ci */;\n";

  static final String BODY =
"""

USE `keystone`;

DROP TABLE IF EXISTS `project`;
CREATE TABLE `project` (
  `id` int(11) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO `project` VALUES
(1),
(2);
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER keystone.project_audit AFTER INSERT ON keystone.project FOR EACH ROW INSERT INTO audit VALUES (NEW.id) */;;
DELIMITER ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `keystone` . `a.b`
BEFORE INSERT
ON `keystone`.`project` FOR EACH ROW SET NEW.id = NEW.id + 1
*/;;
DELIMITER ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`backup`@`%`*/ /*!50003 trigger tr before update on project for each row begin
set new.id = new.id; end */;;
DELIMITER ;
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()
SELECT COUNT(*) FROM keystone.project
;;
DELIMITER ;
/*!50001 VIEW `v` AS select `keystone`.`project`.`id` AS `id`,`other`.`t`.`x` AS `x` from (`keystone`.`project` join `other`.`t`) */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;

-- Dump completed for database `keystone`
""";

  static String rewrite(String script, String source) throws IOException {
    StagingScript staged =
        new StagingScript(new ByteArrayInputStream(script.getBytes(UTF_8)), source, "ks_stage");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    staged.copyTo(out);
    return out.toString(UTF_8);
  }

  @Test
  void everythingLandsInTheStagingSchema() throws Exception {
    String script = HEADER + CREATE + BODY;
    StagingScript staged =
        new StagingScript(new ByteArrayInputStream(script.getBytes(UTF_8)), "keystone", "ks_stage");

    CharacterSet charset = staged.readHeader();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    staged.copyTo(out);
    String text = out.toString(UTF_8);

    assertThat(charset).isEqualTo(new CharacterSet("utf8mb4", "utf8mb4_unicode_ci"));
    assertThat(text.lines().count()).as("line numbers are kept").isEqualTo(script.lines().count());
    assertThat(text)
        .doesNotContain("CREATE DATABASE /*")
        .doesNotContain("USE `keystone`")
        .contains("\nUSE `ks_stage`;\n")
        .contains("-- osbackup restore: USE left out, loading into staging\n")
        .contains(
            "/*!50003 TRIGGER project_audit AFTER INSERT ON project FOR EACH ROW INSERT INTO audit")
        .contains("/*!50003 TRIGGER `a.b`\nBEFORE INSERT\nON `project` FOR EACH ROW SET NEW.id")
        .contains("/*!50003 trigger tr before update on project for each row begin\n")
        .contains("SELECT COUNT(*) FROM keystone.project\n")
        .contains(
            "/*!50001 VIEW `v` AS select `ks_stage`.`project`.`id` AS `id`,`other`.`t`.`x` AS `x`"
                + " from (`ks_stage`.`project` join `other`.`t`) */;\n");
    assertThat(staged.triggersRetargeted()).isEqualTo(2);
    assertThat(staged.viewsRetargeted()).isEqualTo(1);
    List<String> before = script.lines().toList();
    List<String> after = text.lines().toList();
    List<Integer> changed =
        IntStream.range(0, before.size())
            .filter(i -> !before.get(i).equals(after.get(i)))
            .boxed()
            .toList();
    assertThat(changed)
        .as("CREATE DATABASE, USE, two trigger names, one trigger table, one view")
        .hasSize(6);
  }

  @Test
  void longLinesPassThroughUnchanged() throws Exception {
    String hex = "ab".repeat(3 * 1024 * 1024);
    String longInsert = "INSERT INTO `blobs` VALUES (1,0x" + hex + ");\n";
    String longView =
        "/*!50001 VIEW `w` AS select '" + "x".repeat(20_000) + "' AS `keystone`.`a` */;\n";
    String longTrigger =
        "DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER"
            + " keystone.t BEFORE INSERT ON keystone.blobs FOR EACH ROW SET @x = '"
            + "y".repeat(20_000)
            + "' */;;\nDELIMITER ;\n";

    String text =
        rewrite(
            HEADER
                + CREATE
                + "USE `keystone`;\n"
                + longInsert
                + longView
                + longTrigger
                + "-- Dump completed\n",
            "keystone");

    assertThat(text).contains(longInsert);
    assertThat(text).contains(longView.replace("`keystone`.`", "`ks_stage`.`"));
    assertThat(text)
        .contains(
            "TRIGGER t BEFORE INSERT ON blobs FOR EACH ROW SET @x = '"
                + "y".repeat(20_000)
                + "' */;;\n");
  }

  @Test
  void aViewDefinitionLongerThanItsBoundStopsTheLoad() {
    String hugeView =
        "/*!50001 VIEW `w` AS select '"
            + "x".repeat(StagingScript.MAX_VIEW_LINE)
            + "' AS `a` */;\n";
    String before = HEADER + CREATE + "USE `keystone`;\n";
    long viewLine = before.lines().count() + 1;
    assertThatThrownBy(() -> rewrite(before + hugeView + "-- Dump completed\n", "keystone"))
        .isInstanceOf(ScriptFormatException.class)
        .hasMessage(
            "the view definition on line "
                + viewLine
                + " is longer than "
                + StagingScript.MAX_VIEW_LINE
                + " bytes");
  }

  @Test
  void aScriptWithoutItsLastLineIsCutShort() {
    String script = HEADER + CREATE + BODY;
    String cut = script.substring(0, script.indexOf("-- Dump completed"));

    assertThatThrownBy(() -> rewrite(cut, "keystone"))
        .isInstanceOf(ScriptFormatException.class)
        .hasMessageContaining("cut short")
        .hasMessageContaining("'-- Dump completed'");
    assertThatThrownBy(() -> rewrite(HEADER, "keystone"))
        .isInstanceOf(ScriptFormatException.class)
        .hasMessageContaining("ended before its CREATE DATABASE line");
  }

  @Test
  void anotherDatabaseStopsTheLoad() {
    assertThatThrownBy(() -> rewrite(HEADER + CREATE + BODY, "nova"))
        .isInstanceOf(ScriptFormatException.class)
        .hasMessage(
            "the script creates database `keystone` on line 16, but it should hold the backup of"
                + " `nova`");
    assertThatThrownBy(
            () ->
                rewrite(HEADER + CREATE + BODY.replace("USE `keystone`", "USE `nova`"), "keystone"))
        .hasMessageContaining("line 18 switches to another database (USE `nova`;)");
    assertThatThrownBy(
            () ->
                rewrite(
                    HEADER + CREATE + "/*!40000 DROP DATABASE IF EXISTS `nova`*/;\n" + BODY,
                    "keystone"))
        .hasMessageContaining("line 17 drops another database");
  }

  @Test
  void droppingTheBackedUpDatabaseIsLeftOut() throws Exception {
    String text =
        rewrite(
            HEADER + "/*!40000 DROP DATABASE IF EXISTS `keystone`*/;\n" + CREATE + BODY,
            "keystone");

    assertThat(text)
        .doesNotContain("DROP DATABASE IF EXISTS")
        .contains("-- osbackup restore: DROP DATABASE left out, loading into staging\n");
  }

  @Test
  void namesOutsideAsciiAreMatchedByTheirBytes() throws Exception {
    String script =
        (HEADER + CREATE + BODY).replace("`keystone`", "`日本-db`").replace("keystone.", "`日本-db`.");

    String text = rewrite(script, "日本-db");

    assertThat(text)
        .doesNotContain("USE `日本-db`")
        .contains("TRIGGER project_audit AFTER INSERT ON project FOR EACH ROW")
        .contains("select `ks_stage`.`project`.`id`");
  }

  @Test
  void aScriptWithoutCharacterSetStillLoads() throws Exception {
    String script = HEADER + "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `keystone`;\n" + BODY;
    StagingScript staged =
        new StagingScript(new ByteArrayInputStream(script.getBytes(UTF_8)), "keystone", "s");

    assertThat(staged.readHeader()).isNull();
  }

  @Test
  void triggerHeaders() throws Exception {
    assertThat(
            StagingScript.unqualifiedTrigger(
                "/*!50003 CREATE*/ /*!50017 DEFINER=`a`@`%`*/ /*!50003 TRIGGER IF NOT EXISTS"
                    + " nova.t AFTER DELETE ON nova.x FOLLOWS other FOR EACH ROW",
                1))
        .isEqualTo(
            "/*!50003 CREATE*/ /*!50017 DEFINER=`a`@`%`*/ /*!50003 TRIGGER IF NOT EXISTS"
                + " t AFTER DELETE ON x FOLLOWS other FOR EACH ROW");
    assertThat(
            StagingScript.unqualifiedTrigger(
                "/*!50003 CREATE TRIGGER /* note */ t BEFORE INSERT ON `x` FOR EACH ROW", 1))
        .isEqualTo("/*!50003 CREATE TRIGGER /* note */ t BEFORE INSERT ON `x` FOR EACH ROW");
    assertThat(
            StagingScript.unqualifiedTrigger("/*!50003 CREATE*/ /*!50017 DEFINER=`a`@`%`*/\n", 1))
        .as("more lines needed")
        .isNull();
    assertThat(StagingScript.unqualifiedTrigger("/*!50003 CREATE TRIGGER nova.t\nBEFORE\n", 1))
        .isNull();
    assertThatThrownBy(
            () ->
                StagingScript.unqualifiedTrigger(
                    "/*!50003 CREATE TRIGGER t DURING INSERT ON x FOR EACH ROW", 7))
        .isInstanceOf(ScriptFormatException.class)
        .hasMessageStartingWith(
            "cannot read the header of the trigger on line 7 (expected BEFORE or AFTER");
    assertThatThrownBy(
            () ->
                StagingScript.unqualifiedTrigger(
                    "/*!50003 CREATE TRIGGER t BEFORE INSERT ON 'x' FOR EACH ROW", 7))
        .isInstanceOf(ScriptFormatException.class);
  }
}
