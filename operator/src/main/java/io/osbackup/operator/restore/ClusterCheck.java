package io.osbackup.operator.restore;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.contract.Manifest;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.operator.restore.RestoreJobPlan.Source;
import io.osbackup.restore.RestoreSelection;
import io.osbackup.store.ObjectInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What validation checks in the cluster and the bucket before anything is downloaded: the signing
 * keys stay with the operator, the nodes, Secrets and workloads the restore needs exist (and no
 * other controller would scale a quiesced workload back up), and every selected artifact is in the
 * bucket with the size its manifest says. A failed check is a {@link RestoreProblem}.
 */
final class ClusterCheck {

  private final RestoreObserver observer;
  private final KubernetesClient client;
  private final String ns;
  private final RestoreRequest request;
  private final Quiesce.Workloads workloads;

  ClusterCheck(RestoreObserver observer) {
    this.observer = observer;
    this.client = observer.client;
    this.ns = observer.ns;
    this.request = observer.request;
    this.workloads = observer.workloads;
  }

  /** No restore Job may mount the store's signing Secret as a database login. */
  void signingKeysStayWithTheOperator(Source source, RestoreSelection.Result selection)
      throws RestoreProblem {
    String storeName = source.storeName();
    BackupStore bs = client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
    if (bs == null) {
      return; // source() found it a moment ago; the next step fails on it
    }
    String field =
        request.getSpec().getDatabases() != null
                && request.getSpec().getDatabases().getInto() != null
            ? "spec.databases.into.credentialsSecret"
            : "the policy's spec.databases[].credentialsSecret";
    Map<String, String> mounted = new LinkedHashMap<>();
    selection.databases().stream()
        .map(RestoreSelection.DatabaseChoice::server)
        .distinct()
        .forEach(
            server ->
                mounted.put(
                    field + " (" + server.host() + ":" + server.port() + ")",
                    server.credentialsSecret()));
    Optional<String> exposed = ManifestKeys.exposed(ManifestKeys.secretName(bs), mounted);
    if (exposed.isPresent()) {
      throw new RestoreProblem("SigningKeyExposed", exposed.get(), false);
    }
  }

  /** Nodes, Secrets and workloads the restore needs must exist before anything is downloaded. */
  void checkCluster(RestoreSelection.Result selection) throws RestoreProblem {
    for (RestoreSelection.FilesChoice f : selection.files()) {
      Node node = client.nodes().withName(f.node()).get();
      if (node == null) {
        throw new RestoreProblem(
            "NodeNotFound",
            "node '"
                + f.node()
                + "' (spec.files.include[].nodes/toNode) does not"
                + " exist: restore onto an existing node with toNode, or below a directory with toPath",
            false);
      }
    }
    for (RestoreSelection.Server server :
        selection.databases().stream()
            .map(RestoreSelection.DatabaseChoice::server)
            .distinct()
            .toList()) {
      String field =
          request.getSpec().getDatabases().getInto() != null
              ? "spec.databases.into.credentialsSecret"
              : "the policy's spec.databases[].credentialsSecret";
      Secret secret = client.secrets().inNamespace(ns).withName(server.credentialsSecret()).get();
      if (secret == null) {
        throw new RestoreProblem(
            "SecretNotFound",
            field
                + " names Secret '"
                + server.credentialsSecret()
                + "', which"
                + " does not exist in namespace "
                + ns
                + ": create it with the keys username and password",
            true);
      }
      for (String key : List.of("username", "password")) {
        if (StoreBuckets.value(secret, key).isEmpty()) {
          throw new RestoreProblem(
              "SecretKeyMissing",
              "Secret '"
                  + server.credentialsSecret()
                  + "' ("
                  + field
                  + ") has no"
                  + " key '"
                  + key
                  + "' or it is empty: add it",
              true);
        }
      }
    }
    checkQuiesce();
  }

  /**
   * Every workload to quiesce exists, and none is managed by another controller that would scale it
   * back up (controller owner, Argo CD, Flux, an HPA) unless the request says it was handled:
   * refused before anything is scaled.
   */
  private void checkQuiesce() throws RestoreProblem {
    List<RestoreRequestSpec.WorkloadRef> quiesce = request.getSpec().getQuiesce();
    for (int i = 0; i < quiesce.size(); i++) {
      RestoreRequestSpec.WorkloadRef w = quiesce.get(i);
      Optional<HasMetadata> workload = workloads.get(w.getKind().name(), w.getName());
      if (workload.isEmpty()) {
        throw new RestoreProblem(
            "WorkloadNotFound",
            "spec.quiesce["
                + i
                + "]: "
                + w.getKind()
                + " '"
                + w.getName()
                + "' does not exist in namespace "
                + ns
                + ": fix the name or remove it",
            false);
      }
      if (Boolean.TRUE.equals(w.getHandled())) {
        continue;
      }
      List<String> owners = Quiesce.owners(workload.get(), workloads.autoscalers());
      if (!owners.isEmpty()) {
        throw new RestoreProblem(
            "QuiesceOwnedWorkload",
            "spec.quiesce["
                + i
                + "]: "
                + w.getKind()
                + " "
                + w.getName()
                + " "
                + String.join("; it ", owners)
                + "; then set spec.quiesce["
                + i
                + "].handled: true",
            false);
      }
    }
  }

  void checkArtifacts(Source source, RestoreSelection.Result selection) throws RestoreProblem {
    List<Manifest.Entry> entries = new ArrayList<>();
    selection.databases().forEach(d -> entries.add(d.entry()));
    selection.files().forEach(f -> entries.add(f.entry()));
    selection.accounts().forEach(a -> entries.add(a.entry()));
    try {
      for (Manifest.Entry e : entries) {
        Optional<ObjectInfo> info = observer.store(source.s3()).stat(e.key());
        if (info.isEmpty()) {
          throw new RestoreProblem(
              "ArtifactMissing",
              "artifact "
                  + e.key()
                  + " of backup "
                  + source.backup().backupId()
                  + " is not in the bucket: the backup is damaged; restore from another backup",
              false);
        }
        if (info.get().size() != e.size()) {
          throw new RestoreProblem(
              "ArtifactCorrupted",
              "artifact "
                  + e.key()
                  + " has "
                  + info.get().size()
                  + " bytes in"
                  + " the bucket, its manifest says "
                  + e.size()
                  + ": the backup is damaged; restore from another"
                  + " backup",
              false);
        }
      }
    } catch (StoreBuckets.CredentialsProblem e) {
      throw new RestoreProblem(e.reason(), e.getMessage(), true);
    } catch (IOException e) {
      throw new RestoreProblem(
          "StoreUnavailable", "cannot read the bucket: " + e.getMessage(), true);
    }
  }
}
