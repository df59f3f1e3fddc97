package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lombok.Data;

/** What to restore, from which backup, where to, and how carefully. */
@Data
@ValidationRule(
    value = "has(self.databases) || has(self.files)",
    message = "say what to restore: set spec.databases, spec.files, or both")
@ValidationRule(
    value =
        "!has(self.accounts) || !has(self.accounts.restore) || !self.accounts.restore || has(self.databases)",
    message =
        "spec.accounts.restore needs spec.databases: accounts are restored into the server the databases go"
            + " to")
public class RestoreRequestSpec {

  @Required
  @JsonPropertyDescription("The backup to restore from.")
  private RestoreSource source;

  @JsonPropertyDescription("Databases to restore. Unset: no database is restored.")
  private DatabaseRestore databases;

  @JsonPropertyDescription(
      "MariaDB accounts, roles and grants stored with the selected database targets (accounts/<target>.sql.<ext>)."
          + " Unset or restore: false: none are restored.")
  private Accounts accounts;

  @JsonPropertyDescription("Files to restore. Unset: no files are restored.")
  private FilesRestore files;

  @JsonPropertyDescription(
      "Deployments and StatefulSets (same namespace) scaled to zero while restoring and scaled back to their"
          + " recorded replica counts afterwards, for example nova-api and nova-conductor. The restore starts once"
          + " their pods are gone (terminating ones included); one scaled up again while restoring is scaled to"
          + " zero again and the restore is not reported as succeeded.")
  private List<WorkloadRef> quiesce = new ArrayList<>();

  @JsonPropertyDescription(
      "Must equal the backup id before anything is written in place (over an existing database or directory)."
          + " The status says which id to set.")
  private String confirm;

  @Default("false")
  @JsonPropertyDescription(
      "Only validate and verify (download and check every artifact's SHA-256) and write the plan into status;"
          + " change nothing.")
  private Boolean dryRun = false;

  @Default("KeepQuiesced")
  @JsonPropertyDescription(
      "What happens to quiesced workloads when restoring fails: KeepQuiesced (default, safest) or Resume.")
  private OnRestoreFailure onFailure = OnRestoreFailure.KeepQuiesced;

  @Default("false")
  @JsonPropertyDescription("Set to true to stop the request cleanly between two steps.")
  private Boolean cancel = false;

  @Default("false")
  @JsonPropertyDescription(
      "Restore even though the backup's manifest.json is not verified by the store's signing keys: it has no"
          + " manifest.sig (written before manifests were signed), names a key the signing Secret no longer holds,"
          + " or does not match its signature (changed after the operator wrote it). Only set it for a backup you"
          + " trust: the artifacts are then checked against checksums anyone with write access to the bucket could"
          + " have rewritten.")
  private Boolean allowUnsignedManifest = false;

  /** Where a restore reads from. */
  @Data
  @ValidationRule(
      value =
          "(has(self.backupRunRef) ? 1 : 0) + (has(self.backupId) ? 1 : 0) + (has(self.asOf) ? 1 : 0) == 1",
      message =
          "choose the backup one way: source.backupRunRef, source.storeRef with source.backupId, or"
              + " source.policyRef with source.asOf")
  @ValidationRule(
      value = "!has(self.backupId) || has(self.storeRef)",
      message = "source.backupId needs source.storeRef (the BackupStore that holds the backup)")
  @ValidationRule(
      value = "!has(self.asOf) || has(self.policyRef)",
      message =
          "source.asOf needs source.policyRef (the policy whose newest backup at or before asOf is used)")
  public static class RestoreSource {

    @JsonPropertyDescription("A BackupRun, in the same namespace, whose backup to restore.")
    private LocalRef backupRunRef;

    @JsonPropertyDescription(
        "The policy whose backups to choose from (with asOf). With backupId it is optional: the backup is found by"
            + " its id in the store's namespace folder.")
    private LocalRef policyRef;

    @JsonPropertyDescription(
        "The BackupStore holding the backup; works when no BackupRun exists any more.")
    private LocalRef storeRef;

    @JsonPropertyDescription("Id of the backup, for example control-plane-daily-20261121-020000.")
    private String backupId;

    @Pattern(
        "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})|[0-9]+(m|h|d|w))$")
    @JsonPropertyDescription(
        "Restore the newest successful backup taken at or before this time: an RFC 3339 time"
            + " (2026-11-20T00:00:00Z) or an age (10d, 12h, 30m, 2w).")
    private String asOf;
  }

