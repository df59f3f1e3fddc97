package io.osbackup.operator.policy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunSpec;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.operator.policy.PolicyAction.CancelRun;
import io.osbackup.operator.policy.PolicyAction.CreateRun;
import io.osbackup.operator.policy.PolicyAction.DeleteRun;
import io.osbackup.operator.policy.PolicyAction.NoteRetention;
import io.osbackup.operator.policy.PolicyAction.StartRetention;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.plan.JobNames;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Carries out what a policy's decision asked: runs created, cancelled, deleted; passes started. */
final class PolicyActor {

  private static final Logger LOG = LoggerFactory.getLogger(PolicyActor.class);

  private final RetentionPasses passes;

  PolicyActor(RetentionPasses passes) {
    this.passes = passes;
  }

  /** Carries out {@code actions} in order; returns {@code outcome} with the Events they add. */
  Outcome carryOut(
      BackupPolicy policy, List<PolicyAction> actions, KubernetesClient client, Outcome outcome) {
    String ns = policy.getMetadata().getNamespace();
    ResourceID id = ResourceID.fromResource(policy);
    for (PolicyAction action : actions) {
      if (action instanceof CancelRun cancel) {
        client
            .resources(BackupRun.class)
            .inNamespace(ns)
            .withName(cancel.name())
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                Serialization.asJson(
                    Map.of(
                        "metadata",
                        Map.of("annotations", Map.of(Api.CANCEL_ANNOTATION, cancel.why())))));
      } else if (action instanceof CreateRun create) {
        if (create(policy, create, client)) {
          outcome =
              outcome.tell(
                  "RunCreated", "slot " + create.slot() + ": created BackupRun " + create.name());
        }
      } else if (action instanceof DeleteRun delete) {
        client.resources(BackupRun.class).inNamespace(ns).withName(delete.name()).delete();
      } else if (action instanceof NoteRetention note) {
        passes.noteDue(id, note.at());
      } else if (action instanceof StartRetention start) {
        passes.start(id, start.job(), beingRestored(ns, client));
      }
    }
    return outcome;
  }

  /** Creates the slot's run; false if it exists already (made meanwhile by another operator). */
  private static boolean create(BackupPolicy policy, CreateRun create, KubernetesClient client) {
    String ns = policy.getMetadata().getNamespace();
    String name = policy.getMetadata().getName();
    BackupRun run = new BackupRun();
    run.setMetadata(
        new ObjectMetaBuilder()
            .withName(create.name())
            .withNamespace(ns)
            .addToLabels(Api.POLICY_LABEL, JobNames.labelValue(name))
            .addToLabels(Api.MANAGED_BY_LABEL, Api.MANAGED_BY)
            .addToAnnotations(Api.GROUP + "/scheduled-at", create.slot().toString())
            .build());
    BackupRunSpec spec = new BackupRunSpec();
    spec.setPolicyRef(new LocalRef(name));
    run.setSpec(spec);
    // No owner reference: deleting a policy must not delete the runs that describe its backups.
    try {
      client.resource(run).create();
      LOG.info("policy {}/{}: slot {} created run {}", ns, name, create.slot(), create.name());
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      return false;
    }
  }

  /** The backups being restored: a retention pass does not delete them under the restore's feet. */
  private static Set<String> beingRestored(String ns, KubernetesClient client) {
    return client.resources(RestoreRequest.class).inNamespace(ns).list().getItems().stream()
        .map(RestoreRequest::getStatus)
        .filter(
            s ->
                s != null
                    && s.getBackupId() != null
                    && s.getPhase() != null
                    && !s.getPhase().isFinal())
        .map(RestoreRequestStatus::getBackupId)
        .collect(Collectors.toSet());
  }
}
