package io.osbackup.operator.run;

import static io.osbackup.operator.run.RunFixtures.at;
import static io.osbackup.operator.run.RunFixtures.run;
import static io.osbackup.operator.run.RunFixtures.store;
import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupRunStatus;
import io.osbackup.api.v1alpha1.RunFailure;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.FoundBackups;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.contract.Manifest;
import io.osbackup.operator.reconcile.Outcome;
import io.osbackup.operator.reconcile.Timings;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a run for a backup found in the store takes its status from the manifest. */
class AdoptionDecisionTest {

  static final Timings TIMINGS = Timings.defaults();
  static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");
  static final String KEY = "prod/control-plane/b-1/manifest.json";

  private static RunRecord record(BackupRun run) {
    run.setStatus(new BackupRunStatus());
    return new RunRecord(run, at(NOW));
  }

  private static Catalog.Backup backup(String policy, SignatureCheck signature) {
    Instant completed = Instant.parse("2026-11-21T02:10:00Z");
    Manifest manifest =
        new Manifest(
            Manifest.FORMAT_VERSION,
            "b-1",
            "openstack",
            policy,
            "cp-1",
            "primary",
            "backups",
            "prod/control-plane/b-1",
            "gzip",
            completed.minusSeconds(600),
            completed,
            42,
            List.of(
                new Manifest.Entry(
                    "database",
                    "galera",
                    "nova",
                    null,
                    "k/nova.sql.gz",
                    42,
                    84,
                    "sha",
                    "gzip",
                    null,
                    null,
                    null,
                    null,
                    List.of())));
    return new Catalog.Backup(
        KEY, policy, "b-1", "prod/control-plane/b-1", 42, completed, manifest, signature);
  }

  private static PlanningObservation.Adoption read(Catalog.Parsed parsed) {
    return new PlanningObservation.Adoption(
        Optional.of(store()), Optional.ofNullable(parsed), null, null);
  }

  private static Outcome adopt(RunRecord record, PlanningObservation.Adoption seen) {
    return AdoptionDecision.adopt(record, KEY, "primary", seen, TIMINGS);
  }

  private static List<String> reasons(Outcome outcome) {
    return outcome.notices().stream().map(Outcome.Notice::reason).toList();
  }

  @Test
  void aMissingStoreIsWaitedFor() {
    BackupRun run = run();

    Outcome outcome =
        adopt(
            record(run),
            new PlanningObservation.Adoption(Optional.empty(), Optional.empty(), null, null));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Pending);
    assertThat(run.getStatus().getMessage())
        .contains("names BackupStore 'primary', which does not exist in namespace openstack");
    assertThat(outcome.lookAgainAfter()).contains(TIMINGS.waitForStore());
    assertThat(reasons(outcome)).containsExactly("StoreNotFound");
  }

  @Test
  void anUnreadableBucketIsWaitedForWithItsReason() {
    BackupRun run = run();

    Outcome outcome =
        adopt(
            record(run),
            new PlanningObservation.Adoption(
                Optional.of(store()), Optional.empty(), "SecretNotFound", "no Secret backup-s3"));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Pending);
    assertThat(run.getStatus().getMessage()).isEqualTo("no Secret backup-s3");
    assertThat(reasons(outcome)).containsExactly("SecretNotFound");
    assertThat(outcome.lookAgainAfter()).contains(TIMINGS.waitForStore());
  }

  @Test
  void aManifestNoLongerInTheBucketFailsTheRun() {
    BackupRun run = run();

    adopt(record(run), read(null));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getMessage())
        .isEqualTo(
            "manifest " + KEY + " is not in bucket backups of store 'primary': the backup is gone");
  }

  @Test
  void anUnparsableManifestIsInvalid() {
    BackupRun run = run();

    adopt(record(run), read(new Catalog.Parsed(null, "is not JSON")));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("ManifestInvalid");
    assertThat(run.getStatus().getMessage()).isEqualTo("manifest " + KEY + " is not JSON");
  }

  @Test
  void aBackupOfAnotherPolicyIsInvalid() {
    BackupRun run = run();

    adopt(
        record(run),
        read(
            new Catalog.Parsed(
                backup(
                    "other", new SignatureCheck(SignatureCheck.Outcome.VERIFIED, "k1", "signed")),
                null)));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getMessage()).contains("is a backup of policy 'other'");
  }

  @Test
  void anInvalidSignatureFailsTheRun() {
    BackupRun run = run();

    adopt(
        record(run),
        read(
            new Catalog.Parsed(
                backup(
                    "control-plane",
                    new SignatureCheck(
                        SignatureCheck.Outcome.INVALID,
                        "k1",
                        "has a signature that does not match")),
                null)));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().getFailures())
        .extracting(RunFailure::getReason)
        .containsExactly("ManifestSignatureInvalid");
  }

  @Test
  void aVerifiedBackupIsAdoptedInItsFinalPhase() {
    BackupRun run = run();
    RunRecord record = record(run);

    Outcome outcome =
        adopt(
            record,
            read(
                new Catalog.Parsed(
                    backup(
                        "control-plane",
                        new SignatureCheck(SignatureCheck.Outcome.VERIFIED, "k1", "signed")),
                    null)));

    BackupRunStatus status = run.getStatus();
    assertThat(status.getPhase()).isEqualTo(RunPhase.Succeeded);
    assertThat(status.getFoundInStore()).isTrue();
    assertThat(status.getManifestKey()).isEqualTo(KEY);
    assertThat(status.getManifestSignature()).isEqualTo("Verified");
    assertThat(status.getArtifacts()).hasSize(1);
    assertThat(status.getConditions())
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo(BackupRunStatus.COMPLETE);
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getReason()).isEqualTo(FoundBackups.FOUND_IN_STORE);
            });
    assertThat(reasons(outcome)).containsExactly(FoundBackups.FOUND_IN_STORE);
    assertThat(outcome.lookAgainAfter()).isEmpty();
  }

  @Test
  void anUnsignedBackupIsAdoptedWithAWarning() {
    BackupRun run = run();

    Outcome outcome =
        adopt(
            record(run),
            read(
                new Catalog.Parsed(
                    backup(
                        "control-plane",
                        new SignatureCheck(
                            SignatureCheck.Outcome.UNSIGNED, null, "has no signature")),
                    null)));

    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Succeeded);
    assertThat(run.getStatus().getManifestSignature()).isEqualTo("Unsigned");
    assertThat(run.getStatus().getMessage())
        .endsWith("; manifest has no signature: a restore needs spec.allowUnsignedManifest");
    assertThat(reasons(outcome)).containsExactly("ManifestUnsigned", FoundBackups.FOUND_IN_STORE);
  }
}
