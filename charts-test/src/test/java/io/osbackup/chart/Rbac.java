package io.osbackup.chart;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Kubernetes RBAC authorization over rendered Roles, ClusterRoles and bindings, for one
 * ServiceAccount: the rules of every ClusterRoleBinding naming it apply everywhere, those of a
 * RoleBinding only in the binding's namespace.
 */
final class Rbac {

  private final Chart.Rendered chart;
  private final String account;
  private final String accountNamespace;

  Rbac(Chart.Rendered chart, String account, String accountNamespace) {
    this.chart = chart;
    this.account = account;
    this.accountNamespace = accountNamespace;
  }

  /**
   * Whether the account may do {@code verb} on {@code resource} (with {@code /subresource} if any)
   * of API group {@code group}: in {@code namespace}, or cluster-wide (every namespace at once, or
   * a cluster-scoped resource) when {@code namespace} is null. {@code name} is the object's name,
   * null for create, list, watch and deletecollection (the authorizer knows no name for them).
   */
  boolean allows(String group, String resource, String verb, String namespace, String name) {
    return rulesIn(namespace).stream().anyMatch(rule -> matches(rule, group, resource, verb, name));
  }

  /** Every rule that applies in {@code namespace} (null: the rules that apply cluster-wide). */
  List<PolicyRule> rulesIn(String namespace) {
    List<PolicyRule> rules = new ArrayList<>();
    for (ClusterRoleBinding binding : chart.all(ClusterRoleBinding.class)) {
      if (names(binding.getSubjects())) {
        rules.addAll(clusterRole(binding.getRoleRef()));
      }
    }
    if (namespace != null) {
      for (RoleBinding binding : chart.all(RoleBinding.class)) {
        if (namespace.equals(binding.getMetadata().getNamespace())
            && names(binding.getSubjects())) {
          RoleRef ref = binding.getRoleRef();
          if ("ClusterRole".equals(ref.getKind())) {
            rules.addAll(clusterRole(ref));
          } else {
            rules.addAll(
                chart
                    .named(Role.class, ref.getName(), namespace)
                    .orElseThrow(
                        () ->
                            new AssertionError(
                                "RoleBinding names a Role not rendered: " + ref.getName()))
                    .getRules());
          }
        }
      }
    }
    return rules;
  }

  /** Everything granted anywhere, one "group resource verb [name]" string per combination. */
  Set<String> grants() {
    Set<String> out = new LinkedHashSet<>();
    List<PolicyRule> rules = new ArrayList<>();
    chart.all(ClusterRole.class).forEach(r -> rules.addAll(r.getRules()));
    chart.all(Role.class).forEach(r -> rules.addAll(r.getRules()));
    for (PolicyRule rule : rules) {
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            out.add(
                grant(
                    group,
                    resource,
                    verb,
                    rule.getResourceNames().isEmpty() ? null : rule.getResourceNames()));
          }
        }
      }
    }
    return out;
  }

  static String grant(String group, String resource, String verb, List<String> names) {
    return (group.isEmpty() ? "core" : group)
        + " "
        + resource
        + " "
        + verb
        + (names == null ? "" : " " + names);
  }

  private List<PolicyRule> clusterRole(RoleRef ref) {
    if (!"ClusterRole".equals(ref.getKind())) {
      throw new AssertionError(
          "a ClusterRoleBinding must name a ClusterRole, not " + ref.getKind());
    }
    return chart
        .named(ClusterRole.class, ref.getName(), null)
        .orElseThrow(
            () -> new AssertionError("binding names a ClusterRole not rendered: " + ref.getName()))
        .getRules();
  }

  private boolean names(List<Subject> subjects) {
    return subjects.stream()
        .anyMatch(
            s ->
                "ServiceAccount".equals(s.getKind())
                    && account.equals(s.getName())
                    && accountNamespace.equals(s.getNamespace()));
  }

  private static boolean matches(
      PolicyRule rule, String group, String resource, String verb, String name) {
    return anyOf(rule.getApiGroups(), group)
        && anyOf(rule.getResources(), resource)
        && anyOf(rule.getVerbs(), verb)
        && (rule.getResourceNames().isEmpty()
            || (name != null && rule.getResourceNames().contains(name)));
  }

  private static boolean anyOf(List<String> values, String value) {
    return values.contains("*") || values.stream().anyMatch(v -> Objects.equals(v, value));
  }
}
