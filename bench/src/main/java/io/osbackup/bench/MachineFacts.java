package io.osbackup.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** What the benchmark ran on: CPU, memory, disk and the versions of the tools measured. */
final class MachineFacts {

  private MachineFacts() {}

  static String describe(Path work) {
    List<String> lines = new ArrayList<>();
    lines.add(
        "- CPU: "
            + Runtime.getRuntime().availableProcessors()
            + " cores, "
            + firstValue(Path.of("/proc/cpuinfo"), "model name"));
    String memKiB = firstValue(Path.of("/proc/meminfo"), "MemTotal").replace("kB", "").strip();
    lines.add(
        String.format(Locale.ROOT, "- Memory: %.1f GiB", Long.parseLong(memKiB) / 1024.0 / 1024.0));
    String[] df = output("df", "-h", "--output=source,fstype,size", work.toString()).split("\n");
    lines.add(
        "- Disk holding the data: "
            + df[df.length - 1].strip().replaceAll("\\s+", " ")
            + "; block devices (name, rotational, size): "
            + output("lsblk", "-d", "-n", "-o", "NAME,ROTA,SIZE").replaceAll("\\s+", " "));
    lines.add("- Kernel: " + output("uname", "-r"));
    lines.add(
        "- Java: "
            + System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version"));
    lines.add("- MariaDB: " + output("mariadb-dump", "--version"));
    lines.add("- gzip: " + output("gzip", "--version").split("\n")[0]);
    lines.add(
        "- Swift: "
            + output("/usr/bin/python3", "-c", "import swift; print(swift.__version__)")
            + " (proxy, account, container and object servers, one process each, s3api)");
    return String.join("\n", lines);
  }

  private static String firstValue(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(key)) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return "?";
  }

  private static String output(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes()).strip();
      p.waitFor(10, TimeUnit.SECONDS);
      return text;
    } catch (IOException e) {
      return "?";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }
}
