package io.osbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.contract.Compression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's bucket layout names the artifacts the samples really produce, with the stock command
 * that reads each compression, and no page tells a reader to zcat a backup without saying what to
 * do with a zstd one.
 */
class BucketLayoutDocsTest {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Map<Compression, String> STOCK =
      Map.of(Compression.GZIP, "zcat", Compression.ZSTD, "zstd -dc");

  static String layout() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int heading = readme.indexOf("### What lands in the bucket");
    assertThat(heading).isNotNegative();
    int open = readme.indexOf("```", heading);
    return readme.substring(open, readme.indexOf("```", open + 3));
  }

  @Test
  void theLayoutNamesWhatTheSamplesProduceAndHowToReadIt() throws IOException {
    String layout = layout();
    Pattern compression = Pattern.compile("(?m)^\\s*compression:\\s*(\\w+)");
    try (Stream<Path> samples = Files.list(ROOT.resolve("samples"))) {
      for (Path sample : samples.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        Matcher m = compression.matcher(Files.readString(sample));
        while (m.find()) {
          Compression c = Compression.of(m.group(1));
          assertThat(layout)
              .as("%s uses %s", sample.getFileName(), c.value())
              .contains(".sql" + c.suffix())
              .contains(".tar" + c.suffix());
        }
      }
    }
    for (Compression c : List.of(Compression.GZIP, Compression.ZSTD)) {
      assertThat(layout)
          .contains(".sql" + c.suffix())
          .contains(STOCK.get(c) + " nova.sql" + c.suffix() + " | mariadb");
    }
  }

  @Test
  void noPageSaysZcatWithoutZstd() throws IOException {
    List<Path> pages;
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      pages =
          Stream.concat(
                  Stream.of(ROOT.resolve("README.md")),
                  docs.filter(p -> p.toString().endsWith(".md")))
              // the benchmarks measure the Operations Guide's own gzip'd dump, not a backup's
              // artifact
              .filter(p -> !p.getFileName().toString().equals("benchmarks.md"))
              .toList();
    }
    for (Path page : pages) {
      String text = Files.readString(page);
      if (text.contains("zcat ")) {
        assertThat(text).as(page.toString()).contains("zstd -dc");
      }
    }
  }
}
