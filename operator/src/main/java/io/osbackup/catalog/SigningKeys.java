package io.osbackup.catalog;

import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Json;
import io.osbackup.contract.ManifestSignature;
import io.osbackup.store.Credentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The manifest signing keys of a store, by id, as held by its signing Secret: every data key is a
 * key id whose value is the key (text, at least 32 bytes), and the data key {@value #PRIMARY} names
 * the id that signs new manifests. The primary signs; every key verifies, so old backups stay
 * verifiable after a rotation for as long as their key is kept. HMAC-SHA-256 from the JDK ({@link
 * Mac}); the key bytes never leave this class.
 */
public final class SigningKeys {

  /** The algorithm named in every {@link ManifestSignature}. */
  public static final String ALGORITHM = "HMAC-SHA256";

  /** The Secret data key naming the primary key's id. */
  public static final String PRIMARY = "primary";

  /** The file name of the signature next to {@code manifest.json}. */
  public static final String SIGNATURE = BackupLayout.SIGNATURE;

  /** Fewest bytes a key may have. */
  public static final int MIN_KEY_BYTES = 32;

  private static final String MAC = "HmacSHA256";
  private static final Pattern KEY_ID = Pattern.compile("^[-._a-zA-Z0-9]{1,63}$");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, byte[]> keys;
  private final String primary;

  private SigningKeys(Map<String, byte[]> keys, String primary) {
    this.keys = keys;
    this.primary = primary;
  }

  /** No keys: every signed manifest is checked as {@link SignatureCheck.Outcome#UNKNOWN_KEY}. */
  public static SigningKeys none() {
    return new SigningKeys(Map.of(), null);
  }

  /**
   * The keys of a signing Secret's data (values already base64-decoded), able to sign: {@value
   * #PRIMARY} names one of them, or there is exactly one key. A trailing newline of a value is
   * dropped, as for every Secret osbackup reads.
   *
   * @param source how to name the Secret in messages, e.g. {@code Secret
   *     'primary-manifest-signing'}
   * @throws IllegalArgumentException naming the Secret, the data key and the fix
   */
  public static SigningKeys forSigning(Map<String, byte[]> data, String source) {
    SigningKeys keys = forVerifying(data, source);
    if (keys.primary == null) {
      throw new IllegalArgumentException(
          source
              + " "
              + (keys.keys.isEmpty()
                  ? "holds no key"
                  : "holds "
                      + keys.keys.size()
                      + " keys "
                      + keys.ids()
                      + " but no data key '"
                      + PRIMARY
                      + "'")
              + ": add the key '"
              + PRIMARY
              + "' naming the id of the key"
              + " that signs new manifests");
    }
    return keys;
  }

  /**
   * The keys of a signing Secret's data, to verify with; {@value #PRIMARY} may be missing or name
   * an absent key only when signing is not needed (a break-glass restore), otherwise see {@link
   * #forSigning}.
   */
  public static SigningKeys forVerifying(Map<String, byte[]> data, String source) {
    Map<String, byte[]> keys = new TreeMap<>();
    String primary = null;
    for (Map.Entry<String, byte[]> e : data.entrySet()) {
      String value;
      try {
        value = Credentials.secretValue(e.getValue(), e.getKey());
      } catch (IllegalArgumentException empty) {
        throw new IllegalArgumentException(
            source + ": " + empty.getMessage() + ": remove it or give it a value");
      }
      if (PRIMARY.equals(e.getKey())) {
        primary = value.strip();
        continue;
      }
      if (!KEY_ID.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException(
            source
                + ": key id '"
                + e.getKey()
                + "' is not 1-63 letters, digits, '-',"
                + " '.' or '_': rename it");
      }
      byte[] key = value.getBytes(StandardCharsets.UTF_8);
      if (key.length < MIN_KEY_BYTES) {
        throw new IllegalArgumentException(
            source
                + ": key '"
                + e.getKey()
                + "' has "
                + key.length
                + " bytes, fewer"
                + " than "
                + MIN_KEY_BYTES
                + ": make one with 'openssl rand -base64 32'");
      }
      keys.put(e.getKey(), key);
    }
    if (primary == null && keys.size() == 1) {
      primary = keys.keySet().iterator().next();
    }
    if (primary != null && !keys.containsKey(primary)) {
      if (data.containsKey(PRIMARY)) {
        throw new IllegalArgumentException(
            source
                + ": '"
                + PRIMARY
                + "' names key '"
                + primary
                + "', which it does"
                + " not hold: add that key or name one of "
                + keys.keySet());
      }
      primary = null;
    }
    return new SigningKeys(Collections.unmodifiableMap(keys), primary);
  }

  /** The ids of the keys held, sorted. */
  public Set<String> ids() {
    return keys.keySet();
  }

  /** The id of the key that signs; null when these keys only verify. */
  public String primary() {
    return primary;
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }

  /** Signs the exact bytes of a manifest with the primary key. */
  public ManifestSignature sign(byte[] manifest) {
    if (primary == null) {
      throw new IllegalStateException("no primary signing key");
    }
    return new ManifestSignature(
        ManifestSignature.FORMAT_VERSION,
        ALGORITHM,
        primary,
        Base64.getEncoder().encodeToString(mac(keys.get(primary), manifest)));
  }

  /** The bytes of the {@value #SIGNATURE} object for {@code manifest}. */
  public byte[] signatureObject(byte[] manifest) throws IOException {
    return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(sign(manifest));
  }

  /**
   * Checks {@code manifest} (its exact bytes) against the bytes of its signature object; {@code
   * signature} null when there is none.
   */
  public SignatureCheck check(byte[] manifest, byte[] signature) {
    if (signature == null) {
      return SignatureCheck.unsigned();
    }
    ManifestSignature sig;
    try {
      sig = Json.MAPPER.readValue(signature, ManifestSignature.class);
    } catch (IOException e) {
      return SignatureCheck.invalid(null, "has a " + SIGNATURE + " that is not a signature");
    }
    if (sig == null || sig.keyId() == null || sig.signature() == null) {
      return SignatureCheck.invalid(null, "has a " + SIGNATURE + " without key id or signature");
    }
    if (!ALGORITHM.equals(sig.algorithm())) {
      return SignatureCheck.invalid(
          sig.keyId(),
          "is signed with algorithm '"
              + sig.algorithm()
              + "'; this operator"
              + " verifies "
              + ALGORITHM);
    }
    byte[] key = keys.get(sig.keyId());
    if (key == null) {
      return SignatureCheck.unknownKey(sig.keyId());
    }
    byte[] claimed;
    try {
      claimed = Base64.getDecoder().decode(sig.signature());
    } catch (IllegalArgumentException e) {
      return SignatureCheck.invalid(sig.keyId(), "has a signature that is not base64");
    }
    if (!MessageDigest.isEqual(claimed, mac(key, manifest))) {
      return SignatureCheck.invalid(
          sig.keyId(),
          "does not match its signature (key '"
              + sig.keyId()
              + "'): it was changed after the operator"
              + " wrote it");
    }
    return SignatureCheck.verified(sig.keyId());
  }

  /** A new random key: 32 bytes from {@link SecureRandom}, base64 (44 characters). */
  public static String newKey() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  private static byte[] mac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance(MAC);
      mac.init(new SecretKeySpec(key, MAC));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no " + MAC, e);
    }
  }

  @Override
  public String toString() {
    return "SigningKeys" + keys.keySet() + (primary == null ? "" : ", primary " + primary);
  }
}
