package io.osbackup.catalog;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunSpec;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.RunPlan;
import io.osbackup.api.v1alpha1.RunProgress;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.plan.JobNames;
import io.osbackup.plan.KeepTerms;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns backups found in a store into BackupRuns: which backups no run accounts for, the run to
 * create for one, and the status such a run takes from its manifest. Pure functions, no I/O.
 */
public final class FoundBackups {

  /** Label {@code "true"} on a BackupRun created for a backup found in the store. */
  public static final String FOUND_IN_STORE_LABEL = Api.GROUP + "/found-in-store";

  /**
   * Label {@code "true"} on a BackupRun imported read-only from another owner's backup (another
   * cluster or store): restorable, never counted as a policy's backup, never pruned, never deleted
   * from the bucket.
   */
  public static final String FOREIGN_LABEL = Api.GROUP + "/foreign";

  /** Annotation: who wrote a foreign run's backup ({@link Owner#describe()}). */
  public static final String OWNER_ANNOTATION = Api.GROUP + "/owner";

  /** Annotation: the key of the manifest a found run is read from. */
  public static final String MANIFEST_ANNOTATION = Api.GROUP + "/manifest";

  /** Annotation: the BackupStore, in the run's namespace, that holds the manifest. */
  public static final String STORE_ANNOTATION = Api.GROUP + "/store";

  /** Condition reason and Event reason of a run read from its manifest. */
  public static final String FOUND_IN_STORE = "FoundInStore";

  private FoundBackups() {}

  /** What a sync does with the backups of a listing. */
  public record Gaps(List<Catalog.Backup> toCreate, List<Catalog.Backup> nameTaken) {}

  /**
   * Sorts the backups no run accounts for into those to create a run for and those whose name (the
   * backup id) is held by another run. A run accounts for a backup when its {@code status.backupId}
   * is the backup's id, or when it has not chosen a backup id yet, is still going and is named
   * after the backup.
   */
  public static Gaps gaps(List<Catalog.Backup> backups, List<BackupRun> runs) {
    List<Catalog.Backup> toCreate = new ArrayList<>();
    List<Catalog.Backup> nameTaken = new ArrayList<>();
    for (Catalog.Backup backup : backups) {
      boolean accounted = false;
      boolean named = false;
      for (BackupRun run : runs) {
        String id = run.getStatus() == null ? null : run.getStatus().getBackupId();
        boolean sameName = backup.backupId().equals(run.getMetadata().getName());
        boolean going =
            run.getStatus() == null
                || run.getStatus().getPhase() == null
                || !run.getStatus().getPhase().isFinal();
        named |= sameName;
        accounted |= backup.backupId().equals(id) || (id == null && sameName && going);
      }
      if (!accounted) {
        (named ? nameTaken : toCreate).add(backup);
      }
    }
    return new Gaps(List.copyOf(toCreate), List.copyOf(nameTaken));
  }

  /**
   * The BackupRun that brings {@code backup} back: named after its id, read from its manifest in
   * {@code store}.
   */
  public static BackupRun runFor(Catalog.Backup backup, String namespace, String store) {
    BackupRun run = new BackupRun();
    run.setMetadata(
        new ObjectMetaBuilder()
            .withName(backup.backupId())
            .withNamespace(namespace)
            .withLabels(
                Map.of(
                    Api.MANAGED_BY_LABEL,
                    Api.MANAGED_BY,
                    Api.POLICY_LABEL,
                    JobNames.labelValue(backup.policy()),
                    FOUND_IN_STORE_LABEL,
                    "true"))
            .withAnnotations(Map.of(MANIFEST_ANNOTATION, backup.key(), STORE_ANNOTATION, store))
            .build());
    BackupRunSpec spec = new BackupRunSpec();
    spec.setPolicyRef(new LocalRef(backup.policy()));
    run.setSpec(spec);
    return run;
  }

