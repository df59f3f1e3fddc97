package io.osbackup.operator.run;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Json;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The end of a BackupRun whose Jobs all ended ({@link RunStage#FINISHING}) or that is cancelled
 * ({@link RunStage#CANCELLING}): observes its bucket and pods into a {@link FinishingObservation},
 * lets {@link FinishingDecision} choose the step, and carries it out (write the signed manifest;
 * delete pods, abort uploads, discard a stale manifest; empty a cancelled run's folder).
 */
final class Finishing {

  /** Reads and writes of the run outside its bucket: its pods, its store's signing keys. */
  interface Cluster {
    /** Pods of the run that are still Pending or Running. */
    long alivePods();

    /** Deletes the run's pods at once, so they cannot upload after cleanup. */
    void forceDeletePods();

    /** Stops (deletes) the Job of a task. */
    void deleteJob(String name);

    /** The signing keys of the run's store, created when missing. */
    ManifestKeys.Keys signingKeys() throws ManifestKeys.Problem;

    /** This operator's identity as the owner of a folder, for a folder without marker. */
    Owner us();
  }

  /** The run's bucket, opened when first needed. */
  interface Bucket {
    ObjectStore get() throws IOException;
  }

  private final RunRecord record;
  private final BackupRunStatus status;
  private final Bucket bucket;
  private final Cluster cluster;
  private final Timings timings;

  Finishing(RunRecord record, Bucket bucket, Cluster cluster, Timings timings) {
    this.record = record;
    this.status = record.status();
    this.bucket = bucket;
    this.cluster = cluster;
    this.timings = timings;
  }

  /**
   * Verifies and writes the manifest, or cleans up after a failure. An unreachable bucket is waited
   * for {@link Timings#storePatience} after the last Job ended, then the run fails.
   */
  Outcome finish() {
    return act(FinishingDecision.finish(record, observe(), timings));
  }

  /** Stops the run's Jobs, waits for its pods, then empties its folder and ends Cancelled. */
  Outcome cancel(String why) {
    FinishingObservation seen = FinishingObservation.pods(cluster.alivePods());
    return act(FinishingDecision.cancel(record, why, seen, timings));
  }

  /** What the bucket and the cluster say of the run's end. */
  FinishingObservation observe() {
    try {
      Map<String, Optional<Long>> stored = new LinkedHashMap<>();
      Map<String, BackupReport> reports = new LinkedHashMap<>();
      Owner owner = null;
      if (status.getTasks().stream().allMatch(t -> t.getPhase() == TaskPhase.Succeeded)) {
        for (ArtifactStatus artifact : status.getArtifacts()) {
          stored.put(artifact.getKey(), bucket.get().stat(artifact.getKey()).map(ObjectInfo::size));
        }
        if (stored.values().stream().allMatch(Optional::isPresent)) {
          for (RunTask task : status.getTasks()) {
            bucket
                .get()
                .getJson(BackupLayout.report(status.getFolder(), task.getJob()), BackupReport.class)
                .ifPresent(r -> reports.put(task.getJob(), r));
          }
          owner =
              bucket
                  .get()
                  .getJson(BackupLayout.owner(status.getFolder()), Owner.Marker.class)
                  .map(Owner.Marker::owner)
                  .orElseGet(cluster::us);
        }
      }
      return new FinishingObservation(
          Optional.empty(), stored, reports, owner, cluster.alivePods());
    } catch (IOException | KubernetesClientException e) {
      return FinishingObservation.unreachable(e.getMessage());
    }
  }

  /** Carries out the decided step; a store that fails it is decided on again. */
  private Outcome act(FinishingDecision.Result decided) {
    decided.stopJobs().forEach(cluster::deleteJob);
    try {
      return switch (decided.step()) {
        case WAIT_FOR_PODS, WAIT_FOR_STORE, CANCEL_WAIT_FOR_PODS -> decided.outcome();
        case WRITE_MANIFEST -> writeManifest(decided.manifest());
        case CLEAN_UP -> {
          cluster.forceDeletePods();
          int aborted = removeUploads(false);
          yield FinishingDecision.cleanedUp(record, decided, aborted, discardManifest());
        }
        case GIVE_UP -> {
          Optional<Boolean> discarded;
          try {
            discarded = Optional.of(discardManifest());
          } catch (IOException | RuntimeException again) {
            discarded = Optional.empty();
          }
          yield FinishingDecision.gaveUp(record, decided, discarded);
        }
        case CANCEL_CLEAN_UP -> cancelCleanUp();
      };
    } catch (ManifestKeys.Problem p) {
      return act(FinishingDecision.notSigned(record, p.reason(), p.getMessage(), timings));
    } catch (IOException | KubernetesClientException e) {
      return act(FinishingDecision.storeUnreachable(record, e.getMessage(), timings));
    }
  }

  private Outcome cancelCleanUp() {
    try {
      cluster.forceDeletePods();
      return FinishingDecision.cancelled(record, removeUploads(true));
    } catch (IOException | RuntimeException e) {
      return FinishingDecision.cancelCleanUpFailed(record, e.getMessage(), timings);
    }
  }

  /**
   * The signature goes first and the manifest last, so a backup exists iff its manifest does, and
   * every manifest the operator wrote has its signature next to it.
   */
  private Outcome writeManifest(Manifest manifest) throws IOException {
    ManifestKeys.Keys keys = cluster.signingKeys();
    byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
    bucket
        .get()
        .putJsonBytes(
            BackupLayout.signature(status.getFolder()), keys.keys().signatureObject(bytes));
    bucket.get().putJsonBytes(BackupLayout.manifest(status.getFolder()), bytes);
    return FinishingDecision.succeeded(record, manifest, keys.keys().primary(), keys.secret());
  }

  /**
   * A run that fails after its manifest was written (an earlier attempt wrote it, then its status
   * write was lost) deletes that manifest before it ends, so retention and the catalog never count
   * the backup as good; a failed deletion throws, and the run ends only once it is gone. Returns
   * whether there was one.
   */
  private boolean discardManifest() throws IOException {
    if (status.getFolder() == null) {
      return false;
    }
    String key = BackupLayout.manifest(status.getFolder());
    if (bucket.get().stat(key).isEmpty()) {
      return false;
    }
    bucket.get().delete(List.of(key));
    return true;
  }

  /**
   * Aborts incomplete multipart uploads under the backup's folder; with {@code everything}, also
   * deletes every object there (a cancelled run keeps nothing). Returns how many were removed.
   */
  private int removeUploads(boolean everything) throws IOException {
    if (status.getFolder() == null) {
      return 0;
    }
    String folder = status.getFolder() + "/";
    int removed = bucket.get().abortIncompleteUploads(folder);
    if (everything) {
      List<String> keys = bucket.get().list(folder).stream().map(ObjectInfo::key).toList();
      bucket.get().delete(keys);
      removed += keys.size();
    }
    return removed;
  }
}
