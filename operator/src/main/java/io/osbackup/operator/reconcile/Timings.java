package io.osbackup.operator.reconcile;

import java.time.Duration;

/**
 * Every timing of the operator in one place: how often it looks, how long it waits, how it backs
 * off. Reconcilers never hold a literal delay; they name one of these.
 *
 * @param poll how often an active run or restore, and a policy between its slots, is looked at even
 *     when nothing changes (progress, missed events, clock jumps)
 * @param pending how long a run or restore waits for its policy, store, Secrets or bucket before it
 *     fails
 * @param podStart how long a Job's pod may stay unable to start (image not pulled, volume not
 *     mounted, unschedulable) before its task fails with the kubelet's or scheduler's reason
 * @param nextStep the pause before the next step of a resource whose status just moved on (the
 *     step's own write is read back first)
 * @param settle how long to wait for a change the operator asked for to show (pods going away, a
 *     Job's status catching up)
 * @param recheck how often to look again at a resource that waits on something retryable (a store
 *     not applied yet, a Secret, the bucket)
 * @param waitForStore how often to look again at something that waits on the bucket or on another
 *     resource that is not ready yet
 * @param retryInitial the first delay after a reconciliation failed with an exception; each further
 *     failure in a row doubles it
 * @param retryMax the longest delay between retries of a failing reconciliation (it never gives up)
 * @param cancelGrace how long the pods of a cancelled run get to stop before the run is failed
 *     anyway
 * @param storePatience how long verification and the manifest may wait for an unreachable bucket
 *     before the run fails
 * @param quiesce how long a restore waits for the workloads it scaled down to stop
 * @param retentionInterval how often a policy's retention runs when no backup finished meanwhile
 * @param retentionRecheck how often a policy looks whether its retention pass (running beside the
 *     reconciler) has finished
 * @param storeUnavailable how often an unavailable store is probed again
 */
public record Timings(
    Duration poll,
    Duration pending,
    Duration podStart,
    Duration nextStep,
    Duration settle,
    Duration recheck,
    Duration waitForStore,
    Duration retryInitial,
    Duration retryMax,
    Duration cancelGrace,
    Duration storePatience,
    Duration quiesce,
    Duration retentionInterval,
    Duration retentionRecheck,
    Duration storeUnavailable) {

  /** The timings of a production operator. */
  public static Timings defaults() {
    return new Timings(
        Duration.ofSeconds(5),
        Duration.ofMinutes(5),
        Duration.ofMinutes(5),
        Duration.ofMillis(100),
        Duration.ofSeconds(1),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(10),
        Duration.ofMinutes(5),
        Duration.ofMinutes(2),
        Duration.ofMinutes(15),
        Duration.ofMinutes(10),
        Duration.ofHours(1),
        Duration.ofSeconds(2),
        Duration.ofSeconds(30));
  }

  /** A builder holding these timings, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.poll = poll;
    b.pending = pending;
    b.podStart = podStart;
    b.nextStep = nextStep;
    b.settle = settle;
    b.recheck = recheck;
    b.waitForStore = waitForStore;
    b.retryInitial = retryInitial;
    b.retryMax = retryMax;
    b.cancelGrace = cancelGrace;
    b.storePatience = storePatience;
    b.quiesce = quiesce;
    b.retentionInterval = retentionInterval;
    b.retentionRecheck = retentionRecheck;
    b.storeUnavailable = storeUnavailable;
    return b;
  }

  /** Timings to change one by one; starts from the ones it was made from. */
  public static final class Builder {
    private Duration poll;
    private Duration pending;
    private Duration podStart;
    private Duration nextStep;
    private Duration settle;
    private Duration recheck;
    private Duration waitForStore;
    private Duration retryInitial;
    private Duration retryMax;
    private Duration cancelGrace;
    private Duration storePatience;
    private Duration quiesce;
    private Duration retentionInterval;
    private Duration retentionRecheck;
    private Duration storeUnavailable;

    private Builder() {}

    public Builder poll(Duration value) {
      poll = value;
      return this;
    }

    public Builder pending(Duration value) {
      pending = value;
      return this;
    }

    public Builder podStart(Duration value) {
      podStart = value;
      return this;
    }

    public Builder nextStep(Duration value) {
      nextStep = value;
      return this;
    }

    public Builder settle(Duration value) {
      settle = value;
      return this;
    }

    public Builder recheck(Duration value) {
      recheck = value;
      return this;
    }

    public Builder waitForStore(Duration value) {
      waitForStore = value;
      return this;
    }

    public Builder retryInitial(Duration value) {
      retryInitial = value;
      return this;
    }

    public Builder retryMax(Duration value) {
      retryMax = value;
      return this;
    }

    public Builder cancelGrace(Duration value) {
      cancelGrace = value;
      return this;
    }

    public Builder storePatience(Duration value) {
      storePatience = value;
      return this;
    }

    public Builder quiesce(Duration value) {
      quiesce = value;
      return this;
    }

    public Builder retentionInterval(Duration value) {
      retentionInterval = value;
      return this;
    }

    public Builder retentionRecheck(Duration value) {
      retentionRecheck = value;
      return this;
    }

    public Builder storeUnavailable(Duration value) {
      storeUnavailable = value;
      return this;
    }

    public Timings build() {
      return new Timings(
          poll,
          pending,
          podStart,
          nextStep,
          settle,
          recheck,
          waitForStore,
          retryInitial,
          retryMax,
          cancelGrace,
          storePatience,
          quiesce,
          retentionInterval,
          retentionRecheck,
          storeUnavailable);
    }
  }

  /**
   * The delay after failure number {@code failure} in a row (1 for the first) of a reconciliation:
   * {@link #retryInitial} after the first two, then doubled per failure, at most {@link #retryMax}
   * (the sequence of JOSDK's exponential retry, which {@link Failures#retry} configures).
   */
  public Duration retryAfter(int failure) {
    Duration delay = retryInitial;
    for (int i = 2; i < failure && delay.compareTo(retryMax) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(retryMax) > 0 ? retryMax : delay;
  }
}
