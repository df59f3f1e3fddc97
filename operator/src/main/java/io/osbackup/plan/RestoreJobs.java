package io.osbackup.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
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
import io.osbackup.restore.RestorePlan;
import io.osbackup.store.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The Jobs of a RestoreRequest, as pure functions of the request and the agent's plan: a verify Job (reads the bucket,
 * reaches the database servers, writes nothing), one Job per database target and one per node of a files target.
 * Only a files Job runs as root and mounts node directories writable: the parents of the paths it restores, nothing
 * else.
 */
public final class RestoreJobs {

  static final long ACTIVE_DEADLINE_SECONDS = 6 * 3600L;
  static final int TTL_SECONDS_AFTER_FINISHED = 7 * 86400;

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
   * @param storeSecret the store's credentials Secret, mounted at {@link AgentPlan#STORE_CREDENTIALS_DIR}
   * @param databaseSecrets credentials Secrets of the database servers; the i-th is mounted at {@code
   *     RestorePlan.DATABASE_CREDENTIALS_ROOT/<i>}, as the plan's items say
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

  /** Where the i-th database server's CA ({@code tls.caSecret}) is mounted: {@code <dir>/ca.crt}. */
  public static String databaseCaDir(int i) {
    return AgentPlan.DATABASE_CA_DIR + "/" + i;
  }

  /**
   * The Job running {@code plan}, with the store's CA bundle (spec.s3.caBundle; null: none) mounted read-only at
   * {@link AgentPlan#STORE_CA_DIR} and the i-th database server's CA ({@code tls.caSecret}) at {@link
   * #databaseCaDir(int)}, as the plan's items say.
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
    mounts.add(BackupJobs.mount(BackupJobs.STORE_SECRET_VOLUME, AgentPlan.STORE_CREDENTIALS_DIR));
    if (storeCa != null) {
      volumes.add(BackupJobs.caVolume(BackupJobs.STORE_CA_VOLUME, storeCa));
      mounts.add(BackupJobs.mount(BackupJobs.STORE_CA_VOLUME, AgentPlan.STORE_CA_DIR));
    }
    volumes.add(
        new VolumeBuilder().withName(BackupJobs.TMP_VOLUME).withNewEmptyDir().withSizeLimit(new Quantity("64Mi"))
            .endEmptyDir().build());
    mounts.add(new VolumeMountBuilder().withName(BackupJobs.TMP_VOLUME).withMountPath("/tmp").build());
    for (int i = 0; i < databaseSecrets.size(); i++) {
      String name = "database-" + i;
      volumes.add(BackupJobs.secretVolume(name, databaseSecrets.get(i)));
      mounts.add(BackupJobs.mount(name, RestorePlan.DATABASE_CREDENTIALS_ROOT + "/" + i));
    }
    for (int i = 0; i < databaseCas.size(); i++) {
      String name = "database-ca-" + i;
      volumes.add(BackupJobs.caVolume(name, CaBundle.fromSecret(databaseCas.get(i).getName(), databaseCas.get(i).getKey())));
      mounts.add(BackupJobs.mount(name, databaseCaDir(i)));
    }
    boolean writesNode = node != null;
    if (writesNode) {
      int i = 0;
      for (Map.Entry<String, String> dir : nodeDirectories(plan).entrySet()) {
        String name = "host-" + i++;
        volumes.add(
            new VolumeBuilder().withName(name).withNewHostPath().withPath(dir.getKey()).withType(dir.getValue())
                .endHostPath().build());
        mounts.add(
            new VolumeMountBuilder().withName(name).withMountPath(AgentPlan.HOST_ROOT + dir.getKey())
                .withReadOnly(false).build());
      }
    }

    Container agent =
        new ContainerBuilder()
            .withName("agent")
            .withImage(image)
            .withArgs("agent")
            .withEnv(
                new EnvVar(RestorePlan.ENV, json(plan), null),
                new EnvVar("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError", null))
            .withVolumeMounts(mounts)
            .withResources(BackupJobs.resources(null))
            .withTerminationMessagePolicy("FallbackToLogsOnError")
            .withSecurityContext(writesNode ? nodeWriter() : BackupJobs.unprivileged())
            .build();

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
            // A restore step is never retried by Kubernetes: a second attempt after a half-done switch could move the
            // restored data aside as if it were the old. The operator reads the report and decides.
            .withBackoffLimit(0)
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
    if (node != null) {
      job.editSpec().editTemplate().editSpec()
          .withTolerations(BackupJobs.cordoned())
          .withAffinity(BackupJobs.onNode(node))
          .endSpec().endTemplate().endSpec();
    }
    return job.build();
  }

  /**
   * The node directories a files Job mounts writable, with their hostPath type: the parent of every path it restores
   * (the switch renames inside it), or the toPath directory, created if missing. A directory below another is left
   * out: the outer mount covers it.
   */
  static Map<String, String> nodeDirectories(RestorePlan plan) {
    Map<String, String> wanted = new LinkedHashMap<>();
    for (RestorePlan.FilesItem item : plan.files()) {
      if (item.toPath() != null) {
        wanted.put(item.toPath(), "DirectoryOrCreate");
        continue;
      }
      for (String path : item.paths()) {
        int slash = path.lastIndexOf('/');
        String parent = slash <= 0 ? "/" : path.substring(0, slash);
        wanted.putIfAbsent(parent, "Directory");
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String dir : new TreeSet<>(wanted.keySet())) {
      boolean covered = out.keySet().stream().anyMatch(outer -> !outer.equals(dir) && under(dir, outer));
      if (!covered) {
        out.put(dir, wanted.get(dir));
      }
    }
    return out;
  }

  private static boolean under(String path, String root) {
    return "/".equals(root) || path.startsWith(root + "/");
  }

  /** Writing root-owned node files with their owners and modes needs uid 0 and these capabilities, nothing more. */
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
