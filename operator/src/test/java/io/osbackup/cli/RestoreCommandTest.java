package io.osbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The break-glass restore's checks that need no bucket. */
class RestoreCommandTest {

  @Test
  void aRootInsideADeniedNodePathIsRefusedBeforeTheBucketIsReached() {
    for (String root : List.of("/var/lib/kubelet/pods/x", "/etc/kubernetes", "/proc/1/root")) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          new CommandLine(
                  new RestoreCommand(
                      Map.of("OSBACKUP_S3_ACCESS_KEY", "a", "OSBACKUP_S3_SECRET_KEY", "b"),
                      Clock.systemUTC(),
                      new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                      new PrintStream(err, true, StandardCharsets.UTF_8)))
              .execute(
                  "--endpoint",
                  "http://127.0.0.1:9",
                  "--bucket",
                  "b",
                  "--namespace",
                  "openstack",
                  "--backup-id",
                  "cp-20261121-020000",
                  "--files-target",
                  "nova-config",
                  "--node",
                  "compute-1",
                  "--root",
                  root);
      assertThat(code).as(root).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .as(root)
          .contains("--root " + root)
          .contains("never writes denied node paths");
    }
  }

  @Test
  void accountsOptionsWithoutDatabasesAreRefusedBeforeTheBucketIsReached() {
    for (List<String> args :
        List.of(
            List.of("--files-target", "nova-config", "--accounts"),
            List.of(
                "--database", "nova", "--db-host", "127.0.0.1", "--replace-existing-accounts"))) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      List<String> all =
          new ArrayList<>(
              List.of(
                  "--endpoint",
                  "http://127.0.0.1:9",
                  "--bucket",
                  "b",
                  "--namespace",
                  "openstack",
                  "--backup-id",
                  "cp-20261121-020000"));
      all.addAll(args);
      int code =
          new CommandLine(
                  new RestoreCommand(
                      Map.of(
                          "OSBACKUP_S3_ACCESS_KEY",
                          "a",
                          "OSBACKUP_S3_SECRET_KEY",
                          "b",
                          "OSBACKUP_DB_USERNAME",
                          "u",
                          "OSBACKUP_DB_PASSWORD",
                          "p"),
                      Clock.systemUTC(),
                      new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                      new PrintStream(err, true, StandardCharsets.UTF_8)))
              .execute(all.toArray(String[]::new));
      assertThat(code).as(args.toString()).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .as(args.toString())
          .containsAnyOf(
              "--accounts needs --database NAME or --all-databases",
              "--replace-existing-accounts needs" + " --accounts");
    }
  }
}
