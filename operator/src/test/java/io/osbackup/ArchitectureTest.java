package io.osbackup;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/architecture.md, checked on the compiled classes: the contract between
 * operator and agent depends on nothing else of ours, the agent and the operator never import each
 * other, the pure cores stay free of the Kubernetes client, S3 and JOSDK, and no packages form a
 * cycle.
 */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.osbackup");
  }

  @Test
  void theContractDependsOnNothingElseOfOurs() {
    check(
        noClasses()
            .that()
            .resideInAPackage("io.osbackup.contract..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "io.osbackup",
                "io.osbackup.agent..",
                "io.osbackup.api..",
                "io.osbackup.catalog..",
                "io.osbackup.cli..",
                "io.osbackup.operator..",
                "io.osbackup.plan..",
                "io.osbackup.restore..",
                "io.osbackup.retention..",
                "io.osbackup.schedule..",
                "io.osbackup.store..")
            .because("both sides import the contract and neither owns it"));
  }

  @Test
  void theApiDependsOnNothingElseOfOurs() {
    check(
        noClasses()
            .that()
            .resideInAPackage("io.osbackup.api..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "io.osbackup",
                "io.osbackup.agent..",
                "io.osbackup.catalog..",
                "io.osbackup.cli..",
                "io.osbackup.contract..",
                "io.osbackup.operator..",
                "io.osbackup.plan..",
                "io.osbackup.restore..",
                "io.osbackup.retention..",
                "io.osbackup.schedule..",
                "io.osbackup.store.."));
  }

  @Test
  void theAgentNeverImportsOperatorCode() {
    check(
        noClasses()
            .that()
            .resideInAPackage("io.osbackup.agent..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "io.osbackup.api..",
                "io.osbackup.catalog..",
                "io.osbackup.cli..",
                "io.osbackup.operator..",
                "io.osbackup.plan..",
                "io.osbackup.restore..",
                "io.osbackup.retention..",
                "io.osbackup.schedule..")
            .because(
                "the agent runs in a Job with a plan from the bucket contract and no API access"));
  }

  @Test
  void theOperatorNeverImportsAgentCode() {
    check(
        noClasses()
            .that()
            .resideInAnyPackage(
                "io.osbackup.operator..",
                "io.osbackup.plan..",
                "io.osbackup.catalog..",
                "io.osbackup.restore..",
                "io.osbackup.retention..",
                "io.osbackup.schedule..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("io.osbackup.agent..", "io.osbackup.cli..")
            .because(
                "the operator talks to agents only through the contract: plans in, reports out"));
  }

  @Test
  void theStoreKnowsOnlyTheContract() {
    check(
        noClasses()
            .that()
            .resideInAPackage("io.osbackup.store..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "io.osbackup",
                "io.osbackup.agent..",
                "io.osbackup.api..",
                "io.osbackup.catalog..",
                "io.osbackup.cli..",
                "io.osbackup.operator..",
                "io.osbackup.plan..",
                "io.osbackup.restore..",
                "io.osbackup.retention..",
                "io.osbackup.schedule.."));
  }

  @Test
  void thePureCoresUseNoClientOfKubernetesOrTheOperatorFramework() {
    check(
        noClasses()
            .that()
            .resideInAnyPackage(
                "io.osbackup.contract..",
                "io.osbackup.plan..",
                "io.osbackup.restore..",
                "io.osbackup.retention..",
                "io.osbackup.schedule..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "io.fabric8.kubernetes.client..",
                "io.javaoperatorsdk..",
                "io.minio..",
                "java.sql..")
            .because("decisions are plain functions, tested without Kubernetes, S3 or a database"));
  }

  @Test
  void eachResourceIsReconciledInItsOwnPackageWhichNoOtherImports() {
    List<String> resources = List.of("run", "restore", "policy", "store");
    for (String resource : resources) {
      String[] others =
          resources.stream()
              .filter(r -> !r.equals(resource))
              .map(r -> "io.osbackup.operator." + r + "..")
              .toArray(String[]::new);
      check(
          noClasses()
              .that()
              .resideInAPackage("io.osbackup.operator." + resource + "..")
              .should()
              .dependOnClassesThat()
              .resideInAnyPackage(others));
    }
    check(
        noClasses()
            .that()
            .resideInAPackage("io.osbackup.operator.reconcile..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "io.osbackup.operator.run..",
                "io.osbackup.operator.restore..",
                "io.osbackup.operator.policy..",
                "io.osbackup.operator.store..")
            .because("the machinery every reconciler shares knows none of them"));
  }

  @Test
  void theTopLevelPackagesFormNoCycle() {
    check(slices().matching("io.osbackup.(*)..").should().beFreeOfCycles());
  }

  @Test
  void noTwoPackagesFormACycle() {
    check(slices().matching("io.osbackup.(**)").should().beFreeOfCycles());
  }

  private static void check(ArchRule rule) {
    rule.check(classes);
  }
}
