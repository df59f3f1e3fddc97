package io.osbackup.agent.restore.db;

/**
 * Restoring one database failed; the message says why in an admin's terms, never with the password,
 * and {@link #destinationUntouched()} whether the destination database is as it was before.
 */
public final class DatabaseRestoreException extends Exception {

  private final boolean destinationUntouched;

  /**
   * @param destinationUntouched true when nothing of the destination database was changed
   */
  public DatabaseRestoreException(String message, Throwable cause, boolean destinationUntouched) {
    super(message, cause);
    this.destinationUntouched = destinationUntouched;
  }

  /**
   * True when the destination database is as it was before the restore began; false when its tables
   * were switched and something after that failed (the message says what).
   */
  public boolean destinationUntouched() {
    return destinationUntouched;
  }
}
