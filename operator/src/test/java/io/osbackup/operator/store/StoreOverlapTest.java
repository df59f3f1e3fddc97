package io.osbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which BackupStores overlap another in the same bucket, and which of two is refused. */
class StoreOverlapTest {

  static BackupStore store(
      String ns, String name, String created, String endpoint, String bucket, String prefix) {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: %s, namespace: %s, uid: %s, creationTimestamp: "%s"}
        spec:
          s3: {endpoint: "%s", bucket: %s, %s credentialsSecret: {name: s3}}
        """
            .formatted(
                name,
                ns,
                ns + "-" + name,
                created,
                endpoint,
                bucket,
                prefix == null ? "" : "prefix: \"" + prefix + "\","),
        BackupStore.class);
  }

  private static final String T1 = "2026-11-01T00:00:00Z";
  private static final String T2 = "2026-11-02T00:00:00Z";

  @Test
  void aLaterStoreWithTheSameOrANestedFolderInTheSameBucketIsRefusedNamingBoth() {
    BackupStore primary = store("openstack", "primary", T1, "http://swift:8080", "backups", "prod");
    BackupStore same = store("openstack", "copy", T2, "http://SWIFT:8080/", "backups", "prod");
    BackupStore nested =
        store("openstack", "dr", T2, "http://swift:8080", "backups", "prod/openstack/nova/dr");
    // prefix "prod/openstack" in namespace "x" writes below prod/openstack/x: inside primary's
    // prod/openstack
    BackupStore crossNamespace =
        store("x", "primary", T2, "http://swift:8080", "backups", "prod/openstack");
    List<BackupStore> all = List.of(primary, same, nested, crossNamespace);

    assertThat(BackupStoreReconciler.overlap(primary, all))
        .as("the older store keeps working")
        .isEmpty();
    assertThat(BackupStoreReconciler.overlap(same, all))
        .get()
        .asString()
        .contains("openstack/copy")
        .contains("openstack/primary")
        .contains("spec.s3.prefix");
    assertThat(BackupStoreReconciler.overlap(nested, all))
        .get()
        .asString()
        .contains("prod/openstack/nova/dr/openstack/")
        .contains("prod/openstack/ of BackupStore openstack/primary");
    assertThat(BackupStoreReconciler.overlap(crossNamespace, all)).isPresent();
  }

  @Test
  void storesInOtherBucketsOrSideBySideFoldersDoNotOverlap() {
    BackupStore primary = store("openstack", "primary", T1, "http://swift:8080", "backups", "prod");
    BackupStore otherBucket = store("openstack", "b", T2, "http://swift:8080", "other", "prod");
    BackupStore otherEndpoint = store("openstack", "c", T2, "http://minio:9000", "backups", "prod");
    BackupStore sibling = store("openstack", "d", T2, "http://swift:8080", "backups", "prod2");
    BackupStore otherNamespace = store("cells", "e", T2, "http://swift:8080", "backups", "prod");
    List<BackupStore> all = List.of(primary, otherBucket, otherEndpoint, sibling, otherNamespace);

    for (BackupStore s : all) {
      assertThat(BackupStoreReconciler.overlap(s, all)).as(s.getMetadata().getName()).isEmpty();
    }
  }
}
