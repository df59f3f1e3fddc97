package io.osbackup.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The real API server (kubelocal) accepts what osbackup ships: the CRDs reach Established
 * (structural schemas, CEL rules within the cost budget), every sample is accepted as it stands
 * with {@code dryRun=All}, and every invalid example of the operator's tests ({@code
 * operator/src/test/resources/invalid}) is refused by the server with the message its first line
 * names, the one the offline validator (InvalidExamplesTest) gives too.
 */
class ControlPlaneIT {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path INVALID = ROOT.resolve("operator/src/test/resources/invalid");
  static final String EXPECT = "# expect: ";

  static ControlPlane plane;
  static KubernetesClient admin;

  @BeforeAll
  static void crdsInstalled() throws IOException {
    plane = ControlPlane.shared();
    admin = plane.admin();
    plane.installCrds(ROOT.resolve("crds"));
  }

  @Test
  void everyCrdIsEstablishedWithItsSchemaPublished() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(ROOT.resolve("crds"))) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).hasSize(4);
    for (Path file : files) {
      CustomResourceDefinition crd;
      try (InputStream in = Files.newInputStream(file)) {
        crd = admin.apiextensions().v1().customResourceDefinitions().load(in).item();
      }
      CustomResourceDefinition stored =
          admin
              .apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName(crd.getMetadata().getName())
              .get();
      assertThat(stored.getStatus().getConditions())
          .as("%s's conditions", crd.getMetadata().getName())
          .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"))
          .noneMatch(
              c -> c.getType().equals("NonStructuralSchema") && c.getStatus().equals("True"));
    }
    // The schemas reach the published OpenAPI (a moment after Established), which kubectl explain
    // reads.
    org.awaitility.Awaitility.await("the OpenAPI of osbackup.io/v1alpha1")
        .atMost(java.time.Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(admin.raw("/openapi/v3/apis/osbackup.io/v1alpha1"))
                    .contains("io.osbackup.v1alpha1.BackupPolicy")
                    .contains("keepLast"));
  }

  @TestFactory
  Stream<DynamicTest> everySampleIsAcceptedAsItStands() throws IOException {
    String ns = plane.namespace("samples");
    List<DynamicTest> tests = new ArrayList<>();
    try (Stream<Path> s = Files.list(ROOT.resolve("samples"))) {
      for (Path file : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        tests.add(
            DynamicTest.dynamicTest(
                file.getFileName().toString(),
                () -> {
                  List<HasMetadata> objects;
                  try (InputStream in = Files.newInputStream(file)) {
                    objects = admin.load(in).items();
                  }
                  assertThat(objects).isNotEmpty();
                  for (HasMetadata object : objects) {
                    HasMetadata accepted =
                        admin
                            .resource(object)
                            .inNamespace(ns)
                            .dryRun()
                            .fieldValidation(Validation.STRICT)
                            .create();
                    assertThat(accepted.getMetadata().getName())
                        .isEqualTo(object.getMetadata().getName());
                  }
                }));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> everyInvalidExampleIsRefusedByTheServerWithItsMessage() throws IOException {
    String ns = plane.namespace("invalid");
    List<DynamicTest> tests = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(INVALID)) {
      files = s.filter(p -> p.getFileName().toString().startsWith("invalid-")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(18);
    for (Path file : files) {
      tests.add(
          DynamicTest.dynamicTest(
              file.getFileName().toString(),
              () -> {
                String expected = Files.readAllLines(file).get(0).substring(EXPECT.length()).trim();
                List<GenericKubernetesResource> docs = documents(file);
                GenericKubernetesResource object = docs.get(docs.size() - 1);
                if (docs.size() == 2) {
                  // An update: the first document is stored, the second refused as a change of it.
                  GenericKubernetesResource stored =
                      admin.resource(docs.get(0)).inNamespace(ns).create();
                  object
                      .getMetadata()
                      .setResourceVersion(stored.getMetadata().getResourceVersion());
                  assertThatThrownBy(
                          () ->
                              admin
                                  .resource(object)
                                  .inNamespace(ns)
                                  .fieldValidation(Validation.STRICT)
                                  .update())
                      .isInstanceOfSatisfying(
                          KubernetesClientException.class, e -> assertRefused(e, expected));
                  admin.resource(stored).inNamespace(ns).delete();
                } else {
                  assertThatThrownBy(
                          () ->
                              admin
                                  .resource(object)
                                  .inNamespace(ns)
                                  .dryRun()
                                  .fieldValidation(Validation.STRICT)
                                  .create())
                      .isInstanceOfSatisfying(
                          KubernetesClientException.class, e -> assertRefused(e, expected));
                }
              }));
    }
    return tests.stream();
  }

  private static void assertRefused(KubernetesClientException e, String expected) {
    assertThat(e.getCode()).as("HTTP status of %s", e.getMessage()).isIn(400, 422);
    assertThat(e.getMessage()).contains(expected);
  }

  private static List<GenericKubernetesResource> documents(Path file) throws IOException {
    List<GenericKubernetesResource> docs = new ArrayList<>();
    for (String doc : Files.readString(file).split("(?m)^---\\s*$")) {
      if (!doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
        docs.add(Serialization.unmarshal(doc, GenericKubernetesResource.class));
      }
    }
    return docs;
  }
}
