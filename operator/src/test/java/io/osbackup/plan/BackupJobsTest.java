package io.osbackup.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.CaBundle;
import io.osbackup.api.v1alpha1.DatabaseTls;
import io.osbackup.api.v1alpha1.KeyRef;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Json;
import io.osbackup.contract.RestorePlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Jobs are pure functions of the run: golden files in {@code src/test/resources/golden} (rewrite
 * them with {@code -Dosbackup.golden.update=true} after an intended change and review the diff).
 */
class BackupJobsTest {

  static final Path GOLDEN = Path.of("src/test/resources/golden");

  static BackupPolicy policy() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: control-plane, namespace: openstack, generation: 3}
        spec:
          storeRef: {name: primary}
          compression: zstd
          maxParallelNodes: 2
          databases:
            - name: galera
              host: openstack-galera.openstack.svc
              port: 3306
              credentialsSecret: {name: backup-db}
              include: [keystone, nova]
          files:
            - name: nova-config
              nodeSelector: {openstack-role: compute}
              paths: [/etc/nova, /var/lib/nova]
              exclude: [/var/lib/nova/instances, "*.log"]
            - name: glance-images
              volume: {claimName: glance-images}
              paths: [/]
          job:
            activeDeadlineSeconds: 3600
            ttlSecondsAfterFinished: 600
        """,
        BackupPolicy.class);
  }

  static BackupStore store() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: primary, namespace: openstack}
        spec:
          s3: {endpoint: "http://swift-proxy:8080", bucket: openstack-backups, prefix: prod,
               credentialsSecret: {name: backup-s3}, agentCredentialsSecret: {name: backup-s3-agent}}
        """,
        BackupStore.class);
  }

  static BackupRun run() {
    return Serialization.unmarshal(
        """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupRun
        metadata: {name: control-plane-20261121-020000, namespace: openstack, uid: 7d5e0a4c-1111-2222-3333-444455556666,
                   creationTimestamp: "2026-11-21T02:00:00Z"}
        spec: {policyRef: {name: control-plane}}
        """,
        BackupRun.class);
  }

  static Node node(String name, String role, boolean ready) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("openstack-role", role)
        .endMetadata()
        .withNewStatus()
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .endStatus()
        .build();
  }

  static final String S3_SECRET_VALUE = "c3VwZXItc2VjcmV0LXMzLWtleQ==";
  static final String DB_PASSWORD_VALUE = "ZGItcGFzc3dvcmQtdGhhdC1tdXN0LW5vdC1sZWFr";

  static Optional<Secret> secret(String name) {
    return Optional.of(
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withData(
                Map.of(
                    "accessKey",
                    "eA==",
                    "secretKey",
                    S3_SECRET_VALUE,
                    "username",
                    "eA==",
                    "password",
                    DB_PASSWORD_VALUE))
            .build());
  }

  static BackupRun planned() {
    BackupRun run = run();
    var nodes =
        List.of(
            node("compute-2", "compute", true),
            node("controller-1", "controller", true),
            node("compute-1", "compute", true));
    RunPlanner.Result result =
        RunPlanner.plan(
            run, Optional.of(policy()), Optional.of(store()), nodes, BackupJobsTest::secret);
    assertThat(result.problem()).isNull();
    BackupRunStatus status = new BackupRunStatus();
    status.setBackupId(result.backupId());
    status.setFolder(result.folder());
    status.setPlan(result.plan());
    status.setTasks(result.tasks());
    run.setStatus(status);
    return run;
  }

  @Test
  void plansOneJobPerDatabaseTargetAndOnePerMatchingNode() {
    BackupRun run = planned();
    assertThat(run.getStatus().getBackupId()).isEqualTo("control-plane-20261121-020000");
    assertThat(run.getStatus().getFolder())
        .isEqualTo("prod/openstack/control-plane/control-plane-20261121-020000");
    assertThat(run.getStatus().getTasks())
        .extracting(RunTask::getJob)
        .containsExactly(
            "control-plane-20261121-020000-db-galera",
            "control-plane-20261121-020000-files-nova-config-compute-1",
            "control-plane-20261121-020000-files-nova-config-compute-2",
            "control-plane-20261121-020000-files-glance-images-pvc-6f6344c5");
  }

  @Test
  void databaseJob() throws IOException {
    BackupRun run = planned();
    assertGolden(
        BackupJobs.jobFor(run, run.getStatus().getTasks().get(0), "osbackup:test"),
        "job-database.yaml");
  }

  @Test
  void filesJobIsPinnedToItsNodeAndReadsTheNodeReadOnly() throws IOException {
    BackupRun run = planned();
    Job job = BackupJobs.jobFor(run, run.getStatus().getTasks().get(1), "osbackup:test");
    assertGolden(job, "job-files-node.yaml");
  }

  @Test
  void volumeJobMountsTheClaimReadOnly() throws IOException {
    BackupRun run = planned();
    assertGolden(
        BackupJobs.jobFor(run, run.getStatus().getTasks().get(3), "osbackup:test"),
        "job-files-volume.yaml");
  }

  @Test
  void jobsCarryNoCredentialsAndNoApiToken() {
    BackupRun run = planned();
    assertThat(Serialization.asYaml(run))
        .doesNotContain(S3_SECRET_VALUE)
        .doesNotContain(decoded(S3_SECRET_VALUE))
        .doesNotContain(DB_PASSWORD_VALUE)
        .doesNotContain(decoded(DB_PASSWORD_VALUE));
    for (RunTask task : run.getStatus().getTasks()) {
      Job job = BackupJobs.jobFor(run, task, "osbackup:test");
      assertThat(Serialization.asYaml(job))
          .doesNotContain(S3_SECRET_VALUE)
          .doesNotContain(decoded(S3_SECRET_VALUE))
          .doesNotContain(DB_PASSWORD_VALUE)
          .doesNotContain(decoded(DB_PASSWORD_VALUE));
      var pod = job.getSpec().getTemplate().getSpec();
      assertThat(pod.getAutomountServiceAccountToken()).isFalse();
      assertThat(pod.getContainers().get(0).getEnv())
          .allSatisfy(e -> assertThat(e.getValueFrom()).isNull())
          .noneSatisfy(e -> assertThat(e.getValue()).containsIgnoringCase("password"));
      assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(3600L);
      assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(600);
      assertThat(job.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(o -> assertThat(o.getController()).isTrue());
    }
  }

  /** The container security context and /tmp of one Job, as a line to compare. */
  static String privileges(Job job) {
    var pod = job.getSpec().getTemplate().getSpec();
    var sc = pod.getContainers().get(0).getSecurityContext();
    var tmp =
        pod.getVolumes().stream().filter(v -> "tmp".equals(v.getName())).findFirst().orElseThrow();
    return "uid="
        + sc.getRunAsUser()
        + " nonRoot="
        + sc.getRunAsNonRoot()
        + " escalation="
        + sc.getAllowPrivilegeEscalation()
        + " readOnlyRoot="
        + sc.getReadOnlyRootFilesystem()
        + " drop="
        + sc.getCapabilities().getDrop()
        + " add="
        + sc.getCapabilities().getAdd()
        + " privileged="
        + sc.getPrivileged()
        + " seccomp="
        + pod.getSecurityContext().getSeccompProfile().getType()
        + " tmp="
        + tmp.getEmptyDir().getMedium()
        + "/"
        + tmp.getEmptyDir().getSizeLimit();
  }

  @Test
  void everyJobKindGetsOnlyThePrivilegesItsWorkNeedsAndATmpInMemory() {
    BackupRun run = planned();
    List<RunTask> tasks = run.getStatus().getTasks();
    String unprivileged =
        "uid=65532 nonRoot=true escalation=false readOnlyRoot=true drop=[ALL] add=[] privileged=null"
            + " seccomp=RuntimeDefault tmp=Memory/32Mi";
    assertThat(privileges(BackupJobs.jobFor(run, tasks.get(0), "osbackup:test")))
        .as("database backup")
        .isEqualTo(unprivileged);
    assertThat(privileges(BackupJobs.jobFor(run, tasks.get(1), "osbackup:test")))
        .as("files backup of a node")
        .isEqualTo(
            "uid=0 nonRoot=false escalation=false readOnlyRoot=true drop=[ALL] add=[DAC_READ_SEARCH]"
                + " privileged=null seccomp=RuntimeDefault tmp=Memory/32Mi");
    assertThat(privileges(BackupJobs.jobFor(run, tasks.get(3), "osbackup:test")))
        .as("files backup of a volume")
        .isEqualTo(unprivileged);
    var request = RestoreJobsTest.request();
    assertThat(
            privileges(
                RestoreJobs.jobFor(
                    request,
                    RestoreJobsTest.plan(
                        "v",
                        RestorePlan.VERIFY,
                        List.of(RestoreJobsTest.db("nova")),
                        List.of(RestoreJobsTest.FILES)),
                    "backup-s3",
                    List.of("backup-db"),
                    null,
                    "osbackup:test")))
        .as("restore verify")
        .isEqualTo(unprivileged);
    assertThat(
            privileges(
                RestoreJobs.jobFor(
                    request,
                    RestoreJobsTest.plan(
                        "d", RestorePlan.RESTORE, List.of(RestoreJobsTest.db("nova")), List.of()),
                    "backup-s3",
                    List.of("backup-db"),
                    null,
                    "osbackup:test")))
        .as("database restore")
        .isEqualTo(unprivileged);
    assertThat(
            privileges(
                RestoreJobs.jobFor(
                    request,
                    RestoreJobsTest.plan(
                        "f", RestorePlan.RESTORE, List.of(), List.of(RestoreJobsTest.FILES)),
                    "backup-s3",
                    List.of(),
                    "compute-1",
                    "osbackup:test")))
        .as("files restore")
        .isEqualTo(
            "uid=0 nonRoot=false escalation=false readOnlyRoot=true drop=[ALL]"
                + " add=[CHOWN, DAC_OVERRIDE, FOWNER, FSETID] privileged=null seccomp=RuntimeDefault tmp=Memory/32Mi");
  }

  @Test
  void caBundlesAreMountedReadOnlyAndThePlanNamesOnlyTheirFiles() throws Exception {
    BackupStore store = store();
    store
        .getSpec()
        .getS3()
        .setCaBundle(CaBundle.fromConfigMap("openstack-ca", "tls-ca-bundle.pem"));
    store.getSpec().getS3().setMaxUploadParts(10_000);
    BackupPolicy policy = policy();
    policy
        .getSpec()
        .getDatabases()
        .get(0)
        .setTls(DatabaseTls.of("verify-full", new KeyRef("galera-ca", "ca.crt")));
    BackupRun run = run();
    RunPlanner.Result result =
        RunPlanner.plan(
            run,
            Optional.of(policy),
            Optional.of(store),
            List.of(node("compute-1", "compute", true)),
            BackupJobsTest::secret);
    assertThat(result.problem()).isNull();
    BackupRunStatus status = new BackupRunStatus();
    status.setBackupId(result.backupId());
    status.setFolder(result.folder());
    status.setPlan(result.plan());
    status.setTasks(result.tasks());
    run.setStatus(status);

    Job job = BackupJobs.jobFor(run, status.getTasks().get(0), "osbackup:test");

    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getName().equals("store-ca"))
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getConfigMap().getName()).isEqualTo("openstack-ca");
              assertThat(v.getConfigMap().getItems())
                  .singleElement()
                  .satisfies(
                      i ->
                          assertThat(i.getKey() + ">" + i.getPath())
                              .isEqualTo("tls-ca-bundle.pem>ca.crt"));
            });
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getName().equals("database-ca"))
        .singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("galera-ca"));
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .filteredOn(m -> m.getName().endsWith("-ca"))
        .extracting(m -> m.getMountPath() + ":" + m.getReadOnly())
        .containsExactlyInAnyOrder(
            "/var/run/osbackup/store-ca:true", "/var/run/osbackup/database-ca:true");
    BackupPlan plan =
        Json.MAPPER.readValue(
            pod.getContainers().get(0).getEnv().get(0).getValue(), BackupPlan.class);
    assertThat(plan.store().caBundleFile()).isEqualTo("/var/run/osbackup/store-ca/ca.crt");
    assertThat(plan.store().maxUploadParts()).isEqualTo(10_000);
    assertThat(plan.database().tls())
        .isEqualTo(
            new BackupPlan.DatabaseTls("verify-full", "/var/run/osbackup/database-ca/ca.crt"));
  }

  @Test
  void longNamesAreShortenedDeterministically() {
    String name =
        JobNames.files("a".repeat(50) + "-20261121-020000", "nova-config", "compute-000123");
    assertThat(name).hasSizeLessThanOrEqualTo(63).doesNotEndWith("-");
    assertThat(JobNames.files("a".repeat(50) + "-20261121-020000", "nova-config", "compute-000123"))
        .isEqualTo(name);
    assertThat(JobNames.files("a".repeat(50) + "-20261121-020000", "nova-config", "compute-000124"))
        .isNotEqualTo(name);
  }

  @Test
  void missingPolicyStoreOrSecretIsAProblemNamingTheField() {
    BackupRun run = run();
    var noPolicy =
        RunPlanner.plan(run, Optional.empty(), Optional.empty(), List.of(), BackupJobsTest::secret);
    assertThat(noPolicy.problem().reason()).isEqualTo("PolicyNotFound");
    assertThat(noPolicy.problem().message()).contains("spec.policyRef").contains("control-plane");
    var noStore =
        RunPlanner.plan(
            run, Optional.of(policy()), Optional.empty(), List.of(), BackupJobsTest::secret);
    assertThat(noStore.problem().reason()).isEqualTo("StoreNotFound");
    var noSecret =
        RunPlanner.plan(
            run, Optional.of(policy()), Optional.of(store()), List.of(), n -> Optional.empty());
    assertThat(noSecret.problem().reason()).isEqualTo("SecretNotFound");
    assertThat(noSecret.problem().message()).contains("backup-s3").contains("accessKey");
    var noNodes =
        RunPlanner.plan(
            run, Optional.of(policy()), Optional.of(store()), List.of(), BackupJobsTest::secret);
    assertThat(noNodes.problem().reason()).isEqualTo("NoMatchingNodes");
    assertThat(noNodes.problem().message()).contains("nodeSelector").contains("openstack-role");
  }

  @Test
  void agentsGetTheStoresAgentCredentialsAndTheOperatorsOnlyWhenThereAreNone() {
    BackupRun run = planned();
    for (var task : run.getStatus().getTasks()) {
      Job job = BackupJobs.jobFor(run, task, "osbackup:test");
      assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
          .filteredOn(v -> v.getSecret() != null)
          .extracting(v -> v.getSecret().getSecretName())
          .contains("backup-s3-agent")
          .doesNotContain("backup-s3")
          .noneMatch(name -> name.contains("signing"));
    }
    run.getStatus().getPlan().getS3().setAgentCredentialsSecret(null);
    Job shared = BackupJobs.jobFor(run, run.getStatus().getTasks().get(0), "osbackup:test");
    assertThat(shared.getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .extracting(v -> v.getSecret().getSecretName())
        .contains("backup-s3");
    var noAgentSecret =
        RunPlanner.plan(
            run(),
            Optional.of(policy()),
            Optional.of(store()),
            List.of(),
            n -> n.equals("backup-s3-agent") ? Optional.empty() : secret(n));
    assertThat(noAgentSecret.problem().reason()).isEqualTo("SecretNotFound");
    assertThat(noAgentSecret.problem().message())
        .contains("spec.s3.agentCredentialsSecret")
        .contains("backup-s3-agent");
  }

  @Test
  void handMadeRunsGetAUniqueTimeSortableBackupId() {
    BackupRun run = run();
    run.getMetadata().setName("before-upgrade");
    assertThat(RunPlanner.backupId(run, "control-plane"))
        .isEqualTo("control-plane-20261121-020000-9e6634");
  }

  static String decoded(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  @Test
  void aNotReadyNodeGetsNoJobAndAFailedTask() {
    var nodes = List.of(node("compute-1", "compute", true), node("compute-2", "compute", false));
    RunPlanner.Result result =
        RunPlanner.plan(
            run(), Optional.of(policy()), Optional.of(store()), nodes, BackupJobsTest::secret);
    assertThat(result.tasks())
        .filteredOn(t -> "compute-2".equals(t.getNode()))
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getPhase()).isEqualTo(TaskPhase.Failed);
              assertThat(t.getMessage()).contains("compute-2 is NotReady");
            });
  }

  @Test
  void nodePathsOfKubernetesItselfAreRefused() {
    for (String path :
        List.of(
            "/var/lib/kubelet",
            "/var/lib/kubelet/pods",
            "/etc/kubernetes/pki",
            "/",
            "/etc/../var/lib/kubelet")) {
      BackupPolicy policy = policy();
      policy.getSpec().getFiles().get(0).setPaths(List.of("/etc/nova", path));
      var result =
          RunPlanner.plan(
              run(), Optional.of(policy), Optional.of(store()), List.of(), BackupJobsTest::secret);
      assertThat(result.problem()).as(path).isNotNull();
      assertThat(result.problem().reason()).isEqualTo("HostPathNotAllowed");
      assertThat(result.problem().message())
          .contains("spec.files[nova-config].paths")
          .contains(path);
    }
  }

  @Test
  void aPathInsideADeniedSubtreeIsRefusedNamingTheSubtreeAndTheFix() {
    BackupPolicy policy = policy();
    policy.getSpec().getFiles().get(0).setPaths(List.of("/etc/nova", "/etc/kubernetes/pki"));
    var result =
        RunPlanner.plan(
            run(), Optional.of(policy), Optional.of(store()), List.of(), BackupJobsTest::secret);
    assertThat(result.problem().reason()).isEqualTo("HostPathNotAllowed");
    assertThat(result.problem().message())
        .contains(
            "spec.files[nova-config].paths has /etc/kubernetes/pki, which is inside /etc/kubernetes"
                + " (Kubernetes PKI and kubeconfigs)")
        .contains("for example /etc/nova");
  }

  @Test
  void aPathHoldingDeniedSubtreesIsBackedUpWithoutThemAndTheRunSaysWhich() {
    BackupPolicy policy = policy();
    policy.getSpec().getFiles().get(0).setPaths(List.of("/etc", "/var/lib"));
    var nodes = List.of(node("compute-1", "compute", true));
    var result =
        RunPlanner.plan(
            run(), Optional.of(policy), Optional.of(store()), nodes, BackupJobsTest::secret);

    assertThat(result.problem()).isNull();
    RunTask task =
        result.tasks().stream()
            .filter(t -> "compute-1".equals(t.getNode()))
            .findFirst()
            .orElseThrow();
    assertThat(task.getExcluded())
        .contains(
            "/etc/kubernetes",
            "/etc/shadow",
            "/etc/gshadow",
            "/etc/sudoers",
            "/etc/sudoers.d",
            "/etc/ssh/ssh_host_*_key",
            "/etc/cni",
            "/var/lib/kubelet",
            "/var/lib/etcd",
            "/var/lib/containerd",
            "/var/lib/docker",
            "/var/lib/cni")
        .doesNotContain("/proc", "/var/run", "/var/log/pods");
    BackupRun run = run();
    BackupRunStatus status = new BackupRunStatus();
    status.setBackupId(result.backupId());
    status.setFolder(result.folder());
    status.setPlan(result.plan());
    status.setTasks(result.tasks());
    run.setStatus(status);
    assertThat(BackupJobs.agentPlan(run, task).files().excluded()).isEqualTo(task.getExcluded());
    assertThat(result.tasks())
        .filteredOn(t -> "glance-images".equals(t.getTarget()))
        .allSatisfy(t -> assertThat(t.getExcluded()).isNullOrEmpty());
  }

  @Test
  void varIsAcceptedWithoutRuntimeStateButTheNodesRootIsNot() {
    var nodes = List.of(node("compute-1", "compute", true));
    BackupPolicy policy = policy();
    policy.getSpec().getFiles().get(0).setPaths(List.of("/var"));
    var var =
        RunPlanner.plan(
            run(), Optional.of(policy), Optional.of(store()), nodes, BackupJobsTest::secret);
    assertThat(var.problem()).isNull();
    assertThat(var.tasks().get(1).getExcluded())
        .contains("/var/run", "/var/lib/kubelet", "/var/log/pods");

    policy.getSpec().getFiles().get(0).setPaths(List.of("/"));
    var root =
        RunPlanner.plan(
            run(), Optional.of(policy), Optional.of(store()), nodes, BackupJobsTest::secret);
    assertThat(root.problem().reason()).isEqualTo("HostPathNotAllowed");
    assertThat(root.problem().message()).contains("/, the whole node");
  }

  @Test
  void theOperatorsOwnDeniedPathsAddToTheBuiltInOnes() {
    var nodes = List.of(node("compute-1", "compute", true));
    PlanRules rules = new PlanRules(List.of("/srv/vault"), Set.of());
    BackupPolicy policy = policy();
    policy.getSpec().getFiles().get(0).setPaths(List.of("/srv", "/etc"));
    var srv =
        RunPlanner.plan(
            run(),
            Optional.of(policy),
            Optional.of(store()),
            nodes,
            BackupJobsTest::secret,
            rules,
            "osbackup:test");
    assertThat(srv.problem()).isNull();
    assertThat(srv.tasks().get(1).getExcluded()).contains("/srv/vault", "/etc/kubernetes");

    policy.getSpec().getFiles().get(0).setPaths(List.of("/srv/vault/keys"));
    var inside =
        RunPlanner.plan(
            run(),
            Optional.of(policy),
            Optional.of(store()),
            nodes,
            BackupJobsTest::secret,
            rules,
            "osbackup:test");
    assertThat(inside.problem().message())
        .contains("inside /srv/vault (denied by the operator's --denied-host-path)");
  }

  @Test
  void aPolicyCannotPickItsOwnAgentImageUnlessTheOperatorAllowsIt() {
    BackupPolicy policy = policy();
    policy.getSpec().getJob().setImage("evil.example/agent:1");
    var nodes = List.of(node("compute-1", "compute", true));
    var refused =
        RunPlanner.plan(
            run(),
            Optional.of(policy),
            Optional.of(store()),
            nodes,
            BackupJobsTest::secret,
            PlanRules.defaults(),
            "osbackup:test");
    assertThat(refused.problem().reason()).isEqualTo("ImageNotAllowed");
    assertThat(refused.problem().message())
        .contains("spec.job.image")
        .contains("--allowed-agent-image");
    var allowed =
        RunPlanner.plan(
            run(),
            Optional.of(policy),
            Optional.of(store()),
            nodes,
            BackupJobsTest::secret,
            new PlanRules(PlanRules.DEFAULT_DENIED_HOST_PATHS, Set.of("evil.example/agent:1")),
            "osbackup:test");
    assertThat(allowed.problem()).isNull();
  }

  @Test
  void longRunAndNodeNamesStillMakeValidLabels() {
    String node = "compute-" + "x".repeat(70) + ".example.org";
    assertThat(JobNames.labelValue(node))
        .hasSizeLessThanOrEqualTo(63)
        .matches("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    assertThat(JobNames.labelValue("short")).isEqualTo("short");
  }

  static void assertGolden(Job job, String file) throws IOException {
    String yaml = Serialization.asYaml(job);
    Path golden = GOLDEN.resolve(file);
    if (Boolean.getBoolean("osbackup.golden.update")) {
      Files.writeString(golden, yaml);
    }
    assertThat(golden)
        .as("golden file %s is missing: run with -Dosbackup.golden.update=true and review it", file)
        .exists();
    assertThat(yaml).isEqualTo(Files.readString(golden));
  }
}
