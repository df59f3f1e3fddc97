package io.osbackup.agent.db;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Splitting canned mariadb-dump output into per-database scripts. */
class DumpSplitterTest {

  static final String HEADER =
      """
      /*M!999999\\- enable the sandbox mode */\s
      -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
      --
      -- Host: 127.0.0.1    Database: keystone
      -- ------------------------------------------------------
      -- Server version\t10.11.19-MariaDB-0+deb12u1

      /*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
      /*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
      /*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
      /*!40101 SET NAMES utf8mb4 */;
      /*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
      /*!40103 SET TIME_ZONE='+00:00' */;
      /*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
      /*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
      /*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
      /*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

      """;

  static final String KEYSTONE =
"""
--
-- Current Database: `keystone`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `keystone` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;

USE `keystone`;

--
-- Table structure for table `project`
--

DROP TABLE IF EXISTS `project`;
CREATE TABLE `project` (
  `id` int(11) NOT NULL,
  `name` text DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

--
-- Dumping data for table `project`
--

LOCK TABLES `project` WRITE;
INSERT INTO `project` VALUES
(1,'admin'),
(2,'日本語');
UNLOCK TABLES;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`backup`@`%`*/ /*!50003 trigger tr before insert on project for each row begin
--
-- Current Database: `nova`
--
set new.name=concat(new.name,'!'); end
*/;;
DELIMITER ;

""";

  static final String NOVA =
      """
      --
      -- Current Database: `nova`
      --

      CREATE DATABASE /*!32312 IF NOT EXISTS*/ `nova` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;

      USE `nova`;

      --
      -- Dumping routines for database 'nova'
      --
      DELIMITER ;;
      CREATE DEFINER=`backup`@`%` FUNCTION `f`() RETURNS int(11)
      return 2
      ;;
      DELIMITER ;
      """;

  static final String FOOTER =
      """
      /*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

      /*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
      /*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
      /*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
      /*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
      /*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
      /*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
      /*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

      -- Dump completed on 2026-11-21 13:43:42
      """;

  static final String DUMP = HEADER + KEYSTONE + NOVA + FOOTER;

  @Test
  void eachDatabaseGetsHeaderItsSectionAndAFooter() throws IOException {
    Scripts scripts = split(DUMP, List.of("keystone", "nova"), Map.of());

    assertThat(scripts.finished).containsExactly("keystone", "nova");
    assertThat(scripts.lastFlags).containsExactly(false, true);
    String keystone = scripts.text("keystone");
    String nova = scripts.text("nova");
    assertThat(keystone).startsWith(HEADER).contains(KEYSTONE);
    assertThat(keystone).doesNotContain("USE `nova`");
    assertThat(nova).contains(NOVA).doesNotContain("`keystone`");
    assertThat(nova)
        .startsWith(HEADER.replace("Database: keystone", "Database: nova"))
        .endsWith("\n-- Dump completed for database `nova`\n");
    for (String script : List.of(keystone, nova)) {
      for (String line : FOOTER.split("\n")) {
        if (line.startsWith("/*!")) {
          assertThat(script).contains(line + "\n");
        }
      }
    }
  }

  @Test
  void sectionsTogetherAreExactlyTheDumpBody() throws IOException {
    Scripts scripts = split(DUMP, List.of("keystone", "nova"), Map.of());
    String derivedFooter = new String(DumpSplitter.footerFor(HEADER.getBytes(UTF_8)), UTF_8);

    StringBuilder bodies = new StringBuilder();
    for (String db : List.of("keystone", "nova")) {
      String script = scripts.text(db);
      String withoutHeader = script.substring(script.indexOf("--\n-- Current Database"));
      bodies.append(withoutHeader, 0, withoutHeader.lastIndexOf(derivedFooter));
    }
    assertThat(bodies.toString()).isEqualTo(KEYSTONE + NOVA);
  }

  @Test
  void derivedFooterRestoresEverySettingTheHeaderSaved() {
    String footer = new String(DumpSplitter.footerFor(HEADER.getBytes(UTF_8)), UTF_8);

    assertThat(footer.split("\n"))
        .containsExactlyInAnyOrder(
            FOOTER.lines().filter(l -> l.startsWith("/*!")).toArray(String[]::new));
  }

