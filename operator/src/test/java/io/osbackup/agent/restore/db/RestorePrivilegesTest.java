package io.osbackup.agent.restore.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reading SHOW GRANTS for the restore pre-flight: global and database-pattern privileges, roles,
 * grant option.
 */
class RestorePrivilegesTest {

  @Test
  void readsGlobalAndDatabaseGrantsAndTheirGrantOption() {
    RestorePrivileges.Held held =
        RestorePrivileges.held(
            List.of(
                "GRANT `rr` TO `rl`@`localhost`",
                "GRANT SELECT, CREATE USER ON *.* TO `rl`@`localhost` IDENTIFIED BY PASSWORD '*7B84' WITH GRANT OPTION",
                "GRANT ALL PRIVILEGES ON `nova\\_%`.* TO `rl`@`localhost`",
                "GRANT INSERT ON `osbackup_restore`.* TO `rl`@`localhost`",
                "GRANT SELECT (`id`) ON `other`.`t` TO `rl`@`localhost`",
                "SET DEFAULT ROLE `rr` FOR `rl`@`localhost`"));
    assertThat(held.global()).containsExactly("SELECT", "CREATE USER");
    assertThat(held.grantOption()).isTrue();
    assertThat(held.has("DROP", "nova_api")).isTrue();
    assertThat(held.has("DROP", "nova_osbr_staging")).isTrue();
    assertThat(held.has("DROP", "novaXapi")).isFalse(); // \\_ is a literal underscore
    assertThat(held.has("INSERT", "osbackup_restore")).isTrue();
    assertThat(held.has("DROP", "osbackup_restore")).isFalse();
    assertThat(held.has("SELECT", "anything")).isTrue();
  }

  @Test
  void allPrivilegesOnEverythingHoldsEveryPrivilege() {
    RestorePrivileges.Held held =
        RestorePrivileges.held(
            List.of(
                "GRANT ALL PRIVILEGES ON *.* TO `backup`@`%` IDENTIFIED BY PASSWORD '*AB' WITH GRANT OPTION"));
    for (String p : RestorePrivileges.DATABASE) {
      assertThat(held.has(p, "nova_orig_20261205_030000")).as(p).isTrue();
    }
  }

  @Test
  void likeMatchesAsDatabaseGrantsDo() {
    assertThat(RestorePrivileges.like("nova_api", "nova%")).isTrue();
    assertThat(RestorePrivileges.like("nova", "nov_")).isTrue();
    assertThat(RestorePrivileges.like("nova", "nova\\_%")).isFalse();
    assertThat(RestorePrivileges.like("NOVA", "nova")).isTrue();
  }
}
