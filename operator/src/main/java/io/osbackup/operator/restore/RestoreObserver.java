package io.osbackup.operator.restore;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.DatabaseTarget;
import io.osbackup.api.v1alpha1.DatabaseTls;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.QuiescedWorkload;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.catalog.Catalog;
import io.osbackup.contract.RestoreReport;
import io.osbackup.operator.reconcile.JobOutcome;
import io.osbackup.operator.reconcile.JobPods;
import io.osbackup.operator.reconcile.OpenedBucket;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.restore.RestoreJobPlan.AgentJob;
import io.osbackup.operator.restore.RestoreJobPlan.Selected;
import io.osbackup.operator.restore.RestoreJobPlan.Source;
import io.osbackup.restore.RestoreSelection;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every read of one reconciliation of a RestoreRequest: the source and its manifest, the cluster
 * and bucket checks of validation, the restore's Jobs with their pods and reports, the quiesced
 * workloads. What it sees comes back as immutable records; it writes nothing. Closing it closes the
 * bucket it opened.
 */
final class RestoreObserver implements AutoCloseable {

  /**
   * What validation found: the source (null when it could not be found), the selection made from
   * its manifest, the problem that stops the request (null when none) and the warnings to tell.
   */
  record Validation(
      Source source,
      RestoreSelection.Result selection,
      RestoreProblem problem,
      List<Outcome.Notice> told) {}

  /**
   * What was seen of one restore Job not ended in status: whether it exists, how it ended (null
   * when absent), why its pod does not start (looked at once it waited longer than the pod start
   * timeout), its agent's report and its pod's termination message (once it ended or is gone).
   */
  record JobSeen(
      boolean exists,
      JobOutcome outcome,
      Optional<String> notStarting,
      Optional<RestoreReport> report,
      Optional<String> terminationMessage) {
    static JobSeen absent() {
      return new JobSeen(false, null, Optional.empty(), Optional.empty(), Optional.empty());
    }
  }

  final KubernetesClient client;
  final String ns;
  final RestoreRequest request;
  final RestoreRequestStatus status;
  final OperatorSettings settings;
  final Quiesce.Workloads workloads;
  private final Context<RestoreRequest> context;
  private final RestoreBuckets buckets;
  private final PinnedBackup pinned;
  private final OpenedBucket store = new OpenedBucket();

  RestoreObserver(
      RestoreRequest request,
      Context<RestoreRequest> context,
      OperatorSettings settings,
      RestoreBuckets buckets,
      Map<String, Catalog.Backup> manifests) {
    this.request = request;
    this.status = request.getStatus();
    this.context = context;
    this.client = context.getClient();
    this.ns = request.getMetadata().getNamespace();
    this.settings = settings;
    this.buckets = buckets;
    this.workloads = new Quiesce.Workloads(client, ns);
    this.pinned = new PinnedBackup(this, manifests);
  }

  /**
   * Validation: finds the source, selects from its manifest and checks the cluster and the bucket.
   */
  Validation validation() {
    SourceFinder finder = new SourceFinder(this);
    Source source = null;
    try {
      source = finder.source(request.getSpec().getSource());
      RestoreSelection.Result selection =
          RestoreSelection.select(
              source.backup().manifest(), request.getSpec(), source.credentials());
      if (!selection.ok()) {
        throw new RestoreProblem(
            selection.problem().reason(), selection.problem().message(), false);
      }
      ClusterCheck check = new ClusterCheck(this);
      check.signingKeysStayWithTheOperator(source, selection);
      check.checkCluster(selection);
      check.checkArtifacts(source, selection);
      return new Validation(source, selection, null, List.copyOf(finder.told));
    } catch (RestoreProblem p) {
      return new Validation(source, null, p, List.copyOf(finder.told));
    }
  }

  /** The backup pinned at validation and the selection from it, read before each later step. */
  Selected pinned() throws RestoreProblem {
    return pinned.selected();
  }

  /**
   * Follows a restore Job not ended in status: the Job (from the informer, else the API), and once
   * it ended or is gone its report and its pod's termination message.
   */
  JobSeen job(RestoreJob job, AgentJob agent, S3Location s3) throws IOException {
    Job existing =
        context.getSecondaryResources(Job.class).stream()
            .filter(j -> j.getMetadata().getName().equals(job.getName()))
            .findFirst()
            .orElseGet(
                () -> client.batch().v1().jobs().inNamespace(ns).withName(job.getName()).get());
    if (existing == null && job.getPhase() == TaskPhase.Pending) {
      return JobSeen.absent();
    }
    JobOutcome outcome = existing == null ? null : JobOutcome.of(existing);
    if (outcome != null && !outcome.ended()) {
      Optional<String> stuck = Optional.empty();
      if (job.getStartTime() != null
          && settings.age(job.getStartTime()).compareTo(settings.timings().podStart()) > 0) {
        stuck = JobPods.notStarting(client, ns, job.getName(), settings.timings().podStart());
      }
      return new JobSeen(true, outcome, stuck, Optional.empty(), Optional.empty());
    }
    Optional<RestoreReport> report =
        store(s3).getJson(agent.plan().reportKey(), RestoreReport.class);
    boolean succeeded =
        report.isPresent() && report.get().succeeded() && (outcome == null || outcome.succeeded());
    Optional<String> termination =
        !succeeded && existing != null
            ? JobPods.terminationMessage(client, ns, job.getName())
            : Optional.empty();
    return new JobSeen(existing != null, outcome, Optional.empty(), report, termination);
  }

  /** The replica count of a workload to quiesce; empty when it is gone. */
  Optional<Integer> replicas(RestoreRequestSpec.WorkloadRef w) {
    return workloads.replicas(w.getKind().name(), w.getName());
  }

  /** What a quiesced workload looks like now. */
  Quiesce.Seen see(QuiescedWorkload q) {
    return workloads.see(q.getKind(), q.getName());
  }

  /**
   * The credentials Secret of each database target: from the source run's copy of its policy, else
   * the policy.
   */
  Map<String, String> credentials(String policy) {
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
      BackupPolicy p = client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).get();
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
  Map<String, DatabaseTls> tls(String policy) {
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
      BackupPolicy p = client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).get();
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

  /** The store's bucket, opened once per reconciliation. */
  ObjectStore store(S3Location s3) throws IOException {
    return store.get(() -> buckets.open(client, ns, s3));
  }

  @Override
  public void close() {
    store.close();
  }
}
