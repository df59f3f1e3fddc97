package io.osbackup.operator.run;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.catalog.Catalog;
import io.osbackup.contract.Owner;
import io.osbackup.store.ObjectInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a pending BackupRun sees of the cluster before it is planned: its policy, the policy's
 * store, the nodes (when a files target selects nodes) and the Secrets the policy and store name.
 *
 * @param secrets by name, the Secrets that exist among those the policy and its store name
 */
record PlanningObservation(
    Optional<BackupPolicy> policy,
    Optional<BackupStore> store,
    List<Node> nodes,
    Map<String, Secret> secrets) {

  /**
   * What the bucket holds under a planned backup's folder.
   *
   * @param existing the objects under the folder
   * @param marker the folder's owner marker, when it is among them
   * @param error why the folder could not be listed; null when it was
   */
  record Folder(List<ObjectInfo> existing, Optional<Owner.Marker> marker, String error) {

    static Folder unreadable(String error) {
      return new Folder(List.of(), Optional.empty(), error);
    }
  }

  /**
   * What a run adopting a backup found in the store reads: the store, and the manifest as the
   * catalog parses it, or why it could not.
   *
   * @param store the store the run's annotation names; empty when it does not exist
   * @param manifest the parsed manifest; empty when it is not in the bucket (or not read)
   * @param troubleReason why the bucket or its keys could not be read (with {@code trouble}); null
   *     when they were
   */
  record Adoption(
      Optional<BackupStore> store,
      Optional<Catalog.Parsed> manifest,
      String troubleReason,
      String trouble) {}
}
