package io.osbackup.agent.db;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains a tool's stderr on its own thread, keeping the last lines (bounded) and noting whether any
 * of them was an error rather than a warning.
 */
public final class ErrorTail {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorTail.class);
  private static final int MAX_LINES = 20;
  private static final int MAX_LINE_LENGTH = 1000;

  private final Deque<String> lines = new ArrayDeque<>();
  private final Thread thread;
  private boolean sawError;

  private ErrorTail(InputStream stderr, String tool) {
    thread =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  add(
                      line.length() > MAX_LINE_LENGTH
                          ? line.substring(0, MAX_LINE_LENGTH) + "..."
                          : line);
                  LOG.warn("{}: {}", tool, line);
                }
              } catch (IOException e) {
                // The process is gone; what we have is the tail.
              }
            },
            tool + "-stderr");
    thread.setDaemon(true);
    thread.start();
  }

  public static ErrorTail drain(InputStream stderr, String tool) {
    return new ErrorTail(stderr, tool);
  }

  private synchronized void add(String line) {
    if (line.isBlank()) {
      return;
    }
    String lower = line.toLowerCase(Locale.ROOT);
    if (!lower.contains("warning") && !lower.contains("deprecated program name")) {
      sawError = true;
    }
    lines.addLast(line);
    if (lines.size() > MAX_LINES) {
      lines.removeFirst();
    }
  }

  public synchronized boolean sawError() {
    return sawError;
  }

  /** Waits (bounded) until the stream is drained, then returns the tail. */
  public String await() {
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return text();
  }

  synchronized String text() {
    return String.join("\n", lines);
  }
}
