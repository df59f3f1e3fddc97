package io.osbackup.agent.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osbackup.agent.db.AccountsScript.Account;
import io.osbackup.agent.db.AccountsScript.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The accounts script's own allow-list: what an accounts artifact may hold, and what refuses it
 * whole.
 */
class AccountsScriptTest {

  private static final String HASH = "'*E412C6A4A2F786AA17CC160E15162212C5EC3917'";

  private static final String SCRIPT =
      String.join(
          "\n",
          "-- osbackup accounts of target control-plane",
          "CREATE ROLE IF NOT EXISTS `svc_reader`;",
          "CREATE USER IF NOT EXISTS `nova`@`%` IDENTIFIED BY PASSWORD " + HASH + ";",
          "CREATE USER IF NOT EXISTS `ks`@`localhost` IDENTIFIED BY PASSWORD "
              + HASH
              + " REQUIRE SSL WITH MAX_USER_CONNECTIONS 5;",
          "CREATE USER IF NOT EXISTS `we'ird`@`10.0.0.0/255.0.0.0` IDENTIFIED VIA unix_socket ACCOUNT LOCK;",
          "GRANT SELECT ON `keystone`.* TO `svc_reader`;",
          "GRANT ALL PRIVILEGES ON `nova`.* TO `nova`@`%`;",
          "GRANT ALL PRIVILEGES ON *.* TO `nova`@`%` WITH GRANT OPTION;",
          "GRANT SELECT (`id`, `na``me`) ON `other`.`t` TO `ks`@`localhost`;",
          "GRANT EXECUTE ON PROCEDURE `nova`.`p` TO `ks`@`localhost`;",
          "GRANT `svc_reader` TO `ks`@`localhost`;",
          "SET DEFAULT ROLE `svc_reader` FOR `ks`@`localhost`;",
          "");

  @Test
  void readsWhatTheCaptureWrites() throws Exception {
    AccountsScript script = AccountsScript.parse(SCRIPT);
    assertEquals(11, script.statements().size());
    assertEquals(
        List.of(
            new Account("svc_reader", null),
            new Account("nova", "%"),
            new Account("ks", "localhost"),
            new Account("we'ird", "10.0.0.0/255.0.0.0")),
        script.accounts());
    assertEquals(Kind.GRANT, script.statements().get(8).kind());
    assertEquals(new Account("ks", "localhost"), script.statements().get(8).account());
    assertEquals(new Account("svc_reader", null), script.statements().get(4).account());
    assertEquals(5, script.byAccount().get(new Account("ks", "localhost")).size());
  }

  @Test
  void refusesClientCommandsAndOtherStatements() {
    for (String bad :
        List.of(
            "\\! rm -rf /",
            "system rm -rf /",
            "source /etc/passwd",
            "DROP DATABASE nova;",
            "CREATE USER `x`@`%`;",
            "ALTER USER `nova`@`%` IDENTIFIED BY 'x';",
            "GRANT ALL ON *.* TO `nova`@`%`; DROP DATABASE nova;",
            "GRANT ALL ON *.* TO `nova`@`%` /*! , `evil`@`%` */;",
            "CREATE USER IF NOT EXISTS `nova`@`%` IDENTIFIED BY PASSWORD " + HASH,
            "SELECT * FROM mysql.user;",
            "INSERT INTO mysql.global_priv VALUES ('%','x','{}');",
            "SET PASSWORD FOR `nova`@`%` = PASSWORD('x');",
            "CREATE USER IF NOT EXISTS `nova`@`%` IDENTIFIED BY PASSWORD(" + HASH + ");",
            "DELIMITER ;;",
            "GRANT ALL PRIVILEGES ON *.* TO `root`@`%`;",
            "CREATE USER IF NOT EXISTS `mariadb.sys`@`localhost`;")) {
      AccountsScript.RefusedException e =
          assertThrows(
              AccountsScript.RefusedException.class,
              () -> AccountsScript.parse(SCRIPT + bad + "\n"),
              bad);
      assertTrue(e.getMessage().startsWith("line 13 of the accounts script"), e.getMessage());
      assertFalse(e.getMessage().contains("E412C6"), "never shows a hash: " + e.getMessage());
    }
  }
}
