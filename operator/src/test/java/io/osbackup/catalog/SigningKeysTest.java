package io.osbackup.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.contract.Json;
import io.osbackup.contract.ManifestSignature;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Signing manifests with the keys of a signing Secret, verifying them, and rotating the keys. */
class SigningKeysTest {

  static final String OLD = "0123456789abcdef0123456789abcdef-old";
  static final String NEW = "0123456789abcdef0123456789abcdef-new";
  static final byte[] MANIFEST =
      "{\"formatVersion\":1,\"backupId\":\"b-1\"}".getBytes(StandardCharsets.UTF_8);

  static Map<String, byte[]> data(String... pairs) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      out.put(pairs[i], pairs[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  @Test
  void signsTheExactBytesWithHmacSha256OfThePrimaryKey() throws Exception {
    SigningKeys keys = SigningKeys.forSigning(data("k1", OLD + "\n"), "Secret 's'");
    ManifestSignature sig = keys.sign(MANIFEST);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(OLD.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    assertThat(sig.algorithm()).isEqualTo("HMAC-SHA256");
    assertThat(sig.keyId()).isEqualTo("k1");
    assertThat(Base64.getDecoder().decode(sig.signature())).isEqualTo(mac.doFinal(MANIFEST));
    assertThat(keys.check(MANIFEST, keys.signatureObject(MANIFEST)).outcome())
        .isEqualTo(SignatureCheck.Outcome.VERIFIED);
  }

  @Test
  void oneChangedByteOrAnotherKeyDoesNotVerify() throws Exception {
    SigningKeys keys = SigningKeys.forSigning(data("k1", OLD), "Secret 's'");
    byte[] sig = keys.signatureObject(MANIFEST);
    byte[] changed = MANIFEST.clone();
    changed[changed.length - 3] ^= 1;
    SignatureCheck check = keys.check(changed, sig);
    assertThat(check.outcome()).isEqualTo(SignatureCheck.Outcome.INVALID);
    assertThat(check.reason()).isEqualTo("ManifestSignatureInvalid");
    assertThat(check.detail()).contains("changed after the operator wrote it");

    SigningKeys impostor = SigningKeys.forSigning(data("k1", NEW), "Secret 's'");
    assertThat(impostor.check(MANIFEST, sig).outcome()).isEqualTo(SignatureCheck.Outcome.INVALID);
    assertThat(keys.check(MANIFEST, "not json".getBytes(StandardCharsets.UTF_8)).outcome())
        .isEqualTo(SignatureCheck.Outcome.INVALID);
    byte[] otherAlgorithm =
        Json.MAPPER.writeValueAsBytes(new ManifestSignature(1, "NONE", "k1", ""));
    assertThat(keys.check(MANIFEST, otherAlgorithm).detail()).contains("NONE");
  }

  @Test
  void noSignatureIsUnsignedAndAKeyNotHeldIsUnknown() throws Exception {
    SigningKeys keys = SigningKeys.forSigning(data("k1", OLD), "Secret 's'");
    assertThat(keys.check(MANIFEST, null).outcome()).isEqualTo(SignatureCheck.Outcome.UNSIGNED);
    assertThat(keys.check(MANIFEST, null).reason()).isEqualTo("ManifestUnsigned");
    SignatureCheck unknown = SigningKeys.none().check(MANIFEST, keys.signatureObject(MANIFEST));
    assertThat(unknown.outcome()).isEqualTo(SignatureCheck.Outcome.UNKNOWN_KEY);
    assertThat(unknown.keyId()).isEqualTo("k1");
  }

  @Test
  void rotationTheNewPrimarySignsAndTheOldKeyStillVerifiesOldManifests() throws Exception {
    byte[] oldSig = SigningKeys.forSigning(data("k1", OLD), "Secret 's'").signatureObject(MANIFEST);
    SigningKeys rotated =
        SigningKeys.forSigning(data("k1", OLD, "k2", NEW, "primary", "k2\n"), "Secret 's'");
    assertThat(rotated.primary()).isEqualTo("k2");
    assertThat(rotated.sign(MANIFEST).keyId()).isEqualTo("k2");
    assertThat(rotated.check(MANIFEST, oldSig).outcome())
        .isEqualTo(SignatureCheck.Outcome.VERIFIED);
    assertThat(rotated.check(MANIFEST, oldSig).keyId()).isEqualTo("k1");
    // once the old key is removed, the old backup's manifest names a key no longer held
    SigningKeys retired = SigningKeys.forSigning(data("k2", NEW), "Secret 's'");
    assertThat(retired.check(MANIFEST, oldSig).outcome())
        .isEqualTo(SignatureCheck.Outcome.UNKNOWN_KEY);
  }

  @Test
  void aSecretThatCannotSignIsRefusedNamingItAndTheFix() {
    assertThatThrownBy(() -> SigningKeys.forSigning(data(), "Secret 's'"))
        .hasMessageContaining("Secret 's' holds no key");
    assertThatThrownBy(() -> SigningKeys.forSigning(data("k1", OLD, "k2", NEW), "Secret 's'"))
        .hasMessageContaining("no data key 'primary'")
        .hasMessageContaining("[k1, k2]");
    assertThatThrownBy(() -> SigningKeys.forSigning(data("k1", OLD, "primary", "k9"), "Secret 's'"))
        .hasMessageContaining("'primary' names key 'k9'");
    assertThatThrownBy(() -> SigningKeys.forSigning(data("k1", "short"), "Secret 's'"))
        .hasMessageContaining("key 'k1' has 5 bytes")
        .hasMessageContaining("openssl rand -base64 32")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("short"));
    assertThatThrownBy(() -> SigningKeys.forSigning(data("k1", ""), "Secret 's'"))
        .hasMessageContaining("'k1' is empty");
    // verifying needs no primary
    assertThat(SigningKeys.forVerifying(data("k1", OLD, "k2", NEW), "dir").ids())
        .containsExactly("k1", "k2");
  }

  @Test
  void aNewKeyIsRandomAndLongEnough() {
    String a = SigningKeys.newKey();
    assertThat(a).hasSize(44).isNotEqualTo(SigningKeys.newKey());
    assertThat(SigningKeys.forSigning(data("k", a), "s").primary()).isEqualTo("k");
    assertThat(SigningKeys.forSigning(data("k", a), "s").toString()).doesNotContain(a);
  }
}
