package io.osbackup.store;

import java.io.IOException;

/**
 * A failed request to the object store, with a reason code from {@link StoreErrors} and a message a
 * human can act on. It never carries a secret.
 */
public class StoreException extends IOException {

  private final String reason;

  public StoreException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** One of the reason codes in {@link StoreErrors}, usable as a status condition reason. */
  public String reason() {
    return reason;
  }

  /** Whether trying the request again may help (see {@link StoreErrors#isTransient}). */
  public boolean isTransient() {
    return getCause() != null && getCause() != this && StoreErrors.isTransient(getCause());
  }
}
