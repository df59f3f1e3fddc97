package io.osbackup.contract;

/**
 * What was stored for one artifact.
 *
 * @param key full object key
 * @param size bytes stored in the bucket (after compression)
 * @param rawSize bytes before compression
 * @param sha256 hex SHA-256 of the stored bytes, so {@code sha256sum} of the downloaded object
 *     matches
 * @param compression how the stored bytes are compressed
 */
public record StoredArtifact(
    String key, long size, long rawSize, String sha256, Compression compression) {}
