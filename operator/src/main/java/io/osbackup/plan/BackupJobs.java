package io.osbackup.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.osbackup.api.v1alpha1.AccountsCapture;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.CaBundle;
import io.osbackup.api.v1alpha1.DatabaseTarget;
import io.osbackup.api.v1alpha1.DatabaseTls;
import io.osbackup.api.v1alpha1.FilesTarget;
import io.osbackup.api.v1alpha1.JobSettings;
import io.osbackup.api.v1alpha1.KeyRef;
import io.osbackup.api.v1alpha1.RunPlan;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.contract.ArtifactKind;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Job for one task of a run, as a pure function of the run's status. Jobs carry no credential
 * in clear: the store's agent credentials ({@code s3.agentCredentialsSecret}, else {@code
 * s3.credentialsSecret}) and the database Secrets are mounted as read-only volumes, the plan in the
 * environment holds none, and the pod gets no Kubernetes API token. The manifest signing Secret is
 * never mounted.
 */
public final class BackupJobs {

  static final String STORE_SECRET_VOLUME = "store-credentials";
  static final String DATABASE_SECRET_VOLUME = "database-credentials";
  static final String HOST_VOLUME = "host";
  static final String TMP_VOLUME = "tmp";
  static final String TMP_SIZE_LIMIT = "32Mi";
  static final String STORE_CA_VOLUME = "store-ca";
  static final String DATABASE_CA_VOLUME = "database-ca";

  private BackupJobs() {}

