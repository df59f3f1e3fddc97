package io.osbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * Every osbackup object in {@code samples/} is accepted by the committed CRDs, schema and CEL rules
 * alike.
 */
class SamplesValidateTest {

  private static final Path CRDS = Path.of(System.getProperty("osbackup.crds.dir", "../crds"));
  private static final Path SAMPLES =
      Path.of(System.getProperty("osbackup.samples.dir", "../samples"));

  private static Map<String, CrdSchemaValidator> validators;

  @BeforeAll
  static void loadCrds() {
    validators = CrdSchemaValidator.loadAll(CRDS);
  }

  @TestFactory
  Stream<DynamicTest> everySampleValidates() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path file : sampleFiles()) {
      List<JsonNode> objects = osbackupObjects(file);
      assertThat(objects)
          .as("%s holds at least one osbackup object", file.getFileName())
          .isNotEmpty();
      for (JsonNode object : objects) {
        String name =
            file.getFileName()
                + " "
                + object.path("kind").asText()
                + "/"
                + object.at("/metadata/name").asText();
        tests.add(
            DynamicTest.dynamicTest(
                name, () -> assertThat(validatorFor(object).validate(object)).as(name).isEmpty()));
      }
    }
    return tests.stream();
  }

  @Test
  void samplesAreNumberedAndStartWithAComment() throws IOException {
    for (Path file : sampleFiles()) {
      assertThat(file.getFileName().toString()).matches("[0-9]{2}-[a-z0-9-]+\\.yaml");
      assertThat(Files.readString(file))
          .as("%s starts with a comment header", file)
          .startsWith("# ");
    }
  }

  @Test
  void secretsInSamplesHoldOnlyPlaceholders() throws IOException {
    for (Path file : sampleFiles()) {
      for (JsonNode doc : CrdSchemaValidator.readDocuments(file)) {
        if (doc.path("kind").asText().equals("Secret")) {
          assertThat(doc.has("data")).as("%s: use stringData with placeholders", file).isFalse();
          doc.path("stringData")
              .fields()
              .forEachRemaining(
                  f -> {
                    if (f.getKey().toLowerCase().matches(".*(secret|password|access).*")) {
                      assertThat(f.getValue().asText())
                          .as("%s %s", file, f.getKey())
                          .startsWith("REPLACE-WITH-");
                    }
                  });
        }
      }
    }
  }

  /**
   * Guards against a validator that accepts everything: a sample broken on purpose must be
   * rejected.
   */
  @Test
  void aBrokenSampleIsRejected() {
    JsonNode policy =
        osbackupObjects(SAMPLES.resolve("10-backuppolicy-control-plane.yaml")).stream()
            .filter(o -> o.path("kind").asText().equals("BackupPolicy"))
            .findFirst()
            .orElseThrow();
    ObjectNode broken = policy.deepCopy();
    ObjectNode compute = (ObjectNode) broken.at("/spec/files/0");
    compute.putObject("volume").put("claimName", "nova-state");
    ((ArrayNode) broken.at("/spec/files/1/paths")).add("etc/neutron");
    ((ObjectNode) broken.at("/spec/retention")).put("maxAge", "7days");

    assertThat(validatorFor(broken).validate(broken))
        .containsExactlyInAnyOrder(
            "spec.files[1].paths[3]: Invalid value: \"etc/neutron\": spec.files[1].paths[3] in body should match"
                + " '^/([^\\x00]*)$'",
            "spec.retention.maxAge: Invalid value: \"7days\": spec.retention.maxAge in body should match"
                + " '^[0-9]+(h|d|w)$'",
            "spec.files[0]: Invalid value: a files target needs exactly one of nodeSelector (one"
                + " archive per matching node) or volume (a PersistentVolumeClaim)");
  }

  private static CrdSchemaValidator validatorFor(JsonNode object) {
    CrdSchemaValidator v = validators.get(object.path("kind").asText());
    assertThat(v).as("a CRD for kind %s", object.path("kind").asText()).isNotNull();
    assertThat(object.path("apiVersion").asText()).isEqualTo("osbackup.io/v1alpha1");
    return v;
  }

  private static List<JsonNode> osbackupObjects(Path file) {
    return CrdSchemaValidator.readDocuments(file).stream()
        .filter(d -> d.path("apiVersion").asText().startsWith("osbackup.io/"))
        .toList();
  }

  private static List<Path> sampleFiles() throws IOException {
    try (Stream<Path> files = Files.list(SAMPLES)) {
      List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      assertThat(yaml).as("samples in %s", SAMPLES).isNotEmpty();
      return yaml;
    }
  }
}
