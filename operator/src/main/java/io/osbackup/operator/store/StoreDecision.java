package io.osbackup.operator.store;

import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreSpec;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.catalog.Catalog;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import io.osbackup.operator.store.StoreObservation.Answer;
import io.osbackup.operator.store.StoreObservation.CatalogRead;
import io.osbackup.operator.store.StoreObservation.SigningKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Decides one reconciliation of a store from what was observed: the {@code Available} condition
 * (probe answer, credentials, overlap with another store), {@code ManifestSigning}, {@code
 * AgentCredentials}, the catalog sync to carry out, and when to probe again. Pure: it changes the
 * status it is given and returns the rest.
 */
final class StoreDecision {

  private StoreDecision() {}

  /** Whether the store may be used, and why not. */
  enum State {
    /** The bucket answered and no other store overlaps: the catalog is synced. */
    AVAILABLE,
    /** The Secret or its keys are missing or bad. */
    CREDENTIALS_PROBLEM,
    /** The bucket refused the probe, or the probe failed. */
    UNREACHABLE,
    /** The bucket answered, but another store's folder overlaps this one's. */
    OVERLAPPING
  }

  /**
   * What was decided.
   *
   * @param catalog the catalog sync to carry out, when the backups were read
   */
  record Decision(State state, Outcome outcome, Optional<CatalogPlan> catalog) {}

  static Decision decide(BackupStore store, StoreObservation seen, Instant now, Timings timings) {
    if (store.getStatus() == null) {
      store.setStatus(new BackupStoreStatus());
    }
    BackupStoreStatus status = store.getStatus();
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    status.setObservedGeneration(store.getMetadata().getGeneration());
    var s3 = store.getSpec().getS3();
    State state = state(seen);
    boolean available = state == State.AVAILABLE;
    String reason;
    String message;
    switch (state) {
      case AVAILABLE -> {
        reason = "ProbeSucceeded";
        message =
            "bucket "
                + s3.getBucket()
                + " at "
                + s3.getEndpoint()
                + " answered a write, a read and a delete";
      }
      case OVERLAPPING -> {
        // The store's own problems (Secret, credentials, bucket) are told first; one that could
        // act is refused, with no catalog: the two stores would count, import and prune each
        // other's backups.
        reason = BackupStoreStatus.PREFIX_OVERLAP;
        message = seen.overlap().orElseThrow();
      }
      default -> {
        reason = seen.probe().reason();
        message = seen.probe().message();
      }
    }
    Outcome outcome = Outcome.changed();
    Optional<CatalogPlan> plan = Optional.empty();
    if (available && seen.catalog().isPresent()) {
      CatalogRead read = seen.catalog().get();
      if (read.listing().isEmpty()) {
        if (setSynced(store, false, read.failureReason(), read.failureMessage(), clock)) {
          outcome = outcome.warn("CatalogSyncFailed", read.failureMessage());
        }
      } else {
        plan =
            Optional.of(
                CatalogPlan.plan(
                    store, read.listing().get(), read.runs(), seen.toldBefore(), outcome));
        outcome = plan.get().outcome();
      }
    }
    status.setLastProbeTime(now.toString());
    outcome = signing(store, seen.signing(), clock, outcome);
    outcome = agentCredentials(store, clock, outcome);
    if (Conditions.set(
        status,
        BackupStoreStatus.AVAILABLE,
        available,
        reason,
        message,
        store.getMetadata().getGeneration(),
        clock)) {
      outcome = available ? outcome.tell("Available", message) : outcome.warn(reason, message);
    }
    return new Decision(
        state, outcome.lookAgainAfter(probeInterval(store, available, timings)), plan);
  }

  static State state(StoreObservation seen) {
    Answer answer = seen.probe().answer();
    if (answer == Answer.CREDENTIALS) {
      return State.CREDENTIALS_PROBLEM;
    }
    if (answer != Answer.REACHABLE) {
      return State.UNREACHABLE;
    }
    return seen.overlap().isPresent() ? State.OVERLAPPING : State.AVAILABLE;
  }

