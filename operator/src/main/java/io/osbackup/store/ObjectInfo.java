package io.osbackup.store;

/** STUB. */
public record ObjectInfo(String key, long size, String etag) {}
