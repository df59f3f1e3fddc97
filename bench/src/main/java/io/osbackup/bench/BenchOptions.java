package io.osbackup.bench;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The command line the dump and restore benchmarks share: where to work, how many instances the
 * dataset holds, how many measured runs, and which scenarios.
 */
final class BenchOptions {

  @Option(
      names = "--work",
      description = "Working directory (datasets, servers, results). Default: bench/work")
  Path work = Path.of("bench", "work");

  @Option(
      names = "--instances",
      description = "Rows of nova.instances in the dataset. Default: 104000")
  int instances = 104_000;

  @Option(names = "--runs", description = "Measured runs of each scenario.")
  int runs;

  @Option(names = "--scenarios", split = ",", description = "Scenarios to run, comma separated.")
  List<String> scenarios;

  /**
   * Parses {@code args} with these defaults; bad arguments print the usage and exit with 2, an
   * unknown scenario throws naming the known ones.
   */
  static BenchOptions parse(
      String command, String[] args, int runs, List<String> scenarios, List<String> known) {
    BenchOptions options = new BenchOptions();
    options.runs = runs;
    options.scenarios = scenarios;
    CommandLine line = new CommandLine(options).setCommandName(command);
    try {
      line.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      System.err.println(e.getMessage());
      line.usage(System.err);
      System.err.println(
          "default runs: "
              + runs
              + "; default scenarios: "
              + String.join(",", scenarios)
              + "; known: "
              + String.join(",", known));
      System.exit(2);
    }
    for (String s : options.scenarios) {
      if (!known.contains(s)) {
        throw new IllegalArgumentException("unknown scenario " + s + ": use " + known);
      }
    }
    options.work = options.work.toAbsolutePath();
    return options;
  }
}