  /** Which databases to restore and where. */
  @Data
  public static class DatabaseRestore {

    @JsonPropertyDescription(
        "Only this database target of the backup. Unset: every database target.")
    private String target;

    @JsonPropertyDescription("Databases to restore. Empty: every database of the selected targets.")
    private List<String> include = new ArrayList<>();

    @JsonPropertyDescription(
        "Restore a database under another name: {nova: nova_restored}. The original is not touched.")
    private Map<String, String> renames = new LinkedHashMap<>();

    @JsonPropertyDescription("Restore into another server instead of the one the backup came from.")
    private DatabaseServer into;
  }

  /** Whether accounts are restored, and what happens to those that exist already. */
  @Data
  public static class Accounts {
    @Default("false")
    @JsonPropertyDescription(
        "Restore the accounts, roles and grants of each selected database target into the server its databases go"
            + " to, after them: missing ones are created with their password hashes, grants and default roles. Not"
            + " with spec.databases.renames (grants name databases by their backed-up names).")
    private Boolean restore = false;

    @Default("Keep")
    @JsonPropertyDescription(
        "What happens to an account or role that exists already: Keep (default) leaves it as it is and lists it in"
            + " status.plan[].message and an Event; Replace makes it exactly as in the backup (a user is dropped"
            + " and created again, a role's privileges are revoked and granted again). The restore's own login is"
            + " never changed.")
    private ExistingAccounts existing = ExistingAccounts.Keep;
  }

  /** What a restore does with accounts that exist already. */
  public enum ExistingAccounts {
    Keep,
    Replace
  }

  /** A database server to restore into. */
  @Data
  public static class DatabaseServer {
    @Required
    @JsonPropertyDescription("Host name or IP address.")
    private String host;

    @Default("3306")
    @JsonPropertyDescription("TCP port.")
    private Integer port = 3306;

    @Required
    @JsonPropertyDescription("Secret with the keys username and password.")
    private LocalRef credentialsSecret;
  }

  /** Which files to restore and where. */
  @Data
  public static class FilesRestore {
    @Required
    @JsonPropertyDescription("Files targets of the backup to restore.")
    private List<FilesSelection> include = new ArrayList<>();

    @JsonPropertyDescription(
        "Restore the setuid and setgid bits of files owned by root (user or group) as the archive has them."
            + " Unset or false: those bits are removed and the files are listed in the item's message; set true"
            + " only for a backup you trust, since a setuid-root file runs as root for whoever starts it.")
    private Boolean restoreSetuid = false;
  }

  /** One files target of the backup, some of its nodes and paths, and where they go. */
  @Data
  public static class FilesSelection {
    @Required
    @JsonPropertyDescription("The files target of the backup.")
    private String target;

    @JsonPropertyDescription("Nodes whose archives to restore. Empty: every node of the target.")
    private List<String> nodes = new ArrayList<>();

    @JsonPropertyDescription("Paths inside the archives to restore. Empty: everything.")
    private List<String> paths = new ArrayList<>();

    @JsonPropertyDescription(
        "Restore onto this node instead of the node the archive came from (one node only).")
    private String toNode;

    @Pattern("^/.*$")
    @JsonPropertyDescription(
        "Restore below this directory instead of in place (etc/nova lands in <toPath>/etc/nova); nothing in place"
            + " is touched. It may not be, or lie inside, a denied node subtree (/etc/kubernetes, /var/lib/kubelet,"
            + " /root, ...; see docs/restore.md).")
    private String toPath;
  }

  /** A workload scaled to zero during the restore. */
  @Data
  public static class WorkloadRef {
    @Required
    @JsonPropertyDescription("Deployment or StatefulSet.")
    private WorkloadKind kind;

    @Required
    @JsonPropertyDescription("Name, in the same namespace.")
    private String name;

    @Default("false")
    @JsonPropertyDescription(
        "Set to true when another controller manages this workload (a controller owner reference such as an"
            + " OpenStack operator's CR, Argo CD, Flux, a HorizontalPodAutoscaler) and you paused it for the restore."
            + " Without it such a workload is refused (QuiesceOwnedWorkload) before anything is scaled, because"
            + " its controller would scale it back up while the data is switched.")
    private Boolean handled = false;
  }

  /** Kinds of workload that can be quiesced. */
  public enum WorkloadKind {
    Deployment,
    StatefulSet
  }

  /** What to do with quiesced workloads when restoring fails. */
  public enum OnRestoreFailure {
    KeepQuiesced,
    Resume
  }
}
