package io.osbackup.chart;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.operator.reconcile.OperatorSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart's RBAC grants exactly the API calls the operator makes, no more and no fewer.
 *
 * <p>{@link #CALLS} is the table of every call: API group, resource, verb, where (every watched
 * namespace, the release namespace, cluster-wide), and the code that makes it. The table is kept
 * honest both ways: each piece of code it quotes must still be in the operator's sources, and every
 * expression on a {@code KubernetesClient} in those sources must be quoted by a row. A new API call
 * therefore fails this test until it has a row, and a row fails once its call is gone. Calls the
 * framework makes on the operator's behalf (informers, status writes, leader election) are quoted
 * where the code asks for them.
 *
 * <p>Verbs are the ones the API server authorizes: fabric8's {@code edit} is a GET then a PATCH; a
 * delete on a label selector is one {@code deletecollection}; {@code updateStatus} is an {@code
 * update} of {@code /status}.
 */
class RbacCoversTheCodeTest {

  static final Path SOURCES = Chart.ROOT.resolve("operator/src/main/java/io/osbackup");

  /** Where a call is authorized. */
  enum Scope {
    /** In every watched namespace (all of them, cluster-wide, when watchNamespaces is empty). */
    WATCHED,
    /** Only in the release namespace. */
    RELEASE,
    /** A cluster-scoped resource. */
    CLUSTER
  }

  /**
   * Code that makes a call: a file under operator/src/main/java/io/osbackup and a piece of it
   * (spaces ignored).
   */
  record At(String file, String code) {}

  /**
   * One API call. {@code name} is the only object name it is made on, when the code fixes one;
   * {@code byChart} is false for a call every authenticated user may make (granted by Kubernetes'
   * system:basic-user role).
   */
  record Call(
      String group,
      String resource,
      String verb,
      Scope scope,
      String name,
      boolean byChart,
      String why,
      List<At> where) {}

  static At at(String file, String code) {
    return new At(file, code);
  }

  static Call call(
      String group, String resource, String verb, Scope scope, String why, At... where) {
    return new Call(group, resource, verb, scope, null, true, why, List.of(where));
  }

  static final String RUN = "operator/run/BackupRunReconciler.java";
  static final String RUN_PLANNING = "operator/run/PlanningObserver.java";
  static final String RUN_WORLD = "operator/run/RunObserver.java";
  static final String RUN_DELETION = "operator/run/BackupDeletion.java";
  static final String POLICY = "operator/policy/BackupPolicyReconciler.java";
  static final String POLICY_OBSERVER = "operator/policy/PolicyObserver.java";
  static final String POLICY_ACTOR = "operator/policy/PolicyActor.java";
  static final String STORE = "operator/store/BackupStoreReconciler.java";
  static final String STORE_OBSERVER = "operator/store/StoreObserver.java";
  static final String STORE_ACTOR = "operator/store/StoreActor.java";
  static final String RESTORE = "operator/restore/RestoreRequestReconciler.java";
  static final String OPERATOR = "operator/OsbackupOperator.java";
  static final String QUIESCE = "operator/restore/Quiesce.java";
  static final String RESTORE_SOURCE = "operator/restore/SourceFinder.java";
  static final String RESTORE_PINNED = "operator/restore/PinnedBackup.java";
  static final String RESTORE_CHECK = "operator/restore/ClusterCheck.java";
  static final String RESTORE_OBSERVER = "operator/restore/RestoreObserver.java";
  static final String RESTORE_ACTIONS = "operator/restore/RestoreActions.java";

  static final String OSB = "osbackup.io";
  static final String LEASE = OperatorSettings.LEASE;
  static final At LEADER_ELECTION =
      at(
          OPERATOR,
          "o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(OperatorSettings.LEASE,"
              + " settings.leaderElectionNamespace()))");

