package io.osbackup;

import io.osbackup.agent.AgentCommand;
import io.osbackup.cli.BackupsCommand;
import io.osbackup.cli.RestoreCommand;
import io.osbackup.operator.OperatorCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Entry point of the one osbackup jar: {@code osbackup <command>}, one subcommand per entry point.
 */
@Command(
    name = "osbackup",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Backs up and restores the control plane of an OpenStack cloud.",
    subcommands = {
      // One line per entry point.
      AgentCommand.class,
      OperatorCommand.class,
      BackupsCommand.class,
      RestoreCommand.class,
    })
public final class Main implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "Missing command: name one of " + spec.subcommands().keySet());
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs {@code osbackup} with {@code args} and returns the exit code. */
  public static int execute(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  /** The version from the jar manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"osbackup " + (version == null ? "(development build)" : version)};
    }
  }
}
