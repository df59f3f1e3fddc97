package io.osbackup.testbed;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many pod processes of one runner run now, and the most that ran at once; shared by the {@link
 * LocalKubelet} and the {@link LocalJobRunner}.
 */
final class RunningPods {
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger maxRunning = new AtomicInteger();

  /** Counts {@code process} as running until it exits, then runs {@code whenExited}. */
  void add(Process process, Runnable whenExited) {
    int now = running.incrementAndGet();
    maxRunning.accumulateAndGet(now, Math::max);
    process
        .onExit()
        .thenRun(
            () -> {
              running.decrementAndGet();
              whenExited.run();
            });
  }

  /** Pod processes running now. */
  int now() {
    return running.get();
  }

  /** The most pod processes that ran at the same time. */
  int max() {
    return maxRunning.get();
  }
}
