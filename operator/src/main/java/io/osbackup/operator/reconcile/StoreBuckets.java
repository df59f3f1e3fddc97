package io.osbackup.operator.reconcile;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.CaBundle;
import io.osbackup.api.v1alpha1.KeyRef;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.store.Credentials;
import io.osbackup.store.ObjectStore;
import io.osbackup.store.TrustedCas;
import io.osbackup.store.UploadLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/** Opens the bucket of a store with the credentials from its Secret. */
public class StoreBuckets {

  /** The Secret or one of its keys is missing; the message names which and what to do. */
  public static final class CredentialsProblem extends IOException {
    private final String reason;

    CredentialsProblem(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  private final KubernetesClient client;

  public StoreBuckets(KubernetesClient client) {
    this.client = client;
  }

  /**
   * Connects to the bucket of {@code s3}, reading the credentials Secret from {@code namespace}.
   */
  public ObjectStore connect(String namespace, S3Location s3) throws CredentialsProblem {
    String secretName = s3.getCredentialsSecret().getName();
    Secret secret = client.secrets().inNamespace(namespace).withName(secretName).get();
    if (secret == null) {
      throw new CredentialsProblem(
          "SecretNotFound",
          "spec.s3.credentialsSecret names Secret '"
              + secretName
              + "', which does not exist in namespace "
              + namespace
              + ": create it with the keys accessKey and secretKey");
    }
    String accessKey = value(secret, "accessKey").orElse(null);
    String secretKey = value(secret, "secretKey").orElse(null);
    for (var key : new String[] {"accessKey", "secretKey"}) {
      if (value(secret, key).isEmpty()) {
        throw new CredentialsProblem(
            "SecretKeyMissing",
            "Secret '"
                + secretName
                + "' (spec.s3.credentialsSecret) has no key '"
                + key
                + "' or it is empty: add it");
      }
    }
    return ObjectStore.connect(
        s3.getEndpoint(),
        s3.getRegion() == null
            ? io.osbackup.api.v1alpha1.S3Location.DEFAULT_REGION
            : s3.getRegion(),
        s3.getForcePathStyle() == null || s3.getForcePathStyle(),
        s3.getBucket(),
        new Credentials(accessKey, secretKey),
        caBundle(namespace, s3.getCaBundle()),
        s3.getMaxUploadParts() == null
            ? UploadLimits.DEFAULT
            : UploadLimits.DEFAULT.withMaxParts(s3.getMaxUploadParts()));
  }

  /**
   * The PEM bytes of {@code spec.s3.caBundle}, checked to hold a certificate; null when none is
   * named. A missing Secret, ConfigMap or key, or a key without a certificate, is a {@link
   * CredentialsProblem} of reason {@code CaBundleInvalid} naming the field.
   */
  public byte[] caBundle(String namespace, CaBundle bundle) throws CredentialsProblem {
    if (bundle == null) {
      return null;
    }
    boolean secret = bundle.getSecretRef() != null;
    KeyRef ref = secret ? bundle.getSecretRef() : bundle.getConfigMapRef();
    String field = "spec.s3.caBundle." + (secret ? "secretRef" : "configMapRef");
    String kind = secret ? "Secret" : "ConfigMap";
    byte[] pem = null;
    boolean exists;
    if (secret) {
      Secret s = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
      exists = s != null;
      if (exists && s.getData() != null && s.getData().get(ref.getKey()) != null) {
        pem = Base64.getDecoder().decode(s.getData().get(ref.getKey()));
      }
    } else {
      ConfigMap m = client.configMaps().inNamespace(namespace).withName(ref.getName()).get();
      exists = m != null;
      if (exists && m.getData() != null && m.getData().get(ref.getKey()) != null) {
        pem = m.getData().get(ref.getKey()).getBytes(StandardCharsets.UTF_8);
      }
    }
    if (!exists) {
      throw new CredentialsProblem(
          CA_BUNDLE_INVALID,
          field
              + " names "
              + kind
              + " '"
              + ref.getName()
              + "', which does not exist in namespace "
              + namespace
              + ": create it with the CA certificates (PEM) under key '"
              + ref.getKey()
              + "'");
    }
    if (pem == null) {
      throw new CredentialsProblem(
          CA_BUNDLE_INVALID,
          kind
              + " '"
              + ref.getName()
              + "' ("
              + field
              + ") has no key '"
              + ref.getKey()
              + "': add the CA certificates (PEM) under it");
    }
    try {
      TrustedCas.fromPem(pem);
    } catch (IllegalArgumentException e) {
      throw new CredentialsProblem(
          CA_BUNDLE_INVALID,
          "key '"
              + ref.getKey()
              + "' of "
              + kind
              + " '"
              + ref.getName()
              + "' ("
              + field
              + "): "
              + e.getMessage());
    }
    return pem;
  }

  /** Reason of a missing or unreadable CA bundle. */
  public static final String CA_BUNDLE_INVALID = "CaBundleInvalid";

  /**
   * A Secret value from {@code data} (base64), by the same rule the agent reads mounted keys
   * ({@link Credentials#secretValue}); empty when the key is missing or empty. An API server never
   * returns {@code stringData}, so it is not read.
   */
  public static Optional<String> value(Secret secret, String key) {
    Map<String, String> data = secret.getData();
    if (data == null || data.get(key) == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Credentials.secretValue(Base64.getDecoder().decode(data.get(key)), key));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
