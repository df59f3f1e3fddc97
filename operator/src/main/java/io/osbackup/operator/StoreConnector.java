package io.osbackup.operator;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.store.Credentials;
import io.osbackup.store.ObjectStore;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/** Opens the bucket of a store with the credentials from its Secret. */
public class StoreConnector {

  /** The Secret or one of its keys is missing; the message names which and what to do. */
  public static final class CredentialsProblem extends java.io.IOException {
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

  public StoreConnector(KubernetesClient client) {
    this.client = client;
  }

  /** Connects to the bucket of {@code s3}, reading the credentials Secret from {@code namespace}. */
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
            "Secret '" + secretName + "' (spec.s3.credentialsSecret) has no key '" + key + "' or it is empty: add it");
      }
    }
    return ObjectStore.connect(
        s3.getEndpoint(),
        s3.getRegion() == null ? "us-east-1" : s3.getRegion(),
        s3.getForcePathStyle() == null || s3.getForcePathStyle(),
        s3.getBucket(),
        new Credentials(accessKey, secretKey));
  }

  /**
   * A Secret value from {@code data} (base64), by the same rule the agent reads mounted keys ({@link
   * Credentials#secretValue}); empty when the key is missing or empty. An API server never returns {@code
   * stringData}, so it is not read.
   */
  static Optional<String> value(Secret secret, String key) {
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
