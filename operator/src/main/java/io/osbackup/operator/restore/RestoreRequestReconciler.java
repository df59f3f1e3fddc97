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
import io.osbackup.api.v1alpha1.KeyRef;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreItem;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.catalog.BackupFinder;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
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
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
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

  public RestoreRequestReconciler(OperatorSettings settings) {
    this(settings, OsbackupMetrics.inMemory());
  }

  public RestoreRequestReconciler(OperatorSettings settings, OsbackupMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
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
    Step step = new Step(request, status, context);
    UpdateControl<RestoreRequest> control;
    try {
      control = step.next();
    } finally {
      step.closeStore();
    }
    return StatusWriter.write(control, request, context);
  }

  @Override
  public ErrorStatusUpdateControl<RestoreRequest> updateErrorStatus(
      RestoreRequest request, Context<RestoreRequest> context, Exception e) {
    return new Failures(
            settings.timings(), new EventRecorder(context.getClient(), settings.clock()))
        .failed(request, context, e);
  }

  /**
   * The source of a restore: the store, its bucket location, the backup, and the database
   * credentials it knows.
   */
  private record Source(
      String storeName,
      S3Location s3,
      Catalog.Backup backup,
      Map<String, String> credentials,
      Map<String, DatabaseTls> tls) {}

  /**
   * Why a source or selection cannot be used; retryable ones wait (store not applied yet, bucket
   * down).
   */
  private static final class Problem extends Exception {
    final String reason;
    final boolean retryable;

    Problem(String reason, String message, boolean retryable) {
      super(message);
      this.reason = reason;
      this.retryable = retryable;
    }
  }

  /** One reconciliation of one request. */
  private final class Step {
    private final RestoreRequest request;
    private final RestoreRequestStatus status;
    private final Context<RestoreRequest> context;
    private final KubernetesClient client;
    private final EventRecorder events;
    private final String ns;
    private final String name;
    private final Quiesce.Workloads workloads;
    private ObjectStore store;

    Step(RestoreRequest request, RestoreRequestStatus status, Context<RestoreRequest> context) {
      this.request = request;
      this.status = status;
      this.context = context;
      this.client = context.getClient();
      this.events = new EventRecorder(client, settings.clock());
      this.ns = request.getMetadata().getNamespace();
      this.name = request.getMetadata().getName();
      this.workloads = new Quiesce.Workloads(client, ns);
    }

    UpdateControl<RestoreRequest> next() {
      RestorePhase phase = status.getPhase();
      Long generation = request.getMetadata().getGeneration();
      if (phase != null && phase.isFinal()) {
        boolean edited =
            generation != null
                && status.getObservedGeneration() != null
                && generation > status.getObservedGeneration();
        if (!edited) {
          return UpdateControl.noUpdate();
        }
        if (status.getStartedGeneration() == null) {
          // Nothing was written (it failed validation, was a dry run, or was cancelled before any
          // write): the edited
          // spec is a new attempt.
          events.normal(
              request,
              "SpecChanged",
              "spec changed (generation " + generation + "): validating again");
          status.getJobs().stream()
              .filter(j -> !"quiesce".equals(j.getKind()))
              .forEach(j -> deleteJob(j.getName()));
          RestoreRequestStatus fresh = new RestoreRequestStatus();
          fresh.setAttempt((status.getAttempt() == null ? 1 : status.getAttempt()) + 1);
          request.setStatus(fresh);
          return new Step(request, fresh, context).begin();
        }
        status.setObservedGeneration(generation);
        Conditions.set(
            status,
            "SpecIgnored",
            true,
            "RunsOnce",
            "spec changed (generation "
                + generation
                + ") after"
                + " this restore started at generation "
                + status.getStartedGeneration()
                + "; a RestoreRequest runs once:"
                + " create a new RestoreRequest to restore again",
            generation,
            settings.clock());
        return UpdateControl.patchStatus(request);
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
        default -> UpdateControl.noUpdate();
      };
    }

    UpdateControl<RestoreRequest> begin() {
      status.setPhase(RestorePhase.Validating);
      status.setObservedGeneration(request.getMetadata().getGeneration());
      status.setStartTime(now());
      status.setStamp(STAMP.format(settings.clock().instant()));
      status.setMessage("validating the source and the selection");
      Conditions.set(
          status,
          RestoreRequestStatus.COMPLETE,
          false,
          "Validating",
          status.getMessage(),
          generation(),
          settings.clock());
      return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().nextStep());
    }

    // ---------------------------------------------------------------- Validating

    UpdateControl<RestoreRequest> validate() {
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
          throw new Problem(selection.problem().reason(), selection.problem().message(), false);
        }
        signingKeysStayWithTheOperator(source, selection);
        checkCluster(selection);
        checkArtifacts(source, selection);
      } catch (Problem p) {
        return problem(p);
      }
      String id = source.backup().backupId();
      List<String> inPlace = selection.inPlace();
      boolean dryRun = Boolean.TRUE.equals(spec.getDryRun());
      if (!inPlace.isEmpty() && !dryRun && !id.equals(spec.getConfirm())) {
        return refuse(
            spec.getConfirm() == null ? "ConfirmRequired" : "ConfirmMismatch",
            "this restore writes in place ("
                + String.join(", ", inPlace)
                + "): set spec.confirm: "
                + id
                + " to allow"
                + " it"
                + (spec.getConfirm() == null
                    ? ""
                    : " (spec.confirm is '" + spec.getConfirm() + "')")
                + "; the previous contents are kept aside ("
                + keptAsideExample(selection)
                + ")");
      }
      status.setPlan(planItems(selection));
      status.setBytes(
          status.getPlan().stream().mapToLong(i -> i.getSize() == null ? 0 : i.getSize()).sum());
      status.setJobs(
          new ArrayList<>(List.of(job(RestoreJobs.verifyName(jobPrefix()), VERIFY, null, null))));
      status.setPhase(RestorePhase.Verifying);
      status.setMessage(
          "verifying "
              + status.getPlan().size()
              + " artifacts ("
              + status.getBytes()
              + " bytes) of "
              + id
              + " before anything is written");
      Conditions.set(
          status,
          RestoreRequestStatus.COMPLETE,
          false,
          "Verifying",
          status.getMessage(),
          generation(),
          settings.clock());
      events.normal(
          request,
          "Validated",
          "backup "
              + id
              + ": "
              + status.getPlan().size()
              + " artifacts selected"
              + (dryRun ? " (dry run)" : ""));
      return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().nextStep());
    }

    private String keptAsideExample(RestoreSelection.Result selection) {
      List<String> out = new ArrayList<>();
      selection.databases().stream()
          .filter(RestoreSelection.DatabaseChoice::inPlace)
          .findFirst()
          .ifPresent(d -> out.add(keepSchema(d.destination())));
      selection.files().stream()
          .filter(RestoreSelection.FilesChoice::inPlace)
          .findFirst()
          .ifPresent(f -> out.add(f.paths().get(0) + ".orig-" + status.getStamp()));
      return String.join(", ", out);
    }

    private String keepSchema(String database) {
      return database + "_orig_" + status.getStamp().replace('-', '_');
    }

    private Source source(RestoreRequestSpec.RestoreSource source) throws Problem {
      String storeName;
      String policy = source.getPolicyRef() == null ? null : source.getPolicyRef().getName();
      String manifestKey = null;
      if (source.getBackupRunRef() != null) {
        String runName = source.getBackupRunRef().getName();
        BackupRun run = client.resources(BackupRun.class).inNamespace(ns).withName(runName).get();
        if (run == null) {
          throw new Problem(
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
          throw new Problem(
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
          throw new Problem(
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
        throw new Problem(
            "StoreNotFound",
            "cannot tell which BackupStore holds the backup: set source.storeRef",
            false);
      }
      BackupStore bs =
          client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get();
      if (bs == null) {
        throw new Problem(
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
            throw new Problem(
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
            throw new Problem("ManifestInvalid", "manifest " + key + " " + parsed.problem(), false);
          }
          backup = parsed.backup();
        } else if (source.getBackupId() != null) {
          backup = finder.byId(policy, source.getBackupId());
        } else {
          Instant asOf;
          try {
            asOf = BackupFinder.parseAsOf(source.getAsOf(), settings.clock().instant());
          } catch (IllegalArgumentException e) {
            throw new Problem("InvalidAsOf", e.getMessage(), false);
          }
          backup = finder.asOf(policy, asOf);
        }
      } catch (StoreBuckets.CredentialsProblem e) {
        throw new Problem(e.reason(), "BackupStore '" + storeName + "': " + e.getMessage(), true);
      } catch (ManifestKeys.Problem e) {
        throw new Problem(e.reason(), "BackupStore '" + storeName + "': " + e.getMessage(), true);
      } catch (BackupFinder.NotFound e) {
        throw new Problem(e.reason(), e.getMessage(), false);
      } catch (IOException e) {
        throw new Problem(
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
    private void agentSecret(BackupStore store) throws Problem {
      var ref = store.getSpec().getS3().getAgentCredentialsSecret();
      if (ref == null) {
        return;
      }
      String field =
          "BackupStore '" + store.getMetadata().getName() + "' spec.s3.agentCredentialsSecret";
      Secret secret = client.secrets().inNamespace(ns).withName(ref.getName()).get();
      if (secret == null) {
        throw new Problem(
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
          throw new Problem(
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
    private void trusted(BackupStore store, Catalog.Backup backup, boolean tell) throws Problem {
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
        throw new Problem(check.reason(), message, false);
      }
      if (tell) {
        events.warning(
            request,
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
        throws Problem {
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
        throw new Problem("SigningKeyExposed", exposed.get(), false);
      }
    }

    /** Nodes, Secrets and workloads the restore needs must exist before anything is downloaded. */
    private void checkCluster(RestoreSelection.Result selection) throws Problem {
      for (RestoreSelection.FilesChoice f : selection.files()) {
        Node node = client.nodes().withName(f.node()).get();
        if (node == null) {
          throw new Problem(
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
          throw new Problem(
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
            throw new Problem(
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
    private void checkQuiesce() throws Problem {
      List<RestoreRequestSpec.WorkloadRef> quiesce = request.getSpec().getQuiesce();
      for (int i = 0; i < quiesce.size(); i++) {
        RestoreRequestSpec.WorkloadRef w = quiesce.get(i);
        Optional<HasMetadata> workload = workloads.get(w.getKind().name(), w.getName());
        if (workload.isEmpty()) {
          throw new Problem(
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
          throw new Problem(
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

    private void checkArtifacts(Source source, RestoreSelection.Result selection) throws Problem {
      List<Manifest.Entry> entries = new ArrayList<>();
      selection.databases().forEach(d -> entries.add(d.entry()));
      selection.files().forEach(f -> entries.add(f.entry()));
      selection.accounts().forEach(a -> entries.add(a.entry()));
      try {
        for (Manifest.Entry e : entries) {
          Optional<ObjectInfo> info = store(source.s3()).stat(e.key());
          if (info.isEmpty()) {
            throw new Problem(
                "ArtifactMissing",
                "artifact "
                    + e.key()
                    + " of backup "
                    + source.backup().backupId()
                    + " is not in the bucket: the backup is damaged; restore from another backup",
                false);
          }
          if (info.get().size() != e.size()) {
            throw new Problem(
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
        throw new Problem(e.reason(), e.getMessage(), true);
      } catch (IOException e) {
        throw new Problem("StoreUnavailable", "cannot read the bucket: " + e.getMessage(), true);
      }
    }

    private List<RestoreItem> planItems(RestoreSelection.Result selection) {
      List<RestoreItem> items = new ArrayList<>();
      for (RestoreSelection.DatabaseChoice d : selection.databases()) {
        RestoreItem item = new RestoreItem();
        item.setKind(DATABASE);
        item.setTarget(d.entry().target());
        item.setDatabase(d.entry().database());
        item.setKey(d.entry().key());
        item.setSize(d.entry().size());
        item.setDestination(d.where());
        item.setInPlace(d.inPlace());
        item.setState("Pending");
        items.add(item);
      }
      for (RestoreSelection.AccountsChoice a : selection.accounts()) {
        RestoreItem item = new RestoreItem();
        item.setKind(ACCOUNTS);
        item.setTarget(a.entry().target());
        item.setKey(a.entry().key());
        item.setSize(a.entry().size());
        item.setDestination(a.where());
        item.setInPlace(false);
        item.setState("Pending");
        items.add(item);
      }
      for (RestoreSelection.FilesChoice f : selection.files()) {
        RestoreItem item = new RestoreItem();
        item.setKind(FILES);
        item.setTarget(f.entry().target());
        item.setNode(f.entry().node());
        item.setKey(f.entry().key());
        item.setSize(f.entry().size());
        item.setDestination(f.where());
        item.setInPlace(f.inPlace());
        item.setState("Pending");
        items.add(item);
      }
      return items;
    }

    // ---------------------------------------------------------------- Verifying

    UpdateControl<RestoreRequest> verify() {
      RestoreJob verifyJob = jobOf(VERIFY).orElseThrow();
      if (cancelled()) {
        deleteJob(verifyJob.getName());
        return end(
            RestorePhase.Cancelled, "Cancelled", "cancelled while verifying; nothing was written");
      }
      Selected selected;
      try {
        selected = selected();
      } catch (Problem p) {
        return problem(p);
      }
      try {
        Optional<RestoreReport> report =
            follow(
                verifyJob,
                agentJob(
                    selected,
                    RestorePlan.VERIFY,
                    verifyJob.getName(),
                    selected.selection().databases(),
                    selected.selection().files(),
                    null),
                selected.source().s3());
        if (verifyJob.getPhase() == TaskPhase.Running
            || verifyJob.getPhase() == TaskPhase.Pending) {
          status.setProgress("verifying " + status.getPlan().size() + " artifacts");
          return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().poll());
        }
        if (verifyJob.getPhase() == TaskPhase.Failed || report.isEmpty()) {
          String reason =
              report.map(RestoreReport::reason).filter(Objects::nonNull).orElse("VerifyFailed");
          return end(
              RestorePhase.Failed,
              reason,
              "verification failed, nothing was written: " + verifyJob.getMessage());
        }
        for (RestoreItem item : status.getPlan()) {
          item.setState("Verified");
        }
        List<String> existing = existingDestinations(report.get());
        String id = status.getBackupId();
        boolean dryRun = Boolean.TRUE.equals(request.getSpec().getDryRun());
        if (!existing.isEmpty() && !dryRun && !id.equals(request.getSpec().getConfirm())) {
          return refuse(
              request.getSpec().getConfirm() == null ? "ConfirmRequired" : "ConfirmMismatch",
              "the destination "
                  + String.join(", ", existing)
                  + " already exists: set spec.confirm: "
                  + id
                  + " to replace it (the previous contents are kept aside)");
        }
        if (dryRun) {
          List<String> workloads =
              request.getSpec().getQuiesce().stream()
                  .map(w -> w.getKind() + "/" + w.getName())
                  .toList();
          String message =
              "dry run: "
                  + status.getPlan().size()
                  + " artifacts ("
                  + status.getBytes()
                  + " bytes) verified; would restore to "
                  + status.getPlan().stream()
                      .map(RestoreItem::getDestination)
                      .collect(Collectors.joining(", "))
                  + (workloads.isEmpty() ? "" : "; would quiesce " + workloads)
                  + (status.getPlan().stream().anyMatch(i -> Boolean.TRUE.equals(i.getInPlace()))
                      ? "; writes in place, so a real run needs spec.confirm: " + id
                      : "")
                  + "; nothing was changed";
          return end(RestorePhase.Succeeded, "DryRun", message);
        }
        status.setStartedGeneration(generation());
        status.setPhase(RestorePhase.Quiescing);
        status.setPhaseTime(now());
        status.setMessage(
            "verified "
                + status.getPlan().size()
                + " artifacts; quiescing "
                + request.getSpec().getQuiesce().size()
                + " workloads");
        events.normal(request, "Verified", status.getMessage());
        return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().nextStep());
      } catch (IOException | KubernetesClientException e) {
        return waitFor("the store or the API", e);
      }
    }

    private List<String> existingDestinations(RestoreReport report) {
      List<String> out = new ArrayList<>();
      for (RestoreItem item : status.getPlan()) {
        if (!DATABASE.equals(item.getKind()) || Boolean.TRUE.equals(item.getInPlace())) {
          continue;
        }
        for (RestoreReport.Server server : report.servers()) {
          String prefix = server.host() + ":" + server.port() + "/";
          if (item.getDestination().startsWith(prefix)
              && server.databases().contains(item.getDestination().substring(prefix.length()))) {
            item.setInPlace(true);
            out.add("database " + item.getDestination());
          }
        }
      }
      return out;
    }

    // ---------------------------------------------------------------- Quiescing

    UpdateControl<RestoreRequest> quiesce() {
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
          status.setMessage(
              "recorded the replica counts of " + status.getQuiesced().size() + " workloads");
          return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().nextStep());
        }
        // One scaled up again after it was scaled to zero cannot be held: nothing is restored.
        List<String> cameBack = holdQuiesced(q -> q.getQuiescedAt() != null, "quiescing");
        if (!cameBack.isEmpty()) {
          return toFailedBeforeRestore(
              "QuiesceBroken",
              "quiesced workloads came back before the restore started: "
                  + String.join(", ", cameBack)
                  + "; pause what scales them and create the request again");
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
          Duration waited = age(status.getPhaseTime());
          if (waited.compareTo(settings.timings().quiesce()) > 0) {
            return toFailedBeforeRestore(
                "QuiesceTimeout", "still running after being scaled to zero: " + running);
          }
          status.setMessage("waiting for quiesced workloads to stop: " + running);
          return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().settle());
        }
        Selected selected = selected();
        status
            .getJobs()
            .addAll(restoreJobs(selected).values().stream().map(PlannedJob::status).toList());
        status.setPhase(RestorePhase.Restoring);
        status.setMessage(
            "restoring "
                + status.getPlan().size()
                + " artifacts with "
                + (status.getJobs().size() - 1)
                + " Jobs");
        Conditions.set(
            status,
            RestoreRequestStatus.COMPLETE,
            false,
            "Restoring",
            status.getMessage(),
            generation(),
            settings.clock());
        if (!status.getQuiesced().isEmpty()) {
          events.normal(
              request,
              "Quiesced",
              "scaled to zero: "
                  + status.getQuiesced().stream()
                      .map(q -> q.getKind() + "/" + q.getName() + " (was " + q.getReplicas() + ")")
                      .collect(Collectors.joining(", ")));
        }
        return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().nextStep());
      } catch (Problem p) {
        return p.retryable
            ? waitFor("the store", p)
            : toFailedBeforeRestore(p.reason, p.getMessage());
      } catch (KubernetesClientException e) {
        return waitFor("the API", e);
      }
    }

    /**
     * Nothing was restored: workloads go back at once, whatever onFailure says, and the request
     * fails.
     */
    private UpdateControl<RestoreRequest> toFailedBeforeRestore(String reason, String message) {
      events.warning(request, reason, message);
      RestoreJob marker = job("quiesce", "quiesce", null, null);
      marker.setPhase(TaskPhase.Failed);
      marker.setMessage(reason + ": " + message);
      status.getJobs().add(marker);
      return toResuming(message + "; nothing was restored, resuming the workloads");
    }

    private UpdateControl<RestoreRequest> toResuming(String message) {
      status.setPhase(RestorePhase.Resuming);
      status.setMessage(message);
      return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().nextStep());
    }

    // ---------------------------------------------------------------- Restoring

    UpdateControl<RestoreRequest> restore() {
      Selected selected;
      try {
        selected = selected();
      } catch (Problem p) {
        if (p.retryable) {
          return waitFor("the store", p);
        }
        return toFailedBeforeRestore(p.reason, p.getMessage());
      }
      Map<String, PlannedJob> planned = restoreJobs(selected);
      try {
        boolean started =
            status.getJobs().stream()
                .anyMatch(
                    j -> planned.containsKey(j.getName()) && j.getPhase() != TaskPhase.Pending);
        List<String> cameBack = holdQuiesced(q -> true, "restoring");
        if (!cameBack.isEmpty() && !started) {
          return toFailedBeforeRestore(
              "QuiesceBroken",
              "quiesced workloads came back before the restore started: "
                  + String.join(", ", cameBack)
                  + "; pause what scales them and create the request again");
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
          report.ifPresent(this::record);
        }
      } catch (IOException | KubernetesClientException e) {
        return waitFor("the store or the API", e);
      }
      List<RestoreJob> restoreJobs =
          status.getJobs().stream().filter(j -> planned.containsKey(j.getName())).toList();
      long done = restoreJobs.stream().filter(j -> j.getPhase().isFinal()).count();
      long restored =
          status.getPlan().stream().filter(i -> "Restored".equals(i.getState())).count();
      status.setProgress(
          restored
              + "/"
              + status.getPlan().size()
              + " artifacts restored, "
              + done
              + "/"
              + restoreJobs.size()
              + " Jobs done");
      if (done < restoreJobs.size()) {
        status.setMessage("restoring: " + status.getProgress());
        return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().poll());
      }
      List<String> failures =
          restoreJobs.stream()
              .filter(j -> j.getPhase() == TaskPhase.Failed)
              .map(j -> j.getName() + ": " + j.getMessage())
              .toList();
      Optional<String> broken = quiesceBroken();
      if (failures.isEmpty() && broken.isEmpty()) {
        events.normal(request, "Restored", status.getProgress());
        return toResuming("restored " + status.getPlan().size() + " artifacts; resuming workloads");
      }
      String reason = failures.isEmpty() ? "QuiesceBroken" : failureReason(restoreJobs);
      String failure =
          failures.isEmpty()
              ? status.getProgress() + ", but " + broken.get()
              : "restore failed: "
                  + String.join("; ", failures)
                  + broken.map(b -> "; " + b).orElse("");
      events.warning(request, reason, failure);
      boolean resume =
          request.getSpec().getOnFailure() == RestoreRequestSpec.OnRestoreFailure.Resume;
      if (resume || status.getQuiesced().isEmpty()) {
        return toResuming(failure + "; resuming workloads (spec.onFailure: Resume)");
      }
      String how =
          status.getQuiesced().stream()
              .map(
                  q ->
                      "kubectl -n "
                          + ns
                          + " scale "
                          + q.getKind().toLowerCase()
                          + "/"
                          + q.getName()
                          + " --replicas="
                          + q.getReplicas())
              .collect(Collectors.joining("; "));
      return end(
          RestorePhase.Failed,
          reason,
          failure
              + ". Workloads stay scaled to zero"
              + " (spec.onFailure: KeepQuiesced): check the data, then resume them with: "
              + how);
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
        events.warning(
            request,
            "QuiesceBroken",
            what + " came back while " + during + ": scaled to zero again");
        cameBack.add(what);
      }
      return cameBack;
    }

    /** What came back while restoring, when anything did. */
    private Optional<String> quiesceBroken() {
      List<String> broken =
          status.getQuiesced().stream()
              .filter(q -> q.getBroken() != null)
              .map(QuiescedWorkload::getBroken)
              .toList();
      return broken.isEmpty()
          ? Optional.empty()
          : Optional.of(
              "quiesced workloads came back while restoring ("
                  + String.join("; ", broken)
                  + "): they were scaled to zero again, but may have used the data while it was"
                  + " switched; check it (the previous contents are kept aside)");
    }

    /**
     * ArchiveRefused when an agent refused an archive (its report's reason leads the Job's
     * message), else RestoreFailed.
     */
    static String failureReason(List<RestoreJob> jobs) {
      return jobs.stream()
              .anyMatch(
                  j ->
                      j.getPhase() == TaskPhase.Failed
                          && j.getMessage() != null
                          && j.getMessage().startsWith("ArchiveRefused: "))
          ? "ArchiveRefused"
          : "RestoreFailed";
    }

    private void record(RestoreReport report) {
      for (RestoreReport.Item result : report.items()) {
        if ("Restored".equals(result.state()) && result.message() != null) {
          // The agent found a database switch an earlier attempt left half done, and finished or
          // rolled it back.
          events.warning(request, "SwapRecovered", result.destination() + ": " + result.message());
        }
        for (RestoreItem item : status.getPlan()) {
          if (Objects.equals(item.getKey(), result.key())
              && (result.destination() == null
                  || Objects.equals(item.getDestination(), result.destination()))) {
            if (ACCOUNTS.equals(item.getKind())
                && "Restored".equals(result.state())
                && result.message() != null
                && !Objects.equals(item.getMessage(), result.message())) {
              boolean kept = result.message().contains("left unchanged");
              if (kept) {
                events.warning(
                    request,
                    "AccountsKept",
                    item.getTarget() + " on " + item.getDestination() + ": " + result.message());
              } else {
                events.normal(
                    request,
                    "AccountsRestored",
                    item.getTarget() + " on " + item.getDestination() + ": " + result.message());
              }
            }
            item.setState(result.state());
            item.setPreviousKeptAt(result.keptAt());
            item.setMessage(result.message());
          }
        }
      }
    }

    // ---------------------------------------------------------------- Resuming

    UpdateControl<RestoreRequest> resume() {
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
      String resumed =
          status.getQuiesced().isEmpty()
              ? ""
              : "; workloads scaled back: "
                  + status.getQuiesced().stream()
                      .map(q -> q.getKind() + "/" + q.getName() + "=" + q.getReplicas())
                      .collect(Collectors.joining(", "));
      Optional<RestoreJob> failed =
          status.getJobs().stream().filter(j -> j.getPhase() == TaskPhase.Failed).findFirst();
      if (failed.isPresent()) {
        // A request stopped before restoring (QuiesceTimeout, QuiesceBroken, ...) ends with its own
        // reason.
        String message = failed.get().getMessage();
        boolean beforeRestore = "quiesce".equals(failed.get().getKind());
        String reason =
            beforeRestore && message != null && message.indexOf(':') > 0
                ? message.substring(0, message.indexOf(':'))
                : failureReason(List.of(failed.get()));
        boolean noJobRan =
            status.getJobs().stream()
                .noneMatch(
                    j ->
                        (DATABASE.equals(j.getKind()) || FILES.equals(j.getKind()))
                            && j.getPhase() != TaskPhase.Pending);
        return end(
            RestorePhase.Failed,
            reason,
            message + (beforeRestore && noJobRan ? "; nothing was restored" : "") + resumed);
      }
      Optional<String> broken = quiesceBroken();
      if (broken.isPresent()) {
        return end(
            RestorePhase.Failed,
            "QuiesceBroken",
            "restored "
                + status.getPlan().size()
                + " artifacts of "
                + status.getBackupId()
                + ", but "
                + broken.get()
                + resumed);
      }
      if (cancelled()
          && status.getPlan().stream().noneMatch(i -> "Restored".equals(i.getState()))) {
        return end(RestorePhase.Cancelled, "Cancelled", "cancelled before restoring" + resumed);
      }
      String kept =
          status.getPlan().stream()
              .filter(i -> i.getPreviousKeptAt() != null)
              .map(i -> i.getDestination() + " → " + i.getPreviousKeptAt())
              .collect(Collectors.joining(", "));
      return end(
          RestorePhase.Succeeded,
          "Succeeded",
          "restored "
              + status.getPlan().size()
              + " artifacts of "
              + status.getBackupId()
              + (kept.isEmpty() ? "" : "; previous contents kept: " + kept)
              + resumed);
    }

    // ---------------------------------------------------------------- Jobs

    /** A Job of the restore with the plan its agent runs. */
    private record PlannedJob(RestoreJob status, AgentJob agent) {}

    /**
     * What a Job's agent runs, the database Secrets it mounts (in the plan's order) and the node it
     * writes on.
     */
    private record AgentJob(
        RestorePlan plan, List<String> secrets, List<KeyRef> cas, String node) {}

    /**
     * The selection re-read from the bucket's manifest (the source of truth; status holds only what
     * users read).
     */
    private record Selected(Source source, RestoreSelection.Result selection) {}

    /**
     * The selection, from the backup chosen at validation (status.store and status.manifestKey): an
     * asOf age moves with time, and a run or policy may be deleted meanwhile, but the backup
     * restored stays the one verified.
     */
    private Selected selected() throws Problem {
      BackupStore bs =
          client.resources(BackupStore.class).inNamespace(ns).withName(status.getStore()).get();
      if (bs == null) {
        throw new Problem(
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
        throw new Problem(selection.problem().reason(), selection.problem().message(), false);
      }
      return new Selected(
          new Source(status.getStore(), s3, backup, credentials, tls(backup.policy())), selection);
    }

    /**
     * The pinned manifest, read again with its signature checked: it is verified before every
     * step's Jobs.
     */
    private Catalog.Backup readManifest(BackupStore bs) throws Problem {
      S3Location s3 = bs.getSpec().getS3();
      Catalog.Backup backup;
      try {
        String key = status.getManifestKey();
        SigningKeys keys = new ManifestKeys(client, settings.clock()).forVerifying(ns, bs);
        Optional<Catalog.Parsed> read =
            Catalog.readManifest(Catalog.of(store(s3)), key, s3.getPrefix(), ns, keys);
        if (read.isEmpty()) {
          throw new Problem(
              "BackupNotFound",
              "manifest " + key + " vanished from the bucket during the restore",
              false);
        }
        Catalog.Parsed parsed = read.get();
        if (parsed.backup() == null) {
          throw new Problem("ManifestInvalid", "manifest " + key + " " + parsed.problem(), false);
        }
        backup = parsed.backup();
      } catch (StoreBuckets.CredentialsProblem e) {
        throw new Problem(e.reason(), e.getMessage(), true);
      } catch (ManifestKeys.Problem e) {
        throw new Problem(
            e.reason(), "BackupStore '" + status.getStore() + "': " + e.getMessage(), true);
      } catch (IOException e) {
        throw new Problem("StoreUnavailable", "cannot read the bucket: " + e.getMessage(), true);
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

    private Map<String, PlannedJob> restoreJobs(Selected selected) {
      Map<String, PlannedJob> out = new LinkedHashMap<>();
      Map<String, List<RestoreSelection.DatabaseChoice>> byTarget = new LinkedHashMap<>();
      selected
          .selection()
          .databases()
          .forEach(
              d -> byTarget.computeIfAbsent(d.entry().target(), k -> new ArrayList<>()).add(d));
      for (Map.Entry<String, List<RestoreSelection.DatabaseChoice>> e : byTarget.entrySet()) {
        String jobName = RestoreJobs.databaseName(jobPrefix(), e.getKey());
        out.put(
            jobName,
            new PlannedJob(
                job(jobName, DATABASE, e.getKey(), null),
                agentJob(selected, RestorePlan.RESTORE, jobName, e.getValue(), List.of(), null)));
      }
      for (RestoreSelection.FilesChoice f : selected.selection().files()) {
        String jobName = RestoreJobs.filesName(jobPrefix(), f.entry().target(), f.entry().node());
        for (int n = 2; out.containsKey(jobName); n++) {
          jobName =
              RestoreJobs.filesName(jobPrefix(), f.entry().target(), f.entry().node() + "-" + n);
        }
        out.put(
            jobName,
            new PlannedJob(
                job(jobName, FILES, f.entry().target(), f.node()),
                agentJob(selected, RestorePlan.RESTORE, jobName, List.of(), List.of(f), f.node())));
      }
      return out;
    }

    private AgentJob agentJob(
        Selected selected,
        String mode,
        String jobName,
        List<RestoreSelection.DatabaseChoice> databases,
        List<RestoreSelection.FilesChoice> files,
        String node) {
      S3Location s3 = selected.source().s3();
      BackupPlan.Store store = BackupJobs.store(s3);
      List<String> secrets = secretsOf(databases);
      // A restore into the backed-up server (in place or renamed) connects with its target's TLS,
      // from the source
      // run's plan or the policy; one into another server (spec.databases.into) with the driver's
      // default.
      boolean intoOther =
          request.getSpec().getDatabases() != null
              && request.getSpec().getDatabases().getInto() != null;
      Map<String, DatabaseTls> tlsByTarget = intoOther ? Map.of() : selected.source().tls();
      List<KeyRef> cas =
          databases.stream()
              .map(d -> tlsByTarget.get(d.entry().target()))
              .filter(t -> t != null && t.getCaSecret() != null)
              .map(DatabaseTls::getCaSecret)
              .distinct()
              .toList();
      List<RestorePlan.DatabaseItem> dbItems =
          databases.stream()
              .map(
                  d -> {
                    DatabaseTls tls = tlsByTarget.get(d.entry().target());
                    BackupPlan.DatabaseTls agentTls =
                        tls == null
                            ? null
                            : new BackupPlan.DatabaseTls(
                                tls.getMode(),
                                tls.getCaSecret() == null
                                    ? null
                                    : RestoreJobs.databaseCaDir(cas.indexOf(tls.getCaSecret()))
                                        + "/"
                                        + BackupPlan.CA_FILE);
                    return new RestorePlan.DatabaseItem(
                        artifact(d.entry()),
                        d.entry().target(),
                        d.entry().database(),
                        d.destination(),
                        d.server().host(),
                        d.server().port(),
                        RestorePlan.DATABASE_CREDENTIALS_ROOT
                            + "/"
                            + secrets.indexOf(d.server().credentialsSecret()),
                        agentTls);
                  })
              .toList();
      List<RestorePlan.FilesItem> fileItems =
          files.stream()
              .map(
                  f ->
                      new RestorePlan.FilesItem(
                          artifact(f.entry()),
                          f.entry().target(),
                          f.entry().node(),
                          f.paths(),
                          f.toPath(),
                          BackupPlan.HOST_ROOT,
                          restoreSetuid() ? Boolean.TRUE : null))
              .toList();
      Set<String> targets =
          databases.stream().map(d -> d.entry().target()).collect(Collectors.toSet());
      List<RestorePlan.AccountsItem> accountItems =
          selected.selection().accounts().stream()
              .filter(a -> targets.contains(a.entry().target()))
              .map(
                  a -> {
                    DatabaseTls tls = tlsByTarget.get(a.entry().target());
                    BackupPlan.DatabaseTls agentTls =
                        tls == null
                            ? null
                            : new BackupPlan.DatabaseTls(
                                tls.getMode(),
                                tls.getCaSecret() == null
                                    ? null
                                    : RestoreJobs.databaseCaDir(cas.indexOf(tls.getCaSecret()))
                                        + "/"
                                        + BackupPlan.CA_FILE);
                    return new RestorePlan.AccountsItem(
                        artifact(a.entry()),
                        a.entry().target(),
                        a.server().host(),
                        a.server().port(),
                        RestorePlan.DATABASE_CREDENTIALS_ROOT
                            + "/"
                            + secrets.indexOf(a.server().credentialsSecret()),
                        agentTls,
                        a.replace());
                  })
              .toList();
      RestorePlan plan =
          new RestorePlan(
              jobName,
              name,
              status.getBackupId(),
              reportKey(s3, jobName),
              store,
              mode,
              status.getStamp(),
              dbItems,
              fileItems,
              accountItems);
      return new AgentJob(plan, secrets, cas, node);
    }

    /** spec.files.restoreSetuid: whether root-owned files keep their setuid/setgid bits. */
    private boolean restoreSetuid() {
      RestoreRequestSpec.FilesRestore files = request.getSpec().getFiles();
      return files != null && Boolean.TRUE.equals(files.getRestoreSetuid());
    }

    private List<String> secretsOf(List<RestoreSelection.DatabaseChoice> databases) {
      return databases.stream().map(d -> d.server().credentialsSecret()).distinct().toList();
    }

    private RestorePlan.Artifact artifact(Manifest.Entry e) {
      return new RestorePlan.Artifact(e.key(), e.size(), e.sha256(), e.compression());
    }

    /**
     * {@code <prefix>/<namespace>/.restores/<request>-<uid>/<job>.json}: no policy folder can be
     * named so.
     */
    private String reportKey(S3Location s3, String jobName) {
      String uid = request.getMetadata().getUid() == null ? "" : request.getMetadata().getUid();
      String folder =
          BackupLayout.policyFolder(s3.getPrefix(), ns, ".restores")
              + "/"
              + jobPrefix()
              + "-"
              + uid.substring(0, Math.min(8, uid.length()));
      return folder + "/" + jobName + ".json";
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

    /**
     * The request's name, with the attempt after the first: a request validated again after an
     * edited spec gets new Jobs and reports, never the ones of the attempt before.
     */
    private String jobPrefix() {
      int attempt = status.getAttempt() == null ? 1 : status.getAttempt();
      return attempt == 1 ? name : name + "-" + attempt;
    }

    private RestoreJob job(String jobName, String kind, String target, String node) {
      RestoreJob job = new RestoreJob();
      job.setName(jobName);
      job.setKind(kind);
      job.setTarget(target);
      job.setNode(node);
      job.setPhase(TaskPhase.Pending);
      return job;
    }

    // ---------------------------------------------------------------- Workloads

    private Optional<QuiescedWorkload> quiesced(RestoreRequestSpec.WorkloadRef w) {
      return status.getQuiesced().stream()
          .filter(q -> q.getKind().equals(w.getKind().name()) && q.getName().equals(w.getName()))
          .findFirst();
    }

    // ---------------------------------------------------------------- Outcomes

    private UpdateControl<RestoreRequest> problem(Problem p) {
      if (p.retryable
          && age(request.getMetadata().getCreationTimestamp())
                  .compareTo(settings.timings().pending())
              < 0) {
        if (!Objects.equals(status.getMessage(), p.getMessage())) {
          events.warning(request, p.reason, p.getMessage());
        }
        status.setMessage(p.getMessage());
        Conditions.set(
            status,
            RestoreRequestStatus.COMPLETE,
            false,
            p.reason,
            p.getMessage(),
            generation(),
            settings.clock());
        return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().recheck());
      }
      return refuse(p.reason, p.getMessage());
    }

    /**
     * Bad input found before anything was written: the request fails, and an edited spec is
     * validated again.
     */
    private UpdateControl<RestoreRequest> refuse(String reason, String message) {
      return end(RestorePhase.Failed, reason, message + " (nothing was changed)");
    }

    private UpdateControl<RestoreRequest> waitFor(String what, Exception e) {
      LOG.warn("restore {}/{}: {}", ns, name, e.toString());
      status.setMessage("waiting for " + what + ", will retry: " + e.getMessage());
      return UpdateControl.patchStatus(request).rescheduleAfter(settings.timings().recheck());
    }

    private UpdateControl<RestoreRequest> end(RestorePhase phase, String reason, String message) {
      status.setPhase(phase);
      status.setMessage(message);
      status.setCompletionTime(now());
      status.setObservedGeneration(generation());
      Conditions.set(
          status,
          RestoreRequestStatus.COMPLETE,
          phase == RestorePhase.Succeeded,
          reason,
          message,
          generation(),
          settings.clock());
      if (phase == RestorePhase.Failed) {
        events.warning(request, reason, message);
      } else {
        events.normal(request, reason, message);
      }
      LOG.info("restore {}/{} {}: {}", ns, name, phase, message);
      metrics.restoreEnded(ns, phase.name(), reason);
      return UpdateControl.patchStatus(request);
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
