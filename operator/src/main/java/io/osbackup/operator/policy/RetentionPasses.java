package io.osbackup.operator.policy;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.osbackup.operator.policy.PolicyAction.RetentionJob;
import io.osbackup.operator.reconcile.BucketOpener;
import io.osbackup.retention.RetentionPass;
import io.osbackup.retention.RetentionResult;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The retention passes of every policy. A pass lists, reads and deletes in the bucket for minutes
 * on a large folder; it runs on the operator's retention threads so reconciliations (and the
 * schedule) never wait for it, and its result is recorded by the policy's next reconciliation.
 * Remembers when retention was last due per policy; after a restart it runs again at once, which is
 * harmless.
 */
final class RetentionPasses {

  private final Executor threads;
  private final BucketOpener buckets;
  private final Map<ResourceID, CompletableFuture<RetentionResult>> running =
      new ConcurrentHashMap<>();
  private final Map<ResourceID, Instant> lastDue = new ConcurrentHashMap<>();

  RetentionPasses(Executor threads, BucketOpener buckets) {
    this.threads = threads;
    this.buckets = buckets;
  }

  /** Whether a pass of {@code policy} is still running. */
  boolean running(ResourceID policy) {
    CompletableFuture<RetentionResult> pass = running.get(policy);
    return pass != null && !pass.isDone();
  }

  /** The result of the pass of {@code policy} that ended, taken: it is recorded once. */
  Optional<RetentionResult> takeFinished(ResourceID policy) {
    CompletableFuture<RetentionResult> pass = running.get(policy);
    if (pass == null || !pass.isDone()) {
      return Optional.empty();
    }
    running.remove(policy);
    return Optional.of(pass.join());
  }

  /** When retention of {@code policy} was last due. */
  Optional<Instant> lastDue(ResourceID policy) {
    return Optional.ofNullable(lastDue.get(policy));
  }

  void noteDue(ResourceID policy, Instant at) {
    lastDue.put(policy, at);
  }

  /**
   * Starts a pass of {@code job}; the backups in {@code inUse} (being restored) are not deleted. A
   * bucket that cannot be opened or read deletes nothing.
   */
  void start(ResourceID policy, RetentionJob job, Set<String> inUse) {
    running.put(
        policy,
        CompletableFuture.supplyAsync(
            () -> {
              try (ObjectStore bucket = buckets.open(job.namespace(), job.s3())) {
                return RetentionPass.run(
                    bucket,
                    job.folder(),
                    job.rules(),
                    job.zone(),
                    job.at(),
                    job.longestRun(),
                    false,
                    inUse,
                    job.owner());
              } catch (IOException | RuntimeException e) {
                return RetentionResult.failed(
                    "retention did not run, nothing was deleted: " + e.getMessage());
              }
            },
            threads));
  }
}