  /** Every API call the operator makes. */
  static final List<Call> CALLS =
      List.of(
          // ---- BackupStores
          call(
              OSB,
              "backupstores",
              "list",
              Scope.WATCHED,
              "informers: the store controller's, the policy controller's",
              at(OPERATOR, "operator.register(new BackupStoreReconciler(settings, metrics,"),
              at(
                  POLICY,
                  "InformerEventSourceConfiguration.from(BackupStore.class, BackupPolicy.class)")),
          call(
              OSB,
              "backupstores",
              "watch",
              Scope.WATCHED,
              "the same informers",
              at(OPERATOR, "operator.register(new BackupStoreReconciler(settings, metrics,"),
              at(
                  POLICY,
                  "InformerEventSourceConfiguration.from(BackupStore.class, BackupPolicy.class)")),
          call(
              OSB,
              "backupstores",
              "get",
              Scope.WATCHED,
              "a policy's, run's or restore's store, by name",
              at(
                  POLICY_OBSERVER,
                  "client.resources(BackupStore.class).inNamespace(ns).withName(store).get()"),
              at(
                  RUN_PLANNING,
                  "client.resources(BackupStore.class).inNamespace(ns)"
                      + ".withName(p.getSpec().getStoreRef().getName()).get()"),
              at(
                  RUN_PLANNING,
                  "client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get()"),
              at(
                  RUN_WORLD,
                  "client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get()"),
              at(
                  RESTORE_SOURCE,
                  "client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get()"),
              at(
                  RESTORE_CHECK,
                  "client.resources(BackupStore.class).inNamespace(ns).withName(storeName).get()"),
              at(
                  RESTORE_PINNED,
                  "client.resources(BackupStore.class).inNamespace(ns).withName(status.getStore()).get()")),
          call(
              OSB,
              "backupstores/status",
              "update",
              Scope.WATCHED,
              "StatusWriter: PUT of /status (JOSDK PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource)",
              at(STORE, "StatusWriter.apply(outcome, store, context,"),
              at(
                  "operator/reconcile/StatusWriter.java",
                  "PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(")),
          // ---- BackupPolicies
          call(
              OSB,
              "backuppolicies",
              "list",
              Scope.WATCHED,
              "informer of the policy controller",
              at(OPERATOR, "operator.register(new BackupPolicyReconciler(settings, metrics,")),
          call(
              OSB,
              "backuppolicies",
              "watch",
              Scope.WATCHED,
              "the same informer",
              at(OPERATOR, "operator.register(new BackupPolicyReconciler(settings, metrics,")),
          call(
              OSB,
              "backuppolicies",
              "get",
              Scope.WATCHED,
              "a run's policy when it is planned; a restore's policy",
              at(
                  RUN_PLANNING,
                  "client.resources(BackupPolicy.class).inNamespace(ns).withName(policyName).get()"),
              at(
                  RESTORE_SOURCE,
                  "client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).get()"),
              at(
                  RESTORE_OBSERVER,
                  "client.resources(BackupPolicy.class).inNamespace(ns).withName(policy).get()")),
          call(
              OSB,
              "backuppolicies/status",
              "update",
              Scope.WATCHED,
              "StatusWriter",
              at(POLICY, "StatusWriter.apply(outcome, policy, context,")),
          // ---- BackupRuns
          call(
              OSB,
              "backupruns",
              "list",
              Scope.WATCHED,
              "informers (run controller, policy controller); a policy's runs by label; all runs of a namespace"
                  + " for the catalog sync",
              at(OPERATOR, "operator.register(new BackupRunReconciler(settings, metrics)"),
              at(
                  POLICY,
                  "InformerEventSourceConfiguration.from(BackupRun.class, BackupPolicy.class)"),
              at(
                  POLICY_OBSERVER,
                  "client.resources(BackupRun.class).inNamespace(ns)"
                      + ".withLabel(Api.POLICY_LABEL, JobNames.labelValue(name)).list()"),
              at(STORE_OBSERVER, "client.resources(BackupRun.class).inNamespace(ns).list()")),
          call(
              OSB,
              "backupruns",
              "watch",
              Scope.WATCHED,
              "the same informers",
              at(OPERATOR, "operator.register(new BackupRunReconciler(settings, metrics)"),
              at(
                  POLICY,
                  "InformerEventSourceConfiguration.from(BackupRun.class, BackupPolicy.class)")),
          call(
              OSB,
              "backupruns",
              "get",
              Scope.WATCHED,
              "a slot's run (made before?); a restore's backupRunRef",
              at(
                  POLICY_OBSERVER,
                  "client.resources(BackupRun.class).inNamespace(ns).withName(runName).get()"),
              at(
                  RESTORE_SOURCE,
                  "client.resources(BackupRun.class).inNamespace(ns).withName(runName).get()"),
              at(
                  RESTORE_OBSERVER,
                  "client.resources(BackupRun.class).inNamespace(ns).withName(runRef.getName()).get()")),
          call(
              OSB,
              "backupruns",
              "create",
              Scope.WATCHED,
              "a scheduled run; a run for a backup found in the store; a read-only run for another owner's backup",
              at(POLICY_ACTOR, "client.resource(run).create()"),
              at(STORE_ACTOR, "client.resource(run.run()).create()")),
          call(
              OSB,
              "backupruns",
              "patch",
              Scope.WATCHED,
              "the osbackup.io/cancel annotation of the active run (concurrencyPolicy Replace)",
              at(
                  POLICY_ACTOR,
                  "client.resources(BackupRun.class).inNamespace(ns).withName(cancel.name())"
                      + ".patch(PatchContext.of(PatchType.JSON_MERGE)")),
          call(
              OSB,
              "backupruns",
              "delete",
              Scope.WATCHED,
              "the runs of backups retention deleted; a hand-made run whose spec.deleteBackup deleted its backup",
              at(
                  POLICY_ACTOR,
                  "client.resources(BackupRun.class).inNamespace(ns).withName(delete.name()).delete()"),
              at(
                  RUN_DELETION,
                  "client.resources(BackupRun.class).inNamespace(ns).withName(run.getMetadata().getName())"
                      + ".delete()")),
          call(
              OSB,
              "backupruns/status",
              "update",
              Scope.WATCHED,
              "StatusWriter",
              at(RUN, "StatusWriter.apply(outcome, run, context, events)")),
          // ---- RestoreRequests
          call(
              OSB,
              "restorerequests",
              "list",
              Scope.WATCHED,
              "informer of the restore controller; retention's and spec.deleteBackup's backups being restored",
              at(OPERATOR, "operator.register(new RestoreRequestReconciler(settings, metrics)"),
              at(POLICY_ACTOR, "client.resources(RestoreRequest.class).inNamespace(ns).list()"),
              at(RUN_DELETION, "client.resources(RestoreRequest.class).inNamespace(ns).list()")),
          call(
              OSB,
              "restorerequests",
              "watch",
              Scope.WATCHED,
              "the same informer",
              at(OPERATOR, "operator.register(new RestoreRequestReconciler(settings, metrics)")),
          call(
              OSB,
              "restorerequests/status",
              "update",
              Scope.WATCHED,
              "StatusWriter",
              at(RESTORE, "StatusWriter.apply(")),
          // ---- Jobs
          call(
              "batch",
              "jobs",
              "list",
              Scope.WATCHED,
              "informers of osbackup's Jobs (label-selected)",
              at(RUN, "InformerEventSourceConfiguration.from(Job.class, BackupRun.class)"),
              at(
                  RESTORE,
                  "InformerEventSourceConfiguration.from(Job.class, RestoreRequest.class)")),
          call(
              "batch",
              "jobs",
              "watch",
              Scope.WATCHED,
              "the same informers",
              at(RUN, "InformerEventSourceConfiguration.from(Job.class, BackupRun.class)"),
              at(
                  RESTORE,
                  "InformerEventSourceConfiguration.from(Job.class, RestoreRequest.class)")),
          call(
              "batch",
              "jobs",
              "create",
              Scope.WATCHED,
              "backup and restore Jobs",
              at(RUN_WORLD, "client.batch().v1().jobs().inNamespace(ns).resource(job).create()"),
              at(
                  RESTORE_ACTIONS,
                  "client.batch().v1().jobs().inNamespace(ns).resource(job).create()")),
          call(
              "batch",
              "jobs",
              "get",
              Scope.WATCHED,
              "a Job the informer has not seen yet; the owner of a name taken",
              at(
                  RUN_WORLD,
                  "client.batch().v1().jobs().inNamespace(ns).withName(task.getJob()).get()"),
              at(RUN_WORLD, "client.batch().v1().jobs().inNamespace(ns).withName(name).get()"),
              at(
                  RESTORE_OBSERVER,
                  "client.batch().v1().jobs().inNamespace(ns).withName(job.getName()).get()"),
              at(
                  RESTORE_ACTIONS,
                  "client.batch().v1().jobs().inNamespace(ns).withName(plan.jobName()).get()")),
          call(
              "batch",
              "jobs",
              "delete",
              Scope.WATCHED,
              "a cancelled run's Jobs; a Job whose pod cannot start",
              at(
                  RUN_WORLD,
                  "client.batch().v1().jobs().inNamespace(ns).withName(name)"
                      + ".withPropagationPolicy(DeletionPropagation.BACKGROUND).delete()"),
              at(
                  RESTORE_ACTIONS,
                  "client.batch().v1().jobs().inNamespace(ns).withName(jobName)"
                      + ".withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)"
                      + ".delete()")),
          // ---- Pods
          call(
              "",
              "pods",
              "list",
              Scope.WATCHED,
              "a Job's pods by label: why one does not start, its termination message; a run's live pods; a quiesced"
                  + " workload's pods by its selector",
              at(
                  "operator/reconcile/JobPods.java",
                  "client.pods().inNamespace(ns).withLabel(\"job-name\", jobName).list()"),
              at(
                  RUN_WORLD,
                  "client.pods().inNamespace(ns).withLabel(Api.RUN_LABEL,"
                      + " JobNames.labelValue(run.getMetadata().getName())).list()"),
              at(QUIESCE, "client.pods().inNamespace(ns).withLabelSelector(selector).list()")),
          call(
              "",
              "pods",
              "deletecollection",
              Scope.WATCHED,
              "a failed or cancelled run's pods by label, grace period 0 (fabric8: one DELETE on the collection)",
              at(
                  RUN_WORLD,
                  "client.pods().inNamespace(ns).withLabel(Api.RUN_LABEL,"
                      + " JobNames.labelValue(run.getMetadata().getName())).withGracePeriod(0).delete()")),
          // ---- Secrets
          call(
              "",
              "secrets",
              "get",
              Scope.WATCHED,
              "store credentials (the operator's and the agents'), signing keys and database logins, by name",
              at(
                  "operator/reconcile/StoreBuckets.java",
                  "client.secrets().inNamespace(namespace).withName(secretName).get()"),
              at(RUN_PLANNING, "client.secrets().inNamespace(ns).withName(name).get()"),
              at(
                  RESTORE_CHECK,
                  "client.secrets().inNamespace(ns).withName(server.credentialsSecret()).get()"),
              at(RESTORE_SOURCE, "client.secrets().inNamespace(ns).withName(ref.getName()).get()"),
              at(
                  "operator/reconcile/StoreBuckets.java",
                  "client.secrets().inNamespace(namespace).withName(ref.getName()).get()"),
              at(
                  "operator/reconcile/ManifestKeys.java",
                  "client.secrets().inNamespace(ns).withName(name).get()")),
          call(
              "",
              "secrets",
              "create",
              Scope.WATCHED,
              "a store's <store>-manifest-signing Secret, once, when it names no signing Secret",
              at(
                  "operator/reconcile/ManifestKeys.java",
                  "client.secrets().inNamespace(ns).resource(secret).create()")),
          call(
              "",
              "configmaps",
              "get",
              Scope.WATCHED,
              "a store's CA bundle (spec.s3.caBundle.configMapRef), by name",
              at(
                  "operator/reconcile/StoreBuckets.java",
                  "client.configMaps().inNamespace(namespace).withName(ref.getName()).get()")),
          // ---- Events
          call(
              "",
              "events",
              "create",
              Scope.WATCHED,
              "EventRecorder",
              at(
                  "operator/reconcile/EventRecorder.java",
                  "client.v1().events().inNamespace(about.getMetadata().getNamespace()).resource(event).create()")),
          // ---- Workloads a restore quiesces
          call(
              "apps",
              "deployments",
              "get",
              Scope.WATCHED,
              "owners, replica count, pod selector; before an edit",
              at(QUIESCE, "client.apps().deployments().inNamespace(ns).withName(name).get()"),
              at(QUIESCE, "client.apps().deployments().inNamespace(ns).withName(name);")),
          call(
              "apps",
              "deployments",
              "patch",
              Scope.WATCHED,
              "scale to zero and back: edit = GET + JSON patch",
              at(QUIESCE, "client.apps().deployments().inNamespace(ns).withName(name);"),
              at(QUIESCE, "deployment.edit(")),
          call(
              "apps",
              "statefulsets",
              "get",
              Scope.WATCHED,
              "owners, replica count, pod selector; before an edit",
              at(QUIESCE, "client.apps().statefulSets().inNamespace(ns).withName(name).get()"),
              at(QUIESCE, "client.apps().statefulSets().inNamespace(ns).withName(name);")),
          call(
              "apps",
              "statefulsets",
              "patch",
              Scope.WATCHED,
              "scale to zero and back: edit = GET + JSON patch",
              at(QUIESCE, "client.apps().statefulSets().inNamespace(ns).withName(name);"),
              at(QUIESCE, "statefulSet.edit(")),
          call(
              "autoscaling",
              "horizontalpodautoscalers",
              "list",
              Scope.WATCHED,
              "HPAs whose scaleTargetRef names a workload to quiesce (validation)",
              at(
                  QUIESCE,
                  "client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).list()")),
          // ---- Nodes
          call(
              "",
              "nodes",
              "list",
              Scope.CLUSTER,
              "the nodes a files target's nodeSelector matches",
              at(RUN_PLANNING, "client.nodes().list()")),
          call(
              "",
              "nodes",
              "get",
              Scope.CLUSTER,
              "a restore's destination node; whether a failed files Job's node is"
                  + " gone or not Ready (NodeLost)",
              at(RESTORE_CHECK, "client.nodes().withName(f.node()).get()"),
              at("operator/reconcile/JobPods.java", "client.nodes().withName(node).get()")),
          new Call(
              "",
              "namespaces",
              "get",
              Scope.CLUSTER,
              "kube-system",
              true,
              "the cluster id when --cluster-id is not set: the UID of kube-system",
              List.of(
                  at(
                      "operator/OperatorCommand.java",
                      "client.namespaces().withName(\"kube-system\").get()"))),
          // ---- Leader election (JOSDK LeaderElectionManager, fabric8 LeaseLock)
          new Call(
              "coordination.k8s.io",
              "leases",
              "get",
              Scope.RELEASE,
              LEASE,
              true,
              "LeaseLock.get: who leads",
              List.of(LEADER_ELECTION)),
          new Call(
              "coordination.k8s.io",
              "leases",
              "create",
              Scope.RELEASE,
              null,
              true,
              "LeaseLock.create: the first leader (a create has no name to authorize)",
              List.of(LEADER_ELECTION)),
          new Call(
              "coordination.k8s.io",
              "leases",
              "patch",
              Scope.RELEASE,
              LEASE,
              true,
              "LeaseLock.update: renew or take over, a JSON merge patch in fabric8 7.5",
              List.of(LEADER_ELECTION)),
          new Call(
              "coordination.k8s.io",
              "leases",
              "update",
              Scope.RELEASE,
              LEASE,
              true,
              "never sent, but JOSDK's start-up check (LeaderElectionManager.checkLeaseAccess) requires get, create"
                  + " and update and stops the operator without them",
              List.of(LEADER_ELECTION)),
          new Call(
              "authorization.k8s.io",
              "selfsubjectrulesreviews",
              "create",
              Scope.CLUSTER,
              null,
              false,
              "that start-up check; allowed to every authenticated user by system:basic-user",
              List.of(LEADER_ELECTION)));

