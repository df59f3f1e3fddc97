package io.osbackup.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.osbackup.store.JobReport;
import java.time.Instant;
import java.util.List;

/**
 * The {@code manifest.json} of a backup, written last: a backup exists if and only if its manifest does. It lists
 * every artifact with size, SHA-256, compression and source, so a backup can be found, checked and restored from the
 * bucket alone.
 *
 * @param formatVersion version of this format, {@link #FORMAT_VERSION}
 * @param folder key of the backup's folder
 * @param owner who wrote the backup (cluster, namespace, store); null in manifests written before owners existed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
    int formatVersion,
    String backupId,
    String namespace,
    String policy,
    String run,
    String store,
    String bucket,
    String folder,
    String compression,
    Instant startedAt,
    Instant completedAt,
    long size,
    List<Entry> artifacts,
    Owner owner) {

  public static final int FORMAT_VERSION = 1;

  /** A manifest that names no owner, as written before owners existed. */
  public Manifest(
      int formatVersion,
      String backupId,
      String namespace,
      String policy,
      String run,
      String store,
      String bucket,
      String folder,
      String compression,
      Instant startedAt,
      Instant completedAt,
      long size,
      List<Entry> artifacts) {
    this(formatVersion, backupId, namespace, policy, run, store, bucket, folder, compression, startedAt, completedAt,
        size, artifacts, null);
  }

  /** The same manifest naming {@code owner}. */
  public Manifest withOwner(Owner owner) {
    return new Manifest(formatVersion, backupId, namespace, policy, run, store, bucket, folder, compression, startedAt,
        completedAt, size, artifacts, owner);
  }

  /**
   * One artifact.
   *
   * @param kind {@code database}, {@code files} or {@code accounts} (a database target's accounts, roles and grants;
   *     readers that know only the first two skip it)
   * @param node the node (or {@code pvc-<claim>}) of a files artifact
   * @param files entries in the archive of a files artifact
   * @param source where the data came from
   * @param warnings what the agent noticed but did not fail for
   * @param accounts number of accounts and roles, for an {@code accounts} entry
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Entry(
      String kind,
      String target,
      String database,
      String node,
      String key,
      long size,
      long rawSize,
      String sha256,
      String compression,
      Long files,
      JobReport.Source source,
      Instant startedAt,
      Instant finishedAt,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings,
      Long accounts) {

    /** Kind of the entry holding a database target's accounts, roles and grants. */
    public static final String ACCOUNTS = "accounts";

    /** An entry of a database or files artifact. */
    public Entry(
        String kind,
        String target,
        String database,
        String node,
        String key,
        long size,
        long rawSize,
        String sha256,
        String compression,
        Long files,
        JobReport.Source source,
        Instant startedAt,
        Instant finishedAt,
        List<String> warnings) {
      this(kind, target, database, node, key, size, rawSize, sha256, compression, files, source, startedAt,
          finishedAt, warnings, null);
    }
  }
}
