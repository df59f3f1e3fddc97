package io.osbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What one restore Job must do, handed to the agent as JSON in {@value #ENV}. Like {@link
 * BackupPlan} it carries no secrets: credentials are read from the Secret volumes named by the
 * {@code credentialsDir} fields.
 *
 * @param jobName name of the Job
 * @param request name of the RestoreRequest
 * @param backupId the backup restored
 * @param reportKey where the agent writes its {@link RestoreReport}
 * @param mode {@code verify} (download and check every item, survey the database servers, write
 *     nothing) or {@code restore}
 * @param stamp {@code yyyyMMdd-HHmmss}: what is replaced is kept as {@code <dir>.orig-<stamp>} and
 *     {@code <database>_orig_<stamp>}
 * @param accounts accounts artifacts to restore (only when the request asks for them), after the
 *     databases
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestorePlan(
    String jobName,
    String request,
    String backupId,
    String reportKey,
    BackupPlan.Store store,
    String mode,
    String stamp,
    List<DatabaseItem> databases,
    List<FilesItem> files,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<AccountsItem> accounts) {

  /** Environment variable holding the plan as JSON; when set, {@code osbackup agent} restores. */
  public static final String ENV = "OSBACKUP_RESTORE_PLAN";

  public static final String VERIFY = "verify";
  public static final String RESTORE = "restore";

  /** Where the Secret of the i-th database server's credentials is mounted: {@code <dir>/<i>}. */
  public static final String DATABASE_CREDENTIALS_ROOT = "/var/run/osbackup/database";

  public RestorePlan {
    databases = databases == null ? List.of() : List.copyOf(databases);
    files = files == null ? List.of() : List.copyOf(files);
    accounts = accounts == null ? List.of() : List.copyOf(accounts);
  }

  /** A plan that restores no accounts. */
  public RestorePlan(
      String jobName,
      String request,
      String backupId,
      String reportKey,
      BackupPlan.Store store,
      String mode,
      String stamp,
      List<DatabaseItem> databases,
      List<FilesItem> files) {
    this(jobName, request, backupId, reportKey, store, mode, stamp, databases, files, null);
  }

  /**
   * The accounts artifact of a database target, restored into the server its databases go to, after
   * them.
   *
   * @param replace true: existing accounts are made as in the backup; false: they are left and
   *     reported
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AccountsItem(
      Artifact artifact,
      String target,
      String host,
      int port,
      String credentialsDir,
      BackupPlan.DatabaseTls tls,
      boolean replace) {

    /** {@code host:port (accounts)}. */
    public String where() {
      return host + ":" + port + " (accounts)";
    }
  }

  /** The stored artifact an item restores, as its manifest describes it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Artifact(String key, long size, String sha256, String compression) {}

  /**
   * One database of the backup, restored into {@code destination} on {@code host:port}.
   *
   * @param database the database in the backup
   * @param destination the database it becomes (the same name for an in-place restore)
   * @param tls TLS to the server (its CA file mounted in the pod); null: none asked for
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DatabaseItem(
      Artifact artifact,
      String target,
      String database,
      String destination,
      String host,
      int port,
      String credentialsDir,
      BackupPlan.DatabaseTls tls) {

    /** An item without TLS settings. */
    public DatabaseItem(
        Artifact artifact,
        String target,
        String database,
        String destination,
        String host,
        int port,
        String credentialsDir) {
      this(artifact, target, database, destination, host, port, credentialsDir, null);
    }

    /** {@code host:port/destination}. */
    public String where() {
      return host + ":" + port + "/" + destination;
    }
  }

  /**
   * One files artifact (one node of a files target), restored on the node the Job runs on.
   *
   * @param node the node the archive came from
   * @param paths absolute node paths to restore from the archive (directories or files)
   * @param toPath null to restore in place, else the node directory below which the paths land
   * @param hostRoot where the node's directories are mounted in the pod ({@link
   *     BackupPlan#HOST_ROOT})
   * @param restoreSetuid true: files owned by root keep their setuid/setgid bits; null or false:
   *     the bits are removed and the files listed
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record FilesItem(
      Artifact artifact,
      String target,
      String node,
      List<String> paths,
      String toPath,
      String hostRoot,
      Boolean restoreSetuid) {

    /** An item that removes setuid/setgid bits from files owned by root. */
    public FilesItem(
        Artifact artifact,
        String target,
        String node,
        List<String> paths,
        String toPath,
        String hostRoot) {
      this(artifact, target, node, paths, toPath, hostRoot, null);
    }
  }

  /** {@code /a//b/} → {@code /a/b}. */
  public static String normalise(String path) {
    String p = path.replaceAll("/+", "/");
    p = p.replaceAll("/\\./", "/");
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  /**
   * Where {@code path} of a files artifact lands when restored under {@code toPath}: {@code
   * <toPath><path>}.
   */
  public static String join(String toPath, String path) {
    return normalise(toPath + "/" + path);
  }
}
