package io.osbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * What one agent Job did, written by the agent to {@link BackupLayout#report} when it ends (success
 * or failure). The operator reads it because agent pods have no Kubernetes API access.
 *
 * @param jobName the Job
 * @param target the policy target name
 * @param node node name for a files target on a node, {@code pvc-<claim>} for a volume, null for a
 *     database
 * @param succeeded true only when every artifact of the Job was uploaded whole
 * @param message the reason of a failure, in the words of the tool that failed; null on success
 * @param source what was read: host, port, server version, databases, paths
 * @param artifacts the artifacts uploaded whole (on failure, those finished before it)
 * @param warnings what the agent noticed but did not fail on (files that changed while read,
 *     skipped sockets, vanished files), at most {@link #MAX_WARNINGS} plus one "and N more"; empty
 *     when there were none, and left out of the JSON then
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupReport(
    String jobName,
    String target,
    String node,
    boolean succeeded,
    String message,
    Instant startedAt,
    Instant finishedAt,
    Source source,
    List<Artifact> artifacts,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings) {

  /** At most this many warnings are kept in a report; the rest are counted. */
  public static final int MAX_WARNINGS = 50;

  /** A warning longer than this many characters is cut. */
  public static final int MAX_WARNING_LENGTH = 300;

  public BackupReport {
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  /** A report without warnings. */
  public BackupReport(
      String jobName,
      String target,
      String node,
      boolean succeeded,
      String message,
      Instant startedAt,
      Instant finishedAt,
      Source source,
      List<Artifact> artifacts) {
    this(jobName, target, node, succeeded, message, startedAt, finishedAt, source, artifacts, null);
  }

  /**
   * Where the data came from.
   *
   * @param exclude a files target's {@code exclude} (paths and globs left out of its {@code
   *     paths}); absent in manifests written before it was recorded, and when the target excludes
   *     nothing
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Source(
      String host,
      Integer port,
      String serverVersion,
      List<String> databases,
      List<String> paths,
      List<String> exclude) {

    public Source(
        String host,
        Integer port,
        String serverVersion,
        List<String> databases,
        List<String> paths) {
      this(host, port, serverVersion, databases, paths, null);
    }
  }

  /**
   * One uploaded artifact.
   *
   * @param database the database, for a database artifact
   * @param files number of entries in the archive (files, directories, links), for a files artifact
   * @param accounts number of accounts and roles in it, for the accounts artifact of a database
   *     target (which has no database); null for every other artifact
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Artifact(
      String key,
      String database,
      Long files,
      long size,
      long rawSize,
      String sha256,
      String compression,
      Long accounts) {

    /** A database or files artifact. */
    public Artifact(
        String key,
        String database,
        Long files,
        long size,
        long rawSize,
        String sha256,
        String compression) {
      this(key, database, files, size, rawSize, sha256, compression, null);
    }

    /** The report entry of the accounts artifact holding {@code accounts} accounts and roles. */
    public static Artifact ofAccounts(StoredArtifact stored, long accounts) {
      return new Artifact(
          stored.key(),
          null,
          null,
          stored.size(),
          stored.rawSize(),
          stored.sha256(),
          stored.compression().value(),
          accounts);
    }

    /** The report entry of what the store returned for one artifact. */
    public static Artifact of(StoredArtifact stored, String database, Long files) {
      return new Artifact(
          stored.key(),
          database,
          files,
          stored.size(),
          stored.rawSize(),
          stored.sha256(),
          stored.compression().value());
    }
  }
}
