package io.osbackup.operator.restore;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.contract.RestorePlan;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.restore.RestoreAction.CreateJob;
import io.osbackup.operator.restore.RestoreAction.DeleteJob;
import io.osbackup.operator.restore.RestoreAction.Scale;
import io.osbackup.plan.RestoreJobs;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Carries out a restore's {@link RestoreAction}s, in order: creates and deletes Jobs, scales. */
final class RestoreActions {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreActions.class);

  private final KubernetesClient client;
  private final RestoreRequest request;
  private final OperatorSettings settings;
  private final Quiesce.Workloads workloads;
  private final String ns;
  private final String name;

  RestoreActions(
      KubernetesClient client,
      RestoreRequest request,
      OperatorSettings settings,
      Quiesce.Workloads workloads) {
    this.client = client;
    this.request = request;
    this.settings = settings;
    this.workloads = workloads;
    this.ns = request.getMetadata().getNamespace();
    this.name = request.getMetadata().getName();
  }

  void carryOut(List<? extends RestoreAction> actions) {
    for (RestoreAction action : actions) {
      if (action instanceof CreateJob create) {
        createJob(create);
      } else if (action instanceof DeleteJob delete) {
        deleteJob(delete.name());
      } else if (action instanceof Scale scale) {
        workloads.scale(scale.kind(), scale.name(), scale.replicas());
      }
    }
  }

  private void createJob(CreateJob create) {
    RestorePlan plan = create.agent().plan();
    Job job =
        RestoreJobs.jobFor(
            request,
            plan,
            create.s3().agentSecretName(),
            create.s3().getCaBundle(),
            create.agent().secrets(),
            create.agent().cas(),
            create.agent().node(),
            settings.agentImage());
    try {
      client.batch().v1().jobs().inNamespace(ns).resource(job).create();
      LOG.info("restore {}/{}: created Job {}", ns, name, plan.jobName());
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      Job other = client.batch().v1().jobs().inNamespace(ns).withName(plan.jobName()).get();
      boolean ours =
          other != null
              && other.getMetadata().getOwnerReferences().stream()
                  .anyMatch(o -> Objects.equals(o.getUid(), request.getMetadata().getUid()));
      if (!ours) {
        throw new IllegalStateException(
            "a Job named "
                + plan.jobName()
                + " exists and does not belong to this"
                + " request: delete it or rename the request");
      }
    }
  }

  private void deleteJob(String jobName) {
    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(ns)
        .withName(jobName)
        .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
        .delete();
  }
}
