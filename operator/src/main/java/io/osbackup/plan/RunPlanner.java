package io.osbackup.plan;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupPolicySpec;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.DatabaseTarget;
import io.osbackup.api.v1alpha1.FilesTarget;
import io.osbackup.api.v1alpha1.JobSettings;
import io.osbackup.api.v1alpha1.RunPlan;
import io.osbackup.api.v1alpha1.RunTask;
import io.osbackup.api.v1alpha1.TaskPhase;
import io.osbackup.contract.ArtifactKind;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.DeniedPaths;
import io.osbackup.restore.RestoreSelection;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns a BackupRun, its policy and store, the cluster's Nodes and Secrets into the run's plan: the
 * backup id, the folder, the settings copied from the policy, and one task per Job. Pure:
 * everything it needs is passed in.
 */
public final class RunPlanner {

  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  /** What planning produced: either a plan or a problem. */
  public record Result(
      String backupId, String folder, RunPlan plan, List<RunTask> tasks, PlanProblem problem) {
    static Result of(PlanProblem problem) {
      return new Result(null, null, null, List.of(), problem);
    }

    public boolean ok() {
      return problem == null;
    }
  }

  private RunPlanner() {}

  /**
   * Plans a run.
   *
   * @param policy the run's policy, empty if it does not exist
   * @param store the policy's store, empty if it does not exist
   * @param nodes every Node of the cluster
   * @param secrets finds a Secret of the run's namespace by name
   */
  public static Result plan(
      BackupRun run,
      Optional<BackupPolicy> policy,
      Optional<BackupStore> store,
      List<Node> nodes,
      Function<String, Optional<Secret>> secrets) {
    return plan(run, policy, store, nodes, secrets, PlanRules.defaults(), null);
  }

