package io.osbackup.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Include and exclude lists applied to what a server holds. */
class DatabaseSelectionTest {

  static final List<String> SERVER =
      List.of(
          "cinder", "information_schema", "keystone", "mysql", "nova", "performance_schema", "sys");

  @Test
  void emptyIncludeMeansEveryUserDatabase() {
    assertThat(DatabaseSelection.resolve(List.of(), null, false, SERVER, "db:3306"))
        .containsExactly("cinder", "keystone", "nova");
  }

  @Test
  void systemDatabasesOnRequestButNeverVirtualSchemas() {
    assertThat(DatabaseSelection.resolve(null, List.of("cinder"), true, SERVER, "db:3306"))
        .containsExactly("keystone", "mysql", "nova", "sys");
  }

  @Test
  void theRestoreJournalIsNotABackupOfEveryDatabase() {
    List<String> server = List.of("keystone", "nova", "osbackup_restore", "mysql");
    assertThat(DatabaseSelection.resolve(List.of(), null, false, server, "db:3306"))
        .containsExactly("keystone", "nova");
    assertThat(DatabaseSelection.resolve(List.of(), null, true, server, "db:3306"))
        .containsExactly("keystone", "nova", "mysql");
    assertThat(
            DatabaseSelection.resolve(List.of("osbackup_restore"), null, false, server, "db:3306"))
        .as("named in an include list: the admin asked for it")
        .containsExactly("osbackup_restore");
  }

  @Test
  void includeKeepsItsOrderAndExcludeWins() {
    assertThat(
            DatabaseSelection.resolve(
                List.of("nova", "keystone", "cinder"), List.of("cinder"), false, SERVER, "db:3306"))
        .containsExactly("nova", "keystone");
  }

  @Test
  void missingIncludedDatabaseNamesTheFieldAndTheDatabase() {
    assertThatThrownBy(
            () ->
                DatabaseSelection.resolve(
                    List.of("nova", "glance"), null, false, SERVER, "db:3306"))
        .hasMessageStartingWith(
            "spec.databases[].include names database 'glance', which does not exist on db:3306");
  }

  @Test
  void virtualSchemaCannotBeIncluded() {
    assertThatThrownBy(
            () ->
                DatabaseSelection.resolve(
                    List.of("information_schema"), null, true, SERVER, "db:3306"))
        .hasMessageContaining("virtual schema");
  }
}