  @Test
  void epilogueGoesAfterTheSectionBeforeTheFooter() throws IOException {
    String views = "/*!50001 VIEW `v` AS select 1 AS `x` */;\n";
    Scripts scripts =
        split(DUMP, List.of("keystone", "nova"), Map.of("keystone", views.getBytes(UTF_8)));

    String keystone = scripts.text("keystone");
    assertThat(keystone).contains(KEYSTONE + views + "/*!40111 SET SQL_NOTES");
    assertThat(scripts.text("nova")).doesNotContain(views);
  }

  @Test
  void truncatedDumpFailsWhileWritingTheCutDatabase() {
    String cut = HEADER + KEYSTONE + NOVA.substring(0, NOVA.indexOf("DELIMITER ;;"));
    Scripts scripts = new Scripts();

    assertThatThrownBy(() -> splitInto(cut, List.of("keystone", "nova"), scripts))
        .isInstanceOf(DumpSplitter.DumpFormatException.class)
        .hasMessage(
            "the dump was cut short while writing database `nova` (no '-- Dump completed'"
                + " trailer)");
    assertThat(scripts.opened).containsExactly("keystone", "nova");
    assertThat(scripts.finished).containsExactly("keystone");
  }

  @Test
  void dumpCutInsideALineFails() {
    String cut = DUMP.substring(0, DUMP.indexOf("(2,'日本語')") + 3);

    assertThatThrownBy(() -> split(cut, List.of("keystone", "nova"), Map.of()))
        .hasMessageContaining("cut short while writing database `keystone`");
  }

  @Test
  void lastDatabaseIsNotFinishedWithoutTheTrailer() {
    String cut = DUMP.substring(0, DUMP.indexOf("-- Dump completed"));
    Scripts scripts = new Scripts();

    assertThatThrownBy(() -> splitInto(cut, List.of("keystone", "nova"), scripts))
        .hasMessageContaining("cut short while writing database `nova`");
    assertThat(scripts.finished).containsExactly("keystone");
  }

  @Test
  void emptyOutputIsCutShort() {
    assertThatThrownBy(() -> split("", List.of("keystone"), Map.of()))
        .hasMessageContaining("cut short before its first database section");
  }

  @Test
  void sectionsMustMatchTheDatabasesAskedFor() {
    assertThatThrownBy(() -> split(DUMP, List.of("nova", "keystone"), Map.of()))
        .hasMessageContaining("unexpected section '-- Current Database: `keystone`'");
    assertThatThrownBy(() -> split(DUMP, List.of("keystone", "nova", "glance"), Map.of()))
        .hasMessageContaining("without a section for database `glance`");
  }

  @Test
  void secondPassForViewsCreatedDuringTheBackupIsExplained() {
    String withViewPass =
        HEADER
            + KEYSTONE
            + NOVA
            + "\n--\n-- Current Database: `keystone`\n--\n\nUSE `keystone`;\n"
            + FOOTER;

    assertThatThrownBy(() -> split(withViewPass, List.of("keystone", "nova"), Map.of()))
        .hasMessageContaining("second section for database `keystone`")
        .hasMessageContaining("view was probably created during the backup");
  }

  @Test
  void outputAfterTheTrailerFails() {
    assertThatThrownBy(() -> split(DUMP + "garbage\n", List.of("keystone", "nova"), Map.of()))
        .hasMessageContaining("after the '-- Dump completed' trailer");
  }

