package io.osbackup.plan;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What one agent Job must do, handed to the agent as JSON in the {@code OSBACKUP_PLAN} environment variable. It
 * carries no secrets: credentials are read from the Secret volumes named by the {@code credentialsDir} fields.
 *
 * <p>Exactly one of {@link #database} and {@link #files} is set.
 *
 * @param jobName name of the Job, also the name of the report the agent writes
 * @param backupId id of the backup this Job contributes to
 * @param folder key prefix of the backup folder, {@code <prefix>/<namespace>/<policy>/<backupId>} without a trailing
 *     slash; artifacts and the report go below it
 * @param store the bucket to write to
 * @param compression {@code gzip}, {@code zstd} or {@code none}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentPlan(
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

  /** Host path {@code /etc/nova} of the node is mounted read-only at {@code /host/etc/nova} in the agent pod. */
  public static final String HOST_ROOT = "/host";

  /** The S3 location and the directory holding its credentials. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Store(
      String endpoint,
      String bucket,
      String region,
      boolean forcePathStyle,
      String credentialsDir) {}

  /** A database target: every selected database is dumped in one consistent snapshot. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Database(
      String target,
      String host,
      int port,
      String credentialsDir,
      List<String> include,
      List<String> exclude,
      boolean includeSystemDatabases) {}

  /**
   * A files target on one node (or one volume).
   *
   * @param node the node name, or for a volume target the artifact name ({@code pvc-<claim>})
   * @param hostRoot where the node's paths are mounted in the pod ({@link #HOST_ROOT}); {@code /etc/nova} is read
   *     from {@code <hostRoot>/etc/nova} and stored in the archive as {@code etc/nova}
   * @param paths absolute paths on the node
   * @param exclude absolute paths (with everything below them) or glob patterns matched against file names
   * @param volume true for a PersistentVolumeClaim target, whose paths are inside the volume, so that {@code /} (the
   *     whole volume) is allowed; null for a node
   * @param excluded denied node subtrees ({@link DeniedPaths}) inside the paths, left out by the planner; the agent
   *     leaves out these and the built-in ones, and refuses a path inside any of them
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
    public Files(String target, String node, String hostRoot, List<String> paths, List<String> exclude) {
      this(target, node, hostRoot, paths, exclude, null, null);
    }

    /** A files target on a node or a volume, with nothing denied but the built-in subtrees. */
    public Files(
        String target, String node, String hostRoot, List<String> paths, List<String> exclude, Boolean volume) {
      this(target, node, hostRoot, paths, exclude, volume, null);
    }

    /** Whether this is a volume target (not named isVolume: Jackson would take it for the property). */
    public boolean targetsVolume() {
      return Boolean.TRUE.equals(volume);
    }
  }
}
