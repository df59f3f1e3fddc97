package io.osbackup.operator.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupStore;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which Secret holds a store's signing keys, and that no agent Job may mount it. */
class ManifestKeysTest {

  static BackupStore store(String signing) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: primary, namespace: openstack}
        spec:
          %s
          s3: {endpoint: "http://swift-proxy:8080", bucket: openstack-backups, credentialsSecret: {name: backup-s3}}
        """
            .formatted(signing == null ? "" : "signingKeySecret: {name: " + signing + "}"),
        BackupStore.class);
  }

  @Test
  void aStoreNamingNoSecretUsesStoreManifestSigning() {
    assertThat(ManifestKeys.secretName(store(null))).isEqualTo("primary-manifest-signing");
    assertThat(ManifestKeys.named(store(null))).isFalse();
    assertThat(ManifestKeys.secretName(store("keys"))).isEqualTo("keys");
    assertThat(ManifestKeys.named(store("keys"))).isTrue();
  }

  @Test
  void aDatabaseLoginInTheSigningSecretIsRefusedNamingTheField() {
    assertThat(
            ManifestKeys.exposed(
                "keys", Map.of("spec.databases[galera].credentialsSecret", "backup-db")))
        .isEmpty();
    assertThat(
            ManifestKeys.exposed(
                "keys", Map.of("spec.databases[galera].credentialsSecret", "keys")))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("spec.databases[galera].credentialsSecret names Secret 'keys'")
                    .contains("agent Jobs mount it"));
  }
}
