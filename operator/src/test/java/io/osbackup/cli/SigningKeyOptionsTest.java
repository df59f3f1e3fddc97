package io.osbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The break-glass commands read the signing keys from a directory, a Secret manifest or the
 * environment.
 */
class SigningKeyOptionsTest {

  static final String KEY = "0123456789abcdef0123456789abcdef";

  @TempDir Path dir;

  @Test
  void aDirectoryHoldsOneFilePerKeyIdAndHiddenEntriesAreIgnored() throws Exception {
    Files.writeString(dir.resolve("k1"), KEY + "-1\n");
    Files.writeString(dir.resolve("k2"), KEY + "-2");
    Files.writeString(dir.resolve("primary"), "k2");
    Files.createDirectories(dir.resolve("..data"));
    SigningKeyOptions options = new SigningKeyOptions();
    options.path = dir;
    assertThat(options.keys(Map.of()).ids()).containsExactly("k1", "k2");
    assertThat(options.given(Map.of())).isTrue();
  }

  @Test
  void aSecretManifestAsKubectlPrintsItIsRead() throws Exception {
    Path yaml = dir.resolve("secret.yaml");
    Files.writeString(
        yaml,
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: primary-manifest-signing}
        data:
          k1: %s
          primary: azE=
        """
            .formatted(Base64.getEncoder().encodeToString(KEY.getBytes())));
    SigningKeyOptions options = new SigningKeyOptions();
    options.path = yaml;
    assertThat(options.keys(Map.of()).ids()).containsExactly("k1");
    assertThat(options.keys(Map.of()).primary()).isEqualTo("k1");
  }

  @Test
  void theEnvironmentHoldsIdEqualsKeyPairs() throws Exception {
    SigningKeyOptions options = new SigningKeyOptions();
    var keys =
        options.keys(Map.of(SigningKeyOptions.KEYS_ENV, "k1=" + KEY + "==, k2=" + KEY + "x"));
    assertThat(keys.ids()).containsExactly("k1", "k2");
    assertThat(options.keys(Map.of()).isEmpty()).isTrue();
    assertThat(options.given(Map.of())).isFalse();
    assertThatThrownBy(() -> options.keys(Map.of(SigningKeyOptions.KEYS_ENV, KEY)))
        .hasMessageContaining("<keyId>=<key>")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(KEY));
    assertThatThrownBy(() -> options.keys(Map.of(SigningKeyOptions.KEYS_ENV, "k1=short")))
        .hasMessageContaining("fewer than 32");
  }

  @Test
  void aFileThatIsNoSecretIsRefusedNamingIt() throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.txt"), "[[[");
    SigningKeyOptions options = new SigningKeyOptions();
    options.path = junk;
    assertThatThrownBy(() -> options.keys(Map.of())).hasMessageContaining("--signing-keys " + junk);
  }
}
