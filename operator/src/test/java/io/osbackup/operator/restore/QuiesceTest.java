package io.osbackup.operator.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which controller owns a workload to quiesce, when it counts as stopped, and who scaled it up. */
class QuiesceTest {

  @Test
  void aWorkloadNothingElseControlsHasNoOwner() {
    Deployment d = deployment("nova-api");
    d.getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withKind("ConfigMap")
                    .withName("x")
                    .withController(false)
                    .build()));
    d.getMetadata()
        .setLabels(Map.of(Quiesce.INSTANCE_LABEL, "nova")); // a Helm release, not Argo CD
    assertThat(Quiesce.owners(d, List.of(hpa("other", "Deployment", "placement-api")))).isEmpty();
  }

  @Test
  void aControllerOwnerReferenceIsNamedWithWhatToPause() {
    Deployment d = deployment("nova-api");
    d.getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withKind("OpenStackControlPlane")
                    .withName("openstack")
                    .withController(true)
                    .build()));
    assertThat(Quiesce.owners(d, List.of()))
        .singleElement()
        .asString()
        .isEqualTo(
            "is managed by OpenStackControlPlane/openstack (controller owner): pause that operator's"
                + " reconciliation of it");
  }

  @Test
  void argoCdIsFoundByItsTrackingAnnotationOrByItsLabelWithItsAnnotations() {
    Deployment tracked = deployment("nova-api");
    tracked
        .getMetadata()
        .setAnnotations(Map.of(Quiesce.ARGO_TRACKING_ID, "cp:apps/Deployment:openstack/nova-api"));
    assertThat(Quiesce.owners(tracked, List.of()))
        .singleElement()
        .asString()
        .contains("Argo CD application cp")
        .contains("argocd app set cp --sync-policy none");

    Deployment labelled = deployment("nova-api");
    labelled.getMetadata().setLabels(Map.of(Quiesce.INSTANCE_LABEL, "cp"));
    labelled.getMetadata().setAnnotations(Map.of("argocd.argoproj.io/sync-wave", "2"));
    assertThat(Quiesce.owners(labelled, List.of()))
        .singleElement()
        .asString()
        .contains("Argo CD application cp")
        .contains("label app.kubernetes.io/instance");
  }

  @Test
  void fluxKustomizationsAndHelmReleasesAreNamedWithTheSuspendCommand() {
    Deployment d = deployment("nova-api");
    d.getMetadata()
        .setLabels(
            Map.of(
                "kustomize.toolkit.fluxcd.io/name",
                "apps",
                "kustomize.toolkit.fluxcd.io/namespace",
                "flux-system",
                "helm.toolkit.fluxcd.io/name",
                "nova",
                "helm.toolkit.fluxcd.io/namespace",
                "openstack"));
    assertThat(Quiesce.owners(d, List.of()))
        .containsExactly(
            "is managed by Flux Kustomization flux-system/apps (labels kustomize.toolkit.fluxcd.io/*): suspend it"
                + " (flux suspend kustomization apps -n flux-system)",
            "is managed by Flux HelmRelease openstack/nova (labels helm.toolkit.fluxcd.io/*): suspend it"
                + " (flux suspend helmrelease nova -n openstack)");
  }

  @Test
  void anHpaCountsOnlyForTheKindAndNameItTargets() {
    var conductor =
        new StatefulSetBuilder()
            .withNewMetadata()
            .withName("nova-conductor")
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .build();
    assertThat(Quiesce.owners(conductor, List.of(hpa("by-name", "Deployment", "nova-conductor"))))
        .isEmpty();
    assertThat(Quiesce.owners(conductor, List.of(hpa("cpu", "StatefulSet", "nova-conductor"))))
        .singleElement()
        .asString()
        .startsWith("is scaled by HorizontalPodAutoscaler/cpu");
  }

  @Test
  void aWorkloadIsStoppedOnlyWithNoReplicaAndNoPodLeftTerminatingOnesIncluded() {
    assertThat(seen(0, 0, List.of()).stopped()).isTrue();
    assertThat(seen(0, 0, List.of("nova-api-1 (terminating)")).stopped()).isFalse();
    assertThat(seen(0, 1, List.of()).stopped()).isFalse();
    assertThat(seen(2, 0, List.of()).stopped()).isFalse();
    assertThat(new Quiesce.Seen("Deployment", "gone", false, 0, 0, List.of(), null).stopped())
        .isTrue();
    // Pods alone may still be stopping after a scale to zero; replicas above zero mean it was
    // scaled up again.
    assertThat(seen(0, 0, List.of("nova-api-1")).cameBack()).isFalse();
    assertThat(seen(1, 0, List.of()).cameBack()).isTrue();
    assertThat(seen(2, 0, List.of("a (terminating)", "b")).describe())
        .isEqualTo("Deployment/nova-api (replicas 2; pods a (terminating), b)");
  }

  @Test
  void whoChangedTheReplicasComesFromTheNewestManagedFieldsEntryThatSetsThem() {
    ObjectMeta meta = new ObjectMeta();
    meta.setManagedFields(
        List.of(
            entry(
                "kubectl-create",
                "Update",
                null,
                "2026-12-01T00:00:00Z",
                Map.of("f:spec", Map.of("f:replicas", Map.of()))),
            entry(
                "argocd-controller",
                "Apply",
                null,
                "2026-12-05T09:00:00Z",
                Map.of("f:metadata", Map.of())),
            entry(
                "kube-controller-manager",
                "Update",
                "scale",
                "2026-12-05T08:00:00Z",
                Map.of("f:spec", Map.of("f:replicas", Map.of())))));
    assertThat(Quiesce.changedBy(meta))
        .isEqualTo("kube-controller-manager (Update of /scale at 2026-12-05T08:00:00Z)");
    assertThat(Quiesce.changedBy(new ObjectMeta())).contains("unknown");
  }

  private static Quiesce.Seen seen(int replicas, int reported, List<String> pods) {
    return new Quiesce.Seen("Deployment", "nova-api", true, replicas, reported, pods, "kubectl");
  }

  private static ManagedFieldsEntry entry(
      String manager,
      String operation,
      String subresource,
      String time,
      Map<String, Object> fields) {
    FieldsV1 v1 = new FieldsV1();
    fields.forEach(v1::setAdditionalProperty);
    return new ManagedFieldsEntryBuilder()
        .withManager(manager)
        .withOperation(operation)
        .withSubresource(subresource)
        .withTime(time)
        .withFieldsType("FieldsV1")
        .withFieldsV1(v1)
        .build();
  }

  private static Deployment deployment(String name) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .endSpec()
        .build();
  }

  private static HorizontalPodAutoscaler hpa(String name, String kind, String target) {
    return new HorizontalPodAutoscalerBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withNewScaleTargetRef()
        .withApiVersion("apps/v1")
        .withKind(kind)
        .withName(target)
        .endScaleTargetRef()
        .withMaxReplicas(3)
        .endSpec()
        .build();
  }
}
