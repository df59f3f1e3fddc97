package io.osbackup.operator.store;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.contract.Owner;
import io.osbackup.operator.reconcile.Conditions;
import io.osbackup.operator.reconcile.EventRecorder;
import io.osbackup.operator.reconcile.ManifestKeys;
import io.osbackup.operator.reconcile.OperatorSettings;
import io.osbackup.operator.reconcile.OsbackupMetrics;
import io.osbackup.operator.reconcile.StatusWriter;
import io.osbackup.operator.reconcile.StoreBuckets;
import io.osbackup.store.ObjectStore;
import io.osbackup.store.ProbeResult;
import io.osbackup.store.StoreException;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a store's bucket can be written, read and deleted with the credentials of its Secret,
 * and says in the {@code Available} condition why not: Secret or key missing, bucket missing,
 * access denied, endpoint unreachable. Once it is available, syncs the catalog: every backup of the
 * store's namespace without a BackupRun gets one, which the run reconciler then reads from the
 * backup's manifest. Probes and syncs again every {@code probeIntervalSeconds}, sooner while
 * unavailable.
 */
@ControllerConfiguration(name = "backupstore")
public class BackupStoreReconciler implements Reconciler<BackupStore> {

  private static final Logger LOG = LoggerFactory.getLogger(BackupStoreReconciler.class);

  private final OperatorSettings settings;

  /**
   * Per store (uid): the problems already told as Events, so each is told once, not at every sync.
   */
  private final Map<String, Set<String>> told = new ConcurrentHashMap<>();

  private final OsbackupMetrics metrics;

  public BackupStoreReconciler(OperatorSettings settings) {
    this(settings, OsbackupMetrics.inMemory());
  }

  public BackupStoreReconciler(OperatorSettings settings, OsbackupMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public UpdateControl<BackupStore> reconcile(BackupStore store, Context<BackupStore> context) {
    BackupStoreStatus status =
        store.getStatus() == null ? new BackupStoreStatus() : store.getStatus();
    store.setStatus(status);
    status.setObservedGeneration(store.getMetadata().getGeneration());
    EventRecorder events = new EventRecorder(context.getClient(), settings.clock());
    String ns = store.getMetadata().getNamespace();
    var s3 = store.getSpec().getS3();

    boolean available;
    String reason;
    String message;
    Optional<String> overlap =
        overlap(
            store, context.getPrimaryCache().list().collect(java.util.stream.Collectors.toList()));
    try (ObjectStore bucket = new StoreBuckets(context.getClient()).connect(ns, s3)) {
      ProbeResult probe = bucket.probe(s3.getPrefix());
      available = probe.ok();
      reason = available ? "ProbeSucceeded" : probe.reason();
      message =
          available
              ? "bucket "
                  + s3.getBucket()
                  + " at "
                  + s3.getEndpoint()
                  + " answered a write, a read and a delete"
              : probe.message();
      if (available && overlap.isPresent()) {
        // The store's own problems (Secret, credentials, bucket) are told first; one that could act
        // is refused,
        // with no catalog: the two stores would count, import and prune each other's backups.
        available = false;
        reason = BackupStoreStatus.PREFIX_OVERLAP;
        message = overlap.get();
      } else if (available) {
        syncCatalog(store, bucket, context.getClient(), events);
      }
    } catch (StoreBuckets.CredentialsProblem e) {
      available = false;
      reason = e.reason();
      message = e.getMessage();
    } catch (Exception e) {
      available = false;
      reason = "ProbeFailed";
      message =
          "probing bucket "
              + s3.getBucket()
              + " at "
              + s3.getEndpoint()
              + " failed: "
              + e.getMessage();
    }
    status.setLastProbeTime(settings.clock().instant().toString());
    signingKeys(store, context.getClient(), events);
    agentCredentials(store, events);
    metrics.storeObserved(ns, store.getMetadata().getName(), available);
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
      LOG.info(
          "store {}/{} available={} {}: {}",
          ns,
          store.getMetadata().getName(),
          available,
          reason,
          message);
    }
    int interval =
        store.getSpec().getProbeIntervalSeconds() == null
            ? 300
            : store.getSpec().getProbeIntervalSeconds();
    Duration next = Duration.ofSeconds(interval);
    if (!available && next.compareTo(settings.timings().storeUnavailable()) > 0) {
      next = settings.timings().storeUnavailable();
    }
    return StatusWriter.write(
        UpdateControl.patchStatus(store).rescheduleAfter(next), store, context);
  }

