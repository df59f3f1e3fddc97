package io.osbackup.operator.restore;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The workloads a restore quiesces: which other controller would undo a scale to zero (and what to
 * pause), whether a workload is stopped (no replicas and no pod left, terminating ones included),
 * and who changed one that came back. The decisions are pure functions of what was read; {@link
 * Workloads} makes the API calls.
 */
final class Quiesce {

  /**
   * Argo CD's tracking annotation, {@code <app>:<group>/<kind>:<namespace>/<name>} (its default
   * method).
   */
  static final String ARGO_TRACKING_ID = "argocd.argoproj.io/tracking-id";

  /**
   * The label Argo CD's label tracking writes (a Helm chart may write it too, hence checked with
   * Argo's keys).
   */
  static final String INSTANCE_LABEL = "app.kubernetes.io/instance";

  /** The label Argo CD installations that track by a custom label commonly use. */
  static final String ARGO_INSTANCE_LABEL = "argocd.argoproj.io/instance";

  static final String ARGO_PREFIX = "argocd.argoproj.io/";
  static final String FLUX_KUSTOMIZATION = "kustomize.toolkit.fluxcd.io/";
  static final String FLUX_HELM_RELEASE = "helm.toolkit.fluxcd.io/";

  private Quiesce() {}

  /**
   * What was seen of one workload: whether it exists, its desired and reported replicas, the pods
   * its selector matches (a pod being deleted still counts: its process may still be writing) and
   * who last set its replicas.
   */
  record Seen(
      String kind,
      String name,
      boolean exists,
      int replicas,
      int reported,
      List<String> pods,
      String changedBy) {

    /**
     * Stopped: no replica wanted, none reported, no pod left. A workload that is gone is stopped.
     */
    boolean stopped() {
      return !exists || (replicas == 0 && reported == 0 && pods.isEmpty());
    }

    /** Scaled up again after it was scaled to zero (pods alone may still be stopping). */
    boolean cameBack() {
      return exists && replicas > 0;
    }

    /** {@code Deployment/nova-api (replicas 2; pods nova-api-1 (terminating))}. */
    String describe() {
      List<String> parts = new ArrayList<>();
      if (replicas > 0) {
        parts.add("replicas " + replicas);
      }
      if (reported > 0 && pods.isEmpty()) {
        parts.add(reported + " pods reported");
      }
      if (!pods.isEmpty()) {
        parts.add("pods " + String.join(", ", pods));
      }
      return kind + "/" + name + (parts.isEmpty() ? "" : " (" + String.join("; ", parts) + ")");
    }
  }

  /**
   * The other controllers that would undo a scale to zero of {@code workload}, each with what to
   * pause: its controller owner reference (an operator's CR, a parent), Argo CD, Flux, a
   * HorizontalPodAutoscaler among {@code autoscalers} whose scaleTargetRef names it. Empty when
   * nothing else controls it.
   */
  static List<String> owners(HasMetadata workload, List<HorizontalPodAutoscaler> autoscalers) {
    List<String> out = new ArrayList<>();
    ObjectMeta meta = workload.getMetadata();
    Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
    Map<String, String> annotations =
        meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    for (OwnerReference o :
        meta.getOwnerReferences() == null ? List.<OwnerReference>of() : meta.getOwnerReferences()) {
      if (Boolean.TRUE.equals(o.getController())) {
        out.add(
            "is managed by "
                + o.getKind()
                + "/"
                + o.getName()
                + " (controller owner): pause that operator's"
                + " reconciliation of it");
      }
    }
    String argoApp = null;
    String argoBy = null;
    if (annotations.containsKey(ARGO_TRACKING_ID)) {
      String id = annotations.get(ARGO_TRACKING_ID);
      argoApp = id.contains(":") ? id.substring(0, id.indexOf(':')) : id;
      argoBy = "annotation " + ARGO_TRACKING_ID;
    } else if (labels.containsKey(ARGO_INSTANCE_LABEL)) {
      argoApp = labels.get(ARGO_INSTANCE_LABEL);
      argoBy = "label " + ARGO_INSTANCE_LABEL;
    } else if (labels.containsKey(INSTANCE_LABEL)
        && annotations.keySet().stream().anyMatch(k -> k.startsWith(ARGO_PREFIX))) {
      argoApp = labels.get(INSTANCE_LABEL);
      argoBy = "label " + INSTANCE_LABEL + " with Argo CD annotations";
    }
    if (argoApp != null) {
      out.add(
          "is managed by Argo CD application "
              + argoApp
              + " ("
              + argoBy
              + "): turn off its automated sync and"
              + " self-heal (argocd app set "
              + argoApp
              + " --sync-policy none)");
    }
    flux(labels, FLUX_KUSTOMIZATION, "Kustomization", "kustomization").ifPresent(out::add);
    flux(labels, FLUX_HELM_RELEASE, "HelmRelease", "helmrelease").ifPresent(out::add);
    for (HorizontalPodAutoscaler hpa : autoscalers) {
      var target = hpa.getSpec() == null ? null : hpa.getSpec().getScaleTargetRef();
      if (target != null
          && workload.getKind().equals(target.getKind())
          && meta.getName().equals(target.getName())
          && (target.getApiVersion() == null || target.getApiVersion().startsWith("apps/"))) {
        out.add(
            "is scaled by HorizontalPodAutoscaler/"
                + hpa.getMetadata().getName()
                + ": make sure nothing scales"
                + " it up while the restore runs (an HPA leaves a workload at 0 replicas alone; delete or pause what"
                + " else sets its replicas)");
      }
    }
    return out;
  }

