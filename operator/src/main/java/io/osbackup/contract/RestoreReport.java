package io.osbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * What one restore Job did, written by the agent to {@link RestorePlan#reportKey()} when it ends,
 * success or failure (agent pods have no Kubernetes access).
 *
 * @param reason on failure, a one-word reason: ArtifactCorrupted, ArtifactMissing, ArchiveRefused,
 *     TargetUnreachable, PathNotInBackup, RestoreFailed, BadPlan
 * @param items one entry per item of the plan, in its order
 * @param servers for a verify Job: each database server surveyed and the databases it has
 * @param warnings what the agent noticed but did not fail for
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestoreReport(
    String jobName,
    boolean succeeded,
    String reason,
    String message,
    Instant startedAt,
    Instant finishedAt,
    List<Item> items,
    List<Server> servers,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings) {

  public RestoreReport {
    items = items == null ? List.of() : List.copyOf(items);
    servers = servers == null ? List.of() : List.copyOf(servers);
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  /**
   * What happened to one item.
   *
   * @param state Verified, Restored, Failed or Skipped
   * @param keptAt where the previous contents are now: a schema, or node paths
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Item(
      String key, String destination, ItemState state, String keptAt, String message) {}

  /** A database server reached by a verify Job, with its user databases. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Server(String host, int port, String version, List<String> databases) {}
}
