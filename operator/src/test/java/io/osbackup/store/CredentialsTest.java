package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading store credentials from a mounted Secret. */
class CredentialsTest {

  @TempDir Path dir;

  @Test
  void readsBothKeysAndDropsOneTrailingNewline() throws IOException {
    Files.writeString(dir.resolve("accessKey"), "test:tester\n");
    Files.writeString(dir.resolve("secretKey"), "s3cr3t \r\n");

    Credentials credentials = Credentials.fromDirectory(dir);

    assertThat(credentials.accessKey()).isEqualTo("test:tester");
    assertThat(credentials.secretKey()).isEqualTo("s3cr3t ");
  }

  @Test
  void aMissingKeyFileIsNamed() throws IOException {
    Files.writeString(dir.resolve("accessKey"), "test:tester");

    assertThatThrownBy(() -> Credentials.fromDirectory(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no key 'secretKey'")
        .hasMessageContaining("accessKey and secretKey");
  }

  @Test
  void anEmptyKeyIsRefused() throws IOException {
    Files.writeString(dir.resolve("accessKey"), "test:tester");
    Files.writeString(dir.resolve("secretKey"), "\n");

    assertThatThrownBy(() -> Credentials.fromDirectory(dir))
        .hasMessageContaining("empty 'secretKey'");
  }

  @Test
  void toStringNeverShowsTheSecret() {
    Credentials credentials = new Credentials("test:tester", "very-secret");

    assertThat(credentials.toString()).contains("test:tester").doesNotContain("very-secret");
  }
}
