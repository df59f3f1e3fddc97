package io.osbackup.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Turns the samples into the markdown table of docs/benchmarks.md: medians and spreads. */
final class Results {

  private Results() {}

  /**
   * Writes {@code report}, with how long the whole benchmark took since {@code started} ({@link
   * System#nanoTime()}), to {@code out} and prints it.
   */
  static void publish(Path out, String report, long started) throws IOException {
    String whole =
        report
            + String.format(
                Locale.ROOT,
                "%nWhole benchmark: %.1f min.%n",
                (System.nanoTime() - started) / 60e9);
    Files.writeString(out, whole);
    System.out.println();
    System.out.println(whole);
    System.out.println("written to " + out);
  }

  static String markdown(
      String machine,
      long rawBytes,
      String agentHeap,
      int runs,
      Map<String, List<DumpBenchmark.Sample>> samples) {
    StringBuilder md = new StringBuilder();
    md.append("Machine:\n\n").append(machine).append("\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "Raw dump: %,d bytes (%.2f GiB). %d measured runs per scenario, interleaved; median"
                + " (min–max).%n%n",
            rawBytes,
            rawBytes / (double) (1L << 30),
            runs));
    double floor =
        samples.containsKey("floor")
            ? median(samples.get("floor"), s -> s.cost().wallSeconds())
            : Double.NaN;
    md.append(
        "| scenario | wall s | vs floor | raw MiB/s | CPU s (tool) | CPU s (mariadbd) |"
            + " CPU s (swift) | CPU s (other) | stored bytes | peak RSS |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, List<DumpBenchmark.Sample>> e : samples.entrySet()) {
      List<DumpBenchmark.Sample> s = e.getValue();
      double wall = median(s, x -> x.cost().wallSeconds());
      double min = s.stream().mapToDouble(x -> x.cost().wallSeconds()).min().orElse(0);
      double max = s.stream().mapToDouble(x -> x.cost().wallSeconds()).max().orElse(0);
      long stored = (long) median(s, x -> x.storedBytes());
      String peak =
          e.getKey().startsWith("agent") || e.getKey().startsWith("before")
              ? String.format(
                  Locale.ROOT,
                  "%.0f MiB JVM (-Xmx%s)",
                  median(s, x -> x.cost().ownPeakRssKiB()) / 1024,
                  agentHeap)
              : String.format(
                  Locale.ROOT, "%.0f MiB", median(s, x -> x.cost().peakRssKiB()) / 1024);
      String upload =
          e.getKey().startsWith("guide")
              ? String.format(
                  Locale.ROOT, " (upload %.1f s)", median(s, DumpBenchmark.Sample::uploadSeconds))
              : "";
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f (%.1f–%.1f)%s | %s | %.0f | %.1f | %.1f | %.1f | %.1f | %s | %s |%n",
              e.getKey(),
              wall,
              min,
              max,
              upload,
              Double.isNaN(floor)
                  ? "?"
                  : String.format(Locale.ROOT, "%+.0f%%", (wall / floor - 1) * 100),
              rawBytes / wall / (1 << 20),
              median(s, x -> x.cost().cpuSeconds()),
              median(s, x -> x.cost().serverCpuSeconds()),
              median(s, x -> x.cost().storeCpuSeconds()),
              median(s, x -> x.cost().otherCpuSeconds()),
              stored == 0
                  ? "–"
                  : String.format(Locale.ROOT, "%,d (%.1f×)", stored, rawBytes / (double) stored),
              peak));
    }
    md.append(
        "\n"
            + "CPU s (tool): user+sys of the measured command and everything it waited for (the"
            + " agent JVM includes its mariadb-dump child; the guide's pipeline includes gzip)."
            + " Peak RSS of an agent is its JVM's own VmHWM, sampled every 100 ms; otherwise the"
            + " largest process of the command (GNU time %M). CPU s (other): the machine's busy CPU"
            + " time during the run not spent by the measured processes (other work on the machine,"
            + " the kernel's writeback): a high value marks a disturbed run.\n");
    return md.toString();
  }

  private static double median(
      List<DumpBenchmark.Sample> samples, ToDoubleFunction<DumpBenchmark.Sample> value) {
    double[] v = samples.stream().mapToDouble(value).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
