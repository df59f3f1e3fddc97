package io.osbackup.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What became of one item of a restore plan, as the agent reports it in a {@link RestoreReport} and
 * the operator shows it in a RestoreRequest's status. Written and read as the words reports have
 * always held ({@code Pending}, {@code Verified}, {@code Restored}, {@code Failed}, {@code
 * Skipped}).
 */
public enum ItemState {
  PENDING("Pending"),
  VERIFIED("Verified"),
  RESTORED("Restored"),
  FAILED("Failed"),
  SKIPPED("Skipped");

  private final String value;

  ItemState(String value) {
    this.value = value;
  }

  /** The word in reports and status: {@code Restored}, {@code Failed}, .... */
  @JsonValue
  public String value() {
    return value;
  }

  /** The state a report or status names; null for none. */
  @JsonCreator
  public static ItemState of(String value) {
    if (value == null) {
      return null;
    }
    for (ItemState s : values()) {
      if (s.value.equals(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown item state '" + value + "': use Pending, Verified, Restored, Failed or Skipped");
  }

  @Override
  public String toString() {
    return value;
  }
}
