package io.osbackup.local;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/**
 * A shell process that stops local mode's servers when local mode's JVM dies without stopping them
 * (kill -9, the OOM killer), when no shutdown hook runs: it waits for the JVM, then sends SIGTERM,
 * and SIGKILL five seconds later, to each process it was given that still runs with local mode's
 * work dir on its command line (so a reused PID is left alone). Java cannot ask Linux to signal a
 * child when its parent dies (prctl PR_SET_PDEATHSIG), so a process outside the JVM has to.
 */
final class Watchdog implements AutoCloseable {

  private static final String SCRIPT =
      """
      while kill -0 "$1" 2>/dev/null; do sleep 1; done
      ours() { grep -qF -- "$3" "/proc/$1/cmdline" 2>/dev/null; }
      for p in $(cat "$2"); do ours "$p" "" "$3" && kill "$p" 2>/dev/null; done
      sleep 5
      for p in $(cat "$2"); do ours "$p" "" "$3" && kill -9 "$p" 2>/dev/null; done
      exit 0
      """;

  private final Path pids;
  private final String marker;
  private final Process process;

  private Watchdog(Path pids, String marker, Process process) {
    this.pids = pids;
    this.marker = marker;
    this.process = process;
  }

  /**
   * Starts the watchdog of this JVM; it will stop the processes {@link #watch} is given whose
   * command line holds {@code marker}, and keeps their PIDs in {@code pids}.
   */
  static Watchdog start(Path pids, String marker) throws IOException {
    Files.writeString(pids, "");
    Process process =
        new ProcessBuilder(
                "/bin/sh",
                "-c",
                SCRIPT,
                "osbackup-local-watchdog",
                Long.toString(ProcessHandle.current().pid()),
                pids.toString(),
                marker)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    return new Watchdog(pids, marker, process);
  }

  /**
   * Adds this JVM's running descendants whose command line holds the marker (the servers just
   * started).
   */
  synchronized void watchDescendants() throws IOException {
    StringBuilder lines = new StringBuilder();
    try (Stream<ProcessHandle> all = ProcessHandle.current().descendants()) {
      all.filter(p -> p.pid() != process.pid())
          .filter(p -> p.isAlive() && p.info().commandLine().orElse("").contains(marker))
          .forEach(p -> lines.append(p.pid()).append('\n'));
    }
    Files.writeString(pids, lines, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  /** Local mode stopped its servers itself: the watchdog is not needed any more. */
  @Override
  public void close() {
    process.destroy();
  }
}
