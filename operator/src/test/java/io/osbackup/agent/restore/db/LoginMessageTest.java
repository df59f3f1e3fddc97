package io.osbackup.agent.restore.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.agent.db.DatabaseLogin;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * A refused login tells the admin to check what the login was read from, never showing the
 * password.
 */
class LoginMessageTest {

  static final SQLException DENIED =
      new SQLException(
          "Access denied for user 'root'@'10.0.0.1' (using password: YES)", "28000", 1045);

  @Test
  void anAgentsLoginNamesTheCredentialsSecret() {
    String message =
        DatabaseRestorer.explain(
            DENIED, new DatabaseRestorer.Destination("db", 3306, new DatabaseLogin("root", "pw")));
    assertThat(message)
        .contains("refused user 'root'")
        .contains("the database credentials Secret")
        .doesNotContain("pw)");
  }

  @Test
  void theCommandLinesLoginNamesWhereItWasRead() {
    DatabaseLogin fromEnv =
        new DatabaseLogin(
            "root",
            "pw",
            "the environment variables OSBACKUP_DB_USERNAME and OSBACKUP_DB_PASSWORD");
    String message =
        DatabaseRestorer.explain(DENIED, new DatabaseRestorer.Destination("db", 3306, fromEnv));
    assertThat(message)
        .contains(
            "check username and password in the environment variables OSBACKUP_DB_USERNAME and"
                + " OSBACKUP_DB_PASSWORD")
        .doesNotContain("Secret");
  }
}
