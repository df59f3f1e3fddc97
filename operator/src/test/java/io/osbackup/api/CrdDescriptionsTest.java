package io.osbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every field of every generated CRD has a description — the spec and status roots, the conditions
 * and the embedded Kubernetes types included — so {@code kubectl explain} is useful at every level.
 */
class CrdDescriptionsTest {

  private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");

  @Test
  void everyFieldIsDescribed() throws IOException {
    List<String> fields = new ArrayList<>();
    List<String> undescribed = new ArrayList<>();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (Stream<Path> files = Files.list(GENERATED)) {
      for (Path file : files.filter(p -> p.toString().endsWith("-v1.yml")).sorted().toList()) {
        JsonNode crd = yaml.readTree(file.toFile());
        String kind = crd.at("/spec/names/kind").asText();
        for (JsonNode version : crd.at("/spec/versions")) {
          walk(version.at("/schema/openAPIV3Schema"), kind, fields, undescribed);
        }
      }
    }
    assertThat(fields).as("fields found").hasSizeGreaterThan(300);
    assertThat(undescribed)
        .as("fields without a description (add @JsonPropertyDescription)")
        .isEmpty();
  }

  private static void walk(
      JsonNode schema, String path, List<String> fields, List<String> undescribed) {
    schema
        .path("properties")
        .fields()
        .forEachRemaining(
            field -> {
              String at = path + "." + field.getKey();
              fields.add(at);
              if (field.getValue().path("description").asText().isBlank()) {
                undescribed.add(at);
              }
              walk(field.getValue(), at, fields, undescribed);
            });
    if (schema.has("items")) {
      walk(schema.get("items"), path + "[]", fields, undescribed);
    }
    if (schema.path("additionalProperties").isObject()) {
      walk(schema.get("additionalProperties"), path + "{}", fields, undescribed);
    }
  }
}
