package io.osbackup.testbed;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One pod's container running as a local process: the process, its process tree, its files, and how
 * it ended.
 *
 * <p>Like a container's cgroup, the tree is killed as a whole: every descendant seen while the pod
 * ran is killed when the pod is killed or when its main process exits.
 */
final class LocalPod {

  /** Kubelet limits for a termination message taken from the log: bytes and lines. */
  static final int MAX_MESSAGE_BYTES = 4096;

  static final int MAX_MESSAGE_LINES = 80;

  final String namespace;
  final String name;

  /**
   * {@code namespace/name} of the pod's Job (the kubelet: of its first owner, or the pod itself).
   */
  final String jobKey;

  /** The uid of the pod's Job (the kubelet: of the pod itself). */
  final String jobUid;

  final String node;
  final Path log;
  final Path terminationLog;
  final List<Path> secretDirs;
  final Instant startedAt;
  final Process process;
  private final Set<ProcessHandle> tree = ConcurrentHashMap.newKeySet();
  private volatile String killedBecause;
  private volatile Instant finishedAt;

  LocalPod(
      String namespace,
      String name,
      String jobKey,
      String jobUid,
      String node,
      Path log,
      Path terminationLog,
      List<Path> secretDirs,
      Process process) {
    this.namespace = namespace;
    this.name = name;
    this.jobKey = jobKey;
    this.jobUid = jobUid;
    this.node = node;
    this.log = log;
    this.terminationLog = terminationLog;
    this.secretDirs = secretDirs;
    this.process = process;
    this.startedAt = Instant.now();
    tree.add(process.toHandle());
    process.onExit().thenRun(() -> finishedAt = Instant.now());
  }

  String key() {
    return namespace + "/" + name;
  }

  boolean exited() {
    return !process.isAlive();
  }

  int exitCode() {
    return process.exitValue();
  }

  Instant finishedAt() {
    return finishedAt == null ? Instant.now() : finishedAt;
  }

  /** Why the runner killed the pod, or null when it ended on its own. */
  String killedBecause() {
    return killedBecause;
  }

  /** Remembers the current descendants so they can be killed even after they are re-parented. */
  void observeTree() {
    process.descendants().forEach(tree::add);
  }

  /**
   * Kills the pod: SIGTERM to the main process, then after {@code grace} (or as soon as the main
   * process is gone) SIGKILL to every process of the tree still alive. Returns at once; the SIGKILL
   * happens on a daemon thread.
   */
  void kill(String because, Duration grace) {
    if (killedBecause == null) {
      killedBecause = because;
    }
    observeTree();
    process.destroy();
    Thread reaper =
        new Thread(
            () -> {
              try {
                process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              killTree();
            },
            "reaper-" + name);
    reaper.setDaemon(true);
    reaper.start();
  }

  /**
   * Stops every pod as a rebooting node does: SIGTERM to each, up to {@code grace} for each to
   * exit, then SIGKILL to what is left of its tree; their Secret files are removed.
   */
  static void stopAll(java.util.Collection<LocalPod> pods, Duration grace) {
    List<LocalPod> all = List.copyOf(pods);
    all.forEach(p -> p.process.destroy());
    for (LocalPod p : all) {
      try {
        p.process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      p.killTree();
      p.removeSecrets();
    }
  }

  /** SIGKILL to the whole tree now, waiting briefly for the processes to be gone. */
  void killTree() {
    observeTree();
    tree.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle p : tree) {
      try {
        p.onExit().get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        // best effort: a process that survives SIGKILL for 2 s is stuck in the kernel
      }
    }
  }

  /**
   * The kubelet's termination message: the termination-log file, or the log tail on error when
   * asked for.
   */
  String terminationMessage(boolean fallbackToLogs) {
    try {
      String message = readTail(terminationLog, MAX_MESSAGE_BYTES, Integer.MAX_VALUE);
      if (message.isEmpty() && fallbackToLogs) {
        message = readTail(log, MAX_MESSAGE_BYTES, MAX_MESSAGE_LINES);
      }
      return message;
    } catch (IOException e) {
      return "";
    }
  }

  /** Deletes the materialised Secret files, as the kubelet unmounts a Secret volume's tmpfs. */
  void removeSecrets() {
    for (Path dir : secretDirs) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder())
            .forEach(
                p -> {
                  try {
                    Files.deleteIfExists(p);
                  } catch (IOException e) {
                    // left for the work dir cleanup
                  }
                });
      } catch (IOException e) {
        // nothing there
      }
    }
  }

  /** The last {@code maxLines} lines of {@code file}, at most {@code maxBytes} bytes. */
  static String readTail(Path file, int maxBytes, int maxLines) throws IOException {
    if (!Files.exists(file)) {
      return "";
    }
    byte[] bytes;
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      int n = (int) Math.min(length, maxBytes);
      bytes = new byte[n];
      f.seek(length - n);
      f.readFully(bytes);
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1);
    int last = lines.length;
    if (last > 0 && lines[last - 1].isEmpty() && text.endsWith("\n")) {
      last--;
    }
    if (last > maxLines) {
      return String.join("\n", Arrays.asList(lines).subList(last - maxLines, last))
          + (text.endsWith("\n") ? "\n" : "");
    }
    return text;
  }
}
