package io.osbackup.testbed;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A tiny container program for the runner's tests. Its arguments are steps run in order:
 *
 * <ul>
 *   <li>{@code print-env NAME}: prints {@code NAME=<value>}
 *   <li>{@code copy-env NAME <podPath>}: writes the variable's value to a file (so secrets never
 *       reach the log)
 *   <li>{@code copy <podPath> <podPath>}: copies a file between pod paths
 *   <li>{@code print <podPath>}: prints a file
 *   <li>{@code term <message>}: writes the termination log
 *   <li>{@code say <text>}: prints the text
 *   <li>{@code child <seconds>}: starts {@code sleep <seconds>} and prints {@code child-pid=<pid>}
 *   <li>{@code sleep <millis>}, {@code exit <code>}
 * </ul>
 *
 * Pod paths are mapped to local ones through {@code OSBACKUP_MOUNTS}, as the agent does.
 */
public final class TestContainer {

  private TestContainer() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> mounts =
        new ObjectMapper()
            .readValue(
                System.getenv().getOrDefault("OSBACKUP_MOUNTS", "{}"),
                new TypeReference<Map<String, String>>() {});
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "print-env" -> System.out.println(args[++i] + "=" + System.getenv(args[i]));
        case "copy-env" -> {
          String value = System.getenv(args[++i]);
          Files.writeString(local(mounts, args[++i]), String.valueOf(value));
        }
        case "copy" -> Files.copy(local(mounts, args[++i]), local(mounts, args[++i]));
        case "print" -> System.out.println(Files.readString(local(mounts, args[++i])));
        case "term" ->
            Files.writeString(
                local(mounts, "/dev/termination-log"), args[++i], StandardCharsets.UTF_8);
        case "say" -> System.out.println(args[++i]);
        case "child" -> {
          Process p = new ProcessBuilder("sleep", args[++i]).inheritIO().start();
          System.out.println("child-pid=" + p.pid());
        }
        case "sleep" -> Thread.sleep(Long.parseLong(args[++i]));
        case "exit" -> {
          System.out.flush();
          System.exit(Integer.parseInt(args[++i]));
        }
        default -> throw new IllegalArgumentException("unknown step " + args[i]);
      }
      System.out.flush();
    }
  }

  /** The local path behind a pod path: the longest mount path that contains it. */
  static Path local(Map<String, String> mounts, String podPath) {
    String best = null;
    for (String mount : mounts.keySet()) {
      if ((podPath.equals(mount) || podPath.startsWith(mount.endsWith("/") ? mount : mount + "/"))
          && (best == null || mount.length() > best.length())) {
        best = mount;
      }
    }
    if (best == null) {
      throw new IllegalArgumentException("no mount holds " + podPath + " in " + mounts);
    }
    String rest = podPath.substring(best.length()).replaceFirst("^/+", "");
    Path base = Path.of(mounts.get(best));
    return rest.isEmpty() ? base : base.resolve(rest);
  }
}
