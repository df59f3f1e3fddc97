package io.osbackup.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command under GNU {@code /usr/bin/time} and reports its wall time, the CPU time of the
 * command and everything it waited for, its peak resident memory, and the CPU the given server
 * processes (MariaDB, Swift) spent meanwhile. The peak of the command's own process (the agent JVM
 * without its {@code mariadb-dump} child) is sampled from {@code /proc/<pid>/status VmHWM}.
 */
final class TimedCommand {

  /** Linux's USER_HZ, the unit of the CPU times in {@code /proc/<pid>/stat}. */
  private static final double TICKS_PER_SECOND = 100.0;

  private static final Path TIME = Path.of("/usr/bin/time");

  /** What one run cost. */
  record Cost(
      double wallSeconds,
      double cpuSeconds,
      long peakRssKiB,
      long ownPeakRssKiB,
      double serverCpuSeconds,
      double storeCpuSeconds,
      double otherCpuSeconds) {

    /** Wall and CPU seconds, and the CPU seconds of the database, the store and the rest. */
    String seconds() {
      return String.format(
          Locale.ROOT,
          "%6.1f s wall, %6.1f s CPU, db %5.1f s, swift %5.1f s, other %5.1f s",
          wallSeconds,
          cpuSeconds,
          serverCpuSeconds,
          storeCpuSeconds,
          otherCpuSeconds);
    }
  }

  private TimedCommand() {}

  static void requireTime() throws IOException {
    if (!Files.isExecutable(TIME)) {
      throw new IOException("/usr/bin/time is missing: apt-get install time");
    }
  }

  /**
   * Runs {@code command} with {@code env} added to this process's environment, stdout to {@code
   * stdout} (or discarded), stderr to {@code log}; fails unless it exits 0.
   */
  static Cost run(
      List<String> command,
      Map<String, String> env,
      Path stdout,
      Path log,
      long serverPid,
      List<Long> storePids)
      throws IOException {
    Path timeFile = Files.createTempFile(log.getParent(), "time-", ".txt");
    List<String> full = new ArrayList<>();
    full.add(TIME.toString());
    full.add("-f");
    full.add("%e %U %S %M");
    full.add("-o");
    full.add(timeFile.toString());
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full);
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.redirectOutput(
        stdout == null
            ? ProcessBuilder.Redirect.DISCARD
            : ProcessBuilder.Redirect.to(stdout.toFile()));
    pb.redirectError(ProcessBuilder.Redirect.to(log.toFile()));
    double serverBefore = cpuSeconds(serverPid);
    double storeBefore = storePids.stream().mapToDouble(TimedCommand::cpuSeconds).sum();
    double machineBefore = machineBusySeconds();
    Process time = pb.start();
    long ownPeak = 0;
    try {
      while (!time.waitFor(100, TimeUnit.MILLISECONDS)) {
        for (ProcessHandle child : time.children().toList()) {
          ownPeak = Math.max(ownPeak, statusKiB(child.pid(), "VmHWM:"));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      time.destroyForcibly();
      throw new IOException("interrupted", e);
    }
    double server = cpuSeconds(serverPid) - serverBefore;
    double store = storePids.stream().mapToDouble(TimedCommand::cpuSeconds).sum() - storeBefore;
    double machine = machineBusySeconds() - machineBefore;
    String[] lines = Files.readString(timeFile, StandardCharsets.UTF_8).strip().split("\n");
    Files.delete(timeFile);
    if (time.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " failed (" + lines[0] + "); see " + log + ":\n" + tail(log));
    }
    String[] f = lines[lines.length - 1].split(" ");
    double cpu = Double.parseDouble(f[1]) + Double.parseDouble(f[2]);
    return new Cost(
        Double.parseDouble(f[0]),
        cpu,
        Long.parseLong(f[3]),
        ownPeak,
        server,
        store,
        Math.max(0, machine - cpu - server - store));
  }

  /** User plus system CPU seconds of a live process (its own threads), 0 if it is gone. */
  static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // fields after the command name in parentheses, which may contain spaces
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException gone) {
      return 0;
    }
  }

  /**
   * CPU seconds all cores spent outside idle and iowait since boot ({@code /proc/stat}): the part
   * not explained by the measured processes shows how much else ran on the machine meanwhile.
   */
  static double machineBusySeconds() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        if (i != 4 && i != 5) { // idle, iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long statusKiB(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.substring(field.length()).replace("kB", "").strip());
        }
      }
    } catch (IOException | RuntimeException gone) {
      // the process ended between the listing and the read
    }
    return 0;
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
