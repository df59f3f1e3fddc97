package io.osbackup.operator.run;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.plan.KeepTerms;
import io.osbackup.plan.PlanProblem;
import io.osbackup.plan.RunPlanner;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a pending BackupRun starts: planned from its policy (the plan is stored before any Job
 * exists), or, for a backup found in the store, adopted from its manifest. Waits on retryable
 * problems for the pending timeout.
 */
final class Planning {

  private static final Logger LOG = LoggerFactory.getLogger(Planning.class);

  private final BackupRun run;
  private final BackupRunStatus status;
  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final BucketOpener buckets;
  private final RunRecord record;
  private final String ns;

  Planning(
      RunRecord record, KubernetesClient client, OperatorSettings settings, BucketOpener buckets) {
    this.record = record;
    this.run = record.run();
    this.status = record.status();
    this.client = client;
    this.settings = settings;
    this.buckets = buckets;
    this.ns = run.getMetadata().getNamespace();
  }

  Outcome plan() {
    if (RunStage.cancelReason(run) != null) {
      return record.end(
          RunPhase.Cancelled,
          "Cancelled",
          "cancelled before any Job started (" + RunStage.cancelReason(run) + ")");
    }
    String policyName = run.getSpec().getPolicyRef().getName();
    // How the backup is kept is read before anything is written: a spec that cannot be honoured
    // touches nothing.
    KeepTerms keep = KeepTerms.of(run, policyName, settings.clock().instant());
    if (!keep.ok()) {
      record.fail(null, null, keep.problem().reason(), keep.problem().message());
      return record.end(RunPhase.Failed, keep.problem().reason(), keep.problem().message());
    }
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
    Function<String, Optional<Secret>> secrets =
        name -> Optional.ofNullable(client.secrets().inNamespace(ns).withName(name).get());
    Optional<PlanProblem> unavailable =
        store
            .flatMap(
                s ->
                    s.getStatus() == null
                        ? Optional.empty()
                        : s.getStatus().condition(BackupStoreStatus.AVAILABLE))
            .filter(c -> "False".equals(c.getStatus()))
            .map(
                c ->
                    new PlanProblem(
                        "StoreUnavailable",
                        "BackupStore '"
                            + store.get().getMetadata().getName()
                            + "' is unavailable ("
                            + c.getReason()
                            + "): "
                            + c.getMessage(),
                        true));
    if (unavailable.isEmpty() && policy.isPresent() && store.isPresent()) {
      // before the Secrets' keys are checked: a login put into the signing Secret would be
      // mounted by the Job
      Map<String, String> mounted = new java.util.LinkedHashMap<>();
      policy
          .get()
          .getSpec()
          .getDatabases()
          .forEach(
              db ->
                  mounted.put(
                      "BackupPolicy '"
                          + policyName
                          + "' spec.databases["
                          + db.getName()
                          + "].credentialsSecret",
                      db.getCredentialsSecret().getName()));
      unavailable =
          ManifestKeys.exposed(ManifestKeys.secretName(store.get()), mounted)
              .map(message -> new PlanProblem("SigningKeyExposed", message, false));
    }
    RunPlanner.Result result =
        unavailable.isPresent()
            ? new RunPlanner.Result(null, null, null, List.of(), unavailable.get())
            : RunPlanner.plan(
                run, policy, store, nodes, secrets, settings.planRules(), settings.agentImage());
    if (result.ok()) {
      Owner owner =
          new Owner(
              settings.clusterId(),
              ns,
              store.get().getMetadata().getName(),
              store.get().getMetadata().getUid());
      Optional<PlanProblem> inUse = folderInUse(result, owner);
      if (inUse.isEmpty()) {
        inUse = writeMarker(result, owner);
      }
      if (inUse.isPresent()) {
        result = new RunPlanner.Result(null, null, null, List.of(), inUse.get());
      }
    }
    if (result.ok()) {
      // Nothing is backed up that could not be signed: the signing Secret must be usable before
      // any Job starts.
      try {
        new ManifestKeys(client, settings.clock()).forSigning(store.get());
      } catch (ManifestKeys.Problem p) {
        result =
            new RunPlanner.Result(
                null,
                null,
                null,
                List.of(),
                new PlanProblem(
                    p.reason(),
                    "BackupStore '" + store.get().getMetadata().getName() + "': " + p.getMessage(),
                    true));
      }
    }
    if (!result.ok()) {
      PlanProblem problem = result.problem();
      if (problem.retryable()
          && record
                  .age(run.getMetadata().getCreationTimestamp())
                  .compareTo(settings.timings().pending())
              < 0) {
        status.setPhase(RunPhase.Pending);
        if (!Objects.equals(status.getMessage(), problem.message())) {
          record.warn(problem.reason(), problem.message());
        }
        status.setMessage(problem.message());
        Conditions.set(
            status,
            BackupRunStatus.COMPLETE,
            false,
            problem.reason(),
            problem.message(),
            run.getMetadata().getGeneration(),
            settings.clock());
        return record.changed().lookAgainAfter(settings.timings().recheck());
      }
      record.fail(null, null, problem.reason(), problem.message());
      return record.end(RunPhase.Failed, problem.reason(), problem.message());
    }
    status.setBackupId(result.backupId());
    status.setFolder(result.folder());
    Manifest.RunRetention terms = keep.terms();
    status.setOrigin(terms.origin());
    status.setRetention(terms.rules());
    status.setKeepFor(terms.keepFor());
    Instant expires = KeepTerms.expiresAt(terms, null);
    status.setExpiresAt(expires == null ? null : expires.toString());
    status.setKeep(KeepTerms.describe(terms, expires, policyName));
    status.setPlan(result.plan());
    status.setTasks(new ArrayList<>(result.tasks()));
    status.setPhase(RunPhase.Running);
    status.setStartTime(record.now());
    status.setMessage("planned " + result.tasks().size() + " Jobs");
    for (RunTask task : status.getTasks()) {
      if (task.getPhase() == TaskPhase.Failed) {
        task.setCompletionTime(record.now());
        record.fail(task.getTarget(), task.getNode(), "NodeNotReady", task.getMessage());
      }
    }
    record.progress();
    Conditions.set(
        status,
        BackupRunStatus.COMPLETE,
        false,
        "Running",
        status.getMessage(),
        run.getMetadata().getGeneration(),
        settings.clock());
    record.tell(
        "Planned",
        "backup "
            + result.backupId()
            + ": "
            + result.tasks().size()
            + " Jobs, folder "
            + result.folder());
    // The plan is stored before any Job exists, so a restart never plans (and names Jobs) twice.
    return record.changed().lookAgainAfter(settings.timings().nextStep());
  }