  /** Expressions on a KubernetesClient that are no API call. */
  static final List<At> NOT_API_CALLS =
      List.of(at("operator/OperatorCommand.java", "client.close()"));

  static final String SA = Chart.RELEASE;
  static final List<String> WATCHED = List.of("openstack", "openstack-cells");

  @Test
  void clusterWideChartAllowsEveryCall() {
    Rbac rbac = new Rbac(Chart.render(), SA, Chart.NAMESPACE);
    for (Call c : chartCalls()) {
      switch (c.scope()) {
        case WATCHED, CLUSTER ->
            assertThat(rbac.allows(c.group(), c.resource(), c.verb(), null, c.name()))
                .as("%s", c)
                .isTrue();
        case RELEASE -> {
          assertThat(rbac.allows(c.group(), c.resource(), c.verb(), Chart.NAMESPACE, c.name()))
              .as("%s", c)
              .isTrue();
          assertThat(rbac.allows(c.group(), c.resource(), c.verb(), "openstack", c.name()))
              .as("%s only in the release namespace", c)
              .isFalse();
        }
      }
    }
  }

  @Test
  void namespacedChartAllowsEveryCallInTheWatchedNamespacesOnly() {
    Rbac rbac =
        new Rbac(
            Chart.render("watchNamespaces: [" + String.join(", ", WATCHED) + "]"),
            SA,
            Chart.NAMESPACE);
    for (Call c : chartCalls()) {
      switch (c.scope()) {
        case WATCHED -> {
          for (String ns : WATCHED) {
            assertThat(rbac.allows(c.group(), c.resource(), c.verb(), ns, c.name()))
                .as("%s in %s", c, ns)
                .isTrue();
          }
          assertThat(rbac.allows(c.group(), c.resource(), c.verb(), "kube-system", c.name()))
              .as("%s outside the watched namespaces", c)
              .isFalse();
          assertThat(rbac.allows(c.group(), c.resource(), c.verb(), null, c.name()))
              .as("%s cluster-wide", c)
              .isFalse();
        }
        case CLUSTER ->
            assertThat(rbac.allows(c.group(), c.resource(), c.verb(), null, c.name()))
                .as("%s", c)
                .isTrue();
        case RELEASE ->
            assertThat(rbac.allows(c.group(), c.resource(), c.verb(), Chart.NAMESPACE, c.name()))
                .as("%s", c)
                .isTrue();
      }
    }
  }