  /**
   * Why {@code store} may not be used, if another BackupStore writes to the same endpoint and
   * bucket and one's folder {@code <prefix>/<namespace>} is the other's or lies inside it (by whole
   * path segments). Of two such stores, the one created later (by name on a tie) is refused; the
   * older one keeps working.
   */
  static Optional<String> overlap(BackupStore store, List<BackupStore> all) {
    String mine = folder(store);
    for (BackupStore other : all) {
      if (other.getMetadata().getUid() != null
              && other.getMetadata().getUid().equals(store.getMetadata().getUid())
          || (other.getMetadata().getName().equals(store.getMetadata().getName())
              && other.getMetadata().getNamespace().equals(store.getMetadata().getNamespace()))) {
        continue;
      }
      if (other.getSpec() == null
          || other.getSpec().getS3() == null
          || !sameBucket(store.getSpec().getS3(), other.getSpec().getS3())) {
        continue;
      }
      String theirs = folder(other);
      boolean overlaps =
          mine.equals(theirs) || mine.startsWith(theirs + "/") || theirs.startsWith(mine + "/");
      if (!overlaps || !newer(store, other)) {
        continue;
      }
      String otherName = other.getMetadata().getNamespace() + "/" + other.getMetadata().getName();
      return Optional.of(
          "BackupStore "
              + store.getMetadata().getNamespace()
              + "/"
              + store.getMetadata().getName()
              + " would write"
              + " under "
              + mine
              + "/ in bucket "
              + store.getSpec().getS3().getBucket()
              + ", which overlaps "
              + theirs
              + "/ of BackupStore "
              + otherName
              + " (same endpoint and bucket): the two would count,"
              + " import and prune each other's backups. Give this store a spec.s3.prefix that neither equals nor"
              + " contains, nor lies inside, the other's; until then it runs no backup, catalog or retention");
    }
    return Optional.empty();
  }

  /** {@code <prefix>/<namespace>}: everything the store writes lies below it. */
  private static String folder(BackupStore store) {
    return io.osbackup.contract.BackupLayout.policyFolder(
        store.getSpec().getS3().getPrefix(), store.getMetadata().getNamespace(), null);
  }

  private static boolean sameBucket(
      io.osbackup.api.v1alpha1.S3Location a, io.osbackup.api.v1alpha1.S3Location b) {
    return endpoint(a.getEndpoint()).equals(endpoint(b.getEndpoint()))
        && java.util.Objects.equals(a.getBucket(), b.getBucket());
  }

  private static String endpoint(String url) {
    String e = url == null ? "" : url.strip().toLowerCase(java.util.Locale.ROOT);
    while (e.endsWith("/")) {
      e = e.substring(0, e.length() - 1);
    }
    return e;
  }

  /**
   * Whether {@code a} came after {@code b}: created later, or at the same time and later by
   * namespace/name.
   */
  private static boolean newer(BackupStore a, BackupStore b) {
    String ca = a.getMetadata().getCreationTimestamp();
    String cb = b.getMetadata().getCreationTimestamp();
    if (ca != null && cb != null && !ca.equals(cb)) {
      return java.time.Instant.parse(ca).isAfter(java.time.Instant.parse(cb));
    }
    String na = a.getMetadata().getNamespace() + "/" + a.getMetadata().getName();
    String nb = b.getMetadata().getNamespace() + "/" + b.getMetadata().getName();
    return na.compareTo(nb) > 0;
  }

