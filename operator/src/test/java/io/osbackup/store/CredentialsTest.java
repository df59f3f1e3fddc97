package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
        .hasMessage(
            "the Secret mounted at "
                + dir
                + " has no key 'secretKey': the store credentials Secret must have the keys"
                + " accessKey and secretKey");
  }

  @Test
  void anEmptyKeyIsRefusedNamingKeyAndDirectory() throws IOException {
    Files.writeString(dir.resolve("accessKey"), "test:tester");
    Files.writeString(dir.resolve("secretKey"), "\n");

    assertThatThrownBy(() -> Credentials.fromDirectory(dir))
        .hasMessageStartingWith("key 'secretKey' is empty in the Secret mounted at " + dir);
  }

  @Test
  void secretValueDropsExactlyOneTrailingNewline() {
    assertThat(Credentials.secretValue(bytes("s3cr3t"), "k")).isEqualTo("s3cr3t");
    assertThat(Credentials.secretValue(bytes("s3cr3t\n"), "k")).isEqualTo("s3cr3t");
    assertThat(Credentials.secretValue(bytes("s3cr3t\r\n"), "k")).isEqualTo("s3cr3t");
    assertThat(Credentials.secretValue(bytes("s3cr3t\n\n"), "k")).isEqualTo("s3cr3t\n");
    assertThat(Credentials.secretValue(bytes("s3cr3t\r"), "k")).isEqualTo("s3cr3t\r");
    assertThat(Credentials.secretValue(bytes(" s3cr3t "), "k")).isEqualTo(" s3cr3t ");
    assertThat(Credentials.secretValue(bytes("pässwort\n"), "k")).isEqualTo("pässwort");
  }

  @Test
  void secretValueRefusesAnEmptyValue() {
    for (String empty : new String[] {"", "\n", "\r\n"}) {
      assertThatThrownBy(() -> Credentials.secretValue(bytes(empty), "secretKey"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key 'secretKey' is empty");
    }
    assertThatThrownBy(() -> Credentials.secretValue(null, "password"))
        .hasMessage("key 'password' is empty");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void toStringNeverShowsTheSecret() {
    Credentials credentials = new Credentials("test:tester", "very-secret");

    assertThat(credentials.toString()).contains("test:tester").doesNotContain("very-secret");
  }
}
