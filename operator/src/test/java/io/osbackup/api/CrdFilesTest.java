package io.osbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRDs committed in {@code crds/} must be exactly what the build generates from the API
 * classes. Run the build with {@code -Dosbackup.crds.update=true} to rewrite them after changing
 * the API.
 */
class CrdFilesTest {

  private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");
  private static final Path COMMITTED = Path.of(System.getProperty("osbackup.crds.dir", "../crds"));

  @Test
  void committedCrdsMatchTheApiClasses() throws IOException {
    List<Path> generated;
    try (Stream<Path> files = Files.list(GENERATED)) {
      generated = files.filter(p -> p.toString().endsWith("-v1.yml")).sorted().toList();
    }
    assertThat(generated).hasSize(4);
    boolean update = Boolean.getBoolean("osbackup.crds.update");
    for (Path source : generated) {
      String name = source.getFileName().toString().replace("-v1.yml", ".yaml");
      Path committed = COMMITTED.resolve(name);
      String expected = Files.readString(source);
      if (update) {
        Files.createDirectories(COMMITTED);
        Files.writeString(committed, expected);
      }
      assertThat(committed)
          .as("crds/%s is missing: run mvn -pl operator test -Dosbackup.crds.update=true", name)
          .exists();
      assertThat(Files.readString(committed))
          .as(
              "crds/%s differs from the API classes: run mvn -pl operator test -Dosbackup.crds.update=true and"
                  + " commit the result",
              name)
          .isEqualTo(expected);
    }
    try (Stream<Path> files = Files.list(COMMITTED)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted())
          .as("crds/ holds a file no API class generates")
          .containsExactlyElementsOf(
              generated.stream()
                  .map(p -> p.getFileName().toString().replace("-v1.yml", ".yaml"))
                  .toList());
    }
  }
}
