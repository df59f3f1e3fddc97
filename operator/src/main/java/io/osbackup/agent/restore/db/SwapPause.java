package io.osbackup.agent.restore.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TEST ONLY: stops a database switch at a named step so a test can SIGKILL the agent exactly there.
 * When {@value #STEP_ENV} names a step and {@value #FILE_ENV} a file, the agent writes the step's
 * name to that file when it reaches the step and then waits until it is killed; when the file
 * exists already (a retried Job after the kill), it goes on without stopping. Restore Jobs never
 * set these variables (their environment is built by the operator from a fixed list, not from the
 * RestoreRequest), so a request cannot pause an agent.
 */
final class SwapPause {

  /** Environment variable naming the step to stop at, for example {@code rename}. */
  static final String STEP_ENV = "OSBACKUP_TEST_PAUSE_SWAP_AT";

  /** Environment variable naming the file written once the agent waits there. */
  static final String FILE_ENV = "OSBACKUP_TEST_PAUSE_FILE";

  private static final String STEP = System.getenv(STEP_ENV);
  private static final String FILE = System.getenv(FILE_ENV);

  private SwapPause() {}

  /** Waits forever when the test asked to stop at {@code step}; else returns at once. */
  static void at(String step) {
    if (STEP == null || FILE == null || STEP.isBlank() || FILE.isBlank() || !STEP.equals(step)) {
      return;
    }
    if (Files.exists(Path.of(FILE))) {
      return; // stopped there once already: this is the attempt after the kill
    }
    try {
      Files.writeString(Path.of(FILE), step);
      while (true) {
        Thread.sleep(60_000);
      }
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException("test pause at " + step + ": " + e, e);
    }
  }
}
