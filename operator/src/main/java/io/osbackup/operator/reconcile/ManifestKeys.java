package io.osbackup.operator.reconcile;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.plan.JobNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The manifest signing keys of a store, read from its signing Secret, which only the operator
 * reads: {@code spec.signingKeySecret}, or {@code <store>-manifest-signing}, created with one
 * random key when missing. The created Secret is not owned by the store, so deleting the store
 * never loses the key that verifies its backups.
 */
public final class ManifestKeys {

  /** The suffix of the signing Secret a store uses when it names none. */
  public static final String DEFAULT_SUFFIX = "-manifest-signing";

  /** Label on a signing Secret the operator created. */
  public static final String SIGNING_KEY_LABEL = Api.GROUP + "/manifest-signing";

  private static final DateTimeFormatter KEY_ID =
      DateTimeFormatter.ofPattern("'k'yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

  /** The signing Secret is missing or cannot sign; the message names it and the fix. */
  public static final class Problem extends IOException {
    private final String reason;

    public Problem(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    /** SigningKeyNotFound, SigningKeyInvalid, SigningKeyNotCreated or SigningKeyExposed. */
    public String reason() {
      return reason;
    }
  }

  /** What reading (and maybe creating) the signing Secret gave. */
  public record Keys(String secret, SigningKeys keys, boolean created) {}

  private final KubernetesClient client;
  private final Clock clock;

  public ManifestKeys(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /**
   * Why the signing Secret would reach agents, if it would: {@code mounted} maps each field naming
   * a Secret that an agent Job mounts (e.g. {@code spec.databases[galera].credentialsSecret}) to
   * that Secret's name.
   */
  public static Optional<String> exposed(String signingSecret, Map<String, String> mounted) {
    return mounted.entrySet().stream()
        .filter(e -> signingSecret.equals(e.getValue()))
        .findFirst()
        .map(
            e ->
                e.getKey()
                    + " names Secret '"
                    + signingSecret
                    + "', which holds the store's manifest signing keys:"
                    + " agent Jobs mount it, so the keys would reach them; give the database login a Secret of its own");
  }

  /** The name of {@code store}'s signing Secret. */
  public static String secretName(BackupStore store) {
    var ref = store.getSpec().getSigningKeySecret();
    return ref != null && ref.getName() != null
        ? ref.getName()
        : store.getMetadata().getName() + DEFAULT_SUFFIX;
  }

  /**
   * Whether {@code store} names its own signing Secret (else the operator keeps {@code
   * <store>-manifest-signing}).
   */
  public static boolean named(BackupStore store) {
    return store.getSpec().getSigningKeySecret() != null;
  }

  /**
   * The keys of {@code store}, able to sign: the Secret it names must exist; the default one is
   * created when missing.
   */
  public Keys forSigning(BackupStore store) throws Problem {
    String ns = store.getMetadata().getNamespace();
    String name = secretName(store);
    Secret secret = client.secrets().inNamespace(ns).withName(name).get();
    boolean created = false;
    if (secret == null && !named(store)) {
      secret = create(ns, name, store.getMetadata().getName());
      created = true;
    }
    if (secret == null) {
      throw new Problem(
          "SigningKeyNotFound",
          "spec.signingKeySecret names Secret '"
              + name
              + "', which does not exist"
              + " in namespace "
              + ns
              + ": create it with a key (kubectl create secret generic "
              + name
              + " --from-literal=k1=$(openssl rand -base64 32)), or restore it from your off-site copy");
    }
    try {
      return new Keys(
          name, SigningKeys.forSigning(decode(secret), "signing Secret '" + name + "'"), created);
    } catch (IllegalArgumentException e) {
      throw new Problem("SigningKeyInvalid", e.getMessage());
    }
  }

  /**
   * The keys of the store named {@code storeName} in {@code ns}, to verify with; empty keys when
   * the Secret does not exist (every signed manifest then names an unknown key). Never creates
   * anything.
   */
  public SigningKeys forVerifying(String ns, BackupStore store) throws Problem {
    String name = secretName(store);
    Secret secret = client.secrets().inNamespace(ns).withName(name).get();
    if (secret == null) {
      return SigningKeys.none();
    }
    try {
      return SigningKeys.forVerifying(decode(secret), "signing Secret '" + name + "'");
    } catch (IllegalArgumentException e) {
      throw new Problem("SigningKeyInvalid", e.getMessage());
    }
  }

  private Secret create(String ns, String name, String storeName) throws Problem {
    String id = KEY_ID.format(clock.instant());
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .withLabels(
                Map.of(
                    Api.MANAGED_BY_LABEL,
                    Api.MANAGED_BY,
                    SIGNING_KEY_LABEL,
                    JobNames.labelValue(storeName)))
            .withAnnotations(
                Map.of(
                    Api.GROUP + "/keep-off-site",
                    "verifies every backup of BackupStore "
                        + storeName
                        + ": keep a copy with the S3 credentials"))
            .endMetadata()
            .withType("Opaque")
            .addToData(id, b64(SigningKeys.newKey()))
            .addToData(SigningKeys.PRIMARY, b64(id))
            .build();
    try {
      return client.secrets().inNamespace(ns).resource(secret).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return client
            .secrets()
            .inNamespace(ns)
            .withName(name)
            .get(); // created meanwhile by another reconciler
      }
      throw new Problem(
          "SigningKeyNotCreated",
          "cannot create the signing Secret '"
              + name
              + "' in namespace "
              + ns
              + " ("
              + e.getCode()
              + "): give the operator the right to create Secrets there, or create it yourself"
              + " and name it in spec.signingKeySecret");
    }
  }

  private static Map<String, byte[]> decode(Secret secret) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (secret.getData() != null) {
      secret
          .getData()
          .forEach((k, v) -> out.put(k, v == null ? new byte[0] : Base64.getDecoder().decode(v)));
    }
    return out;
  }

  private static String b64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }
}
