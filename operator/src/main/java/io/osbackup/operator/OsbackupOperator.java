package io.osbackup.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;

/** Builds the osbackup operator: every reconciler, registered on one client with the given settings. */
public final class OsbackupOperator {

  private OsbackupOperator() {}

  /** Creates (but does not start) the operator. */
  public static Operator create(KubernetesClient client, OperatorSettings settings) {
    Operator operator =
        new Operator(
            o ->
                o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withUseSSAToPatchPrimaryResource(settings.serverSideApply())
                    .withSSABasedCreateUpdateMatchForDependentResources(settings.serverSideApply()));
    operator.register(
        new BackupStoreReconciler(settings), c -> configure(c, settings));
    operator.register(new BackupRunReconciler(settings), c -> configure(c, settings));
    return operator;
  }

  private static void configure(
      io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider<?> config,
      OperatorSettings settings) {
    if (!settings.namespaces().isEmpty()) {
      config.settingNamespaces(settings.namespaces());
    }
  }
}
