package io.osbackup.operator;

import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * How the operator runs.
 *
 * @param agentImage image of the agent Jobs when a policy names none (the operator's own image)
 * @param namespaces namespaces to watch; empty for all
 * @param serverSideApply patch status with server-side apply (a real API server); off only for the embedded API of
 *     local mode and tests, which does not support it
 * @param pollInterval how often an active run is looked at even when nothing changes (progress, missed events)
 * @param pendingTimeout how long a run waits for its policy, store or Secrets to appear before it fails
 */
public record OperatorSettings(
    String agentImage,
    Set<String> namespaces,
    boolean serverSideApply,
    Duration pollInterval,
    Duration pendingTimeout,
    Clock clock) {

  public static final String DEFAULT_IMAGE = "ghcr.io/osbackup/osbackup:0.1.0";

  public static OperatorSettings defaults() {
    return new OperatorSettings(
        DEFAULT_IMAGE, Set.of(), true, Duration.ofSeconds(5), Duration.ofMinutes(5), Clock.systemUTC());
  }

  public OperatorSettings withServerSideApply(boolean on) {
    return new OperatorSettings(agentImage, namespaces, on, pollInterval, pendingTimeout, clock);
  }

  public OperatorSettings withPendingTimeout(Duration timeout) {
    return new OperatorSettings(agentImage, namespaces, serverSideApply, pollInterval, timeout, clock);
  }

  public OperatorSettings withPollInterval(Duration interval) {
    return new OperatorSettings(agentImage, namespaces, serverSideApply, interval, pendingTimeout, clock);
  }
}
