package io.osbackup.testbed;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kubelet's part of starting a container, done locally: resolves the container's environment
 * (values, Secret and ConfigMap references, downward API fields) and its volumes (hostPath on the
 * node folder, Secret and ConfigMap files, emptyDir, PersistentVolumeClaim folders), and tells
 * where each mount path lives through {@code OSBACKUP_MOUNTS}.
 */
final class PodLaunch {

  /** Environment variable through which the agent maps pod paths to local paths. */
  static final String MOUNTS_ENV = "OSBACKUP_MOUNTS";

  /** What the process needs: its command, environment and the local files behind its pod paths. */
  record Plan(
      List<String> args,
      Map<String, String> env,
      Map<String, String> mounts,
      Path terminationLog,
      List<Path> secretDirs) {}

  /** Why a pod cannot start yet: the waiting reason and message shown in its container status. */
  static final class Blocked extends Exception {
    final String reason;

    Blocked(String reason, String message) {
      super(message);
      this.reason = reason;
    }
  }

  private final KubernetesClient client;
  private final SimulatedNodes nodes;
  private final Path work;

  static Path volumeDir(Path work, String namespace, String claim) {
    return work.resolve("volumes").resolve(namespace).resolve(claim);
  }

  PodLaunch(KubernetesClient client, SimulatedNodes nodes, Path work) {
    this.client = client;
    this.nodes = nodes;
    this.work = work;
  }