  @Test
  void chartGrantsNothingTheCodeDoesNotCall() {
    Set<String> needed = new LinkedHashSet<>();
    for (Call c : chartCalls()) {
      needed.add(
          Rbac.grant(
              c.group(), c.resource(), c.verb(), c.name() == null ? null : List.of(c.name())));
    }
    for (String values : List.of("{}", "watchNamespaces: [openstack, openstack-cells]")) {
      Set<String> granted = new Rbac(Chart.render(values), SA, Chart.NAMESPACE).grants();
      assertThat(granted)
          .as("rights granted with %s", values)
          .containsExactlyInAnyOrderElementsOf(needed);
    }
  }

  @Test
  void withoutLeaderElectionNoLeaseRights() {
    Chart.Rendered chart = Chart.render("leaderElection: {enabled: false}");
    assertThat(new Rbac(chart, SA, Chart.NAMESPACE).grants()).noneMatch(g -> g.contains("leases"));
  }

  @Test
  void everyQuotedCallIsStillInTheCode() {
    List<At> quoted = new ArrayList<>(NOT_API_CALLS);
    CALLS.forEach(c -> quoted.addAll(c.where()));
    for (At at : quoted) {
      assertThat(squeeze(source(at.file())))
          .as(
              "%s no longer holds `%s`: update the table in RbacCoversTheCodeTest (and the chart's RBAC)",
              at.file(), at.code())
          .contains(squeeze(at.code()));
    }
  }