  /**
   * Lists the manifests of the store's namespace and creates a BackupRun for each backup without
   * one; counts the backups and bytes into status. A failed listing creates nothing and leaves the
   * counts of the last good sync.
   */
  private void syncCatalog(
      BackupStore store, ObjectStore bucket, KubernetesClient client, EventRecorder events) {
    BackupStoreStatus status = store.getStatus();
    String ns = store.getMetadata().getNamespace();
    String name = store.getMetadata().getName();
    String prefix = store.getSpec().getS3().getPrefix();
    Catalog.Listing listing;
    List<BackupRun> runs;
    try {
      Owner us = new Owner(settings.clusterId(), ns, name, store.getMetadata().getUid());
      listing = new Catalog(Catalog.of(bucket), verifyingKeys(store, client)).read(prefix, ns, us);
      runs = client.resources(BackupRun.class).inNamespace(ns).list().getItems();
    } catch (IOException | KubernetesClientException e) {
      String reason = e instanceof StoreException se ? se.reason() : "CatalogSyncFailed";
      String message =
          "could not read the backups under "
              + Catalog.namespaceFolder(prefix, ns)
              + ", nothing was created: "
              + e.getMessage();
      if (setSynced(store, false, reason, message)) {
        events.warning(store, "CatalogSyncFailed", message);
      }
      LOG.warn("store {}/{}: {}", ns, name, message);
      return;
    }
    Set<String> problems = new HashSet<>();
    Set<String> before = told.getOrDefault(store.getMetadata().getUid(), Set.of());
    for (Catalog.Skipped skipped : listing.skipped()) {
      problems.add(skipped.key());
      if (!before.contains(skipped.key())) {
        events.warning(
            store,
            skipped.reason(),
            "skipped "
                + skipped.key()
                + ": it "
                + skipped.problem()
                + (SignatureCheck.Outcome.INVALID.reason().equals(skipped.reason())
                    ? "; it may have been tampered with: its backup is not brought back"
                    : ""));
      }
    }
    FoundBackups.Gaps gaps = FoundBackups.gaps(listing.backups(), runs);
    for (Catalog.Backup backup : gaps.nameTaken()) {
      problems.add(backup.key());
      if (!before.contains(backup.key())) {
        events.warning(
            store,
            "BackupRunNameTaken",
            "backup "
                + backup.backupId()
                + " ("
                + backup.key()
                + ") has no BackupRun, and the name "
                + backup.backupId()
                + " is held by another run: rename or delete that run to bring the backup back");
      }
    }
    int created = 0;
    for (Catalog.Backup backup : gaps.toCreate()) {
      try {
        client.resource(FoundBackups.runFor(backup, ns, name)).create();
        created++;
        events.normal(
            store,
            "BackupFound",
            "backup "
                + backup.backupId()
                + " found at "
                + backup.key()
                + ": created its BackupRun");
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          continue; // created meanwhile (another store on the same bucket, or a new run): the next
          // sync judges
        }
        problems.add(backup.key());
        if (!before.contains(backup.key())) {
          events.warning(
              store,
              "BackupRunNotCreated",
              "backup " + backup.key() + ": the BackupRun could not be created: " + e.getMessage());
        }
      }
    }
    if (!listing.foreign().isEmpty()) {
      String foreignKey = "foreign:" + listing.foreign().size();
      problems.add(foreignKey);
      if (!before.contains(foreignKey)) {
        events.normal(
            store,
            "ForeignBackups",
            listing.foreign().size()
                + " backups under "
                + Catalog.namespaceFolder(prefix, ns)
                + " were written by"
                + " another cluster or store (e.g. "
                + listing.foreign().get(0).key()
                + "); "
                + (importForeign(store)
                    ? "they are imported read-only (spec.foreignBackups: ImportReadOnly)"
                    : "they are left alone; set spec.foreignBackups: ImportReadOnly to restore from them"));
      }
    }
    if (importForeign(store)) {
      FoundBackups.Gaps foreignGaps = FoundBackups.gaps(listing.foreign(), runs);
      for (Catalog.Backup backup : foreignGaps.toCreate()) {
        BackupRun foreignRun = FoundBackups.foreignRunFor(backup, ns, name);
        try {
          client.resource(foreignRun).create();
          created++;
          events.normal(
              store,
              "ForeignBackupImported",
              "backup "
                  + backup.backupId()
                  + " of "
                  + foreignRun.getMetadata().getAnnotations().get(FoundBackups.OWNER_ANNOTATION)
                  + " found at "
                  + backup.key()
                  + ": created its read-only BackupRun");
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409 && !before.contains(backup.key())) {
            events.warning(
                store,
                "BackupRunNotCreated",
                "backup "
                    + backup.key()
                    + ": the BackupRun could not be"
                    + " created: "
                    + e.getMessage());
          }
          problems.add(backup.key());
        }
      }
    }
    status.setForeignBackups((long) listing.foreign().size());
    told.put(store.getMetadata().getUid(), problems);
    status.setBackups((long) listing.backups().size());
    status.setBytes(listing.bytes());
    status.setLastSyncTime(settings.clock().instant().toString());
    String message =
        listing.backups().size()
            + " backups, "
            + listing.bytes()
            + " bytes under "
            + Catalog.namespaceFolder(prefix, ns)
            + "; "
            + created
            + " BackupRuns created"
            + (listing.skipped().isEmpty()
                ? ""
                : "; " + listing.skipped().size() + " manifests skipped");
    setSynced(store, true, "Synced", message);
    if (created > 0) {
      LOG.info("store {}/{}: {}", ns, name, message);
    }
  }

  /**
   * The store's signing Secret: created when the store names none and it is missing, and said in
   * the {@code ManifestSigning} condition, with the reminder to keep it off-site.
   */
  private void signingKeys(BackupStore store, KubernetesClient client, EventRecorder events) {
    BackupStoreStatus status = store.getStatus();
    String secret = ManifestKeys.secretName(store);
    status.setSigningKeySecret(secret);
    boolean ok;
    String reason;
    String message;
    try {
      ManifestKeys.Keys keys = new ManifestKeys(client, settings.clock()).forSigning(store);
      ok = true;
      reason = keys.created() ? "SigningKeyCreated" : "SigningKeyReady";
      message =
          (keys.created() ? "created " : "")
              + "Secret '"
              + secret
              + "' signs manifests with key '"
              + keys.keys().primary()
              + "' ("
              + keys.keys().ids().size()
              + " keys verify): keep a copy off-site with"
              + " the S3 credentials, a rebuilt cluster needs it to verify its backups";
    } catch (ManifestKeys.Problem e) {
      ok = false;
      reason = e.reason();
      message = e.getMessage() + "; no backup runs until it is fixed";
    }
    if (Conditions.set(
        status,
        BackupStoreStatus.MANIFEST_SIGNING,
        ok,
        reason,
        message,
        store.getMetadata().getGeneration(),
        settings.clock())) {
      if (ok) {
        events.normal(store, reason, message);
      } else {
        events.warning(store, reason, message);
      }
    }
  }

  private SigningKeys verifyingKeys(BackupStore store, KubernetesClient client) throws IOException {
    return new ManifestKeys(client, settings.clock())
        .forVerifying(store.getMetadata().getNamespace(), store);
  }

  /** Whether agent Jobs get credentials of their own, in the {@code AgentCredentials} condition. */
  private void agentCredentials(BackupStore store, EventRecorder events) {
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
            settings.clock())
        && !separate) {
      events.normal(store, reason, message);
    }
  }

  private static boolean importForeign(BackupStore store) {
    return store.getSpec().getForeignBackups()
        == io.osbackup.api.v1alpha1.ForeignBackups.ImportReadOnly;
  }

  private boolean setSynced(BackupStore store, boolean ok, String reason, String message) {
    return Conditions.set(
        store.getStatus(),
        BackupStoreStatus.CATALOG_SYNCED,
        ok,
        reason,
        message,
        store.getMetadata().getGeneration(),
        settings.clock());
  }
}