  /**
   * A run created for a backup found in the store (annotated with its manifest and store) is not
   * planned: its status is read from the manifest. It waits while the store or its Secret is
   * missing or the bucket does not answer, and fails only when the manifest is gone or is not a
   * backup of the run's policy.
   */
  Outcome adopt() {
    String key = FoundBackups.annotation(run, FoundBackups.MANIFEST_ANNOTATION).orElseThrow();
    String storeName = FoundBackups.annotation(run, FoundBackups.STORE_ANNOTATION).orElse(null);
    BackupStore store =
        storeName == null
            ? null
            : client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
    if (store == null) {
      return awaitStore(
          "StoreNotFound",
          "annotation "
              + FoundBackups.STORE_ANNOTATION
              + " names BackupStore '"
              + storeName
              + "', which does not"
              + " exist in namespace "
              + ns
              + ": apply the store that holds "
              + key);
    }
    var s3 = store.getSpec().getS3();
    Optional<Catalog.Parsed> read;
    try (ObjectStore bucket = buckets.open(ns, s3)) {
      SigningKeys keys = new ManifestKeys(client, settings.clock()).forVerifying(ns, store);
      read = Catalog.readManifest(Catalog.of(bucket), key, s3.getPrefix(), ns, keys);
    } catch (StoreBuckets.CredentialsProblem e) {
      return awaitStore(e.reason(), e.getMessage());
    } catch (ManifestKeys.Problem e) {
      return awaitStore(e.reason(), "BackupStore '" + storeName + "': " + e.getMessage());
    } catch (IOException e) {
      return awaitStore("StoreUnavailable", "cannot read manifest " + key + ": " + e.getMessage());
    }
    if (read.isEmpty()) {
      String message =
          "manifest "
              + key
              + " is not in bucket "
              + s3.getBucket()
              + " of store '"
              + storeName
              + "': the backup"
              + " is gone";
      record.fail(null, null, "ManifestNotFound", message);
      return record.end(RunPhase.Failed, "ManifestNotFound", message);
    }
    Catalog.Parsed parsed = read.get();
    Optional<String> problem =
        parsed.backup() == null
            ? Optional.of("manifest " + key + " " + parsed.problem())
            : FoundBackups.mismatch(run, parsed.backup());
    if (problem.isPresent()) {
      record.fail(null, null, "ManifestInvalid", problem.get());
      return record.end(RunPhase.Failed, "ManifestInvalid", problem.get());
    }
    SignatureCheck check = parsed.backup().signature();
    if (check.outcome() == SignatureCheck.Outcome.INVALID) {
      String message =
          "manifest "
              + key
              + " "
              + check.detail()
              + ": this backup is not brought back; restore another backup,"
              + " or one you trust with a RestoreRequest's spec.allowUnsignedManifest";
      record.fail(null, null, check.reason(), message);
      return record.end(RunPhase.Failed, check.reason(), message);
    }
    FoundBackups.fill(status, parsed.backup(), storeName, s3);
    status.setManifestSignature(check.word());
    if (!check.verified()) {
      status.setMessage(
          status.getMessage()
              + "; manifest "
              + check.detail()
              + ": a restore needs"
              + " spec.allowUnsignedManifest");
      record.warn(
          check.reason(),
          "manifest "
              + key
              + " "
              + check.detail()
              + ": a restore of this backup"
              + " needs spec.allowUnsignedManifest: true");
    }
    Conditions.set(
        status,
        BackupRunStatus.COMPLETE,
        true,
        FoundBackups.FOUND_IN_STORE,
        status.getMessage(),
        run.getMetadata().getGeneration(),
        settings.clock());
    record.tell(FoundBackups.FOUND_IN_STORE, status.getMessage());
    LOG.info("run {}/{} {}", ns, run.getMetadata().getName(), status.getMessage());
    return record.changed();
  }