  private static Optional<String> flux(
      Map<String, String> labels, String prefix, String kind, String command) {
    String name = labels.get(prefix + "name");
    if (name == null) {
      return Optional.empty();
    }
    String namespace = labels.getOrDefault(prefix + "namespace", "flux-system");
    return Optional.of(
        "is managed by Flux "
            + kind
            + " "
            + namespace
            + "/"
            + name
            + " (labels "
            + prefix
            + "*):"
            + " suspend it (flux suspend "
            + command
            + " "
            + name
            + " -n "
            + namespace
            + ")");
  }

  /**
   * Who last set {@code spec.replicas}, from the managed fields the API server keeps: {@code
   * kubectl (Update of /scale at 2026-12-05T09:00:00Z)}; says so when nothing recorded it.
   */
  static String changedBy(ObjectMeta meta) {
    List<ManagedFieldsEntry> entries =
        meta.getManagedFields() == null ? List.of() : meta.getManagedFields();
    Optional<ManagedFieldsEntry> last =
        entries.stream()
            .filter(Quiesce::setsReplicas)
            .max(Comparator.comparing(e -> e.getTime() == null ? "" : e.getTime()));
    if (last.isEmpty()) {
      return "an unknown manager (no managed fields record spec.replicas)";
    }
    ManagedFieldsEntry e = last.get();
    return e.getManager()
        + " ("
        + e.getOperation()
        + (e.getSubresource() == null || e.getSubresource().isEmpty()
            ? ""
            : " of /" + e.getSubresource())
        + (e.getTime() == null ? "" : " at " + e.getTime())
        + ")";
  }

  private static boolean setsReplicas(ManagedFieldsEntry e) {
    if (e.getFieldsV1() == null || e.getFieldsV1().getAdditionalProperties() == null) {
      return false;
    }
    return e.getFieldsV1().getAdditionalProperties().get("f:spec") instanceof Map<?, ?> spec
        && spec.containsKey("f:replicas");
  }

  /** The API calls on the workloads of one namespace. */
  static final class Workloads {
    private final KubernetesClient client;
    private final String ns;
    private List<HorizontalPodAutoscaler> autoscalers;

    Workloads(KubernetesClient client, String ns) {
      this.client = client;
      this.ns = ns;
    }

    /** The Deployment or StatefulSet, if it exists. */
    Optional<HasMetadata> get(String kind, String name) {
      if ("Deployment".equals(kind)) {
        return Optional.ofNullable(
            client.apps().deployments().inNamespace(ns).withName(name).get());
      }
      return Optional.ofNullable(client.apps().statefulSets().inNamespace(ns).withName(name).get());
    }

    /** The namespace's HorizontalPodAutoscalers, read once. */
    List<HorizontalPodAutoscaler> autoscalers() {
      if (autoscalers == null) {
        autoscalers =
            client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).list().getItems();
      }
      return autoscalers;
    }

    /** Its replica count (1 when the spec leaves it unset), if it exists. */
    Optional<Integer> replicas(String kind, String name) {
      return get(kind, name).map(Workloads::specReplicas);
    }

    /**
     * What is running of it now: replicas, and every pod its selector matches, terminating ones
     * included.
     */
    Seen see(String kind, String name) {
      Optional<HasMetadata> w = get(kind, name);
      if (w.isEmpty()) {
        return new Seen(kind, name, false, 0, 0, List.of(), null);
      }
      List<String> pods = new ArrayList<>();
      LabelSelector selector = selector(w.get());
      boolean selects =
          selector != null
              && ((selector.getMatchLabels() != null && !selector.getMatchLabels().isEmpty())
                  || (selector.getMatchExpressions() != null
                      && !selector.getMatchExpressions().isEmpty()));
      if (selects) {
        for (Pod p : client.pods().inNamespace(ns).withLabelSelector(selector).list().getItems()) {
          String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
          if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            continue; // its containers ended: nothing runs any more
          }
          pods.add(
              p.getMetadata().getName()
                  + (p.getMetadata().getDeletionTimestamp() != null ? " (terminating)" : ""));
        }
      }
      return new Seen(
          kind,
          name,
          true,
          specReplicas(w.get()),
          reported(w.get()),
          pods,
          changedBy(w.get().getMetadata()));
    }

    /** Sets its replicas when they differ; nothing when it is gone. */
    void scale(String kind, String name, int replicas) {
      if ("Deployment".equals(kind)) {
        var deployment = client.apps().deployments().inNamespace(ns).withName(name);
        Deployment d = deployment.get();
        if (d != null && !Objects.equals(d.getSpec().getReplicas(), replicas)) {
          deployment.edit(
              x -> {
                x.getSpec().setReplicas(replicas);
                return x;
              });
        }
        return;
      }
      var statefulSet = client.apps().statefulSets().inNamespace(ns).withName(name);
      StatefulSet s = statefulSet.get();
      if (s != null && !Objects.equals(s.getSpec().getReplicas(), replicas)) {
        statefulSet.edit(
            x -> {
              x.getSpec().setReplicas(replicas);
              return x;
            });
      }
    }

    private static int specReplicas(HasMetadata w) {
      Integer r =
          w instanceof Deployment d
              ? d.getSpec().getReplicas()
              : ((StatefulSet) w).getSpec().getReplicas();
      return r == null ? 1 : r;
    }

    private static int reported(HasMetadata w) {
      Integer r =
          w instanceof Deployment d
              ? (d.getStatus() == null ? null : d.getStatus().getReplicas())
              : (((StatefulSet) w).getStatus() == null
                  ? null
                  : ((StatefulSet) w).getStatus().getReplicas());
      return r == null ? 0 : r;
    }

    private static LabelSelector selector(HasMetadata w) {
      return w instanceof Deployment d
          ? d.getSpec().getSelector()
          : ((StatefulSet) w).getSpec().getSelector();
    }
  }
}
