package io.osbackup.operator.restore;

/**
 * Why a restore's source or selection cannot be used, found while observing; a retryable one waits
 * (store not applied yet, Secret missing, bucket down) until the pending timeout.
 */
final class RestoreProblem extends Exception {
  final String reason;
  final boolean retryable;

  RestoreProblem(String reason, String message, boolean retryable) {
    super(message);
    this.reason = reason;
    this.retryable = retryable;
  }
}