  /**
   * The read-only BackupRun that brings another owner's {@code backup} back for a restore: {@link
   * #runFor}, labelled {@link #FOREIGN_LABEL} and annotated with who wrote it.
   */
  public static BackupRun foreignRunFor(Catalog.Backup backup, String namespace, String store) {
    BackupRun run = runFor(backup, namespace, store);
    Map<String, String> labels = new HashMap<>(run.getMetadata().getLabels());
    labels.put(FOREIGN_LABEL, "true");
    run.getMetadata().setLabels(labels);
    Map<String, String> annotations = new HashMap<>(run.getMetadata().getAnnotations());
    Owner owner = backup.manifest().owner();
    annotations.put(
        OWNER_ANNOTATION,
        owner == null
            ? "store " + backup.manifest().namespace() + "/" + backup.manifest().store()
            : owner.describe());
    run.getMetadata().setAnnotations(annotations);
    return run;
  }

  /** Whether {@code run} was imported read-only from another owner's backup. */
  public static boolean isForeign(BackupRun run) {
    Map<String, String> labels = run.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(FOREIGN_LABEL));
  }

  /** Whether {@code run} is to be read from a manifest rather than planned and run. */
  public static boolean isFound(BackupRun run) {
    return annotation(run, MANIFEST_ANNOTATION).isPresent();
  }

  public static Optional<String> annotation(BackupRun run, String name) {
    Map<String, String> annotations = run.getMetadata().getAnnotations();
    return Optional.ofNullable(annotations == null ? null : annotations.get(name))
        .filter(v -> !v.isBlank());
  }

  /**
   * Why {@code backup} cannot be {@code run}'s backup, if it cannot: a found run only takes a
   * manifest of its own policy.
   */
  public static Optional<String> mismatch(BackupRun run, Catalog.Backup backup) {
    String policy =
        run.getSpec().getPolicyRef() == null ? null : run.getSpec().getPolicyRef().getName();
    if (!Objects.equals(policy, backup.policy())) {
      return Optional.of(
          "manifest "
              + backup.key()
              + " is a backup of policy '"
              + backup.policy()
              + "', but spec.policyRef names '"
              + policy
              + "'");
    }
    return Optional.empty();
  }

  /**
   * Fills {@code status} with what the manifest says: backup id, folder, times, size and every
   * artifact; {@code plan} only names the store and its bucket, which is where a restore reads
   * from. Phase and conditions are left to the caller.
   */
  public static void fill(
      BackupRunStatus status, Catalog.Backup backup, String store, S3Location s3) {
    Manifest manifest = backup.manifest();
    status.setFoundInStore(true);
    status.setBackupId(backup.backupId());
    status.setFolder(backup.folder());
    status.setManifestKey(backup.key());
    status.setSize(manifest.size());
    status.setStartTime(manifest.startedAt() == null ? null : manifest.startedAt().toString());
    status.setCompletionTime(
        manifest.completedAt() == null ? null : manifest.completedAt().toString());
    RunPlan plan = new RunPlan();
    plan.setStore(store);
    plan.setS3(s3);
    status.setPlan(plan);
    List<ArtifactStatus> artifacts = new ArrayList<>();
    for (Manifest.Entry entry : manifest.artifacts()) {
      ArtifactStatus artifact = new ArtifactStatus();
      artifact.setTarget(entry.target());
      artifact.setDatabase(entry.database());
      artifact.setNode(entry.node());
      artifact.setKey(entry.key());
      artifact.setSize(entry.size());
      artifact.setSha256(entry.sha256());
      artifact.setFiles(entry.files());
      artifact.setAccounts(entry.accounts());
      artifacts.add(artifact);
    }
    status.setArtifacts(artifacts);
    // How the backup is kept comes back from its manifest: a hand-made backup stays hand-made.
    Manifest.RunRetention terms = manifest.retentionOrInferred();
    Instant expires = KeepTerms.expiresAt(terms, manifest.completedAt());
    status.setOrigin(terms.origin());
    status.setRetention(terms.rules());
    status.setKeepFor(terms.keepFor());
    status.setExpiresAt(expires == null ? null : expires.toString());
    status.setKeep(KeepTerms.describe(terms, expires, backup.policy()));
    RunProgress progress = new RunProgress();
    progress.setTasksDone(0);
    progress.setTasksTotal(0);
    progress.setArtifacts(artifacts.size());
    progress.setBytes(manifest.size());
    progress.setSummary("found in store, " + artifacts.size() + " artifacts");
    status.setProgress(progress);
    status.setPhase(RunPhase.Succeeded);
    status.setMessage(
        "found in store '"
            + store
            + "': "
            + artifacts.size()
            + " artifacts, "
            + manifest.size()
            + " bytes; manifest "
            + backup.key());
  }
}
