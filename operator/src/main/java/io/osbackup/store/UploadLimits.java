package io.osbackup.store;

/**
 * How an artifact is cut into multipart parts, how large it may grow, and how often one request is
 * tried. An upload holds one part in memory, so {@code maxPartSize} bounds its memory; a store
 * takes at most {@code maxParts} parts in one object (AWS, MinIO, Ceph RGW: 10,000; Swift's s3api:
 * {@code max_upload_part_num}, 1,000 by default).
 *
 * <p>Parts start at {@code partSize} (or larger when the artifact's expected size needs it) and
 * double, up to {@code maxPartSize}, each time half of the parts still left have been used, so an
 * artifact of unknown size can still reach {@link #capacity(long)}.
 *
 * @param partSize the first part's size when nothing is known about the artifact
 * @param maxPartSize the largest part: the memory one upload holds
 * @param maxParts the most parts the store accepts in one upload
 * @param retries how each request is retried
 */
public record UploadLimits(long partSize, long maxPartSize, int maxParts, Retries retries) {

  /** S3's smallest part (except the last one). */
  public static final long MIN_PART_SIZE = 5L << 20;

  /** S3's largest part. */
  public static final long MAX_PART_SIZE = 5L << 30;

  /**
   * The agent's defaults: parts of 32 MiB growing to 128 MiB (at most 129 MiB of memory per upload
   * with the pipe in front of it) and 1,000 parts, which every S3 implementation accepts: an
   * artifact of unknown size can reach 62.5 GiB, one of known size 125 GiB.
   */
  public static final UploadLimits DEFAULT =
      new UploadLimits(32L << 20, 128L << 20, 1000, Retries.DEFAULT);

  /**
   * Retries of one request (one part, one document, one listing) that failed in a way that can
   * heal: HTTP 5xx, 408 or 429, a timeout while reading or writing, a reset connection. A refused
   * connection, an unknown host, a TLS failure or any other 4xx fails at once.
   *
   * @param maxAttempts attempts in all, the first included
   * @param initialBackoffMillis the wait before the second attempt; it doubles after each
   * @param maxBackoffMillis the longest wait between two attempts
   */
  public record Retries(int maxAttempts, long initialBackoffMillis, long maxBackoffMillis) {

    /** 5 attempts, waiting 0.5, 1, 2 and 4 s between them: 7.5 s of waiting at most. */
    public static final Retries DEFAULT = new Retries(5, 500, 8_000);

    /** One attempt only. */
    public static final Retries NONE = new Retries(1, 1, 1);

    public Retries {
      if (maxAttempts < 1 || initialBackoffMillis < 1 || maxBackoffMillis < initialBackoffMillis) {
        throw new IllegalArgumentException(
            "retries need at least one attempt and 1 <= initial backoff <= max backoff");
      }
    }
  }

  public UploadLimits {
    if (partSize < MIN_PART_SIZE || maxPartSize < partSize || maxPartSize > MAX_PART_SIZE) {
      throw new IllegalArgumentException(
          "part sizes must be 5 MiB <= partSize <= maxPartSize <= 5 GiB");
    }
    if (maxParts < 1 || maxParts > 10_000) {
      throw new IllegalArgumentException("maxParts must be between 1 and 10000");
    }
    if (retries == null) {
      throw new IllegalArgumentException("retries must be given");
    }
  }

  /** These limits with at most {@code maxParts} parts (spec.s3.maxUploadParts). */
  public UploadLimits withMaxParts(int maxParts) {
    return new UploadLimits(partSize, maxPartSize, maxParts, retries);
  }

  /**
   * The first part's size for an artifact expected to reach {@code expectedSize} bytes (0 or less:
   * unknown): large enough that the expected size plus a quarter fits in the parts without growing,
   * never below {@link #partSize} nor above {@link #maxPartSize}, rounded up to a MiB.
   */
  public long firstPartSize(long expectedSize) {
    if (expectedSize <= 0) {
      return partSize;
    }
    long wanted = ceilDiv(expectedSize + expectedSize / 4, maxParts);
    long mib = 1L << 20;
    wanted = ceilDiv(wanted, mib) * mib;
    return Math.min(maxPartSize, Math.max(partSize, wanted));
  }

  /** The size of part {@code number} (from 1) of an upload whose first part is {@code first}. */
  public long partSize(int number, long first) {
    long size = first;
    int boundary = maxParts / 2;
    while (number > boundary && size < maxPartSize) {
      size = Math.min(size * 2, maxPartSize);
      boundary += Math.max(1, (maxParts - boundary) / 2);
    }
    return size;
  }

  /** The most bytes one upload whose first part is {@code first} can hold. */
  public long capacity(long first) {
    long total = 0;
    for (int n = 1; n <= maxParts; n++) {
      total += partSize(n, first);
    }
    return total;
  }

  /** What the limit is and how to raise it, for error messages. */
  String describe(long first) {
    return maxParts
        + " parts of at most "
        + mib(maxPartSize)
        + " (starting at "
        + mib(first)
        + ": "
        + mib(capacity(first))
        + " in all); raise spec.s3.maxUploadParts if the store allows more parts (AWS, MinIO, Ceph"
        + " RGW: 10000; Swift: the s3api setting max_upload_part_num, 1000 by default)";
  }

  static String mib(long bytes) {
    long mib = bytes >> 20;
    return mib >= 10 * 1024 && mib % 1024 == 0 ? (mib >> 10) + " GiB" : mib + " MiB";
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
