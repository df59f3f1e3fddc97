package io.osbackup.store;

/** STUB. */
public record ProbeResult(boolean ok, String reason, String message) {}
