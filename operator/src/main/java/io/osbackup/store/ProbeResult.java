package io.osbackup.store;

/**
 * The outcome of {@link ObjectStore#probe(String)}: whether a small object could be written, read
 * back and deleted.
 *
 * @param ok true when all three worked
 * @param reason a condition reason: {@code Reachable}, or one of the codes in {@link StoreErrors}
 * @param message what a human should know and do, naming the endpoint, the bucket or the Secret
 */
public record ProbeResult(boolean ok, String reason, String message) {

  /** Reason of a successful probe. */
  public static final String REACHABLE = "Reachable";

  static ProbeResult reachable(String endpoint, String bucket) {
    return new ProbeResult(
        true,
        REACHABLE,
        "bucket '" + bucket + "' at " + endpoint + " can be written, read and deleted");
  }

  static ProbeResult failed(StoreErrors.Described error) {
    String reason =
        StoreErrors.STORE_ERROR.equals(error.reason()) ? StoreErrors.PROBE_FAILED : error.reason();
    return new ProbeResult(false, reason, error.message());
  }
}
