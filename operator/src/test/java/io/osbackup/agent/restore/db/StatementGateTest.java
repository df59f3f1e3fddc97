package io.osbackup.agent.restore.db;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.agent.restore.db.StagingScript.ScriptFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The allow-list a restore puts between the backup script and the client: a real mariadb-dump
 * passes unchanged, and every way a tampered script could reach past the staging schema is refused.
 */
class StatementGateTest {

  static final String STAGING = "ks_stage";

  /**
   * mariadb-dump 10.11 of a keystone-like database with every kind of object (tables, sequence,
   * views, triggers, routines, event).
   */
  static String realDump() throws IOException {
    try (InputStream in =
        StatementGateTest.class.getResourceAsStream("/restore/keystone-dump.sql")) {
      return new String(in.readAllBytes(), UTF_8);
    }
  }

  /** The script as the client receives it: rewritten into staging, then through the gate. */
  static String gated(String script) throws IOException {
    StagingScript staged =
        new StagingScript(new ByteArrayInputStream(script.getBytes(UTF_8)), "keystone", STAGING);
    ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
    staged.copyTo(rewritten);
    return gate(rewritten.toByteArray(), 1 + new Random(script.length()).nextInt(300));
  }

  /**
   * Feeds {@code script} to a gate in chunks of {@code chunk} bytes; returns what reached the
   * client.
   */
  static String gate(byte[] script, int chunk) throws IOException {
    return new String(gateBytes(script, chunk), UTF_8);
  }

  static byte[] gateBytes(byte[] script, int chunk) throws IOException {
    ByteArrayOutputStream client = new ByteArrayOutputStream();
    StatementGate gate = new StatementGate(client, STAGING);
    for (int i = 0; i < script.length; i += chunk) {
      gate.write(script, i, Math.min(chunk, script.length - i));
    }
    gate.finish();
    return client.toByteArray();
  }

  /**
   * The real dump with {@code tampered} put in after the first {@code INSERT} (inside the data
   * section).
   */
  static String tamper(String tampered) throws IOException {
    String dump = realDump();
    int at = dump.indexOf("/*!40000 ALTER TABLE `audit` ENABLE KEYS */;");
    return dump.substring(0, at) + tampered + "\n" + dump.substring(at);
  }

  static long lineOf(String script, String text) {
    return script.substring(0, script.indexOf(text)).lines().count() + 1;
  }

  @Test
  void aRealDumpPassesUnchanged() throws Exception {
    String dump = realDump();
    StagingScript staged =
        new StagingScript(new ByteArrayInputStream(dump.getBytes(UTF_8)), "keystone", STAGING);
    ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
    staged.copyTo(rewritten);
    byte[] bytes = rewritten.toByteArray();

    for (int chunk : new int[] {1, 2, 3, 7, 64, 4096, bytes.length}) {
      assertThat(gate(bytes, chunk))
          .as("in chunks of %d bytes", chunk)
          .isEqualTo(rewritten.toString(UTF_8));
    }
  }

