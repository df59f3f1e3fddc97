package io.osbackup.plan;

/**
 * Why a run cannot be planned, with a CamelCase reason and a message that names the field and the
 * fix.
 *
 * @param retryable true when the cause may go away by itself (an object applied a moment later)
 */
public record PlanProblem(String reason, String message, boolean retryable) {}
