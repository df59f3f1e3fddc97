package io.osbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.osbackup.catalog.SigningKeys;

/**
 * The {@code manifest.sig} object written just before a backup's {@code manifest.json}: an
 * HMAC-SHA-256 over the exact bytes of the manifest, made by the operator with a key the agents
 * never hold.
 *
 * @param formatVersion version of this format, {@link #FORMAT_VERSION}
 * @param algorithm {@link SigningKeys#ALGORITHM}
 * @param keyId id of the key that signed, as named in the signing Secret
 * @param signature the MAC, base64
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ManifestSignature(
    int formatVersion, String algorithm, String keyId, String signature) {

  public static final int FORMAT_VERSION = 1;
}
