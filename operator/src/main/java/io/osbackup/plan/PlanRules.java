package io.osbackup.plan;

import java.util.List;
import java.util.Set;

/**
 * What an operator lets policy authors ask for. A files Job reads node paths as root, so the paths it may read and
 * the image it runs are the cluster admin's call, not the policy author's.
 *
 * @param deniedHostPaths node paths (with everything below them) no files target may read
 * @param allowedImages agent images a policy may name in {@code spec.job.image}; the operator's own image is always
 *     allowed
 */
public record PlanRules(List<String> deniedHostPaths, Set<String> allowedImages) {

  /**
   * Kubelet and container runtime state (every pod's Secrets), cluster PKI, kernel interfaces, home directories:
   * nothing an OpenStack control-plane backup needs, everything an attacker would want.
   */
  public static final List<String> DEFAULT_DENIED_HOST_PATHS =
      List.of(
          "/proc",
          "/sys",
          "/dev",
          "/run",
          "/var/run",
          "/boot",
          "/root",
          "/home",
          "/etc/kubernetes",
          "/etc/shadow",
          "/etc/gshadow",
          "/var/lib/kubelet",
          "/var/lib/containerd",
          "/var/lib/docker",
          "/var/lib/etcd",
          "/var/lib/rancher",
          "/var/log/pods");

  public static PlanRules defaults() {
    return new PlanRules(DEFAULT_DENIED_HOST_PATHS, Set.of());
  }

  /** The denied prefix covering {@code path}, or null when the path may be read. */
  public String deniedPrefix(String path) {
    if (path.equals("/")) {
      return "/";
    }
    for (String denied : deniedHostPaths) {
      if (path.equals(denied) || path.startsWith(denied + "/")) {
        return denied;
      }
    }
    return null;
  }
}
