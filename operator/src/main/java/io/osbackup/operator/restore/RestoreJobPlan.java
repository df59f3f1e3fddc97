package io.osbackup.operator.restore;

import io.osbackup.api.v1alpha1.DatabaseTls;
import io.osbackup.api.v1alpha1.KeyRef;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreItem;
import io.osbackup.api.v1alpha1.RestoreRequestStatus.RestoreJob;
import io.osbackup.api.v1alpha1.S3Location;
import io.osbackup.catalog.Catalog;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.ItemState;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.RestorePlan;
import io.osbackup.plan.BackupJobs;
import io.osbackup.plan.RestoreJobs;
import io.osbackup.restore.RestoreSelection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Jobs of a restore and the plans their agents run: a pure function of the request, its status
 * (backup, stamp, attempt) and the selection read from the backup's manifest; no client, no bucket.
 */
final class RestoreJobPlan {

  static final String DATABASE = RestoreDecision.DATABASE;
  static final String FILES = RestoreDecision.FILES;
  static final String ACCOUNTS = RestoreDecision.ACCOUNTS;

  /**
   * The source of a restore: the store, its bucket location, the backup, and the database
   * credentials it knows.
   */
  record Source(
      String storeName,
      S3Location s3,
      Catalog.Backup backup,
      Map<String, String> credentials,
      Map<String, DatabaseTls> tls) {}

  private final RestoreRequest request;
  private final RestoreRequestStatus status;
  private final String ns;
  private final String name;

  RestoreJobPlan(RestoreRequest request, RestoreRequestStatus status) {
    this.request = request;
    this.status = status;
    this.ns = request.getMetadata().getNamespace();
    this.name = request.getMetadata().getName();
  }

  String keptAsideExample(RestoreSelection.Result selection) {
    List<String> out = new ArrayList<>();
    selection.databases().stream()
        .filter(RestoreSelection.DatabaseChoice::inPlace)
        .findFirst()
        .ifPresent(d -> out.add(keepSchema(d.destination())));
    selection.files().stream()
        .filter(RestoreSelection.FilesChoice::inPlace)
        .findFirst()
        .ifPresent(f -> out.add(f.paths().get(0) + ".orig-" + status.getStamp()));
    return String.join(", ", out);
  }

  String keepSchema(String database) {
    return database + "_orig_" + status.getStamp().replace('-', '_');
  }

  List<RestoreItem> planItems(RestoreSelection.Result selection) {
    List<RestoreItem> items = new ArrayList<>();
    for (RestoreSelection.DatabaseChoice d : selection.databases()) {
      RestoreItem item = new RestoreItem();
      item.setKind(DATABASE);
      item.setTarget(d.entry().target());
      item.setDatabase(d.entry().database());
      item.setKey(d.entry().key());
      item.setSize(d.entry().size());
      item.setDestination(d.where());
      item.setInPlace(d.inPlace());
      item.setState(ItemState.PENDING.value());
      items.add(item);
    }
    for (RestoreSelection.AccountsChoice a : selection.accounts()) {
      RestoreItem item = new RestoreItem();
      item.setKind(ACCOUNTS);
      item.setTarget(a.entry().target());
      item.setKey(a.entry().key());
      item.setSize(a.entry().size());
      item.setDestination(a.where());
      item.setInPlace(false);
      item.setState(ItemState.PENDING.value());
      items.add(item);
    }
    for (RestoreSelection.FilesChoice f : selection.files()) {
      RestoreItem item = new RestoreItem();
      item.setKind(FILES);
      item.setTarget(f.entry().target());
      item.setNode(f.entry().node());
      item.setKey(f.entry().key());
      item.setSize(f.entry().size());
      item.setDestination(f.where());
      item.setInPlace(f.inPlace());
      item.setState(ItemState.PENDING.value());
      items.add(item);
    }
    return items;
  }

  /** A Job of the restore with the plan its agent runs. */
  record PlannedJob(RestoreJob status, AgentJob agent) {}

  /**
   * What a Job's agent runs, the database Secrets it mounts (in the plan's order) and the node it
   * writes on.
   */
  record AgentJob(RestorePlan plan, List<String> secrets, List<KeyRef> cas, String node) {}

  /**
   * The selection re-read from the bucket's manifest (the source of truth; status holds only what
   * users read).
   */
  record Selected(Source source, RestoreSelection.Result selection) {}

  Map<String, PlannedJob> restoreJobs(Selected selected) {
    Map<String, PlannedJob> out = new LinkedHashMap<>();
    Map<String, List<RestoreSelection.DatabaseChoice>> byTarget = new LinkedHashMap<>();
    selected
        .selection()
        .databases()
        .forEach(d -> byTarget.computeIfAbsent(d.entry().target(), k -> new ArrayList<>()).add(d));
    for (Map.Entry<String, List<RestoreSelection.DatabaseChoice>> e : byTarget.entrySet()) {
      String jobName = RestoreJobs.databaseName(jobPrefix(), e.getKey());
      out.put(
          jobName,
          new PlannedJob(
              job(jobName, DATABASE, e.getKey(), null),
              agentJob(selected, RestorePlan.RESTORE, jobName, e.getValue(), List.of(), null)));
    }
    for (RestoreSelection.FilesChoice f : selected.selection().files()) {
      String jobName = RestoreJobs.filesName(jobPrefix(), f.entry().target(), f.entry().node());
      for (int n = 2; out.containsKey(jobName); n++) {
        jobName =
            RestoreJobs.filesName(jobPrefix(), f.entry().target(), f.entry().node() + "-" + n);
      }
      out.put(
          jobName,
          new PlannedJob(
              job(jobName, FILES, f.entry().target(), f.node()),
              agentJob(selected, RestorePlan.RESTORE, jobName, List.of(), List.of(f), f.node())));
    }
    return out;
  }

