package io.osbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * Who wrote a backup folder: the cluster, namespace and BackupStore of the operator that wrote it.
 * A folder is ours when cluster, namespace and store name match; the store's UID is informational
 * (a BackupStore applied again after it was lost, in the same cluster, keeps its backups).
 *
 * @param clusterId the writing operator's cluster id ({@code --cluster-id}, or the UID of {@code
 *     kube-system})
 * @param namespace the namespace of the store and policy
 * @param store the BackupStore's name
 * @param storeUid the BackupStore's UID when the folder was written
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Owner(String clusterId, String namespace, String store, String storeUid) {

  /** Whether a folder written by {@code other} is ours: same cluster, namespace and store name. */
  public boolean owns(Owner other) {
    return other != null
        && Objects.equals(clusterId, other.clusterId)
        && Objects.equals(namespace, other.namespace)
        && Objects.equals(store, other.store);
  }

  /** {@code cluster <id>, store <namespace>/<name>} for messages. */
  public String describe() {
    return "cluster " + clusterId + ", store " + namespace + "/" + store;
  }

  /**
   * The {@code owner.json} marker written into a backup's folder before any of its Jobs exists.
   *
   * @param backupId the backup the folder is for
   * @param run the BackupRun that wrote it
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Marker(int formatVersion, Owner owner, String backupId, String run) {

    public static final int FORMAT_VERSION = 1;
  }
}
