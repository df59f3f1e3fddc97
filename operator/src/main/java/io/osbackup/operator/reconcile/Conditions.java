package io.osbackup.operator.reconcile;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.osbackup.api.v1alpha1.ResourceStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * Sets standard conditions on a status; the transition time only moves when the condition's status
 * changes.
 */
public final class Conditions {

  private Conditions() {}

  /** Sets condition {@code type}; returns true when its status changed (or it is new). */
  public static boolean set(
      ResourceStatus status,
      String type,
      boolean value,
      String reason,
      String message,
      Long generation,
      Clock clock) {
    String text = value ? "True" : "False";
    Condition existing = status.condition(type).orElse(null);
    boolean changed = existing == null || !Objects.equals(existing.getStatus(), text);
    Condition updated =
        new ConditionBuilder()
            .withType(type)
            .withStatus(text)
            .withReason(reason)
            .withMessage(message)
            .withObservedGeneration(generation)
            .withLastTransitionTime(
                changed ? Instant.now(clock).toString() : existing.getLastTransitionTime())
            .build();
    status.getConditions().removeIf(c -> type.equals(c.getType()));
    status.getConditions().add(updated);
    return changed;
  }
}