  /**
   * Prepares the single container of {@code pod} on {@code node}, with per-pod files under {@code
   * podDir}.
   */
  Plan prepare(Pod pod, String node, Path podDir) throws Blocked, IOException {
    List<Container> containers = pod.getSpec().getContainers();
    if (containers == null || containers.size() != 1) {
      throw new Blocked(
          "CreateContainerConfigError", "the local runner runs pods with exactly one container");
    }
    Container c = containers.get(0);
    String ns = pod.getMetadata().getNamespace();
    Map<String, String> env = new LinkedHashMap<>();
    if (c.getEnvFrom() != null) {
      for (EnvFromSource from : c.getEnvFrom()) {
        String prefix = from.getPrefix() == null ? "" : from.getPrefix();
        if (from.getSecretRef() != null) {
          Map<String, String> data =
              secretData(ns, from.getSecretRef().getName(), from.getSecretRef().getOptional());
          data.forEach((k, v) -> env.put(prefix + k, v));
        }
        if (from.getConfigMapRef() != null) {
          Map<String, String> data =
              configMapData(
                  ns, from.getConfigMapRef().getName(), from.getConfigMapRef().getOptional());
          data.forEach((k, v) -> env.put(prefix + k, v));
        }
      }
    }
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        String value =
            e.getValueFrom() != null
                ? valueFrom(pod, node, e.getValueFrom())
                : expand(e.getValue(), env);
        if (value != null) {
          env.put(e.getName(), value);
        }
      }
    }

    Map<String, Path> volumes = new LinkedHashMap<>();
    List<Path> secretDirs = new ArrayList<>();
    if (pod.getSpec().getVolumes() != null) {
      for (Volume v : pod.getSpec().getVolumes()) {
        volumes.put(v.getName(), volume(pod, node, podDir, v, secretDirs));
      }
    }
    Map<String, String> mounts = new LinkedHashMap<>();
    if (c.getVolumeMounts() != null) {
      for (VolumeMount m : c.getVolumeMounts()) {
        Path local = volumes.get(m.getName());
        if (local == null) {
          throw new Blocked(
              "CreateContainerConfigError",
              "volumeMount \"" + m.getName() + "\" refers to no volume of the pod");
        }
        if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
          local = local.resolve(m.getSubPath());
          if (!Files.exists(local)) {
            Files.createDirectories(local);
          }
        }
        mounts.put(m.getMountPath(), local.toString());
      }
    }
    String terminationPath =
        c.getTerminationMessagePath() == null
            ? "/dev/termination-log"
            : c.getTerminationMessagePath();
    Path terminationLog = podDir.resolve("termination-log");
    Files.deleteIfExists(terminationLog);
    Files.createFile(terminationLog);
    mounts.put(terminationPath, terminationLog.toString());
    env.put(MOUNTS_ENV, Serialization.asJson(mounts));

    List<String> args = new ArrayList<>();
    if (c.getArgs() != null) {
      c.getArgs().forEach(a -> args.add(expand(a, env)));
    }
    return new Plan(args, env, mounts, terminationLog, secretDirs);
  }

  private String valueFrom(Pod pod, String node, EnvVarSource from) throws Blocked {
    String ns = pod.getMetadata().getNamespace();
    if (from.getSecretKeyRef() != null) {
      var ref = from.getSecretKeyRef();
      Map<String, String> data = secretData(ns, ref.getName(), ref.getOptional());
      return key(data, ref.getKey(), ref.getOptional(), "Secret " + ns + "/" + ref.getName());
    }
    if (from.getConfigMapKeyRef() != null) {
      var ref = from.getConfigMapKeyRef();
      Map<String, String> data = configMapData(ns, ref.getName(), ref.getOptional());
      return key(data, ref.getKey(), ref.getOptional(), "ConfigMap " + ns + "/" + ref.getName());
    }
    if (from.getFieldRef() != null) {
      String path = from.getFieldRef().getFieldPath();
      var meta = pod.getMetadata();
      if (path.startsWith("metadata.labels['") || path.startsWith("metadata.annotations['")) {
        String key = path.substring(path.indexOf("['") + 2, path.length() - 2);
        Map<String, String> map =
            path.startsWith("metadata.labels") ? meta.getLabels() : meta.getAnnotations();
        return map == null ? "" : map.getOrDefault(key, "");
      }
      switch (path) {
        case "metadata.name":
          return meta.getName();
        case "metadata.namespace":
          return meta.getNamespace();
        case "metadata.uid":
          return meta.getUid();
        case "spec.nodeName":
          return node;
        case "spec.serviceAccountName":
          return pod.getSpec().getServiceAccountName();
        case "status.hostIP":
        case "status.podIP":
          return "127.0.0.1";
        default:
          throw new Blocked(
              "CreateContainerConfigError",
              "fieldRef " + path + " is not supported by the local runner");
      }
    }
    throw new Blocked(
        "CreateContainerConfigError",
        "this kind of valueFrom is not supported by the local runner");
  }

  /**
   * The value of {@code key} in the data of {@code source}; blocks when a required key is missing.
   */
  private static String key(Map<String, String> data, String key, Boolean optional, String source)
      throws Blocked {
    String value = data.get(key);
    if (value == null && !Boolean.TRUE.equals(optional)) {
      throw new Blocked("CreateContainerConfigError", "couldn't find key " + key + " in " + source);
    }
    return value;
  }

  private Map<String, String> secretData(String ns, String name, Boolean optional) throws Blocked {
    Secret s = client.secrets().inNamespace(ns).withName(name).get();
    if (s == null) {
      if (Boolean.TRUE.equals(optional)) {
        return Map.of();
      }
      throw new Blocked("CreateContainerConfigError", "secret \"" + name + "\" not found");
    }
    return decoded(s);
  }

  private Map<String, String> configMapData(String ns, String name, Boolean optional)
      throws Blocked {
    ConfigMap cm = client.configMaps().inNamespace(ns).withName(name).get();
    if (cm == null) {
      if (Boolean.TRUE.equals(optional)) {
        return Map.of();
      }
      throw new Blocked("CreateContainerConfigError", "configmap \"" + name + "\" not found");
    }
    return cm.getData() == null ? Map.of() : cm.getData();
  }

  /** data (base64) overlaid with stringData, as the API server would have merged them. */
  private static Map<String, String> decoded(Secret s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (s.getData() != null) {
      s.getData()
          .forEach(
              (k, v) ->
                  out.put(
                      k, new String(Base64.getMimeDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    if (s.getStringData() != null) {
      out.putAll(s.getStringData());
    }
    return out;
  }

  private Path volume(Pod pod, String node, Path podDir, Volume v, List<Path> secretDirs)
      throws Blocked, IOException {
    String ns = pod.getMetadata().getNamespace();
    Path own = podDir.resolve("volumes").resolve(v.getName());
    if (v.getHostPath() != null) {
      return hostPath(node, v.getName(), v.getHostPath());
    }
    if (v.getEmptyDir() != null) {
      Files.createDirectories(own);
      return own;
    }
    if (v.getPersistentVolumeClaim() != null) {
      String claim = v.getPersistentVolumeClaim().getClaimName();
      if (client.persistentVolumeClaims().inNamespace(ns).withName(claim).get() == null) {
        throw new Blocked("ContainerCreating", "persistentvolumeclaim \"" + claim + "\" not found");
      }
      Path dir = volumeDir(work, ns, claim);
      Files.createDirectories(dir);
      return dir;
    }
    if (v.getSecret() != null) {
      var src = v.getSecret();
      Secret s = client.secrets().inNamespace(ns).withName(src.getSecretName()).get();
      if (s == null && !Boolean.TRUE.equals(src.getOptional())) {
        throw mountFailed(v, "secret \"" + src.getSecretName() + "\" not found");
      }
      int mode = src.getDefaultMode() == null ? 0400 : src.getDefaultMode();
      secretDirs.add(own);
      writeFiles(v, own, s == null ? Map.of() : decoded(s), src.getItems(), mode);
      return own;
    }
    if (v.getConfigMap() != null) {
      var src = v.getConfigMap();
      ConfigMap cm = client.configMaps().inNamespace(ns).withName(src.getName()).get();
      if (cm == null && !Boolean.TRUE.equals(src.getOptional())) {
        throw mountFailed(v, "configmap \"" + src.getName() + "\" not found");
      }
      int mode = src.getDefaultMode() == null ? 0644 : src.getDefaultMode();
      Map<String, String> data = cm == null || cm.getData() == null ? Map.of() : cm.getData();
      writeFiles(v, own, data, src.getItems(), mode);
      return own;
    }
    throw mountFailed(v, "this volume type is not supported by the local runner");
  }

  private Path hostPath(String node, String volume, HostPathVolumeSource src)
      throws Blocked, IOException {
    Path local = nodes.resolve(node, src.getPath());
    String type = src.getType() == null ? "" : src.getType();
    switch (type) {
      case "":
      case "DirectoryOrCreate":
        if (!Files.exists(local)) {
          Files.createDirectories(local);
        }
        break;
      case "Directory":
        if (!Files.isDirectory(local)) {
          throw hostPathFailed(volume, src, "is not a directory");
        }
        break;
      case "FileOrCreate":
        if (!Files.exists(local)) {
          Files.createDirectories(local.getParent());
          Files.createFile(local);
        }
        break;
      default:
        if (!Files.exists(local)) {
          throw hostPathFailed(volume, src, "does not exist");
        }
    }
    return local;
  }

  private static Blocked hostPathFailed(String volume, HostPathVolumeSource src, String why) {
    return new Blocked(
        "ContainerCreating",
        "MountVolume.SetUp failed for volume \""
            + volume
            + "\" : hostPath type check failed: "
            + src.getPath()
            + " "
            + why);
  }

  private static Blocked mountFailed(Volume v, String why) {
    return new Blocked(
        "ContainerCreating",
        "MountVolume.SetUp failed for volume \"" + v.getName() + "\" : " + why);
  }

  private static void writeFiles(
      Volume v, Path dir, Map<String, String> data, List<KeyToPath> items, int defaultMode)
      throws Blocked, IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, permissions(0700));
    Map<String, String> files = new LinkedHashMap<>();
    Map<String, Integer> modes = new LinkedHashMap<>();
    if (items == null || items.isEmpty()) {
      data.keySet().forEach(k -> files.put(k, k));
    } else {
      for (KeyToPath item : items) {
        if (!data.containsKey(item.getKey())) {
          throw mountFailed(v, "couldn't find key " + item.getKey());
        }
        files.put(item.getPath(), item.getKey());
        if (item.getMode() != null) {
          modes.put(item.getPath(), item.getMode());
        }
      }
    }
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path file = dir.resolve(f.getKey());
      Files.createDirectories(file.getParent());
      if (Files.exists(file)) {
        Files.setPosixFilePermissions(file, permissions(0600));
      }
      Files.writeString(file, data.get(f.getValue()), StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(file, permissions(modes.getOrDefault(f.getKey(), defaultMode)));
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (1 << i)) != 0) {
        set.add(bits[i]);
      }
    }
    return set;
  }

  /**
   * Kubernetes' {@code $(VAR)} expansion: known variables are replaced, {@code $$} escapes, others
   * stay.
   */
  static String expand(String s, Map<String, String> env) {
    if (s == null || !s.contains("$")) {
      return s == null ? "" : s;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '$' && i + 1 < s.length()) {
        char next = s.charAt(i + 1);
        if (next == '$') {
          out.append('$');
          i++;
          continue;
        }
        int end = s.indexOf(')', i);
        if (next == '(' && end > 0) {
          String name = s.substring(i + 2, end);
          if (env.containsKey(name)) {
            out.append(env.get(name));
            i = end;
            continue;
          }
        }
      }
      out.append(ch);
    }
    return out.toString();
  }
}
