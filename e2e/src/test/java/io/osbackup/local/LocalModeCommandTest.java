package io.osbackup.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's local-mode command shows the build as it goes (no {@code -q}: a minute of silence
 * reads as a hang), Maven prints no escape bytes into a pipe, and local mode is told to stop with
 * the Maven that started it.
 */
class LocalModeCommandTest {

  private static final Path ROOT = LocalMode.samplesDir().toAbsolutePath().normalize().getParent();

  @Test
  void theReadmeCommandShowsTheBuild() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    assertThat(readme).contains("```bash\nmvn -B -pl e2e -am package -DskipTests exec:exec\n```");
    assertThat(readme.lines().filter(l -> l.contains("exec:exec")))
        .as("every local-mode command in the README")
        .isNotEmpty()
        .noneMatch(l -> l.contains(" -q "));
  }

  @Test
  void mavenPrintsNoEscapeBytesAndNoShadeListing() throws Exception {
    assertThat(Files.readAllLines(ROOT.resolve(".mvn/jvm.config")))
        .contains(
            "-Djansi.noreset=true",
            "-Dorg.slf4j.simpleLogger.log.org.apache.maven.plugins.shade=error");
  }

  @Test
  void localModeStopsWithTheMavenThatStartedIt() throws Exception {
    assertThat(Files.readString(ROOT.resolve("e2e/pom.xml")))
        .contains("io.osbackup.local.LocalMode --exit-with-parent ");
  }
}
