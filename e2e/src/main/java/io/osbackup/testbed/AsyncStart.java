package io.osbackup.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * Starts a test server on another thread, so a test can start other servers meanwhile; shared by
 * {@link MariaDbServer#startAsync} and {@link S3Server#startAsync}.
 */
final class AsyncStart {
  private AsyncStart() {}

  /** How a server starts: on this thread, returning once it answers. */
  interface Start<T> {
    T start() throws IOException;
  }

  /** {@code start} on another thread; an {@link IOException} completes the future exceptionally. */
  static <T> CompletableFuture<T> of(Start<T> start) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return start.start();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