  @Test
  void everyClientCallInTheCodeIsInTheTable() throws IOException {
    Map<String, List<String>> quotedByFile = new LinkedHashMap<>();
    List<At> quoted = new ArrayList<>(NOT_API_CALLS);
    CALLS.forEach(c -> quoted.addAll(c.where()));
    quoted.forEach(
        at ->
            quotedByFile
                .computeIfAbsent(at.file(), f -> new ArrayList<>())
                .add(squeeze(at.code())));
    List<String> unaccounted = new ArrayList<>();
    int checked = 0;
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String text = Files.readString(file);
        String name = SOURCES.relativize(file).toString().replace('\\', '/');
        Set<String> clients = new LinkedHashSet<>();
        Matcher declared = Pattern.compile("\\bKubernetesClient\\s+(\\w+)\\b").matcher(text);
        while (declared.find()) {
          clients.add(declared.group(1));
        }
        String code = squeeze(text);
        List<String> patterns = new ArrayList<>();
        clients.forEach(v -> patterns.add("(?<![\\w.])" + Pattern.quote(v) + "\\."));
        patterns.add("getClient\\(\\)\\.");
        Matcher use = Pattern.compile(String.join("|", patterns)).matcher(code);
        while (use.find()) {
          checked++;
          int at = use.start();
          boolean known =
              quotedByFile.getOrDefault(name, List.of()).stream()
                  .anyMatch(q -> code.startsWith(q, at));
          if (!known) {
            unaccounted.add(name + ": " + code.substring(at, Math.min(code.length(), at + 120)));
          }
        }
      }
    }
    assertThat(checked).as("client expressions found in %s", SOURCES).isGreaterThan(30);
    assertThat(unaccounted)
        .as(
            "API calls with no row in RbacCoversTheCodeTest.CALLS: add one (and the rule in the chart)")
        .isEmpty();
  }

  private static List<Call> chartCalls() {
    return CALLS.stream().filter(Call::byChart).toList();
  }

  private static String source(String file) {
    try {
      return Files.readString(SOURCES.resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Code without whitespace, so a quote matches a call however it is wrapped. */
  private static String squeeze(String code) {
    return code.replaceAll("\\s+", "");
  }
}
