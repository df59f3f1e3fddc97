package io.osbackup.operator.run;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RunFailure;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.RunProgress;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Json;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.Failures;
import io.osbackup.operator.reconcile.JobOutcome;
import io.osbackup.operator.reconcile.JobPods;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.StatusWriter;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.plan.BackupJobs;
import io.osbackup.plan.JobNames;
import io.osbackup.plan.KeepTerms;
import io.osbackup.plan.PlanProblem;
import io.osbackup.plan.RunPlanner;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a BackupRun: plan it (copy the policy, list the nodes, name the Jobs), start its Jobs
 * within the parallelism cap, follow them, read each agent's report from the bucket, verify every
 * artifact, and write the manifest last. Every step reads its state from the run's status and the
 * cluster, so a restarted operator picks up where it left.
 */
@ControllerConfiguration(name = "backuprun")
public class BackupRunReconciler implements Reconciler<BackupRun> {

  private static final Logger LOG = LoggerFactory.getLogger(BackupRunReconciler.class);

  private final OperatorSettings settings;

  private final OsbackupMetrics metrics;

  public BackupRunReconciler(OperatorSettings settings) {
    this(settings, OsbackupMetrics.inMemory());
  }

  public BackupRunReconciler(OperatorSettings settings, OsbackupMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public List<EventSource<?, BackupRun>> prepareEventSources(
      EventSourceContext<BackupRun> context) {
    var jobs =
        InformerEventSourceConfiguration.from(Job.class, BackupRun.class)
            .withLabelSelector(Api.MANAGED_BY_LABEL + "=" + Api.MANAGED_BY)
            .build();
    return List.of(new InformerEventSource<>(jobs, context));
  }

  @Override
  public UpdateControl<BackupRun> reconcile(BackupRun run, Context<BackupRun> context) {
    BackupRunStatus status = run.getStatus() == null ? new BackupRunStatus() : run.getStatus();
    run.setStatus(status);
    if (status.getPhase() != null && status.getPhase().isFinal()) {
      String asked = run.getSpec().getDeleteBackup();
      if (asked != null && !asked.isBlank()) {
        return StatusWriter.write(
            new Step(run, status, context.getClient(), context).deleteBackup(asked.trim()),
            run,
            context);
      }
      return UpdateControl.noUpdate();
    }
    status.setObservedGeneration(run.getMetadata().getGeneration());
    Step step = new Step(run, status, context.getClient(), context);
    UpdateControl<BackupRun> control;
    if (status.getPlan() == null && FoundBackups.isFound(run)) {
      control = step.adopt();
    } else if (status.getPlan() == null) {
      control = step.plan();
    } else if (cancelReason(run) != null) {
      control = step.cancel();
    } else {
      control = step.advance();
    }
    return StatusWriter.write(control, run, context);
  }

  /**
   * Why the run is to be cancelled: {@code spec.cancel} set by the user, or the operator's {@link
   * Api#CANCEL_ANNOTATION} (a run replaced under {@code concurrencyPolicy: Replace}); null when it
   * is not.
   */
  static String cancelReason(BackupRun run) {
    if (Boolean.TRUE.equals(run.getSpec().getCancel())) {
      return "spec.cancel is true";
    }
    var annotations = run.getMetadata().getAnnotations();
    String reason = annotations == null ? null : annotations.get(Api.CANCEL_ANNOTATION);
    return reason == null ? null : reason.isBlank() ? Api.CANCEL_ANNOTATION : reason;
  }

  @Override
  public ErrorStatusUpdateControl<BackupRun> updateErrorStatus(
      BackupRun run, Context<BackupRun> context, Exception e) {
    return new Failures(
            settings.timings(), new EventRecorder(context.getClient(), settings.clock()))
        .failed(run, context, e);
  }

  /** One reconciliation of one run. */
  private final class Step {
    private final BackupRun run;
    private final BackupRunStatus status;
    private final KubernetesClient client;
    private final Context<BackupRun> context;
    private final EventRecorder events;
    private final String ns;
    private ObjectStore store;

    Step(
        BackupRun run,
        BackupRunStatus status,
        KubernetesClient client,
        Context<BackupRun> context) {
      this.run = run;
      this.status = status;
      this.client = client;
      this.context = context;
      this.events = new EventRecorder(client, settings.clock());
      this.ns = run.getMetadata().getNamespace();
    }

    UpdateControl<BackupRun> plan() {
      if (cancelReason(run) != null) {
        return end(
            RunPhase.Cancelled,
            "Cancelled",
            "cancelled before any Job started (" + cancelReason(run) + ")");
      }
      String policyName = run.getSpec().getPolicyRef().getName();
      // How the backup is kept is read before anything is written: a spec that cannot be honoured
      // touches nothing.
      KeepTerms keep = KeepTerms.of(run, policyName, settings.clock().instant());
      if (!keep.ok()) {
        fail(null, null, keep.problem().reason(), keep.problem().message());
        return end(RunPhase.Failed, keep.problem().reason(), keep.problem().message());
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
                      "BackupStore '"
                          + store.get().getMetadata().getName()
                          + "': "
                          + p.getMessage(),
                      true));
        }
      }
      if (!result.ok()) {
        PlanProblem problem = result.problem();
        if (problem.retryable() && age().compareTo(settings.timings().pending()) < 0) {
          status.setPhase(RunPhase.Pending);
          if (!Objects.equals(status.getMessage(), problem.message())) {
            events.warning(run, problem.reason(), problem.message());
          }
          status.setMessage(problem.message());
          Conditions.set(
              status,
              BackupRunStatus.COMPLETE,
              false,
              problem.reason(),
              problem.message(),
              generation(),
              settings.clock());
          return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().recheck());
        }
        fail(null, null, problem.reason(), problem.message());
        return end(RunPhase.Failed, problem.reason(), problem.message());
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
      status.setStartTime(now());
      status.setMessage("planned " + result.tasks().size() + " Jobs");
      for (RunTask task : status.getTasks()) {
        if (task.getPhase() == TaskPhase.Failed) {
          task.setCompletionTime(now());
          fail(task.getTarget(), task.getNode(), "NodeNotReady", task.getMessage());
        }
      }
      updateProgress();
      Conditions.set(
          status,
          BackupRunStatus.COMPLETE,
          false,
          "Running",
          status.getMessage(),
          generation(),
          settings.clock());
      events.normal(
          run,
          "Planned",
          "backup "
              + result.backupId()
              + ": "
              + result.tasks().size()
              + " Jobs, folder "
              + result.folder());
      // The plan is stored before any Job exists, so a restart never plans (and names Jobs) twice.
      return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().nextStep());
    }

    /**
     * A run created for a backup found in the store (annotated with its manifest and store) is not
     * planned: its status is read from the manifest. It waits while the store or its Secret is
     * missing or the bucket does not answer, and fails only when the manifest is gone or is not a
     * backup of the run's policy.
     */
    UpdateControl<BackupRun> adopt() {
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
      try (ObjectStore bucket = new StoreBuckets(client).connect(ns, s3)) {
        SigningKeys keys = new ManifestKeys(client, settings.clock()).forVerifying(ns, store);
        read = Catalog.readManifest(Catalog.of(bucket), key, s3.getPrefix(), ns, keys);
      } catch (StoreBuckets.CredentialsProblem e) {
        return awaitStore(e.reason(), e.getMessage());
      } catch (ManifestKeys.Problem e) {
        return awaitStore(e.reason(), "BackupStore '" + storeName + "': " + e.getMessage());
      } catch (IOException e) {
        return awaitStore(
            "StoreUnavailable", "cannot read manifest " + key + ": " + e.getMessage());
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
        fail(null, null, "ManifestNotFound", message);
        return end(RunPhase.Failed, "ManifestNotFound", message);
      }
      Catalog.Parsed parsed = read.get();
      Optional<String> problem =
          parsed.backup() == null
              ? Optional.of("manifest " + key + " " + parsed.problem())
              : FoundBackups.mismatch(run, parsed.backup());
      if (problem.isPresent()) {
        fail(null, null, "ManifestInvalid", problem.get());
        return end(RunPhase.Failed, "ManifestInvalid", problem.get());
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
        fail(null, null, check.reason(), message);
        return end(RunPhase.Failed, check.reason(), message);
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
        events.warning(
            run,
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
          generation(),
          settings.clock());
      events.normal(run, FoundBackups.FOUND_IN_STORE, status.getMessage());
      LOG.info("run {}/{} {}", ns, run.getMetadata().getName(), status.getMessage());
      return UpdateControl.patchStatus(run);
    }

    /**
     * Deletes the run's backup, asked by {@code spec.deleteBackup} naming it: only a successful
     * backup kept on its own terms, of this store, that no restore is reading. The manifest goes
     * first (the backup is gone from then on, and the catalog cannot bring it back), then every
     * other object of the folder, then the run. A refusal is a Warning Event and the run's message,
     * told once; nothing is deleted.
     */
    UpdateControl<BackupRun> deleteBackup(String asked) {
      String backupId = status.getBackupId();
      String refusal = null;
      if (status.getPhase() != RunPhase.Succeeded || status.getManifestKey() == null) {
        refusal =
            "spec.deleteBackup is set, but the run ended "
                + status.getPhase()
                + " and holds no backup: delete"
                + " the BackupRun instead";
      } else if (!asked.equals(backupId)) {
        refusal =
            "spec.deleteBackup '"
                + asked
                + "' does not name this run's backup: set it to "
                + backupId
                + " (status.backupId) to delete that backup";
      } else if (FoundBackups.isForeign(run)) {
        refusal =
            "spec.deleteBackup: backup "
                + backupId
                + " was written by another owner and is imported"
                + " read-only; this cluster never deletes it";
      } else if (!io.osbackup.contract.Manifest.RunRetention.KEEP.equals(status.getRetention())) {
        refusal =
            "spec.deleteBackup: backup "
                + backupId
                + " is counted by the policy's rules (status.retention "
                + status.getRetention()
                + "), and the policy's retention deletes it; only a backup kept on its own terms"
                + " is deleted by hand";
      } else {
        Optional<String> restoring =
            client.resources(RestoreRequest.class).inNamespace(ns).list().getItems().stream()
                .filter(
                    r ->
                        r.getStatus() != null
                            && backupId.equals(r.getStatus().getBackupId())
                            && r.getStatus().getPhase() != null
                            && !r.getStatus().getPhase().isFinal())
                .map(r -> r.getMetadata().getName())
                .findFirst();
        if (restoring.isPresent()) {
          refusal =
              "spec.deleteBackup: backup "
                  + backupId
                  + " is being restored by RestoreRequest '"
                  + restoring.get()
                  + "'; it is deleted once that restore ended";
        }
      }
      if (refusal != null) {
        return refuseDelete(refusal, refusal.contains("is being restored"));
      }
      String folder = status.getFolder() + "/";
      try {
        Optional<io.osbackup.contract.Manifest> manifest =
            store().getJson(status.getManifestKey(), io.osbackup.contract.Manifest.class);
        Owner us = new Owner(settings.clusterId(), ns, status.getPlan().getStore(), null);
        if (manifest.isPresent()
            && manifest.get().owner() != null
            && !us.owns(manifest.get().owner())) {
          return refuseDelete(
              "spec.deleteBackup: the manifest of backup "
                  + backupId
                  + " names "
                  + manifest.get().owner().describe()
                  + ", not this store: it is never deleted from here",
              false);
        }
        List<String> keys = store().list(folder).stream().map(ObjectInfo::key).toList();
        Optional<String> nested =
            keys.stream()
                .filter(
                    k ->
                        k.endsWith("/" + BackupLayout.MANIFEST)
                            || k.endsWith("/" + BackupLayout.OWNER))
                .filter(
                    k ->
                        !k.equals(status.getManifestKey())
                            && !k.equals(BackupLayout.owner(status.getFolder())))
                .findFirst();
        if (nested.isPresent()) {
          return refuseDelete(
              "spec.deleteBackup: "
                  + folder
                  + " holds "
                  + nested.get()
                  + ", another backup's;"
                  + " nothing below it is deleted",
              false);
        }
        if (manifest.isPresent()) {
          store().delete(List.of(status.getManifestKey()));
        }
        store().delete(keys.stream().filter(k -> !k.equals(status.getManifestKey())).toList());
        store().abortIncompleteUploads(folder);
      } catch (IOException e) {
        status.setMessage(
            "deleting backup " + backupId + " (spec.deleteBackup), will retry: " + e.getMessage());
        return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().recheck());
      } finally {
        closeStore();
      }
      events.normal(
          run,
          "BackupDeleted",
          "backup "
              + backupId
              + " deleted as spec.deleteBackup asked: manifest"
              + " first, then "
              + folder);
      LOG.info(
          "run {}/{}: deleted backup {} as spec.deleteBackup asked",
          ns,
          run.getMetadata().getName(),
          backupId);
      client
          .resources(BackupRun.class)
          .inNamespace(ns)
          .withName(run.getMetadata().getName())
          .delete();
      return UpdateControl.noUpdate();
    }

    private UpdateControl<BackupRun> refuseDelete(String message, boolean retry) {
      if (!Objects.equals(status.getMessage(), message)) {
        events.warning(run, "DeleteBackupRefused", message);
        status.setMessage(message);
        UpdateControl<BackupRun> control = UpdateControl.patchStatus(run);
        return retry ? control.rescheduleAfter(settings.timings().waitForStore()) : control;
      }
      return retry
          ? UpdateControl.<BackupRun>noUpdate().rescheduleAfter(settings.timings().waitForStore())
          : UpdateControl.noUpdate();
    }

    private UpdateControl<BackupRun> awaitStore(String reason, String message) {
      status.setPhase(RunPhase.Pending);
      if (!Objects.equals(status.getMessage(), message)) {
        events.warning(run, reason, message);
      }
      status.setMessage(message);
      Conditions.set(
          status, BackupRunStatus.COMPLETE, false, reason, message, generation(), settings.clock());
      return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().waitForStore());
    }

    /**
     * A new run must start from an empty folder: a folder that already holds objects belongs to
     * another backup with the same id (a run deleted and created again, a copied manifest), and
     * writing into it would overwrite a backup whose manifest vouches for other bytes.
     */
    private Optional<PlanProblem> folderInUse(RunPlanner.Result result, Owner owner) {
      try (ObjectStore bucket = new StoreBuckets(client).connect(ns, result.plan().getS3())) {
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
     * whatever happens to the run, the folder says who wrote it, and retention and the catalog of
     * any other owner leave it alone.
     */
    private Optional<PlanProblem> writeMarker(RunPlanner.Result result, Owner owner) {
      try (ObjectStore bucket = new StoreBuckets(client).connect(ns, result.plan().getS3())) {
        bucket.putJson(
            BackupLayout.owner(result.folder()),
            new Owner.Marker(
                Owner.Marker.FORMAT_VERSION,
                owner,
                result.backupId(),
                run.getMetadata().getName()));
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

    UpdateControl<BackupRun> advance() {
      Map<String, Job> jobs =
          context.getSecondaryResources(Job.class).stream()
              .collect(Collectors.toMap(j -> j.getMetadata().getName(), j -> j, (a, b) -> a));
      int maxParallel =
          status.getPlan().getMaxParallelNodes() == null
              ? 5
              : status.getPlan().getMaxParallelNodes();
      long runningFiles =
          status.getTasks().stream()
              .filter(t -> "files".equals(t.getKind()) && t.getPhase() == TaskPhase.Running)
              .count();
      try {
        for (RunTask task : status.getTasks()) {
          if (task.getPhase() == TaskPhase.Pending) {
            boolean isFiles = "files".equals(task.getKind());
            if (isFiles && runningFiles >= maxParallel) {
              continue;
            }
            if (!jobs.containsKey(task.getJob())) {
              createJob(task);
            }
            task.setPhase(TaskPhase.Running);
            task.setStartTime(now());
            if (isFiles) {
              runningFiles++;
            }
          } else if (task.getPhase() == TaskPhase.Running) {
            Job job = jobs.get(task.getJob());
            if (job == null) {
              // The informer may not have seen a Job created a moment ago: ask the API before
              // concluding.
              job = client.batch().v1().jobs().inNamespace(ns).withName(task.getJob()).get();
            }
            if (job == null) {
              finishTask(task, null);
              if ("files".equals(task.getKind())) {
                runningFiles--;
              }
              continue;
            }
            JobOutcome outcome = JobOutcome.of(job);
            if (outcome.ended()) {
              finishTask(task, new Ended(job, outcome));
              if ("files".equals(task.getKind())) {
                runningFiles--;
              }
            } else if (age(task.getStartTime()).compareTo(settings.timings().podStart()) > 0) {
              Optional<String> stuck =
                  JobPods.notStarting(client, ns, task.getJob(), settings.timings().podStart());
              if (stuck.isPresent()) {
                // An image that cannot be pulled or a volume that cannot be mounted would otherwise
                // hold a slot
                // until activeDeadlineSeconds, hours later, and then blame the deadline.
                client
                    .batch()
                    .v1()
                    .jobs()
                    .inNamespace(ns)
                    .withName(task.getJob())
                    .withPropagationPolicy(DeletionPropagation.BACKGROUND)
                    .delete();
                task.setPhase(TaskPhase.Failed);
                task.setMessage(stuck.get());
                task.setCompletionTime(now());
                fail(task.getTarget(), task.getNode(), "PodNotStarting", stuck.get());
                if ("files".equals(task.getKind())) {
                  runningFiles--;
                }
              }
            }
          }
        }
        updateProgress();
        if (status.getTasks().stream().allMatch(t -> t.getPhase().isFinal())) {
          return complete();
        }
        return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().poll());
      } catch (IOException | KubernetesClientException e) {
        boolean allEnded = status.getTasks().stream().allMatch(t -> t.getPhase().isFinal());
        if (allEnded && age(lastTaskEnd()).compareTo(settings.timings().storePatience()) > 0) {
          String reason = e instanceof ManifestKeys.Problem p ? p.reason() : "StoreUnavailable";
          String message =
              e instanceof ManifestKeys.Problem
                  ? "every Job ended "
                      + settings.timings().storePatience().toMinutes()
                      + " minutes ago, but the manifest could not be"
                      + " signed: "
                      + e.getMessage()
                  : "every Job ended "
                      + settings.timings().storePatience().toMinutes()
                      + " minutes ago, but the bucket could not be read"
                      + " to verify the artifacts and write the manifest: "
                      + e.getMessage();
          fail(null, null, reason, message);
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
          return end(RunPhase.Failed, reason, message + discarded);
        }
        status.setMessage("waiting for the store or the API, will retry: " + e.getMessage());
        LOG.warn("run {}/{}: {}", ns, run.getMetadata().getName(), e.toString());
        return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().recheck());
      } finally {
        closeStore();
      }
    }

    UpdateControl<BackupRun> cancel() {
      int stopped = 0;
      for (RunTask task : status.getTasks()) {
        if (!task.getPhase().isFinal()) {
          client
              .batch()
              .v1()
              .jobs()
              .inNamespace(ns)
              .withName(task.getJob())
              .withPropagationPolicy(DeletionPropagation.BACKGROUND)
              .delete();
          task.setPhase(TaskPhase.Cancelled);
          task.setMessage("cancelled");
          task.setCompletionTime(now());
          stopped++;
        }
      }
      if (stopped > 0) {
        events.normal(run, "Cancelling", cancelReason(run) + ": " + stopped + " Jobs stopped");
      }
      long alive = alivePods();
      if (alive > 0 && age(lastTaskEnd()).compareTo(settings.timings().cancelGrace()) < 0) {
        status.setMessage(
            "cancelling: waiting for " + alive + " pods to stop before removing partial uploads");
        return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().settle());
      }
      try {
        forceDeletePods();
        int removed = removeUploads(true);
        status.setArtifacts(new ArrayList<>());
        updateProgress();
        return end(
            RunPhase.Cancelled,
            "Cancelled",
            "cancelled; " + removed + " partial uploads and objects removed");
      } catch (IOException | RuntimeException e) {
        status.setMessage("cancelling: cannot clean the bucket yet, will retry: " + e.getMessage());
        return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().recheck());
      } finally {
        closeStore();
      }
    }

    private UpdateControl<BackupRun> complete() throws IOException {
      boolean allSucceeded =
          status.getTasks().stream().allMatch(t -> t.getPhase() == TaskPhase.Succeeded);
      if (allSucceeded) {
        List<String> problems = verifyArtifacts();
        if (problems.isEmpty()) {
          problems = manifestMatchesStatus();
        }
        if (problems.isEmpty()) {
          Manifest manifest = manifest();
          String key = BackupLayout.manifest(status.getFolder());
          // The signature goes first and the manifest last, so a backup exists iff its manifest
          // does, and every
          // manifest the operator wrote has its signature next to it.
          ManifestKeys.Keys keys = signingKeys();
          byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
          store()
              .putJsonBytes(
                  BackupLayout.signature(status.getFolder()), keys.keys().signatureObject(bytes));
          store().putJsonBytes(key, bytes);
          status.setManifestKey(key);
          status.setSize(manifest.size());
          status.setManifestSignature("Verified");
          if (manifest.retention() != null) {
            Instant expires = KeepTerms.expiresAt(manifest.retention(), manifest.completedAt());
            status.setExpiresAt(expires == null ? null : expires.toString());
            status.setKeep(KeepTerms.describe(manifest.retention(), expires, manifest.policy()));
          }
          return end(
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
      }
      long alive = alivePods();
      if (alive > 0 && age(lastTaskEnd()).compareTo(settings.timings().cancelGrace()) < 0) {
        // A failed Job's pod may still be uploading: clean up only once it has stopped.
        status.setMessage(
            "waiting for " + alive + " pods to stop before removing incomplete uploads");
        return UpdateControl.patchStatus(run).rescheduleAfter(settings.timings().settle());
      }
      forceDeletePods();
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
                              : f.getTarget()
                                  + (f.getNode() == null ? "" : "@" + f.getNode())
                                  + ": ")
                          + f.getMessage())
              .collect(Collectors.joining("; "));
      if (aborted > 0) {
        summary += " (" + aborted + " incomplete uploads aborted)";
      }
      summary += discardManifest();
      return end(phase, phase.name(), summary);
    }

    /**
     * A run that fails after its manifest was written (an earlier attempt wrote it, then its status
     * write was lost) deletes that manifest before it ends, so retention and the catalog never
     * count the backup as good; a failed deletion throws, and the run ends only once it is gone.
     * Returns what to add to the run's message.
     */
    private String discardManifest() throws IOException {
      if (status.getFolder() == null) {
        return "";
      }
      String key = BackupLayout.manifest(status.getFolder());
      if (store().stat(key).isEmpty()) {
        return "";
      }
      store().delete(List.of(key));
      status.setManifestKey(null);
      LOG.info(
          "run {}/{}: deleted {}, written before the run failed",
          ns,
          run.getMetadata().getName(),
          key);
      return "; manifest " + key + " deleted: it had been written before the run failed";
    }

    private List<String> verifyArtifacts() throws IOException {
      List<String> problems = new ArrayList<>();
      for (ArtifactStatus artifact : status.getArtifacts()) {
        Optional<ObjectInfo> info = store().stat(artifact.getKey());
        String reason = null;
        String message = null;
        if (info.isEmpty()) {
          reason = "ArtifactMissing";
          message =
              "artifact "
                  + artifact.getKey()
                  + " is not in the bucket although its Job reported it";
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
          problems.add(message);
        }
      }
      return problems;
    }

    /**
     * The manifest is built from the agents' reports: they must say exactly what status (verified)
     * says.
     */
    private List<String> manifestMatchesStatus() throws IOException {
      List<String> problems = new ArrayList<>();
      Map<String, ArtifactStatus> verified =
          status.getArtifacts().stream()
              .collect(Collectors.toMap(ArtifactStatus::getKey, a -> a, (a, b) -> a));
      for (Manifest.Entry entry : manifest().artifacts()) {
        ArtifactStatus artifact = verified.remove(entry.key());
        if (artifact == null
            || artifact.getSize() != entry.size()
            || !Objects.equals(artifact.getSha256(), entry.sha256())) {
          String message =
              "the report behind artifact " + entry.key() + " changed after its Job ended";
          if (artifact != null) {
            failTaskOf(artifact, "ReportChanged", message);
          } else {
            fail(null, null, "ReportChanged", message);
          }
          problems.add(message);
        }
      }
      for (ArtifactStatus missing : verified.values()) {
        String message = "artifact " + missing.getKey() + " is no longer in its Job's report";
        failTaskOf(missing, "ReportChanged", message);
        problems.add(message);
      }
      return problems;
    }

    private void failTaskOf(ArtifactStatus artifact, String reason, String message) {
      for (RunTask task : status.getTasks()) {
        if (Objects.equals(task.getTarget(), artifact.getTarget())
            && Objects.equals(task.getNode(), artifact.getNode())) {
          task.setPhase(TaskPhase.Failed);
          task.setMessage(message);
        }
      }
      fail(artifact.getTarget(), artifact.getNode(), reason, message);
    }

    private String lastTaskEnd() {
      return status.getTasks().stream()
          .map(RunTask::getCompletionTime)
          .filter(Objects::nonNull)
          .max(Comparator.naturalOrder())
          .orElse(now());
    }

    /**
     * Pods of this run that outlived the grace period are deleted at once, so they cannot upload
     * after cleanup.
     */
    private void forceDeletePods() {
      client
          .pods()
          .inNamespace(ns)
          .withLabel(Api.RUN_LABEL, JobNames.labelValue(run.getMetadata().getName()))
          .withGracePeriod(0)
          .delete();
    }

    /** The signing keys of the run's store; the default Secret is created when missing. */
    private ManifestKeys.Keys signingKeys() throws ManifestKeys.Problem {
      String storeName = status.getPlan().getStore();
      BackupStore store =
          client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
      if (store == null) {
        throw new ManifestKeys.Problem(
            "StoreNotFound",
            "BackupStore '"
                + storeName
                + "' is gone: its signing Secret"
                + " cannot be told, so the manifest cannot be signed; apply the store again");
      }
      ManifestKeys.Keys keys = new ManifestKeys(client, settings.clock()).forSigning(store);
      if (keys.created()) {
        events.normal(
            store,
            "SigningKeyCreated",
            "created Secret '"
                + keys.secret()
                + "' with a random manifest"
                + " signing key: keep a copy off-site with the S3 credentials, a rebuilt cluster needs it to verify"
                + " its backups");
      }
      return keys;
    }

    private Manifest manifest() throws IOException {
      List<Manifest.Entry> entries = new ArrayList<>();
      long size = 0;
      for (RunTask task : status.getTasks()) {
        BackupReport report =
            store()
                .getJson(BackupLayout.report(status.getFolder(), task.getJob()), BackupReport.class)
                .orElseThrow(
                    () -> new IllegalStateException("report of " + task.getJob() + " vanished"));
        for (BackupReport.Artifact a : report.artifacts()) {
          entries.add(
              new Manifest.Entry(
                  a.accounts() != null ? Manifest.Entry.ACCOUNTS : task.getKind(),
                  task.getTarget(),
                  a.database(),
                  task.getNode(),
                  a.key(),
                  a.size(),
                  a.rawSize(),
                  a.sha256(),
                  a.compression(),
                  a.files(),
                  report.source(),
                  report.startedAt(),
                  report.finishedAt(),
                  report.warnings(),
                  a.accounts()));
          size += a.size();
        }
      }
      return new Manifest(
          Manifest.FORMAT_VERSION,
          status.getBackupId(),
          ns,
          run.getSpec().getPolicyRef().getName(),
          run.getMetadata().getName(),
          status.getPlan().getStore(),
          status.getPlan().getS3().getBucket(),
          status.getFolder(),
          status.getPlan().getCompression() == null
              ? "gzip"
              : status.getPlan().getCompression().name().toLowerCase(),
          Instant.parse(status.getStartTime()),
          settings.clock().instant(),
          size,
          entries,
          owner(),
          retention());
    }

    /**
     * How the backup is kept, as read from the spec when the run was planned; null for a run
     * planned before.
     */
    private Manifest.RunRetention retention() {
      if (status.getRetention() == null) {
        return null;
      }
      Instant until =
          status.getKeepFor() == null && status.getExpiresAt() != null
              ? Instant.parse(status.getExpiresAt())
              : null;
      return new Manifest.RunRetention(
          status.getOrigin(), status.getRetention(), until, status.getKeepFor());
    }

    /**
     * Who wrote the folder, as its marker says; for a run planned before markers existed, this
     * operator.
     */
    private Owner owner() throws IOException {
      return store()
          .getJson(BackupLayout.owner(status.getFolder()), Owner.Marker.class)
          .map(Owner.Marker::owner)
          .orElseGet(() -> new Owner(settings.clusterId(), ns, status.getPlan().getStore(), null));
    }

    /** A Job that ended, with what its status says. */
    private record Ended(Job job, JobOutcome outcome) {}

    private void finishTask(RunTask task, Ended ended) throws IOException {
      // A Job that is gone (deleted by its TTL while the operator was down, or by hand) may well
      // have succeeded:
      // its report in the bucket says so.
      boolean jobSucceeded = ended == null || ended.outcome().succeeded();
      Optional<BackupReport> report;
      try {
        report =
            store()
                .getJson(
                    BackupLayout.report(status.getFolder(), task.getJob()), BackupReport.class);
      } catch (IOException e) {
        if (jobSucceeded) {
          throw e; // a finished artifact is only accepted with its report: retry later
        }
        LOG.info("report of failed Job {} unreadable: {}", task.getJob(), e.toString());
        report = Optional.empty();
      }
      task.setCompletionTime(now());
      if (jobSucceeded && report.isPresent() && report.get().succeeded()) {
        task.setPhase(TaskPhase.Succeeded);
        task.setMessage(null);
        List<String> warnings = report.get().warnings();
        if (warnings != null && !warnings.isEmpty()) {
          task.setWarnings(warnings);
          events.warning(
              run,
              "ArtifactWarnings",
              task.getTarget()
                  + (task.getNode() == null ? "" : " on " + task.getNode())
                  + ": "
                  + String.join("; ", warnings));
        }
        for (BackupReport.Artifact a : report.get().artifacts()) {
          ArtifactStatus artifact = new ArtifactStatus();
          artifact.setTarget(task.getTarget());
          artifact.setDatabase(a.database());
          artifact.setNode(task.getNode());
          artifact.setKey(a.key());
          artifact.setSize(a.size());
          artifact.setSha256(a.sha256());
          artifact.setFiles(a.files());
          artifact.setAccounts(a.accounts());
          status.getArtifacts().add(artifact);
        }
        return;
      }
      String reason;
      String message;
      if (ended == null) {
        reason = "JobDeleted";
        message =
            "Job "
                + task.getJob()
                + " is gone and left no successful report at "
                + BackupLayout.report(status.getFolder(), task.getJob());
      } else if (ended.outcome().succeeded()) {
        reason = "ReportMissing";
        message =
            "Job "
                + task.getJob()
                + " completed but its report "
                + BackupLayout.report(status.getFolder(), task.getJob())
                + " is missing or says it failed";
      } else {
        reason =
            "DeadlineExceeded".equals(ended.outcome().reason()) ? "DeadlineExceeded" : "JobFailed";
        Optional<String> lost = JobPods.nodeLost(client, task.getNode(), task.getJob());
        if (lost.isPresent() && !"DeadlineExceeded".equals(reason)) {
          reason = "NodeLost";
        }
        String detail =
            lost.isPresent() && "NodeLost".equals(reason)
                ? lost.get()
                : report
                    .filter(r -> !r.succeeded() && r.message() != null)
                    .map(BackupReport::message)
                    .or(() -> JobPods.terminationMessage(client, ns, task.getJob()))
                    .orElse(ended.outcome().message());
        if ("DeadlineExceeded".equals(reason)) {
          message =
              "Job "
                  + task.getJob()
                  + " ran longer than spec.job.activeDeadlineSeconds ("
                  + ended.job().getSpec().getActiveDeadlineSeconds()
                  + " s) and was stopped";
        } else {
          message = detail == null ? "Job " + task.getJob() + " failed" : detail;
        }
      }
      task.setPhase(TaskPhase.Failed);
      task.setMessage(message);
      fail(task.getTarget(), task.getNode(), reason, message);
    }

    private void createJob(RunTask task) {
      Job job = BackupJobs.jobFor(run, task, settings.agentImage());
      try {
        client.batch().v1().jobs().inNamespace(ns).resource(job).create();
        LOG.info("run {}/{}: created Job {}", ns, run.getMetadata().getName(), task.getJob());
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        // Ours from before a restart, or someone else's Job with the same name: only adopt our own.
        Job existing = client.batch().v1().jobs().inNamespace(ns).withName(task.getJob()).get();
        boolean ours =
            existing != null
                && existing.getMetadata().getOwnerReferences().stream()
                    .anyMatch(o -> Objects.equals(o.getUid(), run.getMetadata().getUid()));
        if (!ours) {
          throw new IllegalStateException(
              "a Job named "
                  + task.getJob()
                  + " exists and does not belong to this run: delete it or rename the run");
        }
      }
    }

    private long alivePods() {
      return client
          .pods()
          .inNamespace(ns)
          .withLabel(Api.RUN_LABEL, JobNames.labelValue(run.getMetadata().getName()))
          .list()
          .getItems()
          .stream()
          .filter(
              p ->
                  p.getStatus() == null
                      || "Running".equals(p.getStatus().getPhase())
                      || "Pending".equals(p.getStatus().getPhase()))
          .count();
    }

    /**
     * Aborts incomplete multipart uploads under the backup's folder; with {@code everything}, also
     * deletes every object there (a cancelled run keeps nothing). Returns how many uploads and
     * objects were removed.
     */
    private int removeUploads(boolean everything) throws IOException {
      if (status.getFolder() == null) {
        return 0;
      }
      String folder = status.getFolder() + "/";
      int removed = store().abortIncompleteUploads(folder);
      if (everything) {
        List<String> keys = store().list(folder).stream().map(ObjectInfo::key).toList();
        store().delete(keys);
        removed += keys.size();
      }
      return removed;
    }

    private void fail(String target, String node, String reason, String message) {
      RunFailure failure = new RunFailure();
      failure.setTarget(target);
      failure.setNode(node);
      failure.setReason(reason);
      failure.setMessage(message);
      status.getFailures().add(failure);
      events.warning(
          run,
          reason,
          (target == null ? "" : target + (node == null ? "" : " on " + node) + ": ") + message);
    }

    private UpdateControl<BackupRun> end(RunPhase phase, String reason, String message) {
      status.setPhase(phase);
      status.setMessage(message);
      status.setCompletionTime(now());
      updateProgress();
      Conditions.set(
          status,
          BackupRunStatus.COMPLETE,
          phase == RunPhase.Succeeded,
          reason,
          message,
          generation(),
          settings.clock());
      if (phase == RunPhase.Succeeded || phase == RunPhase.Cancelled) {
        events.normal(run, phase.name(), message);
      } else {
        events.warning(run, phase.name(), message);
      }
      LOG.info("run {}/{} {}: {}", ns, run.getMetadata().getName(), phase, message);
      metrics.runEnded(run);
      return UpdateControl.patchStatus(run);
    }

    private void updateProgress() {
      RunProgress progress = new RunProgress();
      int total = status.getTasks().size();
      int done = (int) status.getTasks().stream().filter(t -> t.getPhase().isFinal()).count();
      long bytes =
          status.getArtifacts().stream()
              .mapToLong(a -> a.getSize() == null ? 0 : a.getSize())
              .sum();
      progress.setTasksTotal(total);
      progress.setTasksDone(done);
      progress.setArtifacts(status.getArtifacts().size());
      progress.setBytes(bytes);
      progress.setSummary(
          done + "/" + total + " jobs, " + status.getArtifacts().size() + " artifacts");
      status.setProgress(progress);
    }

    private ObjectStore store() throws IOException {
      if (store == null) {
        store = new StoreBuckets(client).connect(ns, status.getPlan().getS3());
      }
      return store;
    }

    private void closeStore() {
      if (store != null) {
        try {
          store.close();
        } catch (Exception e) {
          LOG.debug("closing store client", e);
        }
        store = null;
      }
    }

    private Duration age() {
      return age(run.getMetadata().getCreationTimestamp());
    }

    private Duration age(String since) {
      if (since == null) {
        return Duration.ZERO;
      }
      return Duration.between(Instant.parse(since), settings.clock().instant());
    }

    private Long generation() {
      return run.getMetadata().getGeneration();
    }

    private String now() {
      return settings.clock().instant().toString();
    }
  }
}
