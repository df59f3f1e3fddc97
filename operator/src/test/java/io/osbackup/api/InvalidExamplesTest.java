package io.osbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code invalid-*.yaml} under {@code src/test/resources/invalid} is rejected for the reason
 * its first line states ({@code # expect: <message substring>}), and for no other. A file with two
 * documents is an update: the first is the stored object, the second the change.
 */
class InvalidExamplesTest {

  private static final Path CRDS = Path.of(System.getProperty("osbackup.crds.dir", "../crds"));
  private static final Path INVALID = Path.of("src/test/resources/invalid");
  private static final String EXPECT = "# expect: ";

  private static Map<String, CrdSchemaValidator> validators;

  @BeforeAll
  static void loadCrds() {
    validators = CrdSchemaValidator.loadAll(CRDS);
  }

  @TestFactory
  Stream<DynamicTest> everyInvalidExampleIsRejectedWithItsMessage() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path file : invalidFiles()) {
      tests.add(DynamicTest.dynamicTest(file.getFileName().toString(), () -> check(file)));
    }
    return tests.stream();
  }

  /**
   * The update example is rejected only because of the change: either document alone is a valid
   * create.
   */
  @Test
  void theTransitionRuleIsWhatRejectsThePolicyRefChange() {
    List<JsonNode> docs =
        CrdSchemaValidator.readDocuments(
            INVALID.resolve("invalid-backuprun-policy-ref-changed.yaml"));
    CrdSchemaValidator runs = validators.get("BackupRun");
    assertThat(runs.validate(docs.get(0))).isEmpty();
    assertThat(runs.validate(docs.get(1))).isEmpty();
    assertThat(runs.validate(docs.get(0), docs.get(0)))
        .as("an update that keeps policyRef")
        .isEmpty();
    assertThat(runs.validate(docs.get(1), docs.get(0))).hasSize(1);
  }

  @Test
  void theRequiredCasesAreCovered() throws IOException {
    assertThat(invalidFiles()).hasSizeGreaterThanOrEqualTo(18);
  }

  private static void check(Path file) throws IOException {
    String firstLine = Files.readAllLines(file).get(0);
    assertThat(firstLine)
        .as("%s starts with '%s<message>'", file.getFileName(), EXPECT)
        .startsWith(EXPECT);
    String expected = firstLine.substring(EXPECT.length()).trim();
    assertThat(expected).isNotEmpty();

    List<JsonNode> docs = CrdSchemaValidator.readDocuments(file);
    assertThat(docs)
        .as("%s holds one object, or two for an update", file.getFileName())
        .hasSizeBetween(1, 2);
    JsonNode object = docs.get(docs.size() - 1);
    JsonNode old = docs.size() == 2 ? docs.get(0) : null;
    CrdSchemaValidator validator = validators.get(object.path("kind").asText());
    assertThat(validator).as("a CRD for %s", object.path("kind")).isNotNull();

    List<String> messages = validator.validate(object, old);
    assertThat(messages).as("%s is rejected", file.getFileName()).isNotEmpty();
    assertThat(messages)
        .as("%s is rejected for the stated reason only", file.getFileName())
        .hasSize(1);
    assertThat(messages.get(0)).contains(expected);
  }

  private static List<Path> invalidFiles() throws IOException {
    try (Stream<Path> files = Files.list(INVALID)) {
      return files
          .filter(p -> p.getFileName().toString().matches("invalid-.*\\.yaml"))
          .sorted()
          .toList();
    }
  }
}
