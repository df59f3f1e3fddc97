package io.osbackup.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunSpec;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.api.v1alpha1.RunRetention;
import io.osbackup.contract.Manifest;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@link KeepTerms}: how a run's backup is kept, and the spec it refuses, naming the field. */
class KeepTermsTest {

  private static final Instant NOW = Instant.parse("2026-12-05T13:00:00Z");

  @Test
  void aRunMadeByHandIsKeptUntilDeletedAndAScheduledOneByThePolicy() {
    KeepTerms hand = KeepTerms.of(run("before-upgrade", null, null, null), "control-plane", NOW);
    KeepTerms slot =
        KeepTerms.of(run("control-plane-20261205-130000", null, null, null), "control-plane", NOW);

    assertThat(hand.terms()).isEqualTo(new Manifest.RunRetention("OnDemand", "Keep", null, null));
    assertThat(KeepTerms.describe(hand.terms(), null, "control-plane")).isEqualTo("until deleted");
    assertThat(slot.terms())
        .isEqualTo(new Manifest.RunRetention("Scheduled", "Policy", null, null));
    assertThat(KeepTerms.describe(slot.terms(), null, "control-plane"))
        .isEqualTo("by policy control-plane");
  }

  @Test
  void keepUntilAndKeepForSetWhenTheBackupGoes() {
    KeepTerms until = KeepTerms.of(run("a", null, "2027-01-31T01:00:00+01:00", null), "p", NOW);
    KeepTerms keepFor = KeepTerms.of(run("b", null, null, "30d"), "p", NOW);
    KeepTerms optIn = KeepTerms.of(run("c", RunRetention.Policy, null, null), "p", NOW);

    assertThat(until.terms().keepUntil()).isEqualTo(Instant.parse("2027-01-31T00:00:00Z"));
    assertThat(KeepTerms.expiresAt(until.terms(), NOW))
        .isEqualTo(Instant.parse("2027-01-31T00:00:00Z"));
    assertThat(KeepTerms.expiresAt(keepFor.terms(), NOW))
        .isEqualTo(Instant.parse("2027-01-04T13:00:00Z"));
    assertThat(KeepTerms.expiresAt(keepFor.terms(), null)).isNull();
    assertThat(KeepTerms.describe(keepFor.terms(), null, "p")).isEqualTo("for 30d");
    assertThat(optIn.terms().rules()).isEqualTo("Policy");
    assertThat(optIn.terms().origin()).isEqualTo("OnDemand");
  }

  @Test
  void badInputIsRefusedNamingTheFieldAndTheFix() {
    assertProblem(
        run("a", null, null, "thirty days"), "InvalidKeepFor", "spec.keepFor 'thirty days'", "30d");
    assertProblem(run("a", null, null, "0d"), "InvalidKeepFor", "spec.keepFor '0d'", "above 0");
    assertProblem(
        run("a", null, "next tuesday", null),
        "InvalidKeepUntil",
        "spec.keepUntil 'next tuesday'",
        "RFC 3339");
    assertProblem(
        run("a", null, "2026-12-05T12:59:59Z", null),
        "KeepUntilInPast",
        "spec.keepUntil 2026-12-05T12:59:59Z",
        "already past");
    assertProblem(
        run("a", null, "2027-01-01T00:00:00Z", "30d"),
        "KeepTermsConflict",
        "spec.keepUntil and" + " spec.keepFor are both set",
        "not both");
    assertProblem(
        run("a", RunRetention.Policy, null, "30d"),
        "KeepTermsConflict",
        "spec.retention Policy",
        "spec.keepFor is set");
  }

  private static void assertProblem(BackupRun run, String reason, String... message) {
    KeepTerms terms = KeepTerms.of(run, "p", NOW);
    assertThat(terms.ok()).isFalse();
    assertThat(terms.problem().reason()).isEqualTo(reason);
    assertThat(terms.problem().message()).contains(message);
    assertThat(terms.problem().retryable()).isFalse();
  }

  private static BackupRun run(
      String name, RunRetention retention, String keepUntil, String keepFor) {
    BackupRun run = new BackupRun();
    run.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("openstack").build());
    BackupRunSpec spec = new BackupRunSpec();
    spec.setPolicyRef(new LocalRef("p"));
    spec.setRetention(retention);
    spec.setKeepUntil(keepUntil);
    spec.setKeepFor(keepFor);
    run.setSpec(spec);
    return run;
  }
}
