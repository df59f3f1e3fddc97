package io.osbackup.schedule;

/**
 * A policy's schedule or time zone cannot be used; the message quotes the bad value and the
 * accepted form.
 */
public final class InvalidScheduleException extends Exception {

  private final String field;
  private final String value;

  InvalidScheduleException(String field, String value, String message) {
    super(message);
    this.field = field;
    this.value = value;
  }

  /** The spec field at fault: {@code spec.schedule} or {@code spec.timeZone}. */
  public String field() {
    return field;
  }

  /** The value as the user wrote it. */
  public String value() {
    return value;
  }
}
