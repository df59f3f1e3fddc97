package io.osbackup.contract;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Node subtrees no files target reads and no restore writes: the keys of Kubernetes and of the OS,
 * other pods' data and kernel interfaces. The operator's planner, the backup agent and the restore
 * all check against it.
 */
public final class DeniedPaths {

  /**
   * One denied subtree: a node path with everything below it. The last name may be a glob ({@code
   * /etc/ssh/ssh_host_*_key}), matched against the names in its directory.
   *
   * @param why what lives there, for messages and the docs
   */
  public record Subtree(String path, String why) {

    /** The directory holding the subtree ({@code /etc} for {@code /etc/shadow}). */
    String parent() {
      int slash = path.lastIndexOf('/');
      return slash <= 0 ? "/" : path.substring(0, slash);
    }

    public boolean glob() {
      return path.contains("*") || path.contains("?") || path.contains("[");
    }

    /** Whether {@code path} (absolute, normalised) is this subtree or lies inside it. */
    boolean covers(Path nodePath) {
      for (Path at = nodePath; at != null && at.getFileName() != null; at = at.getParent()) {
        if (matches(at)) {
          return true;
        }
      }
      return false;
    }

    private boolean matches(Path at) {
      if (!glob()) {
        return at.toString().equals(path);
      }
      String parent = at.getParent() == null ? "/" : at.getParent().toString();
      if (!parent.equals(parent())) {
        return false;
      }
      String name = path.substring(path.lastIndexOf('/') + 1);
      PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + name);
      return matcher.matches(at.getFileName());
    }
  }

  /**
   * The built-in list, always denied: an operator's {@code --denied-host-path} adds to it. Service
   * account tokens live below {@code /var/lib/kubelet} on the node and below {@code /run/secrets}
   * (also {@code /var/run/secrets}) in a pod; containerd's and CRI-O's sockets and state below
   * {@code /run}.
   */
  public static final List<Subtree> BUILT_IN =
      List.of(
          new Subtree(
              "/proc", "kernel and process interfaces: every process's memory and environment"),
          new Subtree("/sys", "kernel interfaces"),
          new Subtree("/dev", "devices: raw disks and memory"),
          new Subtree(
              "/run",
              "runtime state: container runtime sockets, pods' Secrets and service account tokens"),
          new Subtree(
              "/var/run",
              "runtime state: container runtime sockets, pods' Secrets and service account tokens"),
          new Subtree("/boot", "kernel and boot loader"),
          new Subtree("/root", "root's home: SSH keys, kubeconfigs, shell history"),
          new Subtree("/home", "users' homes: SSH keys, kubeconfigs"),
          new Subtree("/etc/kubernetes", "Kubernetes PKI and kubeconfigs"),
          new Subtree("/etc/shadow", "password hashes"),
          new Subtree("/etc/shadow-", "password hashes (the previous copy)"),
          new Subtree("/etc/gshadow", "group password hashes"),
          new Subtree("/etc/gshadow-", "group password hashes (the previous copy)"),
          new Subtree("/etc/security/opasswd", "old password hashes"),
          new Subtree("/etc/sudoers", "who may become root"),
          new Subtree("/etc/sudoers.d", "who may become root"),
          new Subtree("/etc/ssh/ssh_host_*_key", "the node's SSH private host keys"),
          new Subtree("/etc/krb5.keytab", "the node's Kerberos keys"),
          new Subtree("/etc/cni", "CNI configuration: the network plugin's kubeconfig and tokens"),
          new Subtree("/etc/rancher", "k3s and RKE2 kubeconfigs and tokens"),
          new Subtree(
              "/var/lib/kubelet", "kubelet state: every pod's Secrets and service account tokens"),
          new Subtree("/var/lib/etcd", "etcd's data: every Secret of the cluster"),
          new Subtree("/var/lib/containerd", "container images and every container's files"),
          new Subtree("/var/lib/docker", "container images and every container's files"),
          new Subtree("/var/lib/containers", "CRI-O and Podman images and every container's files"),
          new Subtree("/var/lib/cni", "CNI state"),
          new Subtree("/var/lib/rancher", "k3s and RKE2 state: etcd, tokens and container images"),
          new Subtree("/var/log/pods", "every pod's logs"),
          new Subtree("/var/log/containers", "every pod's logs"));

  private static final DeniedPaths BUILT_IN_ONLY = new DeniedPaths(BUILT_IN);

  private final List<Subtree> subtrees;

  private DeniedPaths(List<Subtree> subtrees) {
    this.subtrees = List.copyOf(subtrees);
  }

  /** The built-in list alone. */
  public static DeniedPaths builtIn() {
    return BUILT_IN_ONLY;
  }

  /**
   * The built-in list and {@code more} node paths (a null list adds none), each with {@code why}.
   */
  public static DeniedPaths builtInAnd(List<String> more, String why) {
    if (more == null || more.isEmpty()) {
      return BUILT_IN_ONLY;
    }
    List<Subtree> all = new ArrayList<>(BUILT_IN);
    for (String path : more) {
      String p = trim(path);
      if (p != null && !p.equals("/") && all.stream().noneMatch(s -> s.path().equals(p))) {
        all.add(new Subtree(p, why));
      }
    }
    return new DeniedPaths(all);
  }

  /** Every subtree, built-in first. */
  public List<Subtree> subtrees() {
    return subtrees;
  }

  /**
   * The denied subtree that {@code path} (an absolute node path) is or lies inside; empty when it
   * may be touched. The path is normalised first, so {@code /etc/../var/lib/kubelet} is found too.
   */
  public Optional<Subtree> covering(String path) {
    Path nodePath = Path.of(path).normalize();
    return subtrees.stream().filter(s -> s.covers(nodePath)).findFirst();
  }

  /**
   * The denied subtree that {@code nodePath} (absolute, normalised) is itself, not counting its
   * ancestors: for a walk down a tree whose root was checked with {@link #covering}.
   */
  public Optional<Subtree> at(Path nodePath) {
    return subtrees.stream().filter(s -> s.matches(nodePath)).findFirst();
  }

  /**
   * The denied subtrees that lie strictly inside {@code path} (an absolute node path), in list
   * order.
   */
  public List<Subtree> inside(String path) {
    String dir = Path.of(path).normalize().toString();
    return subtrees.stream()
        .filter(s -> !s.path().equals(dir) && (dir.equals("/") || under(s.parent(), dir)))
        .toList();
  }

  private static boolean under(String path, String root) {
    return path.equals(root) || path.startsWith(root + "/");
  }

  private static String trim(String path) {
    if (path == null || !path.startsWith("/")) {
      return null;
    }
    return Path.of(path).normalize().toString();
  }
}