  /**
   * Plans a run under the operator's {@code rules}.
   *
   * @param operatorImage the operator's own agent image, always allowed in {@code spec.job.image}
   */
  public static Result plan(
      BackupRun run,
      Optional<BackupPolicy> policy,
      Optional<BackupStore> store,
      List<Node> nodes,
      Function<String, Optional<Secret>> secrets,
      PlanRules rules,
      String operatorImage) {
    String policyName = run.getSpec().getPolicyRef().getName();
    String ns = run.getMetadata().getNamespace();
    if (policy.isEmpty()) {
      return Result.of(
          new PlanProblem(
              "PolicyNotFound",
              "spec.policyRef names BackupPolicy '"
                  + policyName
                  + "', which does not exist in namespace "
                  + ns
                  + ": create it or fix spec.policyRef.name",
              true));
    }
    BackupPolicySpec spec = policy.get().getSpec();
    String storeName = spec.getStoreRef().getName();
    if (store.isEmpty()) {
      return Result.of(
          new PlanProblem(
              "StoreNotFound",
              "BackupPolicy '"
                  + policyName
                  + "' names BackupStore '"
                  + storeName
                  + "' in spec.storeRef, which does not exist in namespace "
                  + ns
                  + ": create it or fix the policy's spec.storeRef.name",
              true));
    }
    var s3 = store.get().getSpec().getS3();
    Optional<PlanProblem> secretProblem =
        checkSecret(
            secrets,
            s3.getCredentialsSecret().getName(),
            List.of("accessKey", "secretKey"),
            "BackupStore '" + storeName + "' spec.s3.credentialsSecret");
    if (secretProblem.isPresent()) {
      return Result.of(secretProblem.get());
    }
    if (s3.getAgentCredentialsSecret() != null) {
      secretProblem =
          checkSecret(
              secrets,
              s3.getAgentCredentialsSecret().getName(),
              List.of("accessKey", "secretKey"),
              "BackupStore '" + storeName + "' spec.s3.agentCredentialsSecret");
      if (secretProblem.isPresent()) {
        return Result.of(secretProblem.get());
      }
    }
    for (DatabaseTarget db : spec.getDatabases()) {
      secretProblem =
          checkSecret(
              secrets,
              db.getCredentialsSecret().getName(),
              List.of("username", "password"),
              "BackupPolicy '"
                  + policyName
                  + "' spec.databases["
                  + db.getName()
                  + "].credentialsSecret");
      if (secretProblem.isPresent()) {
        return Result.of(secretProblem.get());
      }
    }

    String image = spec.getJob() == null ? null : spec.getJob().getImage();
    if (image != null
        && !image.isBlank()
        && !image.equals(operatorImage)
        && !rules.allowedImages().contains(image)) {
      return Result.of(
          new PlanProblem(
              "ImageNotAllowed",
              "BackupPolicy '"
                  + policyName
                  + "' spec.job.image '"
                  + image
                  + "' is not an agent image this operator allows: remove it to use the operator's own image, or"
                  + " ask the cluster admin to add it to the operator's --allowed-agent-image list",
              false));
    }
    DeniedPaths denied = rules.denied();
    Map<String, List<String>> excluded = new HashMap<>();
    for (FilesTarget files : spec.getFiles()) {
      if (files.getVolume() != null) {
        continue;
      }
      Set<String> left = new LinkedHashSet<>();
      for (String path : files.getPaths()) {
        Optional<PlanProblem> refused = refusedPath(policyName, files.getName(), path, denied);
        if (refused.isPresent()) {
          return Result.of(refused.get());
        }
        denied.inside(path).forEach(s -> left.add(s.path()));
      }
      excluded.put(files.getName(), List.copyOf(left));
    }

    String backupId = backupId(run, policyName);
    String folder = BackupLayout.backupFolder(s3.getPrefix(), ns, policyName, backupId);
    String runName = run.getMetadata().getName();
    List<RunTask> tasks = new ArrayList<>();
    for (DatabaseTarget db : spec.getDatabases()) {
      tasks.add(
          task(
              JobNames.database(runName, db.getName()),
              ArtifactKind.DATABASE.value(),
              db.getName(),
              null));
    }
    for (FilesTarget files : spec.getFiles()) {
      if (files.getVolume() != null) {
        String node = RestoreSelection.VOLUME_PREFIX + files.getVolume().getClaimName();
        tasks.add(
            task(
                JobNames.files(runName, files.getName(), node),
                ArtifactKind.FILES.value(),
                files.getName(),
                node));
        continue;
      }
      List<Node> matching = matchingNodes(nodes, files.nodeSelectorOrEmpty());
      if (matching.isEmpty()) {
        return Result.of(
            new PlanProblem(
                "NoMatchingNodes",
                "no Node matches spec.files["
                    + files.getName()
                    + "].nodeSelector "
                    + files.nodeSelectorOrEmpty()
                    + " of BackupPolicy '"
                    + policyName
                    + "': fix the selector or label the nodes (kubectl label node <name> key=value)",
                false));
      }
      for (Node node : matching) {
        String name = node.getMetadata().getName();
        RunTask task =
            task(
                JobNames.files(runName, files.getName(), name),
                ArtifactKind.FILES.value(),
                files.getName(),
                name);
        List<String> left = excluded.getOrDefault(files.getName(), List.of());
        task.setExcluded(left.isEmpty() ? null : left);
        if (!isReady(node)) {
          // No Job for it: a pod pinned to a NotReady node would only wait for its deadline.
          task.setPhase(TaskPhase.Failed);
          task.setMessage(
              "node "
                  + name
                  + " is NotReady: its files of target "
                  + files.getName()
                  + " were not backed up");
        }
        tasks.add(task);
      }
    }

    RunPlan plan = new RunPlan();
    plan.setPolicyGeneration(policy.get().getMetadata().getGeneration());
    plan.setStore(storeName);
    plan.setS3(s3);
    plan.setCompression(spec.getCompression());
    plan.setDatabases(spec.getDatabases());
    plan.setFiles(spec.getFiles());
    plan.setMaxParallelNodes(
        spec.getMaxParallelNodes() == null
            ? io.osbackup.api.v1alpha1.BackupPolicySpec.DEFAULT_MAX_PARALLEL_NODES
            : spec.getMaxParallelNodes());
    plan.setJob(spec.getJob() == null ? new JobSettings() : spec.getJob());
    return new Result(backupId, folder, plan, tasks, null);
  }