  @Test
  void longValuesStreamThrough() throws Exception {
    String hex = "0x" + "ab".repeat(3 * 1024 * 1024);
    String text = "'" + "x\\'y ".repeat(500_000) + "'";
    String script =
        tamper(
            "INSERT INTO `blobs` VALUES (1,"
                + hex
                + "),(2,"
                + text
                + "),(3,-1.5e-07),(4,NULL),(5,_binary 'a'),(6,b'101');");

    assertThat(gated(script)).contains(hex).contains(text);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\\! touch /tmp/osbackup-marker",
        "INSERT INTO `audit` VALUES (9,9,'x');\\! touch /tmp/osbackup-marker",
        "\\u other_db",
        "\\. /etc/passwd",
        "\\C sjis",
        "system touch /tmp/osbackup-marker",
        "source /etc/passwd",
        "connect other_db",
        "use other_db;",
        "USE other_db;",
        "/*!50000 USE other_db */;",
        "/*!USE other_db*/;",
        "INSERT INTO other_db.t VALUES (1);",
        "INSERT INTO `other_db`.`t` VALUES (1);",
        "UPDATE other_db.t SET a = 1;",
        "UPDATE `audit` SET note = 'x';",
        "DELETE FROM `audit`;",
        "DROP TABLE other_db.t;",
        "DROP TABLE IF EXISTS `audit`, other_db.t;",
        "DROP DATABASE other_db;",
        "/*!40000 DROP DATABASE IF EXISTS `ks_stage`*/;",
        "CREATE TABLE other_db.t (id INT);",
        "CREATE TABLE t (id INT) ENGINE=CONNECT TABLE_TYPE=CSV FILE_NAME='/etc/shadow';",
        "CREATE TABLE t (id INT) ENGINE=FEDERATED CONNECTION='mysql://u:p@evil/db/t';",
        "CREATE TABLE t (id INT) ENGINE=MRG_MyISAM UNION=(a, b);",
        "CREATE TABLE t (id INT) DATA DIRECTORY='/tmp';",
        "CREATE TABLE t AS SELECT * FROM mysql.user;",
        "CREATE TABLE t (id INT) AS SELECT LOAD_FILE('/etc/shadow');",
        "CREATE TABLE t (id INT, FOREIGN KEY (id) REFERENCES other_db.x (id));",
        "CREATE DATABASE other_db;",
        "CREATE USER evil IDENTIFIED BY 'x';",
        "GRANT ALL ON *.* TO evil;",
        "/*!50000 GRANT ALL ON *.* TO 'evil'@'%' */;",
        "SET GLOBAL event_scheduler = ON;",
        "SET @@global.read_only = 0;",
        "SET PASSWORD FOR root = PASSWORD('x');",
        "SET NAMES sjis;",
        "SET character_set_client = gbk;",
        "SET sql_mode = 'ORACLE';",
        "SET @x = 'sjis'; SET character_set_client = @x;",
        "SET SESSION sql_log_bin = 0;",
        "LOAD DATA INFILE '/etc/passwd' INTO TABLE `audit`;",
        "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE `audit`;",
        "SELECT * FROM `audit` INTO OUTFILE '/tmp/x';",
        "SELECT * FROM mysql.user;",
        "DO SLEEP(100);",
        "CALL evil();",
        "RENAME TABLE `audit` TO other_db.audit;",
        "TRUNCATE `audit`;",
        "INSERT INTO `audit` SELECT * FROM mysql.user;",
        "INSERT INTO `audit` VALUES (1, 1, (SELECT authentication_string FROM mysql.user LIMIT 1));",
        "INSERT INTO `audit` VALUES (1, 1, LOAD_FILE('/etc/shadow'));",
        "INSERT INTO `audit` VALUES (1,1,'a') ON DUPLICATE KEY UPDATE note = 'b';",
        "INSERT INTO `audit` VALUES (1,1,'a'); DROP TABLE `project`",
        "DELIMITER //\nDROP DATABASE other_db//\nDELIMITER ;",
        "DELIMITER ;;\nSET @a = 1; DROP DATABASE other_db;;\nDELIMITER ;",
        "DELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE INSERT ON `audit` FOR EACH ROW SET @a = 1;"
            + " DROP DATABASE other_db */;;\nDELIMITER ;",
        "DELIMITER ;;\nCREATE PROCEDURE p() SELECT begin FROM t; DROP DATABASE other_db; SELECT end FROM t;;\n"
            + "DELIMITER ;",
        "DELIMITER ;;\nCREATE TRIGGER t BEFORE INSERT ON `audit` FOR EACH ROW SET @x = CASE WHEN 1 THEN begin"
            + " END; DROP DATABASE other_db; SELECT 1;;\nDELIMITER ;",
        "DELIMITER ;;\nCREATE DEFINER=`root`@`localhost` VIEW v AS SELECT 1; DROP DATABASE other_db;;\n"
            + "DELIMITER ;",
        "SET @a = 1 delimiter ;",
        "CREATE TRIGGER other_db.t BEFORE INSERT ON `audit` FOR EACH ROW SET @a = 1;",
        "CREATE TRIGGER t BEFORE INSERT ON other_db.x FOR EACH ROW SET @a = 1;",
        "CREATE DEFINER=`root`@`%` PROCEDURE other_db.p() SELECT 1;",
        "CREATE VIEW other_db.v AS SELECT 1;",
        "CREATE EVENT other_db.e ON SCHEDULE EVERY 1 DAY DO SELECT 1;",
        "/* comment\n-- */ DROP DATABASE other_db; /*\n*/",
        "/*!50000 SET @a = 1 -- */ ; DROP DATABASE other_db; -- \n*/;",
        "/*!99999 'x */ DROP DATABASE other_db; -- ' */;",
        "/*!50000 /* nested */ USE other_db */;",
        "INSERT INTO `audit` VALUES (1,1,\"x\");\nSET sql_mode = 'NO_BACKSLASH_ESCAPES';\n"
            + "INSERT INTO `audit` VALUES (2,2,'a\\'); DROP DATABASE other_db; -- ');",
        "INSERT INTO `a\\`b` VALUES (1);",
        "SET sql_mode = 'ANSI_QUOTES';\nINSERT INTO \"a\\\" VALUES (1); DROP DATABASE other_db; -- \" VALUES (1);",
        "XA START 'x';",
        "HANDLER `audit` OPEN;",
        "KILL 1;",
        "SHUTDOWN;",
        "FLUSH PRIVILEGES;",
        "INSTALL SONAME 'ha_connect';",
      })
  void aTamperedScriptIsRefusedNamingTheLine(String tampered) throws Exception {
    String script = tamper(tampered);
    long line = lineOf(script, tampered);

    assertThatThrownBy(() -> gated(script))
        .isInstanceOf(ScriptFormatException.class)
        .satisfies(
            e -> {
              Matcher m = Pattern.compile("line (\\d+)").matcher(e.getMessage());
              assertThat(m.find()).as(e.getMessage()).isTrue();
              assertThat(Long.parseLong(m.group(1)))
                  .as(e.getMessage())
                  .isBetween(line, line + tampered.lines().count());
            });
  }

  @Test
  void handlersWithACompoundBodyPass() throws Exception {
    String routine =
        "DELIMITER ;;\nCREATE DEFINER=`root`@`localhost` PROCEDURE `h`()\nBEGIN\n"
            + "  DECLARE done INT DEFAULT 0;\n"
            + "  DECLARE CONTINUE HANDLER FOR SQLSTATE '23000', NOT FOUND BEGIN SET done = 1; END;\n"
            + "  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;\n"
            + "  SELECT done;\nEND ;;\nDELIMITER ;";

    assertThat(gated(tamper(routine))).contains(routine);
    assertThatThrownBy(
            () ->
                gated(
                    tamper(
                        "DELIMITER ;;\nCREATE PROCEDURE h() DECLARE x HANDLER FOR SQLEXCEPTION SET @a = 1;"
                            + " DROP DATABASE other_db;;\nDELIMITER ;")))
        .hasMessageContaining("a second statement after the body of the routine");
  }

  @Test
  void theMessageNamesTheLineAndTheStatement() {
    assertThatThrownBy(() -> gated(tamper("\\! touch /tmp/osbackup-marker")))
        .hasMessageMatching(
            "line \\d+ refused: '\\\\!': client commands are not part of a backup script");
    assertThatThrownBy(() -> gated(tamper("INSERT INTO other_db.t VALUES (1);")))
        .hasMessageMatching(
            "line \\d+ refused: names other_db\\.t in another database in: INSERT INTO other_db\\.t VALUES \\(");
    assertThatThrownBy(() -> gated(tamper("GRANT ALL ON *.* TO evil;")))
        .hasMessageMatching(
            "line \\d+ refused: GRANT is not a statement mariadb-dump writes in: GRANT ALL ON .*");
    assertThatThrownBy(() -> gated(tamper("SET GLOBAL event_scheduler = ON;")))
        .hasMessageContaining("SET GLOBAL changes the server for every session");
  }

  @Test
  void nothingOfARefusedStatementReachesTheClient() throws Exception {
    ByteArrayOutputStream client = new ByteArrayOutputStream();
    StatementGate gate = new StatementGate(client, STAGING);
    String script =
        "/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE t (id INT);\nGRANT ALL ON *.* TO evil;\n";

    assertThatThrownBy(
            () -> {
              gate.write(script.getBytes(UTF_8), 0, script.length());
              gate.finish();
            })
        .hasMessageStartingWith("line 3 refused: GRANT");
    assertThat(client.toString(UTF_8))
        .isEqualTo("/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE t (id INT);");
  }

  @Test
  void aScriptEndingInsideAStatementIsRefused() {
    assertThatThrownBy(() -> gate("CREATE TABLE t (id INT)".getBytes(UTF_8), 5))
        .hasMessageContaining("the script ends inside a statement");
    assertThatThrownBy(() -> gate("INSERT INTO t VALUES ('abc".getBytes(UTF_8), 5))
        .hasMessageContaining("ends inside a quoted string");
  }

  /**
   * Random bytes mixed into a real dump are refused or harmless: the gate never lets a statement it
   * cannot read.
   */
  @Test
  void randomDamageIsNeverPassedAsSomethingElse() throws Exception {
    String dump = realDump();
    StagingScript staged =
        new StagingScript(new ByteArrayInputStream(dump.getBytes(UTF_8)), "keystone", STAGING);
    ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
    staged.copyTo(rewritten);
    byte[] clean = rewritten.toByteArray();
    String[] pieces = {
      "\\!",
      "USE x;",
      ";",
      "'",
      "`",
      "\"",
      "/*",
      "*/",
      "/*!",
      "-- ",
      "#",
      "\n",
      "DELIMITER ;;\n",
      "other_db.",
      " GRANT ",
      ";;",
      "\\"
    };
    Random random = new Random(7);
    for (int round = 0; round < 400; round++) {
      int at = random.nextInt(clean.length);
      String piece = pieces[random.nextInt(pieces.length)];
      byte[] damaged = new byte[clean.length + piece.length()];
      System.arraycopy(clean, 0, damaged, 0, at);
      System.arraycopy(piece.getBytes(UTF_8), 0, damaged, at, piece.length());
      System.arraycopy(clean, at, damaged, at + piece.length(), clean.length - at);
      try {
        byte[] passed = gateBytes(damaged, 1 + random.nextInt(5000));
        assertThat(passed).as("round %d: %s at %d", round, piece, at).isEqualTo(damaged);
      } catch (ScriptFormatException refused) {
        assertThat(refused.getMessage()).startsWith("line ");
      }
    }
  }
}
