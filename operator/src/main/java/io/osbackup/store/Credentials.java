package io.osbackup.store;

/** STUB. */
public record Credentials(String accessKey, String secretKey) {}
