package io.osbackup.plan;

import io.osbackup.contract.DeniedPaths;
import java.util.List;
import java.util.Set;

/**
 * What an operator lets policy authors ask for. A files Job reads node paths as root, so the paths
 * it may read and the image it runs are the cluster admin's call, not the policy author's.
 *
 * @param deniedHostPaths node paths (with everything below them) no files target may read, on top
 *     of the built-in {@link DeniedPaths#BUILT_IN} list, which is always denied
 * @param allowedImages agent images a policy may name in {@code spec.job.image}; the operator's own
 *     image is always allowed
 */
public record PlanRules(List<String> deniedHostPaths, Set<String> allowedImages) {

  /** The built-in denied node paths ({@link DeniedPaths#BUILT_IN}). */
  public static final List<String> DEFAULT_DENIED_HOST_PATHS =
      DeniedPaths.BUILT_IN.stream().map(DeniedPaths.Subtree::path).toList();

  public static PlanRules defaults() {
    return new PlanRules(List.of(), Set.of());
  }

  /** The built-in denied subtrees and the operator's. */
  public DeniedPaths denied() {
    return DeniedPaths.builtInAnd(deniedHostPaths, "denied by the operator's --denied-host-path");
  }
}
