package io.osbackup.operator.run;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.JobOutcome;
import io.osbackup.operator.reconcile.JobPods;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OpenedBucket;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.plan.JobNames;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster and bucket as one BackupRun sees them: gathers the {@link TaskObservation} of its
 * Jobs, and carries out what the decisions ask of the cluster (create and delete Jobs, its pods,
 * its store's signing keys). Holds the run's bucket open for one reconciliation; close it after.
 */
final class RunObserver implements Finishing.Cluster, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RunObserver.class);

  private final BackupRun run;
  private final BackupRunStatus status;
  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final BucketOpener buckets;
  private final EventRecorder events;
  private final String ns;
  private final OpenedBucket store = new OpenedBucket();

  RunObserver(
      BackupRun run,
      KubernetesClient client,
      OperatorSettings settings,
      BucketOpener buckets,
      EventRecorder events) {
    this.run = run;
    this.status = run.getStatus();
    this.client = client;
    this.settings = settings;
    this.buckets = buckets;
    this.events = events;
    this.ns = run.getMetadata().getNamespace();
  }

  /** The run's bucket, opened on first use. */
  ObjectStore bucket() throws IOException {
    return store.get(() -> buckets.open(ns, status.getPlan().getS3()));
  }

  /** What is known of the Jobs of the run's Pending and Running tasks. */
  TaskObservation observe(Collection<Job> cached) {
    Map<String, Job> jobs =
        cached.stream()
            .collect(Collectors.toMap(j -> j.getMetadata().getName(), j -> j, (a, b) -> a));
    Map<String, TaskObservation.Seen> seen = new HashMap<>();
    for (RunTask task : status.getTasks()) {
      if (task.getPhase() == TaskPhase.Pending) {
        seen.put(
            task.getJob(),
            jobs.containsKey(task.getJob())
                ? TaskObservation.Seen.running(Optional.empty())
                : TaskObservation.Seen.absent());
      } else if (task.getPhase() == TaskPhase.Running) {
        Job job = jobs.get(task.getJob());
        if (job == null) {
          // The informer may not have seen a Job created a moment ago: ask the API before
          // concluding.
          job = client.batch().v1().jobs().inNamespace(ns).withName(task.getJob()).get();
        }
        seen.put(task.getJob(), seen(task, job));
      }
    }
    return new TaskObservation(seen);
  }

  private TaskObservation.Seen seen(RunTask task, Job job) {
    JobOutcome outcome = job == null ? null : JobOutcome.of(job);
    if (job != null && !outcome.ended()) {
      boolean old =
          task.getStartTime() != null
              && java.time.Duration.between(
                          java.time.Instant.parse(task.getStartTime()), settings.clock().instant())
                      .compareTo(settings.timings().podStart())
                  > 0;
      return TaskObservation.Seen.running(
          old
              ? JobPods.notStarting(client, ns, task.getJob(), settings.timings().podStart())
              : Optional.empty());
    }
    Optional<BackupReport> report = Optional.empty();
    String reportError = null;
    try {
      report =
          bucket()
              .getJson(BackupLayout.report(status.getFolder(), task.getJob()), BackupReport.class);
    } catch (IOException e) {
      reportError = e.getMessage();
      LOG.info("report of Job {} unreadable: {}", task.getJob(), e.toString());
    }
    boolean failed = job != null && !outcome.succeeded();
    Optional<String> lost =
        failed && !"DeadlineExceeded".equals(outcome.reason())
            ? JobPods.nodeLost(client, task.getNode(), task.getJob())
            : Optional.empty();
    Optional<String> termination =
        failed ? JobPods.terminationMessage(client, ns, task.getJob()) : Optional.empty();
    return new TaskObservation.Seen(
        job != null,
        outcome,
        job == null ? null : job.getSpec().getActiveDeadlineSeconds(),
        report,
        reportError,
        lost,
        termination,
        Optional.empty());
  }

  /** Creates a Job; one of this run's that exists already (from before a restart) is adopted. */
  void create(Job job) {
    String name = job.getMetadata().getName();
    try {
      client.batch().v1().jobs().inNamespace(ns).resource(job).create();
      LOG.info("run {}/{}: created Job {}", ns, run.getMetadata().getName(), name);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      // Ours from before a restart, or someone else's Job with the same name: only adopt our own.
      Job existing = client.batch().v1().jobs().inNamespace(ns).withName(name).get();
      boolean ours =
          existing != null
              && existing.getMetadata().getOwnerReferences().stream()
                  .anyMatch(o -> Objects.equals(o.getUid(), run.getMetadata().getUid()));
      if (!ours) {
        throw new IllegalStateException(
            "a Job named "
                + name
                + " exists and does not belong to this run: delete it or rename the run");
      }
    }
  }

  @Override
  public void deleteJob(String name) {
    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(ns)
        .withName(name)
        .withPropagationPolicy(DeletionPropagation.BACKGROUND)
        .delete();
  }

  @Override
  public long alivePods() {
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

  @Override
  public void forceDeletePods() {
    client
        .pods()
        .inNamespace(ns)
        .withLabel(Api.RUN_LABEL, JobNames.labelValue(run.getMetadata().getName()))
        .withGracePeriod(0)
        .delete();
  }

  @Override
  public ManifestKeys.Keys signingKeys() throws ManifestKeys.Problem {
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
      // told about the store, not the run: not one of the run's Outcome notices
      events.normal(
          store,
          "SigningKeyCreated",
          "created Secret '"
              + keys.secret()
              + "' with a random manifest signing key: keep a copy off-site with the S3"
              + " credentials, a rebuilt cluster needs it to verify its backups");
    }
    return keys;
  }

  @Override
  public Owner us() {
    return new Owner(settings.clusterId(), ns, status.getPlan().getStore(), null);
  }

  @Override
  public void close() {
    store.close();
  }
}
