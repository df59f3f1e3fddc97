package io.osbackup.operator.reconcile;

import io.osbackup.plan.PlanRules;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * How the operator runs.
 *
 * @param agentImage image of the agent Jobs (the operator's own image)
 * @param namespaces namespaces to watch; empty for all
 * @param planRules what policy authors may ask of a Job: node paths it may read, images it may run
 * @param timings every delay, timeout and backoff of the operator
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
    Timings timings,
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
        Timings.defaults(),
        null,
        Clock.systemUTC(),
        LOCAL_CLUSTER_ID);
  }

  /** Now, as the operator writes times into status: RFC 3339 in UTC. */
  public String now() {
    return clock.instant().toString();
  }

  /** How long ago {@code since} (a status time, RFC 3339) was; zero when it is not set. */
  public Duration age(String since) {
    return since == null ? Duration.ZERO : Duration.between(Instant.parse(since), clock.instant());
  }

  /** The same settings with other timings. */
  public OperatorSettings withTimings(Timings value) {
    return new OperatorSettings(
        agentImage, namespaces, planRules, value, leaderElectionNamespace, clock, clusterId);
  }

  public OperatorSettings withPendingTimeout(Duration timeout) {
    return withTimings(timings.toBuilder().pending(timeout).build());
  }

  public OperatorSettings withPollInterval(Duration interval) {
    return withTimings(timings.toBuilder().poll(interval).build());
  }

  public OperatorSettings withPodStartTimeout(Duration timeout) {
    return withTimings(timings.toBuilder().podStart(timeout).build());
  }

  /** The same settings with another clock, for tests that move time. */
  public OperatorSettings withClock(Clock value) {
    return new OperatorSettings(
        agentImage, namespaces, planRules, timings, leaderElectionNamespace, value, clusterId);
  }

  /** The same settings with another cluster id (see {@link #clusterId}). */
  public OperatorSettings withClusterId(String id) {
    return new OperatorSettings(
        agentImage, namespaces, planRules, timings, leaderElectionNamespace, clock, id);
  }

  public OperatorSettings withPlanRules(PlanRules rules) {
    return new OperatorSettings(
        agentImage, namespaces, rules, timings, leaderElectionNamespace, clock, clusterId);
  }
}
