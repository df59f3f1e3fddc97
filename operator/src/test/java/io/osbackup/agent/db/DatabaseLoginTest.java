package io.osbackup.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.contract.BackupPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The login never shows its password, and reaches the tools through a private option file. */
class DatabaseLoginTest {

  @Test
  void toStringHidesThePassword() {
    assertThat(new DatabaseLogin("backup", "s3cret").toString())
        .contains("backup")
        .doesNotContain("s3cret");
  }

  @Test
  void readsTheSecretVolumeDroppingOneTrailingNewline(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("username"), "backup\n");
    Files.writeString(dir.resolve("password"), "pa ss\n\n");

    assertThat(DatabaseLogin.read(dir)).isEqualTo(new DatabaseLogin("backup", "pa ss\n"));
  }

  @Test
  void readsCrLfLikeTheStoreCredentials(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("username"), "backup\r\n");
    Files.writeString(dir.resolve("password"), " pa ss ");

    assertThat(DatabaseLogin.read(dir)).isEqualTo(new DatabaseLogin("backup", " pa ss "));
  }

  @Test
  void anEmptyPasswordIsRefusedNamingKeyAndDirectory(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("username"), "backup");
    Files.writeString(dir.resolve("password"), "\n");

    assertThatThrownBy(() -> DatabaseLogin.read(dir))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "key 'password' is empty in the Secret mounted at "
                + dir
                + ": the database credentials Secret must have the keys username and password");
  }

  @Test
  void aMissingUsernameIsNamed(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("password"), "p");

    assertThatThrownBy(() -> DatabaseLogin.read(dir))
        .hasMessageStartingWith("the Secret mounted at " + dir + " has no key 'username'");
  }

  @Test
  void optionFileQuotesAndEscapesValues() {
    assertThat(ClientOptionFile.contents(new DatabaseLogin("u", "a\"b\\c#d'e\nf")))
        .isEqualTo("[client]\nuser=\"u\"\npassword=\"a\\\"b\\\\c#d'e\\nf\"\n");
  }

  @Test
  void optionFileCarriesTheTargetsTlsForTheMariaDbTools() throws Exception {
    assertThat(ClientOptionFile.tlsOptions(null)).isEmpty();
    assertThat(ClientOptionFile.tlsOptions(new BackupPlan.DatabaseTls("required", null)))
        .isEqualTo("ssl\n");
    assertThat(
            ClientOptionFile.tlsOptions(
                new BackupPlan.DatabaseTls("verify-ca", "/var/run/osbackup/database-ca/ca.crt")))
        .isEqualTo("ssl\nssl-ca=\"/var/run/osbackup/database-ca/ca.crt\"\n");
    assertThat(
            ClientOptionFile.tlsOptions(
                new BackupPlan.DatabaseTls("verify-full", "/var/run/osbackup/database-ca/ca.crt")))
        .endsWith("ssl-verify-server-cert\n");
    try (ClientOptionFile options =
        ClientOptionFile.write(
            new DatabaseLogin("u", "p"), new BackupPlan.DatabaseTls("required", null))) {
      assertThat(Files.readString(options.path()))
          .isEqualTo("[client]\nuser=\"u\"\npassword=\"p\"\nssl\n");
    }
  }

  @Test
  void optionFileIsPrivateAndDeletedOnClose() throws Exception {
    Path file;
    try (ClientOptionFile options = ClientOptionFile.write(new DatabaseLogin("u", "p"))) {
      file = options.path();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
          .isEqualTo("rwx------");
      assertThat(options.argument()).isEqualTo("--defaults-file=" + file);
    }
    assertThat(file).doesNotExist();
    assertThat(file.getParent()).doesNotExist();
  }

  @Test
  void accessDeniedTellsWhereToLook() {
    SQLException denied =
        new SQLException(
            "Access denied for user 'backup'@'10.0.0.7' (using password: YES)", "28000", 1045);

    assertThat(Preflight.explain(denied, "galera", 3306, "backup"))
        .startsWith(
            "the server at galera:3306 refused user 'backup': check username and password in the"
                + " credentials Secret");
  }

  @Test
  void toolFailureSaysHowItEnded() {
    assertThat(DatabaseBackup.toolFailure("mariadb-dump", 137, ""))
        .isEqualTo("mariadb-dump was killed by signal 9");
    assertThat(DatabaseBackup.toolFailure("mariadb-dump", 2, "mariadb-dump: Got error: 1049\n"))
        .isEqualTo("mariadb-dump failed with exit code 2: mariadb-dump: Got error: 1049");
  }

  @Test
  void aDirectoryGivenOnTheCommandLineIsNamedAsSuchNotAsASecret(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("username"), "root");
    String source = "the files username and password in --db-credentials-dir " + dir;

    assertThatThrownBy(() -> DatabaseLogin.read(dir, source))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("the directory " + dir + " has no key 'password'")
        .hasMessageContaining(source)
        .hasMessageNotContaining("Secret");
    Files.writeString(dir.resolve("password"), "pw\n");
    assertThat(DatabaseLogin.read(dir, source).source()).isEqualTo(source);
    assertThat(DatabaseLogin.read(dir).source()).isEqualTo(DatabaseLogin.SECRET);
  }
}
