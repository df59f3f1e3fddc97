package io.osbackup.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.CaBundle;
import io.osbackup.api.v1alpha1.KeyRef;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.DeniedPaths;
import io.osbackup.contract.Json;
import io.osbackup.contract.RestorePlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The Jobs of a RestoreRequest, as pure functions of the request and the agent's plan: a verify Job
 * (reads the bucket, reaches the database servers, writes nothing), one Job per database target and
 * one per node of a files target. Only a files Job runs as root and mounts node directories
 * writable: the parents of the paths it restores, nothing else.
 */
public final class RestoreJobs {

  static final long ACTIVE_DEADLINE_SECONDS = 6 * 3600L;
  static final int TTL_SECONDS_AFTER_FINISHED = 7 * 86400;

  /**
   * How often a database Job whose agent died without reporting (killed, evicted, out of memory) is
   * run again. The new agent reads the switch journal its predecessor left in the server and
   * finishes or rolls back that switch before anything else; databases it finds already switched by
   * the same restore are not restored again.
   */
  static final int DATABASE_RETRIES = 2;

  /** The agent's exit codes when it failed and reported why: such a Job is never run again. */
  static final List<Integer> REPORTED_FAILURES = List.of(1, 2);

  private RestoreJobs() {}

  /** {@code <request>-verify}. */
  public static String verifyName(String request) {
    return JobNames.fit(request + "-verify");
  }

  /** {@code <request>-db-<target>}. */
  public static String databaseName(String request, String target) {
    return JobNames.fit(request + "-db-" + target);
  }

  /** {@code <request>-files-<target>-<node>}. */
  public static String filesName(String request, String target, String node) {
    return JobNames.fit(request + "-files-" + target + "-" + node);
  }

  /**
   * The Job running {@code plan}.
   *
   * @param storeSecret the store's agent credentials Secret ({@code s3.agentCredentialsSecret},
   *     else {@code s3.credentialsSecret}), mounted at {@link BackupPlan#STORE_CREDENTIALS_DIR}
   * @param databaseSecrets credentials Secrets of the database servers; the i-th is mounted at
   *     {@code RestorePlan.DATABASE_CREDENTIALS_ROOT/<i>}, as the plan's items say
   * @param node for a files Job, the node it writes on; null otherwise
   */
  public static Job jobFor(
      RestoreRequest request,
      RestorePlan plan,
      String storeSecret,
      List<String> databaseSecrets,
      String node,
      String image) {
    return jobFor(request, plan, storeSecret, null, databaseSecrets, List.of(), node, image);
  }

  /**
   * Where the i-th database server's CA ({@code tls.caSecret}) is mounted: {@code <dir>/ca.crt}.
   */
  public static String databaseCaDir(int i) {
    return BackupPlan.DATABASE_CA_DIR + "/" + i;
  }

