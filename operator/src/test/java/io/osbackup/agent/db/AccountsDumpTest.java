package io.osbackup.agent.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.agent.db.AccountsScript.Account;
import org.junit.jupiter.api.Test;

/** How SHOW GRANTS lines become lines of the accounts script. */
class AccountsDumpTest {

  static final Account NOVA = new Account("nova", "%");

  @Test
  void theUsageLineIsDroppedItsPasswordHashWithIt() {
    assertThat(
            AccountsDump.grant(
                "GRANT USAGE ON *.* TO `nova`@`%` IDENTIFIED BY PASSWORD '*E412' REQUIRE SSL WITH MAX_USER_CONNECTIONS 5",
                NOVA))
        .isNull();
  }

  @Test
  void globalPrivilegesKeepTheirGrantOptionButNotTheAuthentication() {
    assertThat(
            AccountsDump.grant(
                "GRANT ALL PRIVILEGES ON *.* TO `nova`@`%` IDENTIFIED BY PASSWORD '*E412' WITH GRANT OPTION",
                NOVA))
        .isEqualTo("GRANT ALL PRIVILEGES ON *.* TO `nova`@`%` WITH GRANT OPTION");
    assertThat(
            AccountsDump.grant(
                "GRANT PROCESS ON *.* TO `nova`@`%` IDENTIFIED BY PASSWORD '*E412'", NOVA))
        .isEqualTo("GRANT PROCESS ON *.* TO `nova`@`%`");
  }

  @Test
  void otherLinesStayAsTheServerWroteThem() {
    for (String line :
        new String[] {
          "GRANT ALL PRIVILEGES ON `nova`.* TO `nova`@`%`",
          "GRANT `svc_reader` TO `nova`@`%`",
          "SET DEFAULT ROLE `svc_reader` FOR `nova`@`%`"
        }) {
      assertThat(AccountsDump.grant(line, NOVA)).isEqualTo(line);
    }
    assertThat(
            AccountsDump.grant(
                "GRANT USAGE ON *.* TO `svc_reader`", new Account("svc_reader", null)))
        .isNull();
  }
}
