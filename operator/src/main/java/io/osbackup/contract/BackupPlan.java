package io.osbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What one agent Job must do, handed to the agent as JSON in the {@code OSBACKUP_PLAN} environment
 * variable. It carries no secrets: credentials are read from the Secret volumes named by the {@code
 * credentialsDir} fields.
 *
 * <p>Exactly one of {@link #database} and {@link #files} is set.
 *
 * @param jobName name of the Job, also the name of the report the agent writes
 * @param backupId id of the backup this Job contributes to
 * @param folder key prefix of the backup folder, {@code <prefix>/<namespace>/<policy>/<backupId>}
 *     without a trailing slash; artifacts and the report go below it
 * @param store the bucket to write to
 * @param compression {@code gzip}, {@code zstd} or {@code none}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupPlan(
    String jobName,
    String backupId,
    String folder,
    Store store,
    String compression,
    Database database,
    Files files) {

  /** Environment variable holding the plan as JSON. */
  public static final String ENV = "OSBACKUP_PLAN";

  /** Where the store credentials Secret is mounted (keys {@code accessKey}, {@code secretKey}). */
  public static final String STORE_CREDENTIALS_DIR = "/var/run/osbackup/store";

  /** Where the database credentials Secret is mounted (keys {@code username}, {@code password}). */
  public static final String DATABASE_CREDENTIALS_DIR = "/var/run/osbackup/database";

  /**
   * Host path {@code /etc/nova} of the node is mounted read-only at {@code /host/etc/nova} in the
   * agent pod.
   */
  public static final String HOST_ROOT = "/host";

  /** Where the store's CA bundle is mounted, when it names one: {@code <dir>/ca.crt}. */
  public static final String STORE_CA_DIR = "/var/run/osbackup/store-ca";

  /**
   * Where a database target's CA certificate is mounted, when its TLS names one: {@code
   * <dir>/ca.crt}.
   */
  public static final String DATABASE_CA_DIR = "/var/run/osbackup/database-ca";

  /** File name of a mounted CA bundle. */
  public static final String CA_FILE = "ca.crt";

  /**
   * The S3 location and the directory holding its credentials.
   *
   * @param caBundleFile PEM file of the CAs to trust for an https endpoint; null: the JVM's
   * @param maxUploadParts the most parts the store accepts in one upload; null: 1000
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Store(
      String endpoint,
      String bucket,
      String region,
      boolean forcePathStyle,
      String credentialsDir,
      String caBundleFile,
      Integer maxUploadParts) {

    /** A store with the JVM's CAs and the default part count. */
    public Store(
        String endpoint,
        String bucket,
        String region,
        boolean forcePathStyle,
        String credentialsDir) {
      this(endpoint, bucket, region, forcePathStyle, credentialsDir, null, null);
    }

    /** This store with its CA bundle read from {@code file} (where a pod path is found locally). */
    public Store withCaBundleFile(String file) {
      return new Store(
          endpoint, bucket, region, forcePathStyle, credentialsDir, file, maxUploadParts);
    }
  }

  /**
   * TLS to a database server.
   *
   * @param mode {@code required}, {@code verify-ca} or {@code verify-full}
   * @param caFile PEM file of the CA that signed the server's certificate; null with {@code
   *     required}
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DatabaseTls(String mode, String caFile) {

    /** Whether the server's certificate is checked against {@link #caFile}. */
    public boolean verifiesCa() {
      return !"required".equals(mode);
    }

    /** Whether the server's certificate must also name the host. */
    public boolean verifiesHost() {
      return "verify-full".equals(mode);
    }

    /** These settings with the CA read from {@code file} (where a pod path is found locally). */
    public DatabaseTls withCaFile(String file) {
      return new DatabaseTls(mode, file);
    }
  }

  /**
   * A database target: every selected database is dumped in one consistent snapshot.
   *
   * @param accounts which accounts are stored with the databases: {@code Relevant}, {@code All} or
   *     {@code None}; null (a plan written before accounts were captured): none
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Database(
      String target,
      String host,
      int port,
      String credentialsDir,
      List<String> include,
      List<String> exclude,
      boolean includeSystemDatabases,
      DatabaseTls tls,
      String accounts) {

    /** A target that stores no accounts. */
    public Database(
        String target,
        String host,
        int port,
        String credentialsDir,
        List<String> include,
        List<String> exclude,
        boolean includeSystemDatabases,
        DatabaseTls tls) {
      this(target, host, port, credentialsDir, include, exclude, includeSystemDatabases, tls, null);
    }

    /** This target storing {@code accounts} ({@code Relevant}, {@code All} or {@code None}). */
    public Database withAccounts(String accounts) {
      return new Database(
          target,
          host,
          port,
          credentialsDir,
          include,
          exclude,
          includeSystemDatabases,
          tls,
          accounts);
    }

    /** A target without TLS settings. */
    public Database(
        String target,
        String host,
        int port,
        String credentialsDir,
        List<String> include,
        List<String> exclude,
        boolean includeSystemDatabases) {
      this(target, host, port, credentialsDir, include, exclude, includeSystemDatabases, null);
    }
  }

  /**
   * This plan with its CA files found through {@code local} (a pod path to where it is: the
   * identity in a real pod, a simulated node's folder in local mode).
   */
  public BackupPlan withLocalFiles(UnaryOperator<String> local) {
    Store s =
        store == null || store.caBundleFile() == null
            ? store
            : store.withCaBundleFile(local.apply(store.caBundleFile()));
    Database d = database;
    if (d != null && d.tls() != null && d.tls().caFile() != null) {
      d =
          new Database(
              d.target(),
              d.host(),
              d.port(),
              d.credentialsDir(),
              d.include(),
              d.exclude(),
              d.includeSystemDatabases(),
              d.tls().withCaFile(local.apply(d.tls().caFile())),
              d.accounts());
    }
    return new BackupPlan(jobName, backupId, folder, s, compression, d, files);
  }

  /**
   * A files target on one node (or one volume).
   *
   * @param node the node name, or for a volume target the artifact name ({@code pvc-<claim>})
   * @param hostRoot where the node's paths are mounted in the pod ({@link #HOST_ROOT}); {@code
   *     /etc/nova} is read from {@code <hostRoot>/etc/nova} and stored in the archive as {@code
   *     etc/nova}
   * @param paths absolute paths on the node
   * @param exclude absolute paths (with everything below them) or glob patterns matched against
   *     file names
   * @param volume true for a PersistentVolumeClaim target, whose paths are inside the volume, so
   *     that {@code /} (the whole volume) is allowed; null for a node
   * @param excluded denied node subtrees ({@link DeniedPaths}) inside the paths, left out by the
   *     planner; the agent leaves out these and the built-in ones, and refuses a path inside any of
   *     them
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Files(
      String target,
      String node,
      String hostRoot,
      List<String> paths,
      List<String> exclude,
      Boolean volume,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> excluded) {

    /** A files target on a node. */
    public Files(
        String target, String node, String hostRoot, List<String> paths, List<String> exclude) {
      this(target, node, hostRoot, paths, exclude, null, null);
    }

    /** A files target on a node or a volume, with nothing denied but the built-in subtrees. */
    public Files(
        String target,
        String node,
        String hostRoot,
        List<String> paths,
        List<String> exclude,
        Boolean volume) {
      this(target, node, hostRoot, paths, exclude, volume, null);
    }

    /**
     * Whether this is a volume target (not named isVolume: Jackson would take it for the property).
     */
    public boolean targetsVolume() {
      return Boolean.TRUE.equals(volume);
    }
  }
}
