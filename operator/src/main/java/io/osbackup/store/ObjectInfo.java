package io.osbackup.store;

import java.time.Instant;

/**
 * What the bucket says about one stored object.
 *
 * @param key full object key
 * @param size bytes stored
 * @param etag the entity tag, without quotes (for a multipart upload it is not an MD5)
 * @param lastModified when the object was written
 */
public record ObjectInfo(String key, long size, String etag, Instant lastModified) {}