  /**
   * The backup id: a scheduled run's name ({@code <policy>-<yyyyMMdd-HHmmss>}) as it is; for a run
   * created by hand, {@code <policy>-<yyyyMMdd-HHmmss>-<6 hex digits of the run's uid hash>} from
   * its creation time, so two hand-made runs in one second never share a folder.
   */
  public static String backupId(BackupRun run, String policy) {
    String name = run.getMetadata().getName();
    if (isScheduled(run, policy)) {
      return name;
    }
    String created = run.getMetadata().getCreationTimestamp();
    Instant at = created == null ? Instant.now() : Instant.parse(created);
    String uid = run.getMetadata().getUid();
    String suffix =
        JobNames.hash(
                uid != null ? uid : run.getMetadata().getNamespace() + "/" + name + "/" + created)
            .substring(0, 6);
    return policy + "-" + ID_TIME.format(at) + "-" + suffix;
  }

  /**
   * Whether {@code run} is one the policy's schedule creates: named {@code
   * <policy>-<yyyyMMdd-HHmmss>} of its slot. Its backup id is its name; any other run was made by
   * hand, and its backup id carries a suffix of its own.
   */
  public static boolean isScheduled(BackupRun run, String policy) {
    return Pattern.matches(Pattern.quote(policy) + "-\\d{8}-\\d{6}", run.getMetadata().getName());
  }

  /**
   * Why {@code path} of files target {@code target} may not be read from nodes: it is not plain, it
   * is the node's root, or it is or lies inside a denied subtree. A path that merely holds denied
   * subtrees is read without them.
   */
  private static Optional<PlanProblem> refusedPath(
      String policy, String target, String path, DeniedPaths denied) {
    String trimmed =
        path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    boolean plain = trimmed.startsWith("/") && !(trimmed + "/").matches(".*(/\\.{1,2}/|//).*");
    String why;
    if (trimmed.equals("/")) {
      why = ", the whole node, which holds the keys of Kubernetes and of the OS";
    } else if (!plain) {
      why = ", which is not a plain absolute path (no '.', '..' or '//')";
    } else {
      Optional<DeniedPaths.Subtree> covering = denied.covering(trimmed);
      if (covering.isEmpty()) {
        return Optional.empty();
      }
      DeniedPaths.Subtree subtree = covering.get();
      why =
          (subtree.path().equals(trimmed)
                  ? ", which is "
                  : subtree.glob() ? ", which matches " : ", which is inside ")
              + subtree.path()
              + " ("
              + subtree.why()
              + "): the operator never reads it from nodes";
    }
    return Optional.of(
        new PlanProblem(
            "HostPathNotAllowed",
            "BackupPolicy '"
                + policy
                + "' spec.files["
                + target
                + "].paths has "
                + path
                + why
                + ". List the service directories to back up, for example /etc/nova; a directory that holds denied"
                + " subtrees (such as /etc) is backed up without them",
            false));
  }

  /** Whether the Node's Ready condition is True. */
  static boolean isReady(Node node) {
    return node.getStatus() != null
        && node.getStatus().getConditions() != null
        && node.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** The Nodes whose labels contain every entry of the selector, sorted by name. */
  static List<Node> matchingNodes(List<Node> nodes, Map<String, String> selector) {
    return nodes.stream()
        .filter(
            n -> {
              Map<String, String> labels =
                  n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
              return selector.entrySet().stream()
                  .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
            })
        .sorted(Comparator.comparing((Node n) -> n.getMetadata().getName()))
        .toList();
  }

  private static Optional<PlanProblem> checkSecret(
      Function<String, Optional<Secret>> secrets, String name, List<String> keys, String field) {
    Optional<Secret> secret = secrets.apply(name);
    if (secret.isEmpty()) {
      return Optional.of(
          new PlanProblem(
              "SecretNotFound",
              field
                  + " names Secret '"
                  + name
                  + "', which does not exist: create it with the keys "
                  + keys,
              true));
    }
    for (String key : keys) {
      Map<String, String> data = secret.get().getData() == null ? Map.of() : secret.get().getData();
      if (data.get(key) == null || data.get(key).isEmpty()) {
        return Optional.of(
            new PlanProblem(
                "SecretKeyMissing",
                field
                    + ": Secret '"
                    + name
                    + "' has no key '"
                    + key
                    + "' or it is empty: add it (keys needed: "
                    + keys
                    + ")",
                false));
      }
    }
    return Optional.empty();
  }

  private static RunTask task(String job, String kind, String target, String node) {
    RunTask task = new RunTask();
    task.setJob(job);
    task.setKind(kind);
    task.setTarget(target);
    task.setNode(node);
    task.setPhase(TaskPhase.Pending);
    return task;
  }
}
