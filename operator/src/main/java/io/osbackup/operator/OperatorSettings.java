package io.osbackup.operator;

import io.osbackup.plan.PlanRules;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * How the operator runs.
 *
 * @param agentImage image of the agent Jobs (the operator's own image)
 * @param namespaces namespaces to watch; empty for all
 * @param planRules what policy authors may ask of a Job: node paths it may read, images it may run
 * @param pollInterval how often an active run, and a policy between its slots, is looked at even
 *     when nothing changes (progress, missed events, clock jumps)
 * @param pendingTimeout how long a run waits for its policy, store, Secrets or bucket before it
 *     fails
 * @param podStartTimeout how long a Job's pod may stay unable to start (image not pulled, volume
 *     not mounted, unschedulable) before its task fails with the kubelet's or scheduler's reason
 * @param leaderElectionNamespace namespace of the leader-election Lease; null runs without leader
 *     election (one replica, or the embedded API of local mode)
 * @param clock every "now" of the operator: run ages, schedule slots, condition and Event times
 * @param clusterId who this operator is in the bucket: written into every backup folder's {@code
 *     owner.json} and manifest, and a folder is only this operator's when it names this id ({@code
 *     --cluster-id}; see docs/retention.md)
 */
public record OperatorSettings(
    String agentImage,
    Set<String> namespaces,
    PlanRules planRules,
    Duration pollInterval,
    Duration pendingTimeout,
    Duration podStartTimeout,
    String leaderElectionNamespace,
    Clock clock,
    String clusterId) {

  /**
   * The cluster id of local mode and tests, and of an operator that can neither be told one nor
   * read its own.
   */
  public static final String LOCAL_CLUSTER_ID = "local";

  public static final String DEFAULT_IMAGE = "ghcr.io/osbackup/osbackup:0.1.0";

  /** Name of the leader-election Lease. */
  public static final String LEASE = "osbackup-operator";

  public static OperatorSettings defaults() {
    return new OperatorSettings(
        DEFAULT_IMAGE,
        Set.of(),
        PlanRules.defaults(),
        Duration.ofSeconds(5),
        Duration.ofMinutes(5),
        Duration.ofMinutes(5),
        null,
        Clock.systemUTC(),
        LOCAL_CLUSTER_ID);
  }

  public OperatorSettings withPendingTimeout(Duration timeout) {
    return new OperatorSettings(
        agentImage,
        namespaces,
        planRules,
        pollInterval,
        timeout,
        podStartTimeout,
        leaderElectionNamespace,
        clock,
        clusterId);
  }

  public OperatorSettings withPollInterval(Duration interval) {
    return new OperatorSettings(
        agentImage,
        namespaces,
        planRules,
        interval,
        pendingTimeout,
        podStartTimeout,
        leaderElectionNamespace,
        clock,
        clusterId);
  }

  /** The same settings with another clock, for tests that move time. */
  public OperatorSettings withClock(Clock clock) {
    return new OperatorSettings(
        agentImage,
        namespaces,
        planRules,
        pollInterval,
        pendingTimeout,
        podStartTimeout,
        leaderElectionNamespace,
        clock,
        clusterId);
  }

  /** The same settings with another cluster id (see {@link #clusterId}). */
  public OperatorSettings withClusterId(String id) {
    return new OperatorSettings(
        agentImage,
        namespaces,
        planRules,
        pollInterval,
        pendingTimeout,
        podStartTimeout,
        leaderElectionNamespace,
        clock,
        id);
  }

  public OperatorSettings withPlanRules(PlanRules rules) {
    return new OperatorSettings(
        agentImage,
        namespaces,
        rules,
        pollInterval,
        pendingTimeout,
        podStartTimeout,
        leaderElectionNamespace,
        clock,
        clusterId);
  }

  public OperatorSettings withPodStartTimeout(Duration timeout) {
    return new OperatorSettings(
        agentImage,
        namespaces,
        planRules,
        pollInterval,
        pendingTimeout,
        timeout,
        leaderElectionNamespace,
        clock,
        clusterId);
  }
}