  @Test
  void hugeLineIsStreamedThroughUnchanged() throws Exception {
    long rowBytes = 64L * 1024 * 1024;
    String before = HEADER + KEYSTONE.substring(0, KEYSTONE.indexOf("INSERT INTO"));
    String after = "\n" + KEYSTONE.substring(KEYSTONE.indexOf("UNLOCK TABLES")) + NOVA + FOOTER;
    InputStream dump =
        new SequenceInputStream(
            Collections.enumeration(
                List.of(
                    new ByteArrayInputStream(before.getBytes(UTF_8)),
                    new ByteArrayInputStream("INSERT INTO `project` VALUES (1,0x".getBytes(UTF_8)),
                    new RepeatingStream(rowBytes),
                    new ByteArrayInputStream((");" + after).getBytes(UTF_8)))));
    RunTarget target = new RunTarget();

    new DumpSplitter(List.of("keystone", "nova"), Map.of()).split(dump, target);

    assertThat(target.bytes.get("keystone")).isGreaterThan(rowBytes);
    assertThat(target.longestRun.get("keystone")).isEqualTo(rowBytes);
    assertThat(target.finished).containsExactly("keystone", "nova");
  }

  @Test
  void viewsBodyIsWhatLiesBetweenTheSessionSettings() throws IOException {
    String body =
        """
        --
        -- Final view structure for view `v`
        --

        /*!50001 DROP VIEW IF EXISTS `v`*/;
        /*!50001 VIEW `v` AS select `t`.`id` AS `id` from `t` */;
        """;

    byte[] views = DumpSplitter.viewsBody((HEADER + body + FOOTER).getBytes(UTF_8));

    assertThat(new String(views, UTF_8)).isEqualTo("\n" + body);
    assertThatThrownBy(() -> DumpSplitter.viewsBody((HEADER + body).getBytes(UTF_8)))
        .hasMessageContaining("cut short");
  }

  @Test
  void quotesIdentifiersLikeMariadbDump() {
    assertThat(DumpSplitter.quote("we`ird")).isEqualTo("`we``ird`");
  }

  static Scripts split(String dump, List<String> databases, Map<String, byte[]> epilogues)
      throws IOException {
    Scripts scripts = new Scripts();
    new DumpSplitter(databases, epilogues)
        .split(new ByteArrayInputStream(dump.getBytes(UTF_8)), scripts);
    return scripts;
  }

  static void splitInto(String dump, List<String> databases, Scripts scripts) throws IOException {
    new DumpSplitter(databases, Map.of())
        .split(new ByteArrayInputStream(dump.getBytes(UTF_8)), scripts);
  }

  /** Keeps every script in memory. */
  static final class Scripts implements DumpSplitter.Target {
    final Map<String, ByteArrayOutputStream> scripts = new LinkedHashMap<>();
    final List<String> opened = new ArrayList<>();
    final List<String> finished = new ArrayList<>();
    final List<Boolean> lastFlags = new ArrayList<>();

    @Override
    public OutputStream open(String database) {
      assertThat(opened).hasSize(finished.size()); // one at a time
      opened.add(database);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      scripts.put(database, out);
      return out;
    }

    @Override
    public void finish(String database, boolean last) {
      finished.add(database);
      lastFlags.add(last);
    }

    String text(String database) {
      return scripts.get(database).toString(UTF_8);
    }
  }

  /** Counts bytes and the longest run of 'a' of each script, without keeping them. */
  static final class RunTarget implements DumpSplitter.Target {
    final Map<String, Long> bytes = new LinkedHashMap<>();
    final Map<String, Long> longestRun = new LinkedHashMap<>();
    final List<String> finished = new ArrayList<>();

    @Override
    public OutputStream open(String database) {
      bytes.put(database, 0L);
      longestRun.put(database, 0L);
      return new OutputStream() {
        long run;

        @Override
        public void write(int b) {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          bytes.merge(database, (long) len, Long::sum);
          for (int i = off; i < off + len; i++) {
            run = b[i] == 'a' ? run + 1 : 0;
            if (run > longestRun.get(database)) {
              longestRun.put(database, run);
            }
          }
        }
      };
    }

    @Override
    public void finish(String database, boolean last) {
      finished.add(database);
    }
  }

  /** {@code length} bytes of 'a', produced lazily. */
  static final class RepeatingStream extends InputStream {
    private long left;

    RepeatingStream(long length) {
      this.left = length;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0];
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      Arrays.fill(b, off, off + n, (byte) 'a');
      left -= n;
      return n;
    }
  }
}
