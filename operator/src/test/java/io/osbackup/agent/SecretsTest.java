package io.osbackup.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Every secret, however short, is scrubbed, also in the escaped forms tools echo it in. */
class SecretsTest {

  @Test
  void redactsEveryKnownSecret() {
    Secrets secrets = Secrets.none().with("AKIA", "wJalr").with("p");

    assertThat(secrets.redact("AKIA/wJalr: p")).isEqualTo("***/***: ***");
  }

  @Test
  void redactsEscapedForms() {
    Secrets secrets = Secrets.none().with("a'b\"c\\d");

    assertThat(secrets.redact("raw a'b\"c\\d")).isEqualTo("raw ***");
    assertThat(secrets.redact("sql 'a''b\"c\\d'")).isEqualTo("sql '***'");
    assertThat(secrets.redact("json \"a'b\\\"c\\\\d\"")).isEqualTo("json \"***\"");
    assertThat(secrets.redact("mariadb 'a\\'b\\\"c\\\\d'")).isEqualTo("mariadb '***'");
  }

  @Test
  void aSecretContainingAnotherIsMaskedWhole() {
    Secrets secrets = Secrets.none().with("abc", "abcdef");

    assertThat(secrets.redact("x abcdef y abc")).isEqualTo("x *** y ***");
  }

  @Test
  void emptyAndNullAreIgnored() {
    Secrets secrets = Secrets.none().with("", null);

    assertThat(secrets.redact("nothing to hide")).isEqualTo("nothing to hide");
    assertThat(secrets.redact(null)).isNull();
  }
}
