package io.osbackup.operator.run;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.plan.RunPlanner;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reads of a pending BackupRun: its policy, store, nodes and Secrets ({@link
 * PlanningObservation}), its planned folder in the bucket, and the manifest of a backup it adopts.
 */
final class PlanningObserver {

  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final BucketOpener buckets;
  private final String ns;

  PlanningObserver(
      BackupRun run, KubernetesClient client, OperatorSettings settings, BucketOpener buckets) {
    this.client = client;
    this.settings = settings;
    this.buckets = buckets;
    this.ns = run.getMetadata().getNamespace();
  }

  /** The policy named {@code policyName}, its store, the nodes and the Secrets they name. */
  PlanningObservation observe(String policyName) {
    Optional<BackupPolicy> policy =
        Optional.ofNullable(
            client.resources(BackupPolicy.class).inNamespace(ns).withName(policyName).get());
    Optional<BackupStore> store =
        policy.map(
            p ->
                client
                    .resources(BackupStore.class)
                    .inNamespace(ns)
                    .withName(p.getSpec().getStoreRef().getName())
                    .get());
    List<Node> nodes =
        policy.isPresent()
                && policy.get().getSpec().getFiles().stream().anyMatch(f -> f.getVolume() == null)
            ? client.nodes().list().getItems()
            : List.of();
    List<String> named = new ArrayList<>();
    store.ifPresent(
        s -> {
          named.add(s.getSpec().getS3().getCredentialsSecret().getName());
          if (s.getSpec().getS3().getAgentCredentialsSecret() != null) {
            named.add(s.getSpec().getS3().getAgentCredentialsSecret().getName());
          }
          policy
              .get()
              .getSpec()
              .getDatabases()
              .forEach(db -> named.add(db.getCredentialsSecret().getName()));
        });
    Map<String, Secret> secrets = new LinkedHashMap<>();
    for (String name : named) {
      if (!secrets.containsKey(name)) {
        Optional.ofNullable(client.secrets().inNamespace(ns).withName(name).get())
            .ifPresent(secret -> secrets.put(name, secret));
      }
    }
    return new PlanningObservation(policy, store, nodes, secrets);
  }

  /** What the bucket holds under the planned backup's folder. */
  PlanningObservation.Folder folder(RunPlanner.Result result) {
    try (ObjectStore bucket = buckets.open(ns, result.plan().getS3())) {
      List<ObjectInfo> existing = bucket.list(result.folder() + "/");
      String markerKey = BackupLayout.owner(result.folder());
      Optional<Owner.Marker> marker =
          existing.stream().anyMatch(o -> o.key().equals(markerKey))
              ? bucket.getJson(markerKey, Owner.Marker.class)
              : Optional.empty();
      return new PlanningObservation.Folder(existing, marker, null);
    } catch (IOException e) {
      return PlanningObservation.Folder.unreadable(e.getMessage());
    }
  }

  /** The store named {@code storeName} and the manifest {@code key} of a backup in it. */
  PlanningObservation.Adoption adoption(String storeName, String key) {
    BackupStore store =
        storeName == null
            ? null
            : client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
    if (store == null) {
      return new PlanningObservation.Adoption(Optional.empty(), Optional.empty(), null, null);
    }
    var s3 = store.getSpec().getS3();
    try (ObjectStore bucket = buckets.open(ns, s3)) {
      SigningKeys keys = new ManifestKeys(client, settings.clock()).forVerifying(ns, store);
      return new PlanningObservation.Adoption(
          Optional.of(store),
          Catalog.readManifest(Catalog.of(bucket), key, s3.getPrefix(), ns, keys),
          null,
          null);
    } catch (StoreBuckets.CredentialsProblem e) {
      return trouble(store, e.reason(), e.getMessage());
    } catch (ManifestKeys.Problem e) {
      return trouble(store, e.reason(), "BackupStore '" + storeName + "': " + e.getMessage());
    } catch (IOException e) {
      return trouble(
          store, "StoreUnavailable", "cannot read manifest " + key + ": " + e.getMessage());
    }
  }

  private static PlanningObservation.Adoption trouble(
      BackupStore store, String reason, String message) {
    return new PlanningObservation.Adoption(Optional.of(store), Optional.empty(), reason, message);
  }
}