  private Outcome awaitStore(String reason, String message) {
    status.setPhase(RunPhase.Pending);
    if (!Objects.equals(status.getMessage(), message)) {
      record.warn(reason, message);
    }
    status.setMessage(message);
    Conditions.set(
        status,
        BackupRunStatus.COMPLETE,
        false,
        reason,
        message,
        run.getMetadata().getGeneration(),
        settings.clock());
    return record.changed().lookAgainAfter(settings.timings().waitForStore());
  }

  /**
   * A new run must start from an empty folder: a folder that already holds objects belongs to
   * another backup with the same id (a run deleted and created again, a copied manifest), and
   * writing into it would overwrite a backup whose manifest vouches for other bytes.
   */
  private Optional<PlanProblem> folderInUse(RunPlanner.Result result, Owner owner) {
    try (ObjectStore bucket = buckets.open(ns, result.plan().getS3())) {
      List<ObjectInfo> existing = bucket.list(result.folder() + "/");
      if (existing.isEmpty()) {
        return Optional.empty();
      }
      String markerKey = BackupLayout.owner(result.folder());
      Optional<Owner.Marker> marker =
          existing.stream().anyMatch(o -> o.key().equals(markerKey))
              ? bucket.getJson(markerKey, Owner.Marker.class)
              : Optional.empty();
      if (existing.size() == 1
          && marker
              .filter(m -> owner.owns(m.owner()) && run.getMetadata().getName().equals(m.run()))
              .isPresent()) {
        return Optional
            .empty(); // this run's own marker, written before a status write that was lost
      }
      boolean complete =
          existing.stream().anyMatch(o -> o.key().endsWith("/" + BackupLayout.MANIFEST));
      String whose =
          marker
              .filter(m -> m.owner() != null && !owner.owns(m.owner()))
              .map(
                  m ->
                      ", written by "
                          + m.owner().describe()
                          + " (clusters or stores sharing a bucket need"
                          + " their own spec.s3.prefix)")
              .orElse("");
      return Optional.of(
          new PlanProblem(
              "BackupIdInUse",
              "the bucket already holds "
                  + (complete ? "a complete backup" : existing.size() + " objects")
                  + " under "
                  + result.folder()
                  + "/ (backup id "
                  + result.backupId()
                  + whose
                  + "): nothing was written; create the BackupRun under another name",
              false));
    } catch (IOException e) {
      return Optional.of(
          new PlanProblem(
              "StoreUnavailable",
              "cannot list the backup's folder " + result.folder() + "/: " + e.getMessage(),
              true));
    }
  }

  /**
   * Writes {@code owner.json} into the backup's folder before anything else (no Job exists yet):
   * whatever happens to the run, the folder says who wrote it, and retention and the catalog of any
   * other owner leave it alone.
   */
  private Optional<PlanProblem> writeMarker(RunPlanner.Result result, Owner owner) {
    try (ObjectStore bucket = buckets.open(ns, result.plan().getS3())) {
      bucket.putJson(
          BackupLayout.owner(result.folder()),
          new Owner.Marker(
              Owner.Marker.FORMAT_VERSION, owner, result.backupId(), run.getMetadata().getName()));
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(
          new PlanProblem(
              "StoreUnavailable",
              "cannot write the owner marker "
                  + BackupLayout.owner(result.folder())
                  + ": "
                  + e.getMessage(),
              true));
    }
  }
}
