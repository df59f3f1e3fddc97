package io.osbackup.operator.restore;

import io.fabric8.kubernetes.api.model.HasMetadata;
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
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.DatabaseTarget;
import io.osbackup.api.v1alpha1.DatabaseTls;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.catalog.BackupFinder;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.Failures;
import io.osbackup.operator.reconcile.JobOutcome;
import io.osbackup.operator.reconcile.JobPods;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.StatusWriter;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.operator.restore.RestoreJobPlan.AgentJob;
import io.osbackup.operator.restore.RestoreJobPlan.PlannedJob;
import io.osbackup.operator.restore.RestoreJobPlan.Selected;
import io.osbackup.operator.restore.RestoreJobPlan.Source;
import io.osbackup.plan.RestoreJobs;
import io.osbackup.restore.RestoreSelection;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a RestoreRequest through Validating → Verifying → Quiescing → Restoring → Resuming.
 * Nothing is written before every selected artifact was downloaded and checked by the verify Job;
 * each restore Job checks again while it writes into a staging place and switches over only then,
 * keeping the previous contents aside. Every step reads its state from the request's status and the
 * cluster, so a restarted operator goes on where it stopped; once workloads were quiesced the
 * request runs once, whatever happens to its spec.
 */
@ControllerConfiguration(name = "restorerequest")
public class RestoreRequestReconciler implements Reconciler<RestoreRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreRequestReconciler.class);

  /** How long quiesced workloads may take to stop their pods before the restore gives up. */
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  static final String VERIFY = "verify";
  static final String DATABASE = "database";
  static final String FILES = "files";
  static final String ACCOUNTS = "accounts";

  private final OperatorSettings settings;

  /**
   * The manifests of the backups being restored, by namespace, bucket and key: a manifest never
   * changes once written, so a restore reads it once rather than at every poll while its Jobs run.
   * Bounded; an evicted one is read again.
   */
  private final Map<String, Catalog.Backup> manifests =
      java.util.Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Catalog.Backup> eldest) {
              return size() > 64;
            }
          });

  private final OsbackupMetrics metrics;
  private final RestoreDecision decision;

  public RestoreRequestReconciler(OperatorSettings settings) {
    this(settings, OsbackupMetrics.inMemory());
  }

  public RestoreRequestReconciler(OperatorSettings settings, OsbackupMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
    this.decision = new RestoreDecision(settings);
  }

  @Override
  public List<EventSource<?, RestoreRequest>> prepareEventSources(
      EventSourceContext<RestoreRequest> context) {
    var jobs =
        InformerEventSourceConfiguration.from(Job.class, RestoreRequest.class)
            .withLabelSelector(
                Api.MANAGED_BY_LABEL + "=" + Api.MANAGED_BY + "," + Api.RESTORE_LABEL)
            .build();
    return List.of(new InformerEventSource<>(jobs, context));
  }

  @Override
  public UpdateControl<RestoreRequest> reconcile(
      RestoreRequest request, Context<RestoreRequest> context) {
    RestoreRequestStatus status =
        request.getStatus() == null ? new RestoreRequestStatus() : request.getStatus();
    request.setStatus(status);
    RestorePhase before = status.getPhase();
    List<Outcome.Notice> notices = new ArrayList<>();
    Step step = new Step(request, status, context, notices);
    Outcome decided;
    try {
      decided = step.next();
    } finally {
      step.closeStore();
    }
    notices.addAll(decided.notices());
    ended(request, before);
    Outcome outcome = new Outcome(decided.statusChanged(), notices, decided.lookAgainAfter());
    return StatusWriter.apply(
        outcome, request, context, new EventRecorder(context.getClient(), settings.clock()));
  }

  /** Counts and logs a request that reached a final phase in this reconciliation. */
  private void ended(RestoreRequest request, RestorePhase before) {
    RestoreRequestStatus status = request.getStatus();
    RestorePhase after = status.getPhase();
    if (after == null || !after.isFinal() || after == before) {
      return;
    }
    String reason =
        status
            .condition(RestoreRequestStatus.COMPLETE)
            .map(c -> c.getReason())
            .orElse(after.name());
    LOG.info(
        "restore {}/{} {}: {}",
        request.getMetadata().getNamespace(),
        request.getMetadata().getName(),
        after,
        status.getMessage());
    metrics.restoreEnded(request.getMetadata().getNamespace(), after.name(), reason);
  }

  @Override
  public ErrorStatusUpdateControl<RestoreRequest> updateErrorStatus(
      RestoreRequest request, Context<RestoreRequest> context, Exception e) {
    return new Failures(
            settings.timings(), new EventRecorder(context.getClient(), settings.clock()))
        .failed(request, context, e);
  }

  /** One reconciliation of one request. */
  private final class Step {
    private final RestoreRequest request;
    private final RestoreRequestStatus status;
    private final Context<RestoreRequest> context;
    private final KubernetesClient client;
    private final List<Outcome.Notice> notices;
    private final String ns;
    private final String name;
    private final Quiesce.Workloads workloads;
    private ObjectStore store;

    Step(
        RestoreRequest request,
        RestoreRequestStatus status,
        Context<RestoreRequest> context,
        List<Outcome.Notice> notices) {
      this.request = request;
      this.notices = notices;
      this.status = status;
      this.context = context;
      this.client = context.getClient();
      this.ns = request.getMetadata().getNamespace();
      this.name = request.getMetadata().getName();
      this.workloads = new Quiesce.Workloads(client, ns);
    }

    Outcome next() {
      RestorePhase phase = status.getPhase();
      Long generation = request.getMetadata().getGeneration();
      if (phase != null && phase.isFinal()) {
        switch (decision.edit(request, status)) {
          case NONE:
            return Outcome.unchanged();
          case IGNORED:
            return decision.ignoreEdit(request, status);
          case NEW_ATTEMPT:
          default:
            // Nothing was written (it failed validation, was a dry run, or was cancelled before
            // any write): the edited spec is a new attempt.
            tell("SpecChanged", "spec changed (generation " + generation + "): validating again");
            RestoreDecision.jobsOfEndedAttempt(status).forEach(this::deleteJob);
            RestoreRequestStatus fresh = RestoreDecision.nextAttempt(status);
            request.setStatus(fresh);
            return new Step(request, fresh, context, notices).begin();
        }
      }
      if (phase == null || phase == RestorePhase.Pending) {
        return begin();
      }
      if (status.getStartedGeneration() == null) {
        status.setObservedGeneration(generation);
      }
      return switch (phase) {
        case Validating -> validate();
        case Verifying -> verify();
        case Quiescing -> quiesce();
        case Restoring -> restore();
        case Resuming -> resume();
        default -> Outcome.unchanged();
      };
    }

    Outcome begin() {
      return decision.begin(request, status);
    }

    // ---------------------------------------------------------------- Validating

    Outcome validate() {
      if (cancelled()) {
        return end(
            RestorePhase.Cancelled, "Cancelled", "cancelled before anything was read or written");
      }
      RestoreRequestSpec spec = request.getSpec();
      Source source;
      RestoreSelection.Result selection;
      try {
        source = source(spec.getSource());
        status.setBackupId(source.backup().backupId());
        status.setStore(source.storeName());
        status.setManifestKey(source.backup().key());
        selection = RestoreSelection.select(source.backup().manifest(), spec, source.credentials());
        if (!selection.ok()) {
          throw new RestoreProblem(
              selection.problem().reason(), selection.problem().message(), false);
        }
        signingKeysStayWithTheOperator(source, selection);
        checkCluster(selection);
        checkArtifacts(source, selection);
      } catch (RestoreProblem p) {
        return problem(p);
      }
      return decision.validated(
          request,
          status,
          selection.inPlace(),
          plan().keptAsideExample(selection),
          plan().planItems(selection),
          RestoreJobs.verifyName(plan().jobPrefix()));
    }

    private Source source(RestoreRequestSpec.RestoreSource source) throws RestoreProblem {
      String storeName;
      String policy = source.getPolicyRef() == null ? null : source.getPolicyRef().getName();
      String manifestKey = null;
      if (source.getBackupRunRef() != null) {
        String runName = source.getBackupRunRef().getName();
        BackupRun run = client.resources(BackupRun.class).inNamespace(ns).withName(runName).get();
        if (run == null) {
          throw new RestoreProblem(
              "BackupRunNotFound",
              "source.backupRunRef: BackupRun '"
                  + runName
                  + "' does not exist in"
                  + " namespace "
                  + ns
                  + " (kubectl get brun lists them)",
              false);
        }
        if (run.getStatus() == null
            || run.getStatus().getPhase() != RunPhase.Succeeded
            || run.getStatus().getManifestKey() == null) {
          throw new RestoreProblem(
              "BackupNotRestorable",
              "source.backupRunRef: BackupRun '"
                  + runName
                  + "' is "
                  + (run.getStatus() == null || run.getStatus().getPhase() == null
                      ? "not started"
                      : run.getStatus().getPhase())
                  + "; only a Succeeded run holds a complete backup",
              false);
        }
        storeName =
            run.getStatus().getPlan() != null
                ? run.getStatus().getPlan().getStore()
                : FoundBackups.annotation(run, FoundBackups.STORE_ANNOTATION).orElse(null);
        manifestKey = run.getStatus().getManifestKey();
        policy = run.getSpec().getPolicyRef().getName();
      } else if (source.getStoreRef() != null) {
        storeName = source.getStoreRef().getName();
      } else {
        BackupPolicy p =
            client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).get();
        if (p == null) {
          throw new RestoreProblem(
              "PolicyNotFound",
              "source.policyRef: BackupPolicy '"
                  + policy
                  + "' does not exist in"
                  + " namespace "
                  + ns
                  + ": set source.storeRef to find its backups in a store",
              false);
        }
        storeName = p.getSpec().getStoreRef().getName();
      }
      if (storeName == null) {
        throw new RestoreProblem(
            "StoreNotFound",
            "cannot tell which BackupStore holds the backup: set source.storeRef",
            false);
      }
      BackupStore bs =
          client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
      if (bs == null) {
        throw new RestoreProblem(
            "StoreNotFound",
            "BackupStore '"
                + storeName
                + "' does not exist in namespace "
                + ns
                + ": apply it (or fix source.storeRef)",
            true);
      }
      S3Location s3 = bs.getSpec().getS3();
      Catalog.Backup backup;
      try {
        ObjectStore bucket = store(s3);
        Catalog.Shelf shelf = Catalog.of(bucket);
        SigningKeys keys = new ManifestKeys(client, settings.clock()).forVerifying(ns, bs);
        BackupFinder finder = new BackupFinder(shelf, s3.getPrefix(), ns, keys);
        if (manifestKey != null) {
          String key = manifestKey;
          Optional<Catalog.Parsed> read =
              Catalog.readManifest(shelf, key, s3.getPrefix(), ns, keys);
          if (read.isEmpty()) {
            throw new RestoreProblem(
                "BackupNotFound",
                "the manifest "
                    + key
                    + " of BackupRun '"
                    + source.getBackupRunRef().getName()
                    + "' is not in the bucket any more (deleted by retention?):"
                    + " choose another backup",
                false);
          }
          Catalog.Parsed parsed = read.get();
          if (parsed.backup() == null) {
            throw new RestoreProblem(
                "ManifestInvalid", "manifest " + key + " " + parsed.problem(), false);
          }
          backup = parsed.backup();
        } else if (source.getBackupId() != null) {
          backup = finder.byId(policy, source.getBackupId());
        } else {
          Instant asOf;
          try {
            asOf = BackupFinder.parseAsOf(source.getAsOf(), settings.clock().instant());
          } catch (IllegalArgumentException e) {
            throw new RestoreProblem("InvalidAsOf", e.getMessage(), false);
          }
          backup = finder.asOf(policy, asOf);
        }
      } catch (StoreBuckets.CredentialsProblem e) {
        throw new RestoreProblem(
            e.reason(), "BackupStore '" + storeName + "': " + e.getMessage(), true);
      } catch (ManifestKeys.Problem e) {
        throw new RestoreProblem(
            e.reason(), "BackupStore '" + storeName + "': " + e.getMessage(), true);
      } catch (BackupFinder.NotFound e) {
        throw new RestoreProblem(e.reason(), e.getMessage(), false);
      } catch (IOException e) {
        throw new RestoreProblem(
            "StoreUnavailable",
            "cannot read BackupStore '" + storeName + "': " + e.getMessage(),
            true);
      }
      trusted(bs, backup, true);
      agentSecret(bs);
      return new Source(storeName, s3, backup, credentials(backup.policy()), tls(backup.policy()));
    }

    /**
     * The Secret the restore's Jobs mount for the bucket, when the store gives agents one of their
     * own.
     */
    private void agentSecret(BackupStore store) throws RestoreProblem {
      var ref = store.getSpec().getS3().getAgentCredentialsSecret();
      if (ref == null) {
        return;
      }
      String field =
          "BackupStore '" + store.getMetadata().getName() + "' spec.s3.agentCredentialsSecret";
      Secret secret = client.secrets().inNamespace(ns).withName(ref.getName()).get();
      if (secret == null) {
        throw new RestoreProblem(
            "SecretNotFound",
            field
                + " names Secret '"
                + ref.getName()
                + "', which does not exist in"
                + " namespace "
                + ns
                + ": create it with the keys accessKey and secretKey",
            true);
      }
      for (String key : List.of("accessKey", "secretKey")) {
        if (StoreBuckets.value(secret, key).isEmpty()) {
          throw new RestoreProblem(
              "SecretKeyMissing",
              "Secret '"
                  + ref.getName()
                  + "' ("
                  + field
                  + ") has no key '"
                  + key
                  + "' or it is empty: add it",
              true);
        }
      }
    }

    /**
     * Refuses a backup whose manifest the store's signing keys do not verify, unless
     * spec.allowUnsignedManifest says to restore it anyway (then told once, as a warning, at
     * validation).
     */
    private void trusted(BackupStore store, Catalog.Backup backup, boolean tell)
        throws RestoreProblem {
      SignatureCheck check = backup.signature();
      if (check.verified()) {
        return;
      }
      String message =
          check.refusal(
              backup.backupId(),
              backup.key(),
              "Secret '" + ManifestKeys.secretName(store) + "'",
              "spec.allowUnsignedManifest: true");
      if (!Boolean.TRUE.equals(request.getSpec().getAllowUnsignedManifest())) {
        throw new RestoreProblem(check.reason(), message, false);
      }
      if (tell) {
        warn(
            "ManifestNotVerified",
            "restoring although backup "
                + backup.backupId()
                + "'s"
                + " manifest "
                + check.detail()
                + " (spec.allowUnsignedManifest is true)");
      }
    }

    /** No restore Job may mount the store's signing Secret as a database login. */
    private void signingKeysStayWithTheOperator(Source source, RestoreSelection.Result selection)
        throws RestoreProblem {
      String storeName = source.storeName();
      BackupStore bs =
          client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
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
    private void checkCluster(RestoreSelection.Result selection) throws RestoreProblem {
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
     * Every workload to quiesce exists, and none is managed by another controller that would scale
     * it back up (controller owner, Argo CD, Flux, an HPA) unless the request says it was handled:
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

    private void checkArtifacts(Source source, RestoreSelection.Result selection)
        throws RestoreProblem {
      List<Manifest.Entry> entries = new ArrayList<>();
      selection.databases().forEach(d -> entries.add(d.entry()));
      selection.files().forEach(f -> entries.add(f.entry()));
      selection.accounts().forEach(a -> entries.add(a.entry()));
      try {
        for (Manifest.Entry e : entries) {
          Optional<ObjectInfo> info = store(source.s3()).stat(e.key());
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

    // ---------------------------------------------------------------- Verifying

    Outcome verify() {
      RestoreJob verifyJob = jobOf(VERIFY).orElseThrow();
      if (cancelled()) {
        deleteJob(verifyJob.getName());
        return end(
            RestorePhase.Cancelled, "Cancelled", "cancelled while verifying; nothing was written");
      }
      Selected selected;
      try {
        selected = selected();
      } catch (RestoreProblem p) {
        return problem(p);
      }
      try {
        Optional<RestoreReport> report =
            follow(
                verifyJob,
                plan()
                    .agentJob(
                        selected,
                        RestorePlan.VERIFY,
                        verifyJob.getName(),
                        selected.selection().databases(),
                        selected.selection().files(),
                        null),
                selected.source().s3());
        return decision.verified(request, status, verifyJob, report);
      } catch (IOException | KubernetesClientException e) {
        return waitFor("the store or the API", e);
      }
    }

    // ---------------------------------------------------------------- Quiescing

    Outcome quiesce() {
      try {
        if (cancelled()) {
          return toResuming(
              "cancel requested: resuming the workloads quiesced so far; nothing was restored");
        }
        boolean recorded = false;
        for (RestoreRequestSpec.WorkloadRef w : request.getSpec().getQuiesce()) {
          if (quiesced(w).isEmpty()) {
            Optional<Integer> replicas = workloads.replicas(w.getKind().name(), w.getName());
            if (replicas.isEmpty()) {
              return toFailedBeforeRestore(
                  "WorkloadNotFound", w.getKind() + " '" + w.getName() + "' is gone");
            }
            QuiescedWorkload q = new QuiescedWorkload();
            q.setKind(w.getKind().name());
            q.setName(w.getName());
            q.setReplicas(replicas.get());
            q.setResumed(false);
            status.getQuiesced().add(q);
            recorded = true;
          }
        }
        if (recorded) {
          // Replica counts are stored before anything is scaled, so a crash never loses them.
          return decision.recorded(status);
        }
        // One scaled up again after it was scaled to zero cannot be held: nothing is restored.
        List<String> cameBack = holdQuiesced(q -> q.getQuiescedAt() != null, "quiescing");
        if (!cameBack.isEmpty()) {
          return decision.cameBackBeforeRestore(status, cameBack);
        }
        // Stopped means no replica and no pod left, terminating ones included: a pod being deleted
        // may still write.
        List<String> running = new ArrayList<>();
        for (QuiescedWorkload q : status.getQuiesced()) {
          workloads.scale(q.getKind(), q.getName(), 0);
          if (q.getQuiescedAt() == null) {
            q.setQuiescedAt(now());
          }
          Quiesce.Seen seen = workloads.see(q.getKind(), q.getName());
          if (!seen.stopped()) {
            running.add(seen.describe());
          }
        }
        if (!running.isEmpty()) {
          return decision.stillRunning(status, running);
        }
        Selected selected = selected();
        return decision.quiesced(
            request,
            status,
            plan().restoreJobs(selected).values().stream().map(PlannedJob::status).toList());
      } catch (RestoreProblem p) {
        return p.retryable
            ? waitFor("the store", p)
            : toFailedBeforeRestore(p.reason, p.getMessage());
      } catch (KubernetesClientException e) {
        return waitFor("the API", e);
      }
    }

    private Outcome toFailedBeforeRestore(String reason, String message) {
      return decision.failedBeforeRestore(status, reason, message);
    }

    private Outcome toResuming(String message) {
      return decision.toResuming(status, message);
    }

    // ---------------------------------------------------------------- Restoring

    Outcome restore() {
      Selected selected;
      try {
        selected = selected();
      } catch (RestoreProblem p) {
        if (p.retryable) {
          return waitFor("the store", p);
        }
        return toFailedBeforeRestore(p.reason, p.getMessage());
      }
      Map<String, PlannedJob> planned = plan().restoreJobs(selected);
      try {
        boolean started =
            status.getJobs().stream()
                .anyMatch(
                    j -> planned.containsKey(j.getName()) && j.getPhase() != TaskPhase.Pending);
        List<String> cameBack = holdQuiesced(q -> true, "restoring");
        if (!cameBack.isEmpty() && !started) {
          return decision.cameBackBeforeRestore(status, cameBack);
        }
      } catch (KubernetesClientException e) {
        return waitFor("the API", e);
      }
      try {
        for (RestoreJob job : status.getJobs()) {
          PlannedJob p = planned.get(job.getName());
          if (p == null || job.getPhase().isFinal()) {
            continue;
          }
          Optional<RestoreReport> report = follow(job, p.agent(), selected.source().s3());
          report.ifPresent(r -> notices.addAll(RestoreDecision.record(status, r).notices()));
        }
      } catch (IOException | KubernetesClientException e) {
        return waitFor("the store or the API", e);
      }
      return decision.restoring(
          request,
          status,
          status.getJobs().stream().filter(j -> planned.containsKey(j.getName())).toList());
    }

    /**
     * Quiesced workloads (those {@code which} selects) must stay at zero: one scaled up again (by
     * someone, or a controller that was not paused) is scaled to zero again at once, a
     * QuiesceBroken Warning names it and who changed it, and status keeps it. Returns the ones that
     * came back at this check. A Job already writing is not stopped: an agent killed in the middle
     * of a switch is what the restore is built to avoid.
     */
    private List<String> holdQuiesced(Predicate<QuiescedWorkload> which, String during) {
      List<String> cameBack = new ArrayList<>();
      for (QuiescedWorkload q : status.getQuiesced().stream().filter(which).toList()) {
        Quiesce.Seen seen = workloads.see(q.getKind(), q.getName());
        if (!seen.cameBack()) {
          continue;
        }
        workloads.scale(q.getKind(), q.getName(), 0);
        String what = seen.describe() + ", changed by " + seen.changedBy();
        q.setBroken(what + ", seen at " + now());
        warn("QuiesceBroken", what + " came back while " + during + ": scaled to zero again");
        cameBack.add(what);
      }
      return cameBack;
    }

    /** What came back while restoring, when anything did. */
    // ---------------------------------------------------------------- Resuming

    Outcome resume() {
      try {
        for (QuiescedWorkload q : status.getQuiesced()) {
          if (!Boolean.TRUE.equals(q.getResumed())) {
            workloads.scale(q.getKind(), q.getName(), q.getReplicas());
            q.setResumed(true);
          }
        }
      } catch (KubernetesClientException e) {
        return waitFor("the API", e);
      }
      return decision.resumed(request, status);
    }

    // ---------------------------------------------------------------- Jobs

    /**
     * The selection, from the backup chosen at validation (status.store and status.manifestKey): an
     * asOf age moves with time, and a run or policy may be deleted meanwhile, but the backup
     * restored stays the one verified.
     */
    private Selected selected() throws RestoreProblem {
      BackupStore bs =
          client.resources(BackupStore.class).inNamespace(ns).withName(status.getStore()).get();
      if (bs == null) {
        throw new RestoreProblem(
            "StoreNotFound",
            "BackupStore '"
                + status.getStore()
                + "' was deleted during the restore:"
                + " apply it again",
            true);
      }
      S3Location s3 = bs.getSpec().getS3();
      String pin =
          ns + "|" + s3.getEndpoint() + "|" + s3.getBucket() + "|" + status.getManifestKey();
      Catalog.Backup backup = manifests.get(pin);
      if (backup == null) {
        backup = readManifest(bs);
        manifests.put(pin, backup);
      }
      trusted(bs, backup, false);
      Map<String, String> credentials = credentials(backup.policy());
      RestoreSelection.Result selection =
          RestoreSelection.select(backup.manifest(), request.getSpec(), credentials);
      if (!selection.ok()) {
        throw new RestoreProblem(
            selection.problem().reason(), selection.problem().message(), false);
      }
      return new Selected(
          new Source(status.getStore(), s3, backup, credentials, tls(backup.policy())), selection);
    }

    /**
     * The pinned manifest, read again with its signature checked: it is verified before every
     * step's Jobs.
     */
    private Catalog.Backup readManifest(BackupStore bs) throws RestoreProblem {
      S3Location s3 = bs.getSpec().getS3();
      Catalog.Backup backup;
      try {
        String key = status.getManifestKey();
        SigningKeys keys = new ManifestKeys(client, settings.clock()).forVerifying(ns, bs);
        Optional<Catalog.Parsed> read =
            Catalog.readManifest(Catalog.of(store(s3)), key, s3.getPrefix(), ns, keys);
        if (read.isEmpty()) {
          throw new RestoreProblem(
              "BackupNotFound",
              "manifest " + key + " vanished from the bucket during the restore",
              false);
        }
        Catalog.Parsed parsed = read.get();
        if (parsed.backup() == null) {
          throw new RestoreProblem(
              "ManifestInvalid", "manifest " + key + " " + parsed.problem(), false);
        }
        backup = parsed.backup();
      } catch (StoreBuckets.CredentialsProblem e) {
        throw new RestoreProblem(e.reason(), e.getMessage(), true);
      } catch (ManifestKeys.Problem e) {
        throw new RestoreProblem(
            e.reason(), "BackupStore '" + status.getStore() + "': " + e.getMessage(), true);
      } catch (IOException e) {
        throw new RestoreProblem(
            "StoreUnavailable", "cannot read the bucket: " + e.getMessage(), true);
      }
      return backup;
    }

    /**
     * The credentials Secret of each database target: from the source run's copy of its policy,
     * else the policy.
     */
    private Map<String, String> credentials(String policy) {
      Map<String, String> out = new LinkedHashMap<>();
      var runRef = request.getSpec().getSource().getBackupRunRef();
      BackupRun run =
          runRef == null
              ? null
              : client.resources(BackupRun.class).inNamespace(ns).withName(runRef.getName()).get();
      if (run != null && run.getStatus() != null && run.getStatus().getPlan() != null) {
        run.getStatus()
            .getPlan()
            .getDatabases()
            .forEach(db -> out.put(db.getName(), db.getCredentialsSecret().getName()));
      }
      if (out.isEmpty()) {
        BackupPolicy p =
            client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).get();
        if (p != null) {
          p.getSpec()
              .getDatabases()
              .forEach(db -> out.put(db.getName(), db.getCredentialsSecret().getName()));
        }
      }
      return out;
    }

    /**
     * The TLS of each database target that has one: from the source run's copy of its policy, else
     * the policy.
     */
    private Map<String, DatabaseTls> tls(String policy) {
      Map<String, DatabaseTls> out = new LinkedHashMap<>();
      var runRef = request.getSpec().getSource().getBackupRunRef();
      BackupRun run =
          runRef == null
              ? null
              : client.resources(BackupRun.class).inNamespace(ns).withName(runRef.getName()).get();
      List<DatabaseTarget> targets = null;
      if (run != null && run.getStatus() != null && run.getStatus().getPlan() != null) {
        targets = run.getStatus().getPlan().getDatabases();
      } else {
        BackupPolicy p =
            client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).get();
        if (p != null) {
          targets = p.getSpec().getDatabases();
        }
      }
      if (targets != null) {
        targets.stream()
            .filter(db -> db.getTls() != null)
            .forEach(db -> out.put(db.getName(), db.getTls()));
      }
      return out;
    }

    /**
     * Creates the Job when it does not exist yet and follows it; once it ended, reads its report
     * and updates the job's status entry. Returns the report once the Job ended and its report
     * could be read.
     */
    private Optional<RestoreReport> follow(RestoreJob job, AgentJob agent, S3Location s3)
        throws IOException {
      if (job.getPhase().isFinal()) {
        return Optional.empty();
      }
      Job existing =
          context.getSecondaryResources(Job.class).stream()
              .filter(j -> j.getMetadata().getName().equals(job.getName()))
              .findFirst()
              .orElseGet(
                  () -> client.batch().v1().jobs().inNamespace(ns).withName(job.getName()).get());
      if (existing == null && job.getPhase() == TaskPhase.Pending) {
        createJob(agent, s3);
        job.setPhase(TaskPhase.Running);
        job.setStartTime(now());
        return Optional.empty();
      }
      JobOutcome outcome = existing == null ? null : JobOutcome.of(existing);
      if (outcome != null && !outcome.ended()) {
        job.setPhase(TaskPhase.Running);
        if (job.getStartTime() == null) {
          job.setStartTime(now());
        }
        if (age(job.getStartTime()).compareTo(settings.timings().podStart()) > 0) {
          Optional<String> stuck =
              JobPods.notStarting(client, ns, job.getName(), settings.timings().podStart());
          if (stuck.isPresent()) {
            // Nothing ran, so nothing was written: the Job goes, and the request says why in the
            // kubelet's words.
            deleteJob(job.getName());
            job.setPhase(TaskPhase.Failed);
            job.setMessage("PodNotStarting: " + stuck.get());
          }
        }
        return Optional.empty();
      }
      Optional<RestoreReport> report =
          store(s3).getJson(agent.plan().reportKey(), RestoreReport.class);
      if (report.isPresent()
          && report.get().succeeded()
          && (outcome == null || outcome.succeeded())) {
        job.setPhase(TaskPhase.Succeeded);
      } else {
        job.setPhase(TaskPhase.Failed);
        job.setMessage(
            report
                .filter(r -> !r.succeeded())
                .map(r -> (r.reason() == null ? "" : r.reason() + ": ") + r.message())
                .orElse(
                    existing == null
                        ? "Job " + job.getName() + " is gone and left no report"
                        : "Job "
                            + job.getName()
                            + " failed: "
                            + JobPods.terminationMessage(client, ns, job.getName())
                                .orElse(
                                    outcome.message() == null
                                        ? outcome.reason()
                                        : outcome.message())));
      }
      return report;
    }

    private void createJob(AgentJob agent, S3Location s3) {
      RestorePlan plan = agent.plan();
      Job job =
          RestoreJobs.jobFor(
              request,
              plan,
              s3.agentSecretName(),
              s3.getCaBundle(),
              agent.secrets(),
              agent.cas(),
              agent.node(),
              settings.agentImage());
      try {
        client.batch().v1().jobs().inNamespace(ns).resource(job).create();
        LOG.info("restore {}/{}: created Job {}", ns, name, plan.jobName());
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        Job other = client.batch().v1().jobs().inNamespace(ns).withName(plan.jobName()).get();
        boolean ours =
            other != null
                && other.getMetadata().getOwnerReferences().stream()
                    .anyMatch(o -> Objects.equals(o.getUid(), request.getMetadata().getUid()));
        if (!ours) {
          throw new IllegalStateException(
              "a Job named "
                  + plan.jobName()
                  + " exists and does not belong to this"
                  + " request: delete it or rename the request");
        }
      }
    }

    private void deleteJob(String jobName) {
      client
          .batch()
          .v1()
          .jobs()
          .inNamespace(ns)
          .withName(jobName)
          .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
          .delete();
    }

    private Optional<RestoreJob> jobOf(String kind) {
      return status.getJobs().stream().filter(j -> kind.equals(j.getKind())).findFirst();
    }

    private RestoreJob job(String jobName, String kind, String target, String node) {
      return RestoreDecision.job(jobName, kind, target, node);
    }

    // ---------------------------------------------------------------- Workloads

    private Optional<QuiescedWorkload> quiesced(RestoreRequestSpec.WorkloadRef w) {
      return status.getQuiesced().stream()
          .filter(q -> q.getKind().equals(w.getKind().name()) && q.getName().equals(w.getName()))
          .findFirst();
    }

    // ---------------------------------------------------------------- Outcomes

    private Outcome problem(RestoreProblem p) {
      return decision.problem(request, status, p);
    }

    private Outcome refuse(String reason, String message) {
      return decision.refuse(request, status, reason, message);
    }

    private Outcome waitFor(String what, Exception e) {
      LOG.warn("restore {}/{}: {}", ns, name, e.toString());
      return decision.waitFor(status, what, e);
    }

    private Outcome end(RestorePhase phase, String reason, String message) {
      return decision.end(request, status, phase, reason, message);
    }

    private boolean cancelled() {
      return Boolean.TRUE.equals(request.getSpec().getCancel());
    }

    private ObjectStore store(S3Location s3) throws IOException {
      if (store == null) {
        store = new StoreBuckets(client).connect(ns, s3);
      }
      return store;
    }

    private RestoreJobPlan plan() {
      return new RestoreJobPlan(request, status);
    }

    private void tell(String reason, String message) {
      notices.add(new Outcome.Notice(false, reason, message));
    }

    private void warn(String reason, String message) {
      notices.add(new Outcome.Notice(true, reason, message));
    }

    void closeStore() {
      if (store != null) {
        try {
          store.close();
        } catch (Exception e) {
          LOG.debug("closing store client", e);
        }
        store = null;
      }
    }

    private Duration age(String since) {
      return since == null
          ? Duration.ZERO
          : Duration.between(Instant.parse(since), settings.clock().instant());
    }

    private Long generation() {
      return request.getMetadata().getGeneration();
    }

    private String now() {
      return settings.clock().instant().toString();
    }
  }
}