  /** Labels on a run's Jobs and their pods. */
  public static Map<String, String> labels(BackupRun run, RunTask task) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Api.MANAGED_BY_LABEL, Api.MANAGED_BY);
    labels.put(Api.RUN_LABEL, JobNames.labelValue(run.getMetadata().getName()));
    labels.put(Api.POLICY_LABEL, JobNames.labelValue(run.getSpec().getPolicyRef().getName()));
    labels.put(Api.TARGET_LABEL, task.getTarget());
    if (task.getNode() != null) {
      labels.put(Api.NODE_LABEL, JobNames.labelValue(task.getNode()));
    }
    return labels;
  }

  /**
   * The Job of {@code task}.
   *
   * @param defaultImage the agent image when the policy names none (the operator's own image)
   */
  public static Job jobFor(BackupRun run, RunTask task, String defaultImage) {
    BackupRunStatus status = run.getStatus();
    RunPlan plan = status.getPlan();
    JobSettings settings = plan.getJob() == null ? new JobSettings() : plan.getJob();
    BackupPlan agentPlan = agentPlan(run, task);

    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    volumes.add(secretVolume(STORE_SECRET_VOLUME, plan.getS3().agentSecretName()));
    mounts.add(mount(STORE_SECRET_VOLUME, BackupPlan.STORE_CREDENTIALS_DIR));
    if (plan.getS3().getCaBundle() != null) {
      volumes.add(caVolume(STORE_CA_VOLUME, plan.getS3().getCaBundle()));
      mounts.add(mount(STORE_CA_VOLUME, BackupPlan.STORE_CA_DIR));
    }
    volumes.add(tmpVolume());
    mounts.add(new VolumeMountBuilder().withName(TMP_VOLUME).withMountPath("/tmp").build());

    List<Toleration> tolerations = new ArrayList<>(settings.getTolerations());
    boolean readsNodeFiles = false;
    String node = null;
    if (agentPlan.database() != null) {
      DatabaseTarget db = databaseTarget(plan, task.getTarget());
      volumes.add(secretVolume(DATABASE_SECRET_VOLUME, db.getCredentialsSecret().getName()));
      mounts.add(mount(DATABASE_SECRET_VOLUME, BackupPlan.DATABASE_CREDENTIALS_DIR));
      if (db.getTls() != null && db.getTls().getCaSecret() != null) {
        KeyRef ca = db.getTls().getCaSecret();
        volumes.add(caVolume(DATABASE_CA_VOLUME, CaBundle.fromSecret(ca.getName(), ca.getKey())));
        mounts.add(mount(DATABASE_CA_VOLUME, BackupPlan.DATABASE_CA_DIR));
      }
    } else {
      FilesTarget files = filesTarget(plan, task.getTarget());
      tolerations.addAll(files.getTolerations());
      if (files.getVolume() != null) {
        volumes.add(
            new VolumeBuilder()
                .withName(HOST_VOLUME)
                .withNewPersistentVolumeClaim(files.getVolume().getClaimName(), true)
                .build());
      } else {
        // The node's root, read-only: a path missing on the node is then reported by the agent in
        // plain words,
        // and nothing is ever created on the node (a hostPath of a missing directory would be).
        volumes.add(
            new VolumeBuilder()
                .withName(HOST_VOLUME)
                .withNewHostPath()
                .withPath("/")
                .withType("Directory")
                .endHostPath()
                .build());
        readsNodeFiles = true;
        node = task.getNode();
        // A cordoned node (kubectl drain for maintenance) is exactly when its configuration should
        // be safe.
        tolerations.add(cordoned());
      }
      mounts.add(mount(HOST_VOLUME, BackupPlan.HOST_ROOT));
    }

    Container agent =
        new ContainerBuilder()
            .withName("agent")
            .withImage(
                settings.getImage() == null || settings.getImage().isBlank()
                    ? defaultImage
                    : settings.getImage())
            .withArgs("agent")
            .withEnv(
                new EnvVar(BackupPlan.ENV, json(agentPlan), null),
                new EnvVar(
                    "JAVA_TOOL_OPTIONS",
                    "-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError",
                    null))
            .withVolumeMounts(mounts)
            .withResources(resources(settings.getResources()))
            .withTerminationMessagePolicy("FallbackToLogsOnError")
            .withSecurityContext(
                readsNodeFiles
                    // Reading root-owned configuration (0640 root:nova) needs uid 0 with
                    // DAC_READ_SEARCH only.
                    ? new SecurityContextBuilder()
                        .withRunAsUser(0L)
                        .withRunAsNonRoot(false)
                        .withAllowPrivilegeEscalation(false)
                        .withReadOnlyRootFilesystem(true)
                        .withNewCapabilities()
                        .withDrop("ALL")
                        .withAdd("DAC_READ_SEARCH")
                        .endCapabilities()
                        .build()
                    : unprivileged())
            .build();

    Map<String, String> labels = labels(run, task);
    JobBuilder job =
        new JobBuilder()
            .withNewMetadata()
            .withName(task.getJob())
            .withNamespace(run.getMetadata().getNamespace())
            .withLabels(labels)
            .withOwnerReferences(controllerReference(run))
            .endMetadata()
            .withNewSpec()
            .withBackoffLimit(settings.getBackoffLimit() == null ? 0 : settings.getBackoffLimit())
            .withActiveDeadlineSeconds(
                settings.getActiveDeadlineSeconds() == null
                    ? io.osbackup.api.v1alpha1.JobSettings.DEFAULT_ACTIVE_DEADLINE_SECONDS
                    : settings.getActiveDeadlineSeconds())
            .withTtlSecondsAfterFinished(
                settings.getTtlSecondsAfterFinished() == null
                    ? 86400
                    : settings.getTtlSecondsAfterFinished())
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withAutomountServiceAccountToken(false)
            .withEnableServiceLinks(false)
            .withPriorityClassName(settings.getPriorityClassName())
            .withImagePullSecrets(settings.getImagePullSecrets())
            .withTolerations(tolerations)
            .withSecurityContext(podSecurity())
            .withContainers(agent)
            .withVolumes(volumes)
            .endSpec()
            .endTemplate()
            .endSpec();
    if (node != null) {
      job.editSpec()
          .editTemplate()
          .editSpec()
          .withAffinity(onNode(node))
          .endSpec()
          .endTemplate()
          .endSpec();
    }
    return job.build();
  }

  /** The plan handed to the agent of {@code task}. */
  public static BackupPlan agentPlan(BackupRun run, RunTask task) {
    BackupRunStatus status = run.getStatus();
    RunPlan plan = status.getPlan();
    BackupPlan.Store store = store(plan.getS3());
    String compression =
        plan.getCompression() == null ? "gzip" : plan.getCompression().name().toLowerCase();
    if (ArtifactKind.DATABASE.is(task.getKind())) {
      DatabaseTarget db = databaseTarget(plan, task.getTarget());
      return new BackupPlan(
          task.getJob(),
          status.getBackupId(),
          status.getFolder(),
          store,
          compression,
          new BackupPlan.Database(
              db.getName(),
              db.getHost(),
              db.getPort() == null ? 3306 : db.getPort(),
              BackupPlan.DATABASE_CREDENTIALS_DIR,
              db.getInclude(),
              db.getExclude(),
              Boolean.TRUE.equals(db.getIncludeSystemDatabases()),
              tls(db.getTls()),
              (db.getAccounts() == null ? AccountsCapture.Relevant : db.getAccounts()).name()),
          null);
    }
    FilesTarget files = filesTarget(plan, task.getTarget());
    return new BackupPlan(
        task.getJob(),
        status.getBackupId(),
        status.getFolder(),
        store,
        compression,
        null,
        new BackupPlan.Files(
            files.getName(),
            task.getNode(),
            BackupPlan.HOST_ROOT,
            files.getPaths(),
            files.getExclude(),
            files.getVolume() != null ? Boolean.TRUE : null,
            files.getVolume() != null || task.getExcluded() == null || task.getExcluded().isEmpty()
                ? null
                : List.copyOf(task.getExcluded())));
  }

  /**
   * The store as an agent sees it: its credentials and CA bundle are files mounted from Secrets or
   * a ConfigMap.
   */
  public static BackupPlan.Store store(S3Location s3) {
    return new BackupPlan.Store(
        s3.getEndpoint(),
        s3.getBucket(),
        s3.getRegion() == null
            ? io.osbackup.api.v1alpha1.S3Location.DEFAULT_REGION
            : s3.getRegion(),
        s3.getForcePathStyle() == null || s3.getForcePathStyle(),
        BackupPlan.STORE_CREDENTIALS_DIR,
        s3.getCaBundle() == null ? null : BackupPlan.STORE_CA_DIR + "/" + BackupPlan.CA_FILE,
        s3.getMaxUploadParts() == null || s3.getMaxUploadParts() == 1000
            ? null
            : s3.getMaxUploadParts());
  }

  /** A database target's TLS as the agent sees it: the CA is a mounted file. */
  public static BackupPlan.DatabaseTls tls(DatabaseTls tls) {
    if (tls == null) {
      return null;
    }
    return new BackupPlan.DatabaseTls(
        tls.getMode(),
        tls.getCaSecret() == null ? null : BackupPlan.DATABASE_CA_DIR + "/" + BackupPlan.CA_FILE);
  }

  /**
   * A read-only volume holding one key of a Secret or ConfigMap as {@code ca.crt}. Certificates are
   * public: readable by everyone in the pod.
   */
  static Volume caVolume(String name, CaBundle bundle) {
    KeyToPath item =
        new KeyToPath(
            bundle.getSecretRef() != null
                ? bundle.getSecretRef().getKey()
                : bundle.getConfigMapRef().getKey(),
            0444,
            BackupPlan.CA_FILE);
    if (bundle.getSecretRef() != null) {
      return new VolumeBuilder()
          .withName(name)
          .withNewSecret()
          .withSecretName(bundle.getSecretRef().getName())
          .withItems(item)
          .endSecret()
          .build();
    }
    return new VolumeBuilder()
        .withName(name)
        .withNewConfigMap()
        .withName(bundle.getConfigMapRef().getName())
        .withItems(item)
        .endConfigMap()
        .build();
  }

  static DatabaseTarget databaseTarget(RunPlan plan, String name) {
    return plan.getDatabases().stream()
        .filter(d -> d.getName().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("no database target " + name + " in the run's plan"));
  }

  static FilesTarget filesTarget(RunPlan plan, String name) {
    return plan.getFiles().stream()
        .filter(f -> f.getName().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("no files target " + name + " in the run's plan"));
  }

  /**
   * Pins a pod to {@code node} by name (a field selector on metadata.name: no label needed on the
   * node).
   */
  static Affinity onNode(String node) {
    return new AffinityBuilder()
        .withNewNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .addNewNodeSelectorTerm()
        .addNewMatchField()
        .withKey("metadata.name")
        .withOperator("In")
        .withValues(node)
        .endMatchField()
        .endNodeSelectorTerm()
        .endRequiredDuringSchedulingIgnoredDuringExecution()
        .endNodeAffinity()
        .build();
  }

  /**
   * Tolerates a cordoned node: maintenance (kubectl drain) is exactly when its files should be
   * safe.
   */
  static Toleration cordoned() {
    return new TolerationBuilder()
        .withKey("node.kubernetes.io/unschedulable")
        .withOperator("Exists")
        .withEffect("NoSchedule")
        .build();
  }

  /**
   * The pod of every agent Job: Secrets readable through fsGroup 65532, the runtime's seccomp
   * profile.
   */
  static PodSecurityContext podSecurity() {
    return new PodSecurityContextBuilder()
        .withFsGroup(65532L)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .build();
  }

  /** An agent that touches no node files: non-root, no capabilities, read-only root filesystem. */
  /**
   * The owner reference that makes {@code owner} a Job's controller: the Job goes when its CR is
   * deleted.
   */
  static OwnerReference controllerReference(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  static SecurityContext unprivileged() {
    return new SecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withRunAsUser(65532L)
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .build();
  }

  /**
   * The agent's /tmp: in memory, so the database login file written there never reaches the node's
   * disk, and small, since only that file, the JVM's perf data and zstd-jni's native library (about
   * 1 MiB) land there; it counts against the container's memory limit.
   */
  static Volume tmpVolume() {
    return new VolumeBuilder()
        .withName(TMP_VOLUME)
        .withNewEmptyDir()
        .withMedium("Memory")
        .withSizeLimit(new Quantity(TMP_SIZE_LIMIT))
        .endEmptyDir()
        .build();
  }

  static ResourceRequirements resources(ResourceRequirements configured) {
    if (configured != null) {
      return configured;
    }
    return new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity("100m"))
        .addToRequests("memory", new Quantity("320Mi"))
        .addToLimits("memory", new Quantity("512Mi"))
        .build();
  }

  static Volume secretVolume(String name, String secret) {
    return new VolumeBuilder()
        .withName(name)
        .withNewSecret()
        .withSecretName(secret)
        .withDefaultMode(0440) // readable by the pod's fsGroup: the database agent runs as non-root
        .endSecret()
        .build();
  }

  static VolumeMount mount(String name, String path) {
    return new VolumeMountBuilder().withName(name).withMountPath(path).withReadOnly(true).build();
  }

  private static String json(BackupPlan plan) {
    try {
      return Json.MAPPER.writeValueAsString(plan);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
