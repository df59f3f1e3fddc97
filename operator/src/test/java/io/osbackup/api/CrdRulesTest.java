package io.osbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every CEL rule and every pattern in the committed CRDs is one the API server would accept. */
class CrdRulesTest {

  private static final Path CRDS = Path.of(System.getProperty("osbackup.crds.dir", "../crds"));

  @Test
  void everyCelRuleCompilesToABool() {
    Map<String, CrdSchemaValidator> validators = CrdSchemaValidator.loadAll(CRDS);
    assertThat(validators)
        .containsOnlyKeys("BackupPolicy", "BackupRun", "BackupStore", "RestoreRequest");
    List<String> broken = new ArrayList<>();
    int count = 0;
    for (CrdSchemaValidator v : validators.values()) {
      for (CrdSchemaValidator.Rule rule : v.rules()) {
        count++;
        if (rule.compileError() != null) {
          broken.add(
              v.kind()
                  + " "
                  + rule.schemaPath()
                  + ": "
                  + rule.rule()
                  + "\n  "
                  + rule.compileError());
        }
        assertThat(rule.message())
            .as("%s %s has a message", v.kind(), rule.schemaPath())
            .isNotBlank();
      }
    }
    assertThat(broken).isEmpty();
    assertThat(count).as("rules found").isGreaterThanOrEqualTo(10);
  }

  @Test
  void transitionRulesAreRecognised() {
    CrdSchemaValidator runs = CrdSchemaValidator.loadAll(CRDS).get("BackupRun");
    assertThat(runs.rules())
        .filteredOn(CrdSchemaValidator.Rule::transition)
        .extracting(CrdSchemaValidator.Rule::schemaPath)
        .containsExactly("spec.policyRef");
  }

  @Test
  void everyPatternIsValidRe2() {
    List<String> broken = new ArrayList<>();
    for (Path crd : List.of(CRDS.toFile().listFiles()).stream().map(File::toPath).toList()) {
      for (JsonNode doc : CrdSchemaValidator.readDocuments(crd)) {
        collectPatterns(doc, crd.getFileName() + ":", broken);
      }
    }
    assertThat(broken).isEmpty();
  }

  private static void collectPatterns(JsonNode node, String where, List<String> broken) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              f -> {
                if (f.getKey().equals("pattern") && f.getValue().isTextual()) {
                  String error = CrdSchemaValidator.re2Error(f.getValue().asText());
                  if (error != null) {
                    broken.add(where + " " + f.getValue().asText() + ": " + error);
                  }
                } else {
                  collectPatterns(f.getValue(), where + "." + f.getKey(), broken);
                }
              });
    } else if (node.isArray()) {
      node.forEach(n -> collectPatterns(n, where, broken));
    }
  }
}
