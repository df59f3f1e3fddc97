package io.osbackup.chart;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart installs the CRDs from its {@code crds/} folder: byte for byte the generated ones in
 * {@code /crds} (which the operator's CrdFilesTest holds to the API classes). After changing the
 * API, copy them: {@code cp crds/*.yaml charts/osbackup/crds/}.
 */
class ChartCrdsTest {

  static final Path GENERATED = Chart.ROOT.resolve("crds");
  static final Path IN_CHART = Chart.DIR.resolve("crds");

  @Test
  void chartCrdsAreTheGeneratedOnes() throws IOException {
    List<String> generated = names(GENERATED);
    assertThat(generated).hasSize(4);
    assertThat(names(IN_CHART))
        .as("files in charts/osbackup/crds")
        .containsExactlyElementsOf(generated);
    for (String name : generated) {
      assertThat(Files.readAllBytes(IN_CHART.resolve(name)))
          .as(
              "charts/osbackup/crds/%s differs from crds/%s: cp crds/*.yaml charts/osbackup/crds/",
              name, name)
          .isEqualTo(Files.readAllBytes(GENERATED.resolve(name)));
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
