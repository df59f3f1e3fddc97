package io.osbackup.catalog;

/**
 * What checking a manifest's signature found: verified by a known key, unsigned, signed by a key
 * not at hand, or not matching the manifest's bytes.
 *
 * @param keyId the key the signature names; null when unsigned
 * @param detail what was found, for messages
 */
public record SignatureCheck(Outcome outcome, String keyId, String detail) {

  /** The four outcomes. */
  public enum Outcome {
    VERIFIED("ManifestVerified"),
    UNSIGNED("ManifestUnsigned"),
    UNKNOWN_KEY("ManifestKeyUnknown"),
    INVALID("ManifestSignatureInvalid");

    private final String reason;

    Outcome(String reason) {
      this.reason = reason;
    }

    /** The condition and Event reason of this outcome. */
    public String reason() {
      return reason;
    }
  }

  static SignatureCheck verified(String keyId) {
    return new SignatureCheck(Outcome.VERIFIED, keyId, "signed with key '" + keyId + "'");
  }

  static SignatureCheck unsigned() {
    return new SignatureCheck(
        Outcome.UNSIGNED, null, "has no signature (no " + SigningKeys.SIGNATURE + ")");
  }

  static SignatureCheck unknownKey(String keyId) {
    return new SignatureCheck(
        Outcome.UNKNOWN_KEY,
        keyId,
        "is signed with key '" + keyId + "', which the signing keys at hand do not hold");
  }

  static SignatureCheck invalid(String keyId, String why) {
    return new SignatureCheck(Outcome.INVALID, keyId, why);
  }

  public boolean verified() {
    return outcome == Outcome.VERIFIED;
  }

  /** The reason of the outcome, e.g. {@code ManifestUnsigned}. */
  public String reason() {
    return outcome.reason();
  }

  /** The short word status shows: Verified, Unsigned, UnknownKey or Invalid. */
  public String word() {
    return switch (outcome) {
      case VERIFIED -> "Verified";
      case UNSIGNED -> "Unsigned";
      case UNKNOWN_KEY -> "UnknownKey";
      case INVALID -> "Invalid";
    };
  }

  /**
   * Why a backup is refused and what to do, e.g. for a RestoreRequest: {@code backup b-1: manifest
   * <key> has no signature ...; set spec.allowUnsignedManifest: true ...}.
   *
   * @param keys where the signing keys come from, e.g. {@code Secret 'primary-manifest-signing'}
   * @param override the setting that restores anyway, e.g. {@code spec.allowUnsignedManifest: true}
   */
  public String refusal(String backupId, String manifestKey, String keys, String override) {
    String what = "backup " + backupId + ": manifest " + manifestKey + " " + detail;
    return switch (outcome) {
      case VERIFIED -> what;
      case UNSIGNED ->
          what
              + ", so nothing proves the operator wrote it (a backup taken before manifests were signed,"
              + " or its signature was removed): if you trust this backup, set "
              + override;
      case UNKNOWN_KEY ->
          what
              + " ("
              + keys
              + "): add key '"
              + keyId
              + "' back to the signing keys from your"
              + " off-site copy, or, if you trust this backup, set "
              + override;
      case INVALID ->
          what
              + ": it may have been tampered with; restore another backup, and set "
              + override
              + " only if you know why it changed";
    };
  }
}