  AgentJob agentJob(
      Selected selected,
      String mode,
      String jobName,
      List<RestoreSelection.DatabaseChoice> databases,
      List<RestoreSelection.FilesChoice> files,
      String node) {
    S3Location s3 = selected.source().s3();
    BackupPlan.Store store = BackupJobs.store(s3);
    List<String> secrets = secretsOf(databases);
    // A restore into the backed-up server (in place or renamed) connects with its target's TLS,
    // from the source
    // run's plan or the policy; one into another server (spec.databases.into) with the driver's
    // default.
    boolean intoOther =
        request.getSpec().getDatabases() != null
            && request.getSpec().getDatabases().getInto() != null;
    Map<String, DatabaseTls> tlsByTarget = intoOther ? Map.of() : selected.source().tls();
    List<KeyRef> cas =
        databases.stream()
            .map(d -> tlsByTarget.get(d.entry().target()))
            .filter(t -> t != null && t.getCaSecret() != null)
            .map(DatabaseTls::getCaSecret)
            .distinct()
            .toList();
    List<RestorePlan.DatabaseItem> dbItems =
        databases.stream()
            .map(
                d -> {
                  DatabaseTls tls = tlsByTarget.get(d.entry().target());
                  BackupPlan.DatabaseTls agentTls =
                      tls == null
                          ? null
                          : new BackupPlan.DatabaseTls(
                              tls.getMode(),
                              tls.getCaSecret() == null
                                  ? null
                                  : RestoreJobs.databaseCaDir(cas.indexOf(tls.getCaSecret()))
                                      + "/"
                                      + BackupPlan.CA_FILE);
                  return new RestorePlan.DatabaseItem(
                      artifact(d.entry()),
                      d.entry().target(),
                      d.entry().database(),
                      d.destination(),
                      d.server().host(),
                      d.server().port(),
                      RestorePlan.DATABASE_CREDENTIALS_ROOT
                          + "/"
                          + secrets.indexOf(d.server().credentialsSecret()),
                      agentTls);
                })
            .toList();
    List<RestorePlan.FilesItem> fileItems =
        files.stream()
            .map(
                f ->
                    new RestorePlan.FilesItem(
                        artifact(f.entry()),
                        f.entry().target(),
                        f.entry().node(),
                        f.paths(),
                        f.toPath(),
                        BackupPlan.HOST_ROOT,
                        restoreSetuid() ? Boolean.TRUE : null))
            .toList();
    Set<String> targets =
        databases.stream().map(d -> d.entry().target()).collect(Collectors.toSet());
    List<RestorePlan.AccountsItem> accountItems =
        selected.selection().accounts().stream()
            .filter(a -> targets.contains(a.entry().target()))
            .map(
                a -> {
                  DatabaseTls tls = tlsByTarget.get(a.entry().target());
                  BackupPlan.DatabaseTls agentTls =
                      tls == null
                          ? null
                          : new BackupPlan.DatabaseTls(
                              tls.getMode(),
                              tls.getCaSecret() == null
                                  ? null
                                  : RestoreJobs.databaseCaDir(cas.indexOf(tls.getCaSecret()))
                                      + "/"
                                      + BackupPlan.CA_FILE);
                  return new RestorePlan.AccountsItem(
                      artifact(a.entry()),
                      a.entry().target(),
                      a.server().host(),
                      a.server().port(),
                      RestorePlan.DATABASE_CREDENTIALS_ROOT
                          + "/"
                          + secrets.indexOf(a.server().credentialsSecret()),
                      agentTls,
                      a.replace());
                })
            .toList();
    RestorePlan plan =
        new RestorePlan(
            jobName,
            name,
            status.getBackupId(),
            reportKey(s3, jobName),
            store,
            mode,
            status.getStamp(),
            dbItems,
            fileItems,
            accountItems);
    return new AgentJob(plan, secrets, cas, node);
  }

  /** spec.files.restoreSetuid: whether root-owned files keep their setuid/setgid bits. */
  boolean restoreSetuid() {
    RestoreRequestSpec.FilesRestore files = request.getSpec().getFiles();
    return files != null && Boolean.TRUE.equals(files.getRestoreSetuid());
  }

  List<String> secretsOf(List<RestoreSelection.DatabaseChoice> databases) {
    return databases.stream().map(d -> d.server().credentialsSecret()).distinct().toList();
  }

  RestorePlan.Artifact artifact(Manifest.Entry e) {
    return new RestorePlan.Artifact(e.key(), e.size(), e.sha256(), e.compression());
  }

  /**
   * {@code <prefix>/<namespace>/.restores/<request>-<uid>/<job>.json}: no policy folder can be
   * named so.
   */
  String reportKey(S3Location s3, String jobName) {
    String uid = request.getMetadata().getUid() == null ? "" : request.getMetadata().getUid();
    String folder =
        BackupLayout.policyFolder(s3.getPrefix(), ns, ".restores")
            + "/"
            + jobPrefix()
            + "-"
            + uid.substring(0, Math.min(8, uid.length()));
    return folder + "/" + jobName + ".json";
  }

  /**
   * The request's name, with the attempt after the first: a request validated again after an edited
   * spec gets new Jobs and reports, never the ones of the attempt before.
   */
  String jobPrefix() {
    int attempt = status.getAttempt() == null ? 1 : status.getAttempt();
    return attempt == 1 ? name : name + "-" + attempt;
  }

  private static RestoreJob job(String jobName, String kind, String target, String node) {
    return RestoreDecision.job(jobName, kind, target, node);
  }
}
