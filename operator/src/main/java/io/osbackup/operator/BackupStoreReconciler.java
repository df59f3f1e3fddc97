package io.osbackup.operator;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.store.ObjectStore;
import io.osbackup.store.ProbeResult;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a store's bucket can be written, read and deleted with the credentials of its Secret, and says in the
 * {@code Available} condition why not: Secret or key missing, bucket missing, access denied, endpoint unreachable.
 * Probes again every {@code probeIntervalSeconds}, sooner while unavailable.
 */
@ControllerConfiguration(name = "backupstore")
public class BackupStoreReconciler implements Reconciler<BackupStore> {

  private static final Logger LOG = LoggerFactory.getLogger(BackupStoreReconciler.class);
  private static final Duration RETRY_UNAVAILABLE = Duration.ofSeconds(30);

  private final OperatorSettings settings;

  public BackupStoreReconciler(OperatorSettings settings) {
    this.settings = settings;
  }

  @Override
  public UpdateControl<BackupStore> reconcile(BackupStore store, Context<BackupStore> context) {
    BackupStoreStatus status = store.getStatus() == null ? new BackupStoreStatus() : store.getStatus();
    store.setStatus(status);
    status.setObservedGeneration(store.getMetadata().getGeneration());
    EventRecorder events = new EventRecorder(context.getClient(), settings.clock());
    String ns = store.getMetadata().getNamespace();
    var s3 = store.getSpec().getS3();

    boolean available;
    String reason;
    String message;
    try (ObjectStore bucket = new StoreConnector(context.getClient()).connect(ns, s3)) {
      ProbeResult probe = bucket.probe(s3.getPrefix());
      available = probe.ok();
      reason = available ? "ProbeSucceeded" : probe.reason();
      message =
          available
              ? "bucket " + s3.getBucket() + " at " + s3.getEndpoint() + " answered a write, a read and a delete"
              : probe.message();
    } catch (StoreConnector.CredentialsProblem e) {
      available = false;
      reason = e.reason();
      message = e.getMessage();
    } catch (Exception e) {
      available = false;
      reason = "ProbeFailed";
      message = "probing bucket " + s3.getBucket() + " at " + s3.getEndpoint() + " failed: " + e.getMessage();
    }
    status.setLastProbeTime(settings.clock().instant().toString());
    boolean changed =
        Conditions.set(
            status,
            BackupStoreStatus.AVAILABLE,
            available,
            reason,
            message,
            store.getMetadata().getGeneration(),
            settings.clock());
    if (changed) {
      if (available) {
        events.normal(store, "Available", message);
      } else {
        events.warning(store, reason, message);
      }
      LOG.info("store {}/{} available={} {}: {}", ns, store.getMetadata().getName(), available, reason, message);
    }
    int interval =
        store.getSpec().getProbeIntervalSeconds() == null ? 300 : store.getSpec().getProbeIntervalSeconds();
    Duration next = Duration.ofSeconds(interval);
    if (!available && next.compareTo(RETRY_UNAVAILABLE) > 0) {
      next = RETRY_UNAVAILABLE;
    }
    return StatusWriter.write(UpdateControl.patchStatus(store).rescheduleAfter(next), store, context);
  }
}
