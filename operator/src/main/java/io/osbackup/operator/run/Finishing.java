package io.osbackup.operator.run;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunPhase;
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
import io.osbackup.plan.KeepTerms;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The end of a BackupRun whose Jobs all ended ({@link RunStage#FINISHING}) or that is cancelled
 * ({@link RunStage#CANCELLING}): verify every artifact, write the signed manifest last; or wait for
 * the run's pods to stop, then clean the bucket and end Failed, PartiallyFailed or Cancelled.
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

  private final RunRecord record;
  private final BackupRunStatus status;
  private final Bucket bucket;
  private final Cluster cluster;
  private final Timings timings;

  /** The run's bucket, opened when first needed. */
  interface Bucket {
    ObjectStore get() throws IOException;
  }

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
    try {
      return complete();
    } catch (IOException | KubernetesClientException e) {
      if (record.age(record.lastTaskEnd()).compareTo(timings.storePatience()) > 0) {
        String reason = e instanceof ManifestKeys.Problem p ? p.reason() : "StoreUnavailable";
        String message =
            e instanceof ManifestKeys.Problem
                ? "every Job ended "
                    + timings.storePatience().toMinutes()
                    + " minutes ago, but the manifest could not be signed: "
                    + e.getMessage()
                : "every Job ended "
                    + timings.storePatience().toMinutes()
                    + " minutes ago, but the bucket could not be read"
                    + " to verify the artifacts and write the manifest: "
                    + e.getMessage();
        record.fail(null, null, reason, message);
        String discarded;
        try {
          discarded = discardManifest();
        } catch (IOException | RuntimeException again) {
          discarded =
              "; if "
                  + BackupLayout.manifest(status.getFolder())
                  + " was written before, it may still be in the"
                  + " bucket: delete it, this run did not succeed";
        }
        return record.end(RunPhase.Failed, reason, message + discarded);
      }
      status.setMessage("waiting for the store or the API, will retry: " + e.getMessage());
      return record.changed().lookAgainAfter(timings.recheck());
    }
  }

  /** Stops the run's Jobs, waits for its pods, then empties its folder and ends Cancelled. */
  Outcome cancel(String why) {
    int stopped = 0;
    for (RunTask task : status.getTasks()) {
      if (!task.getPhase().isFinal()) {
        cluster.deleteJob(task.getJob());
        task.setPhase(TaskPhase.Cancelled);
        task.setMessage("cancelled");
        task.setCompletionTime(record.now());
        stopped++;
      }
    }
    if (stopped > 0) {
      record.tell("Cancelling", why + ": " + stopped + " Jobs stopped");
    }
    long alive = cluster.alivePods();
    if (alive > 0 && record.age(record.lastTaskEnd()).compareTo(timings.cancelGrace()) < 0) {
      status.setMessage(
          "cancelling: waiting for " + alive + " pods to stop before removing partial uploads");
      return record.changed().lookAgainAfter(timings.settle());
    }
    try {
      cluster.forceDeletePods();
      int removed = removeUploads(true);
      status.setArtifacts(new ArrayList<>());
      record.progress();
      return record.end(
          RunPhase.Cancelled,
          "Cancelled",
          "cancelled; " + removed + " partial uploads and objects removed");
    } catch (IOException | RuntimeException e) {
      status.setMessage("cancelling: cannot clean the bucket yet, will retry: " + e.getMessage());
      return record.changed().lookAgainAfter(timings.recheck());
    }
  }

  private Outcome complete() throws IOException {
    boolean allSucceeded =
        status.getTasks().stream().allMatch(t -> t.getPhase() == TaskPhase.Succeeded);
    if (allSucceeded) {
      boolean verified = verifyArtifacts();
      Manifest manifest = null;
      if (verified) {
        manifest = manifest();
        for (ManifestAssembly.Mismatch m : ManifestAssembly.mismatches(status, manifest)) {
          if (m.artifact() != null) {
            failTaskOf(m.artifact(), "ReportChanged", m.message());
          } else {
            record.fail(null, null, "ReportChanged", m.message());
          }
          verified = false;
        }
      }
      if (verified) {
        return writeManifest(manifest);
      }
    }
    long alive = cluster.alivePods();
    if (alive > 0 && record.age(record.lastTaskEnd()).compareTo(timings.cancelGrace()) < 0) {
      // A failed Job's pod may still be uploading: clean up only once it has stopped.
      status.setMessage(
          "waiting for " + alive + " pods to stop before removing incomplete uploads");
      return record.changed().lookAgainAfter(timings.settle());
    }
    cluster.forceDeletePods();
    int aborted = removeUploads(false);
    boolean someSucceeded =
        status.getTasks().stream().anyMatch(t -> t.getPhase() == TaskPhase.Succeeded);
    RunPhase phase = someSucceeded ? RunPhase.PartiallyFailed : RunPhase.Failed;
    String summary =
        status.getFailures().stream()
            .map(
                f ->
                    (f.getTarget() == null
                            ? ""
                            : f.getTarget() + (f.getNode() == null ? "" : "@" + f.getNode()) + ": ")
                        + f.getMessage())
            .collect(Collectors.joining("; "));
    if (aborted > 0) {
      summary += " (" + aborted + " incomplete uploads aborted)";
    }
    summary += discardManifest();
    return record.end(phase, phase.name(), summary);
  }

  /**
   * The signature goes first and the manifest last, so a backup exists iff its manifest does, and
   * every manifest the operator wrote has its signature next to it.
   */
  private Outcome writeManifest(Manifest manifest) throws IOException {
    String key = BackupLayout.manifest(status.getFolder());
    ManifestKeys.Keys keys = cluster.signingKeys();
    byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
    bucket
        .get()
        .putJsonBytes(
            BackupLayout.signature(status.getFolder()), keys.keys().signatureObject(bytes));
    bucket.get().putJsonBytes(key, bytes);
    status.setManifestKey(key);
    status.setSize(manifest.size());
    status.setManifestSignature("Verified");
    if (manifest.retention() != null) {
      Instant expires = KeepTerms.expiresAt(manifest.retention(), manifest.completedAt());
      status.setExpiresAt(expires == null ? null : expires.toString());
      status.setKeep(KeepTerms.describe(manifest.retention(), expires, manifest.policy()));
    }
    return record.end(
        RunPhase.Succeeded,
        "Succeeded",
        status.getArtifacts().size()
            + " artifacts, "
            + manifest.size()
            + " bytes, verified; manifest "
            + key
            + " signed with key '"
            + keys.keys().primary()
            + "' of Secret '"
            + keys.secret()
            + "'");
  }

  private Manifest manifest() throws IOException {
    Map<String, BackupReport> reports = new LinkedHashMap<>();
    for (RunTask task : status.getTasks()) {
      bucket
          .get()
          .getJson(BackupLayout.report(status.getFolder(), task.getJob()), BackupReport.class)
          .ifPresent(r -> reports.put(task.getJob(), r));
    }
    Owner owner =
        bucket
            .get()
            .getJson(BackupLayout.owner(status.getFolder()), Owner.Marker.class)
            .map(Owner.Marker::owner)
            .orElseGet(cluster::us);
    return ManifestAssembly.manifest(record.run(), reports, owner, record.instant());
  }

  private boolean verifyArtifacts() throws IOException {
    boolean ok = true;
    for (ArtifactStatus artifact : status.getArtifacts()) {
      Optional<ObjectInfo> info = bucket.get().stat(artifact.getKey());
      String reason = null;
      String message = null;
      if (info.isEmpty()) {
        reason = "ArtifactMissing";
        message =
            "artifact " + artifact.getKey() + " is not in the bucket although its Job reported it";
      } else if (info.get().size() != artifact.getSize()) {
        reason = "ArtifactSizeMismatch";
        message =
            "artifact "
                + artifact.getKey()
                + " has "
                + info.get().size()
                + " bytes in the bucket, its Job reported "
                + artifact.getSize();
      }
      if (reason != null) {
        failTaskOf(artifact, reason, message);
        ok = false;
      }
    }
    return ok;
  }

  private void failTaskOf(ArtifactStatus artifact, String reason, String message) {
    for (RunTask task : status.getTasks()) {
      if (Objects.equals(task.getTarget(), artifact.getTarget())
          && Objects.equals(task.getNode(), artifact.getNode())) {
        task.setPhase(TaskPhase.Failed);
        task.setMessage(message);
      }
    }
    record.fail(artifact.getTarget(), artifact.getNode(), reason, message);
  }

  /**
   * A run that fails after its manifest was written (an earlier attempt wrote it, then its status
   * write was lost) deletes that manifest before it ends, so retention and the catalog never count
   * the backup as good; a failed deletion throws, and the run ends only once it is gone. Returns
   * what to add to the run's message.
   */
  private String discardManifest() throws IOException {
    if (status.getFolder() == null) {
      return "";
    }
    String key = BackupLayout.manifest(status.getFolder());
    if (bucket.get().stat(key).isEmpty()) {
      return "";
    }
    bucket.get().delete(List.of(key));
    status.setManifestKey(null);
    return "; manifest " + key + " deleted: it had been written before the run failed";
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
