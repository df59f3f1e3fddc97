package io.osbackup.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The offline validator itself: it catches what the API server catches, and the schedule rule
 * accepts real cron.
 */
class CrdSchemaValidatorTest {

  private static final Path CRDS = Path.of(System.getProperty("osbackup.crds.dir", "../crds"));
  private static final CrdSchemaValidator POLICIES =
      CrdSchemaValidator.load(CRDS.resolve("backuppolicies.osbackup.io.yaml"));

  private static final String CRD =
      """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      spec:
        names: {kind: Thing}
        versions:
          - name: v1
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      size: {type: integer}
                      labels: {type: object, additionalProperties: {type: string}}
                    x-kubernetes-validations:
                      - rule: "%s"
                        message: rule failed
      """;

  @Test
  void aRuleNamingAnUndeclaredFieldDoesNotCompile() {
    CrdSchemaValidator v = CrdSchemaValidator.parse(CRD.formatted("self.sise > 1"));
    assertThat(v.rules())
        .singleElement()
        .satisfies(r -> assertThat(r.compileError()).contains("sise"));
  }

  @Test
  void aRuleThatIsNotABoolDoesNotCompile() {
    CrdSchemaValidator v = CrdSchemaValidator.parse(CRD.formatted("self.size + 1"));
    assertThat(v.rules())
        .singleElement()
        .satisfies(r -> assertThat(r.compileError()).contains("bool"));
  }

  @Test
  void rulesSeeMapsListsAndStringFunctions() {
    CrdSchemaValidator v =
        CrdSchemaValidator.parse(
            CRD.formatted(
                "!has(self.labels) || self.labels.all(k, k.startsWith('a') && self.labels[k].lowerAscii() =="
                    + " self.labels[k])"));
    assertThat(v.rules()).singleElement().satisfies(r -> assertThat(r.compileError()).isNull());
    assertThat(v.validate(thing("{size: 1, labels: {ab: x}}"))).isEmpty();
    assertThat(v.validate(thing("{size: 1, labels: {ab: X}}")))
        .containsExactly("spec: Invalid value: rule failed");
  }

  @Test
  void typeErrorsAreReportedLikeTheApiServer() {
    CrdSchemaValidator v = CrdSchemaValidator.parse(CRD.formatted("true"));
    assertThat(v.validate(thing("{size: many}")))
        .containsExactly(
            "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0 2 * * *",
        "*/15 * * * *",
        "30 1 * * MON-FRI",
        "0 3 1,15 * *",
        "0 0-23/2 * * *",
        "5 4 * jan-mar sun",
        "0 2 ? * SUN",
        "0 4 * * 7",
        "59 23 31 12 6",
        "@daily",
        "@hourly"
      })
  void theScheduleRuleAcceptsCron(String schedule) {
    assertThat(POLICIES.validate(policyWithSchedule(schedule))).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0 2 * *",
        "0 0 2 * * ?",
        "60 2 * * *",
        "0 24 * * *",
        "0 2 32 * *",
        "0 2 * 13 *",
        "0 2 * * 8",
        "0 2 ** * *",
        "0 2 * * Sunday",
        "CRON_TZ=UTC 0 2 * * *",
        "@every 1h",
        "daily"
      })
  void theScheduleRuleRejectsWhatIsNotCron(String schedule) {
    assertThat(POLICIES.validate(policyWithSchedule(schedule)))
        .singleElement()
        .asString()
        .startsWith(
            "spec.schedule: Invalid value: \""
                + schedule
                + "\": spec.schedule must be a five-field cron"
                + " expression");
  }

  private static JsonNode thing(String spec) {
    try {
      ObjectNode thing = new YAMLMapper().createObjectNode();
      thing.put("apiVersion", "example.com/v1").put("kind", "Thing");
      thing.set("spec", new YAMLMapper().readTree(spec));
      return thing;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode policyWithSchedule(String schedule) {
    try {
      ObjectNode policy =
          (ObjectNode)
              new YAMLMapper()
                  .readTree(
                      """
                      apiVersion: osbackup.io/v1alpha1
                      kind: BackupPolicy
                      metadata: {name: p}
                      spec:
                        storeRef: {name: s}
                        files: [{name: f, nodeSelector: {a: b}, paths: [/etc/nova]}]
                      """);
      ((ObjectNode) policy.get("spec")).put("schedule", schedule);
      return policy;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
