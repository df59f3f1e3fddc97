package io.osbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code manifest.json} of a backup, written last: a backup exists if and only if its manifest
 * does. It lists every artifact with size, SHA-256, compression and source, so a backup can be
 * found, checked and restored from the bucket alone.
 *
 * @param formatVersion version of this format, {@link #FORMAT_VERSION}
 * @param folder key of the backup's folder
 * @param owner who wrote the backup (cluster, namespace, store); null in manifests written before
 *     owners existed
 * @param retention how retention treats the backup (made by hand or by the schedule, kept on its
 *     own terms or by the policy's rules); null in manifests written before it was recorded, see
 *     {@link #retentionOrInferred()}
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
    Owner owner,
    RunRetention retention) {

  public static final int FORMAT_VERSION = 1;

  /**
   * A hand-made run's backup id: {@code <policy>-yyyyMMdd-HHmmss-<6 hex digits>} (see
   * RunPlanner.backupId).
   */
  private static final Pattern HAND_MADE_ID = Pattern.compile(".*-\\d{8}-\\d{6}-[0-9a-f]{6}");

  /** A manifest naming its owner, written before retention terms were recorded. */
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
      List<Entry> artifacts,
      Owner owner) {
    this(
        formatVersion,
        backupId,
        namespace,
        policy,
        run,
        store,
        bucket,
        folder,
        compression,
        startedAt,
        completedAt,
        size,
        artifacts,
        owner,
        null);
  }

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
    this(
        formatVersion,
        backupId,
        namespace,
        policy,
        run,
        store,
        bucket,
        folder,
        compression,
        startedAt,
        completedAt,
        size,
        artifacts,
        null,
        null);
  }

  /** The same manifest naming {@code owner}. */
  public Manifest withOwner(Owner owner) {
    return new Manifest(
        formatVersion,
        backupId,
        namespace,
        policy,
        run,
        store,
        bucket,
        folder,
        compression,
        startedAt,
        completedAt,
        size,
        artifacts,
        owner,
        retention);
  }

  /** The same manifest with {@code retention} recorded. */
  public Manifest withRetention(RunRetention retention) {
    return new Manifest(
        formatVersion,
        backupId,
        namespace,
        policy,
        run,
        store,
        bucket,
        folder,
        compression,
        startedAt,
        completedAt,
        size,
        artifacts,
        owner,
        retention);
  }

  /**
   * The recorded {@link #retention}; for a manifest written before it was recorded, what its backup
   * id says: a hand-made run's id ({@code <policy>-yyyyMMdd-HHmmss-<6 hex digits>}) is kept until
   * deleted, any other is the policy's.
   */
  public RunRetention retentionOrInferred() {
    if (retention != null) {
      return retention;
    }
    return backupId != null && HAND_MADE_ID.matcher(backupId).matches()
        ? new RunRetention(RunRetention.ON_DEMAND, RunRetention.KEEP, null, null)
        : new RunRetention(RunRetention.SCHEDULED, RunRetention.POLICY, null, null);
  }

  /**
   * How retention treats a backup, recorded when it is written so the choice survives a lost
   * cluster and the catalog's re-import.
   *
   * @param origin {@value #SCHEDULED} (the policy's schedule started its run) or {@value
   *     #ON_DEMAND} (made by hand)
   * @param rules {@value #POLICY} (counted and pruned by the policy's retention) or {@value #KEEP}
   *     (kept on its own terms: until {@code keepUntil}, or its store time plus {@code keepFor},
   *     or, with neither, until deleted)
   * @param keepUntil the run's {@code spec.keepUntil}
   * @param keepFor the run's {@code spec.keepFor} ({@code <n>h}, {@code <n>d}, {@code <n>w})
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RunRetention(String origin, String rules, Instant keepUntil, String keepFor) {
    public static final String SCHEDULED = "Scheduled";
    public static final String ON_DEMAND = "OnDemand";
    public static final String POLICY = "Policy";
    public static final String KEEP = "Keep";

    /** Whether the backup is kept on its own terms rather than by the policy's rules. */
    public boolean keptOnOwnTerms() {
      return KEEP.equals(rules);
    }
  }

  /**
   * One artifact.
   *
   * @param kind an {@link ArtifactKind}: {@code database}, {@code files} or {@code accounts} (a
   *     database target's accounts, roles and grants; readers that know only the first two skip it)
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
      BackupReport.Source source,
      Instant startedAt,
      Instant finishedAt,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings,
      Long accounts) {

    /** Kind of the entry holding a database target's accounts, roles and grants. */
    public static final String ACCOUNTS = ArtifactKind.ACCOUNTS.value();

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
        BackupReport.Source source,
        Instant startedAt,
        Instant finishedAt,
        List<String> warnings) {
      this(
          kind,
          target,
          database,
          node,
          key,
          size,
          rawSize,
          sha256,
          compression,
          files,
          source,
          startedAt,
          finishedAt,
          warnings,
          null);
    }
  }
}