  /**
   * The Job running {@code plan}, with the store's CA bundle (spec.s3.caBundle; null: none) mounted
   * read-only at {@link BackupPlan#STORE_CA_DIR} and the i-th database server's CA ({@code
   * tls.caSecret}) at {@link #databaseCaDir(int)}, as the plan's items say.
   */
  public static Job jobFor(
      RestoreRequest request,
      RestorePlan plan,
      String storeSecret,
      CaBundle storeCa,
      List<String> databaseSecrets,
      List<KeyRef> databaseCas,
      String node,
      String image) {
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    volumes.add(BackupJobs.secretVolume(BackupJobs.STORE_SECRET_VOLUME, storeSecret));
    mounts.add(BackupJobs.mount(BackupJobs.STORE_SECRET_VOLUME, BackupPlan.STORE_CREDENTIALS_DIR));
    if (storeCa != null) {
      volumes.add(BackupJobs.caVolume(BackupJobs.STORE_CA_VOLUME, storeCa));
      mounts.add(BackupJobs.mount(BackupJobs.STORE_CA_VOLUME, BackupPlan.STORE_CA_DIR));
    }
    volumes.add(BackupJobs.tmpVolume());
    mounts.add(
        new VolumeMountBuilder().withName(BackupJobs.TMP_VOLUME).withMountPath("/tmp").build());
    for (int i = 0; i < databaseSecrets.size(); i++) {
      String name = "database-" + i;
      volumes.add(BackupJobs.secretVolume(name, databaseSecrets.get(i)));
      mounts.add(BackupJobs.mount(name, RestorePlan.DATABASE_CREDENTIALS_ROOT + "/" + i));
    }
    for (int i = 0; i < databaseCas.size(); i++) {
      String name = "database-ca-" + i;
      volumes.add(
          BackupJobs.caVolume(
              name,
              CaBundle.fromSecret(databaseCas.get(i).getName(), databaseCas.get(i).getKey())));
      mounts.add(BackupJobs.mount(name, databaseCaDir(i)));
    }
    boolean writesNode = node != null;
    if (writesNode) {
      int i = 0;
      for (Map.Entry<String, String> dir : nodeDirectories(plan).entrySet()) {
        String name = "host-" + i++;
        volumes.add(
            new VolumeBuilder()
                .withName(name)
                .withNewHostPath()
                .withPath(dir.getKey())
                .withType(dir.getValue())
                .endHostPath()
                .build());
        mounts.add(
            new VolumeMountBuilder()
                .withName(name)
                .withMountPath(BackupPlan.HOST_ROOT + dir.getKey())
                .withReadOnly(false)
                .build());
      }
    }

    Container agent =
        new ContainerBuilder()
            .withName("agent")
            .withImage(image)
            .withArgs("agent")
            .withEnv(
                new EnvVar(RestorePlan.ENV, json(plan), null),
                new EnvVar(
                    "JAVA_TOOL_OPTIONS",
                    "-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError",
                    null))
            .withVolumeMounts(mounts)
            .withResources(BackupJobs.resources(null))
            .withTerminationMessagePolicy("FallbackToLogsOnError")
            .withSecurityContext(writesNode ? nodeWriter() : BackupJobs.unprivileged())
            .build();

    boolean retried =
        !writesNode && RestorePlan.RESTORE.equals(plan.mode()) && !plan.databases().isEmpty();
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Api.MANAGED_BY_LABEL, Api.MANAGED_BY);
    labels.put(Api.RESTORE_LABEL, JobNames.labelValue(request.getMetadata().getName()));
    if (node != null) {
      labels.put(Api.NODE_LABEL, JobNames.labelValue(node));
    }
    JobBuilder job =
        new JobBuilder()
            .withNewMetadata()
            .withName(plan.jobName())
            .withNamespace(request.getMetadata().getNamespace())
            .withLabels(labels)
            .withOwnerReferences(BackupJobs.controllerReference(request))
            .endMetadata()
            .withNewSpec()
            // A files or verify Job is never retried by Kubernetes. A database Job is, but only
            // when its agent died
            // without reporting: the switch journal lets the next agent finish or roll back a
            // half-done switch
            // instead of moving the restored data aside as if it were the old.
            .withBackoffLimit(retried ? DATABASE_RETRIES : 0)
            .withActiveDeadlineSeconds(ACTIVE_DEADLINE_SECONDS)
            .withTtlSecondsAfterFinished(TTL_SECONDS_AFTER_FINISHED)
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withAutomountServiceAccountToken(false)
            .withEnableServiceLinks(false)
            .withSecurityContext(BackupJobs.podSecurity())
            .withContainers(agent)
            .withVolumes(volumes)
            .endSpec()
            .endTemplate()
            .endSpec();
    if (retried) {
      job.editSpec()
          .withNewPodFailurePolicy()
          .addNewRule()
          .withAction("FailJob")
          .withNewOnExitCodes()
          .withContainerName("agent")
          .withOperator("In")
          .withValues(REPORTED_FAILURES)
          .endOnExitCodes()
          .endRule()
          .endPodFailurePolicy()
          .endSpec();
    }
    if (node != null) {
      job.editSpec()
          .editTemplate()
          .editSpec()
          .withTolerations(BackupJobs.cordoned())
          .withAffinity(BackupJobs.onNode(node))
          .endSpec()
          .endTemplate()
          .endSpec();
    }
    return job.build();
  }

  /**
   * The node directories a files Job mounts writable, with their hostPath type: the parent of every
   * path it restores (the switch renames inside it), in place or below the toPath ({@code
   * <toPath>/etc} for {@code /etc/nova}, created if missing, so the rest of the toPath directory
   * stays out of the pod). A directory below another is left out: the outer mount covers it. The
   * node's {@code /} and denied subtrees are never mounted.
   */
  static Map<String, String> nodeDirectories(RestorePlan plan) {
    Map<String, String> wanted = new LinkedHashMap<>();
    for (RestorePlan.FilesItem item : plan.files()) {
      if (item.toPath() != null && "/".equals(RestorePlan.join(item.toPath(), "/"))) {
        throw new IllegalArgumentException(
            "a restore Job never mounts the node's / writable: toPath / is in place");
      }
      for (String path : item.paths()) {
        String destination = item.toPath() == null ? path : RestorePlan.join(item.toPath(), path);
        int slash = destination.lastIndexOf('/');
        String parent = slash <= 0 ? "/" : destination.substring(0, slash);
        wanted.putIfAbsent(parent, item.toPath() == null ? "Directory" : "DirectoryOrCreate");
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String dir : wanted.keySet()) {
      if ("/".equals(dir)) {
        throw new IllegalArgumentException(
            "a restore Job never mounts the node's / writable: restore the"
                + " directories inside the top-level directories, or to a toPath");
      }
      DENIED
          .covering(dir)
          .ifPresent(
              subtree -> {
                throw new IllegalArgumentException(
                    "a restore Job never mounts "
                        + dir
                        + " writable: it is or lies inside the"
                        + " denied "
                        + subtree.path()
                        + " ("
                        + subtree.why()
                        + ")");
              });
    }
    for (String dir : new TreeSet<>(wanted.keySet())) {
      boolean covered =
          out.keySet().stream().anyMatch(outer -> !outer.equals(dir) && under(dir, outer));
      if (!covered) {
        out.put(dir, wanted.get(dir));
      }
    }
    return out;
  }

  /** Node subtrees no restore writes. */
  private static final DeniedPaths DENIED = DeniedPaths.builtIn();

  private static boolean under(String path, String root) {
    return "/".equals(root) || path.startsWith(root + "/");
  }

  /**
   * Writing root-owned node files with their owners and modes needs uid 0 and these capabilities,
   * nothing more.
   */
  private static SecurityContext nodeWriter() {
    return new SecurityContextBuilder()
        .withRunAsUser(0L)
        .withRunAsNonRoot(false)
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .withAdd("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID")
        .endCapabilities()
        .build();
  }

  private static String json(RestorePlan plan) {
    try {
      return Json.MAPPER.writeValueAsString(plan);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