  /**
   * The store's probe interval; an unavailable store is probed again sooner, after {@link
   * Timings#storeUnavailable}.
   */
  static Duration probeInterval(BackupStore store, boolean available, Timings timings) {
    Integer seconds = store.getSpec().getProbeIntervalSeconds();
    Duration next =
        Duration.ofSeconds(
            seconds == null ? BackupStoreSpec.DEFAULT_PROBE_INTERVAL_SECONDS : seconds);
    if (!available && next.compareTo(timings.storeUnavailable()) > 0) {
      next = timings.storeUnavailable();
    }
    return next;
  }

  /**
   * Counts the backups and bytes found into status after {@code created} runs were created, and
   * says so in the {@code CatalogSynced} condition.
   */
  static void synced(BackupStore store, Catalog.Listing listing, int created, Instant now) {
    BackupStoreStatus status = store.getStatus();
    String prefix = store.getSpec().getS3().getPrefix();
    status.setForeignBackups((long) listing.foreign().size());
    status.setBackups((long) listing.backups().size());
    status.setBytes(listing.bytes());
    status.setLastSyncTime(now.toString());
    String message =
        listing.backups().size()
            + " backups, "
            + listing.bytes()
            + " bytes under "
            + Catalog.namespaceFolder(prefix, store.getMetadata().getNamespace())
            + "; "
            + created
            + " BackupRuns created"
            + (listing.skipped().isEmpty()
                ? ""
                : "; " + listing.skipped().size() + " manifests skipped");
    setSynced(store, true, "Synced", message, Clock.fixed(now, ZoneOffset.UTC));
  }

  /**
   * The store's signing Secret in the {@code ManifestSigning} condition, with the reminder to keep
   * it off-site.
   */
  private static Outcome signing(BackupStore store, SigningKey key, Clock clock, Outcome outcome) {
    store.getStatus().setSigningKeySecret(key.secret());
    String reason;
    String message;
    if (key.ok()) {
      reason = key.created() ? "SigningKeyCreated" : "SigningKeyReady";
      message =
          (key.created() ? "created " : "")
              + "Secret '"
              + key.secret()
              + "' signs manifests with key '"
              + key.primary()
              + "' ("
              + key.keys()
              + " keys verify): keep a copy off-site with"
              + " the S3 credentials, a rebuilt cluster needs it to verify its backups";
    } else {
      reason = key.problemReason();
      message = key.problemMessage() + "; no backup runs until it is fixed";
    }
    if (Conditions.set(
        store.getStatus(),
        BackupStoreStatus.MANIFEST_SIGNING,
        key.ok(),
        reason,
        message,
        store.getMetadata().getGeneration(),
        clock)) {
      return key.ok() ? outcome.tell(reason, message) : outcome.warn(reason, message);
    }
    return outcome;
  }

  /** Whether agent Jobs get credentials of their own, in the {@code AgentCredentials} condition. */
  private static Outcome agentCredentials(BackupStore store, Clock clock, Outcome outcome) {
    var s3 = store.getSpec().getS3();
    boolean separate =
        s3.getAgentCredentialsSecret() != null
            && !s3.getAgentCredentialsSecret()
                .getName()
                .equals(s3.getCredentialsSecret().getName());
    String reason = separate ? "Separate" : "SharedWithOperator";
    String message =
        separate
            ? "agent Jobs use Secret '"
                + s3.getAgentCredentialsSecret().getName()
                + "'; the operator keeps '"
                + s3.getCredentialsSecret().getName()
                + "' for retention"
            : "agents use the operator's credentials (Secret '"
                + s3.getCredentialsSecret().getName()
                + "'), which"
                + " can delete backups; set s3.agentCredentialsSecret to a key pair that cannot delete";
    if (Conditions.set(
            store.getStatus(),
            BackupStoreStatus.AGENT_CREDENTIALS,
            separate,
            reason,
            message,
            store.getMetadata().getGeneration(),
            clock)
        && !separate) {
      return outcome.tell(reason, message);
    }
    return outcome;
  }

  private static boolean setSynced(
      BackupStore store, boolean ok, String reason, String message, Clock clock) {
    return Conditions.set(
        store.getStatus(),
        BackupStoreStatus.CATALOG_SYNCED,
        ok,
        reason,
        message,
        store.getMetadata().getGeneration(),
        clock);
  }
}
