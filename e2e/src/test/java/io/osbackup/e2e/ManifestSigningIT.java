package io.osbackup.e2e;

import static io.osbackup.e2e.LocalOsbackup.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.Api;
import io.osbackup.api.v1alpha1.ArtifactStatus;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.BackupStoreStatus;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RestoreRequestStatus;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.cli.RestoreCommand;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.ManifestSignature;
import io.osbackup.store.ArtifactUpload;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Signed manifests and separate rights on a real S3 server: the operator signs every manifest with
 * a key the agents never hold, a restore refuses a manifest someone with only the agents' key
 * rewrote (or one without signature) unless told to trust it, a rotated key keeps old backups
 * verifiable, and agents work with their own credentials.
 */
class ManifestSigningIT {

  @TempDir static Path work;
  static LocalOsbackup osb;

  @BeforeAll
  static void start() throws Exception {
    osb = LocalOsbackup.start(work);
    osb.addNode("compute-1", "compute");
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(osb);
  }

  /**
   * The audit's scenario: a backup's artifact is replaced by other bytes and the manifest's SHA-256
   * and size are rewritten to match, so every checksum agrees. Only the signature can tell.
   */
  @Test
  void aManifestRewrittenWithMatchingChecksumsIsRefusedByARestore() throws Exception {
    osb.seed("tamper_db");
    osb.apply(osb.policy("tamper", osb.databases("tamper_db")));
    BackupRun good = osb.backup("tamper", "tamper-1");
    assertThat(good.getStatus().getPhase())
        .as(good.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    osb.db.execute("UPDATE tamper_db.hosts SET name = 'attacker'");
    BackupRun evil = osb.backup("tamper", "tamper-2");
    assertThat(evil.getStatus().getPhase()).isEqualTo(RunPhase.Succeeded);
    osb.db.execute("UPDATE tamper_db.hosts SET name = 'now'");
    Map<String, Long> now = osb.db.tableChecksums("tamper_db");

    swapArtifact(good, evil);

    String id = good.getStatus().getBackupId();
    osb.restore(
        "tamper-restore",
        """
        source: {storeRef: {name: primary}, backupId: %s}
        databases: {}
        confirm: %s
        """
            .formatted(id, id));
    RestoreRequest refused = osb.awaitRestoreEnd("tamper-restore");
    assertThat(refused.getStatus().getPhase())
        .as(refused.getStatus().getMessage())
        .isEqualTo(RestorePhase.Failed);
    assertThat(
            refused.getStatus().condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("ManifestSignatureInvalid");
    assertThat(refused.getStatus().getMessage()).contains(id).contains("allowUnsignedManifest");
    assertThat(osb.eventsOf(refused))
        .anySatisfy(e -> assertThat(e).startsWith("ManifestSignatureInvalid"));
    assertThat(osb.db.tableChecksums("tamper_db")).isEqualTo(now);

    // The catalog does not bring it back: the store's next sync skips it and says why.
    osb.client
        .resources(BackupStore.class)
        .inNamespace(NS)
        .withName(LocalOsbackup.STORE)
        .edit(
            st -> {
              st.getSpec().setProbeIntervalSeconds(st.getSpec().getProbeIntervalSeconds() + 1);
              return st;
            });
    await()
        .atMost(LocalOsbackup.TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(
                        osb.eventsOf(
                            osb.client
                                .resources(BackupStore.class)
                                .inNamespace(NS)
                                .withName(LocalOsbackup.STORE)
                                .get()))
                    .anySatisfy(
                        e ->
                            assertThat(e)
                                .startsWith("ManifestSignatureInvalid")
                                .contains(good.getStatus().getManifestKey())
                                .contains("tampered")));

    // The user who knows why it changed may still restore it, explicitly.
    osb.restore(
        "tamper-trusted",
        """
        source: {storeRef: {name: primary}, backupId: %s}
        databases: {renames: {tamper_db: tamper_trusted}}
        allowUnsignedManifest: true
        """
            .formatted(id));
    RestoreRequest trusted = osb.awaitRestoreEnd("tamper-trusted");
    assertThat(trusted.getStatus().getPhase())
        .as(trusted.getStatus().getMessage())
        .isEqualTo(RestorePhase.Succeeded);
    assertThat(osb.eventsOf(trusted))
        .anySatisfy(e -> assertThat(e).startsWith("ManifestNotVerified"));
  }

  @Test
  void theStoreSaysWhichSecretSignsAndThatAgentsShareTheOperatorsCredentials() {
    BackupStore store =
        osb.awaitFinal(
            BackupStore.class,
            LocalOsbackup.STORE,
            s ->
                s.getStatus() != null
                    && s.getStatus().condition(BackupStoreStatus.MANIFEST_SIGNING).isPresent());
    assertThat(store.getStatus().getSigningKeySecret()).isEqualTo("primary-manifest-signing");
    var signing = store.getStatus().condition(BackupStoreStatus.MANIFEST_SIGNING).orElseThrow();
    assertThat(signing.getStatus()).isEqualTo("True");
    assertThat(signing.getMessage()).contains("primary-manifest-signing").contains("off-site");
    Secret secret = osb.client.secrets().inNamespace(NS).withName("primary-manifest-signing").get();
    assertThat(secret.getMetadata().getOwnerReferences())
        .as("deleting the store keeps the key")
        .isEmpty();
    assertThat(secret.getData()).containsKey("primary");
    // status and Events never carry the key
    String key =
        new String(
            Base64.getDecoder()
                .decode(
                    secret
                        .getData()
                        .get(
                            new String(
                                Base64.getDecoder().decode(secret.getData().get("primary")),
                                StandardCharsets.UTF_8))),
            StandardCharsets.UTF_8);
    assertThat(Serialization.asYaml(store)).doesNotContain(key);
    assertThat(osb.eventsOf(store)).noneMatch(e -> e.contains(key));
    if (store.getSpec().getS3().getAgentCredentialsSecret() == null) {
      var agents = store.getStatus().condition(BackupStoreStatus.AGENT_CREDENTIALS).orElseThrow();
      assertThat(agents.getStatus()).isEqualTo("False");
      assertThat(agents.getReason()).isEqualTo("SharedWithOperator");
      assertThat(agents.getMessage())
          .contains("can delete backups")
          .contains("s3.agentCredentialsSecret");
    }
  }

  @Test
  void anUnsignedManifestIsRefusedUnlessTheRequestTrustsIt() throws Exception {
    osb.seed("unsigned_db");
    osb.apply(osb.policy("unsigned", osb.databases("unsigned_db")));
    BackupRun run = osb.backup("unsigned", "unsigned-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    assertThat(run.getStatus().getManifestSignature()).isEqualTo("Verified");
    String id = run.getStatus().getBackupId();
    String sig = run.getStatus().getManifestKey().replace("manifest.json", "manifest.sig");
    assertThat(osb.bucket.stat(sig)).as("the signature lies next to the manifest").isPresent();
    // as a backup taken before manifests were signed
    osb.bucket.delete(List.of(sig));

    osb.restore(
        "unsigned-refused",
        """
        source: {storeRef: {name: primary}, backupId: %s}
        databases: {renames: {unsigned_db: unsigned_copy}}
        """
            .formatted(id));
    RestoreRequest refused = osb.awaitRestoreEnd("unsigned-refused");
    assertThat(refused.getStatus().getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(
            refused.getStatus().condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("ManifestUnsigned");
    assertThat(refused.getStatus().getMessage())
        .contains(id)
        .contains("spec.allowUnsignedManifest: true");
    assertThat(osb.db.column("SHOW DATABASES LIKE 'unsigned_copy'")).isEmpty();

    osb.restore(
        "unsigned-trusted",
        """
        source: {storeRef: {name: primary}, backupId: %s}
        databases: {renames: {unsigned_db: unsigned_copy}}
        allowUnsignedManifest: true
        """
            .formatted(id));
    RestoreRequest done = osb.awaitRestoreEnd("unsigned-trusted");
    assertThat(done.getStatus().getPhase())
        .as(done.getStatus().getMessage())
        .isEqualTo(RestorePhase.Succeeded);
    assertThat(osb.db.tableChecksums("unsigned_copy"))
        .isEqualTo(osb.db.tableChecksums("unsigned_db"));

    // the break-glass command, too, with the keys at hand
    Path keys = work.resolve("unsigned-keys.yaml");
    Files.writeString(
        keys,
        Serialization.asYaml(
            osb.client.secrets().inNamespace(NS).withName("primary-manifest-signing").get()));
    BreakGlassIT.Outcome cliRefused =
        cli(
            "--signing-keys",
            keys.toString(),
            "--database",
            "unsigned_db=unsigned_cli",
            "--backup-id",
            id);
    assertThat(cliRefused.code()).isEqualTo(1);
    assertThat(cliRefused.err()).contains("ManifestUnsigned").contains("--allow-unsigned-manifest");
    assertThat(osb.db.column("SHOW DATABASES LIKE 'unsigned_cli'")).isEmpty();
    BreakGlassIT.Outcome cliTrusted =
        cli(
            "--signing-keys",
            keys.toString(),
            "--database",
            "unsigned_db=unsigned_cli",
            "--backup-id",
            id,
            "--allow-unsigned-manifest");
    assertThat(cliTrusted.code()).as(cliTrusted.err()).isZero();
    assertThat(osb.db.tableChecksums("unsigned_cli"))
        .isEqualTo(osb.db.tableChecksums("unsigned_db"));
  }

  @Test
  void noAgentJobMayMountTheSigningSecretAsADatabaseLogin() {
    osb.seed("exposed_db");
    osb.apply(
        osb.policy(
            "exposed",
            osb.databases("exposed_db").replace("backup-db", "primary-manifest-signing")));
    BackupRun run = osb.backup("exposed", "exposed-1");
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().condition("Complete").orElseThrow().getReason())
        .isEqualTo("SigningKeyExposed");
    assertThat(run.getStatus().getMessage())
        .contains("spec.databases[galera].credentialsSecret")
        .contains("primary-manifest-signing");
    assertThat(
            osb.client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RUN_LABEL, "exposed-1")
                .list()
                .getItems())
        .isEmpty();

    osb.apply(osb.policy("exposed-ok", osb.databases("exposed_db")));
    BackupRun good = osb.backup("exposed-ok", "exposed-ok-1");
    assertThat(good.getStatus().getPhase())
        .as(good.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    osb.restore(
        "exposed-restore",
        """
        source: {backupRunRef: {name: exposed-ok-1}}
        databases:
          renames: {exposed_db: exposed_copy}
          into: {host: 127.0.0.1, port: %d, credentialsSecret: {name: primary-manifest-signing}}
        """
            .formatted(osb.db.port()));
    RestoreRequest refused = osb.awaitRestoreEnd("exposed-restore");
    assertThat(refused.getStatus().getPhase()).isEqualTo(RestorePhase.Failed);
    assertThat(
            refused.getStatus().condition(RestoreRequestStatus.COMPLETE).orElseThrow().getReason())
        .isEqualTo("SigningKeyExposed");
    assertThat(refused.getStatus().getMessage()).contains("spec.databases.into.credentialsSecret");
    assertThat(
            osb.client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RESTORE_LABEL, "exposed-restore")
                .list()
                .getItems())
        .isEmpty();
  }

  @Test
  void aStoreWhoseSigningSecretIsMissingSaysSoAndNothingIsBackedUp() {
    osb.apply(
        Serialization.unmarshal(
            """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupStore
        metadata: {name: nokey, namespace: %s}
        spec:
          signingKeySecret: {name: nokey-signing}
          s3: {endpoint: "%s", bucket: %s, region: %s, prefix: nokey, forcePathStyle: true,
               credentialsSecret: {name: backup-s3}}
        """
                .formatted(NS, osb.s3.endpoint(), LocalOsbackup.BUCKET, osb.s3.region()),
            BackupStore.class));
    BackupStore store =
        osb.awaitFinal(
            BackupStore.class,
            "nokey",
            s ->
                s.getStatus() != null
                    && s.getStatus().condition(BackupStoreStatus.MANIFEST_SIGNING).isPresent());
    var signing = store.getStatus().condition(BackupStoreStatus.MANIFEST_SIGNING).orElseThrow();
    assertThat(signing.getStatus()).isEqualTo("False");
    assertThat(signing.getReason()).isEqualTo("SigningKeyNotFound");
    assertThat(signing.getMessage())
        .contains("spec.signingKeySecret")
        .contains("nokey-signing")
        .contains("openssl rand");
    assertThat(osb.client.secrets().inNamespace(NS).withName("nokey-signing").get())
        .as("a Secret the user names is never made up")
        .isNull();

    osb.seed("nokey_db");
    osb.apply(
        Serialization.unmarshal(
            """
        apiVersion: osbackup.io/v1alpha1
        kind: BackupPolicy
        metadata: {name: nokey, namespace: %s}
        spec:
          storeRef: {name: nokey}
        %s
        """
                .formatted(NS, osb.databases("nokey_db").indent(2)),
            io.osbackup.api.v1alpha1.BackupPolicy.class));
    BackupRun run = osb.backup("nokey", "nokey-1");
    assertThat(run.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
    assertThat(run.getStatus().condition("Complete").orElseThrow().getReason())
        .isEqualTo("SigningKeyNotFound");
    assertThat(run.getStatus().getMessage()).contains("nokey-signing");
    assertThat(osb.eventsOf(run)).anySatisfy(e -> assertThat(e).startsWith("SigningKeyNotFound"));
    assertThat(
            osb.client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(Api.RUN_LABEL, "nokey-1")
                .list()
                .getItems())
        .isEmpty();
  }

  @Test
  void aRotatedKeySignsNewBackupsAndTheOldKeyKeepsOldOnesVerifiable() throws Exception {
    osb.seed("rot_db");
    osb.apply(osb.policy("rot", osb.databases("rot_db")));
    BackupRun old = osb.backup("rot", "rot-1");
    assertThat(old.getStatus().getPhase())
        .as(old.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    Secret original =
        osb.client.secrets().inNamespace(NS).withName("primary-manifest-signing").get();
    Map<String, String> before = Map.copyOf(original.getData());
    String oldKey = signedWith(old);
    try {
      // step 1 and 2 of the rotation: add the new key, make it primary
      Map<String, String> data = new LinkedHashMap<>(before);
      data.put("k2", b64("a-new-key-of-at-least-32-bytes-000000"));
      data.put("primary", b64("k2"));
      setSigningData(data);
      BackupRun fresh = osb.backup("rot", "rot-2");
      assertThat(fresh.getStatus().getPhase())
          .as(fresh.getStatus().getMessage())
          .isEqualTo(RunPhase.Succeeded);
      assertThat(signedWith(fresh)).isEqualTo("k2");

      osb.restore(
          "rot-old",
          """
          source: {backupRunRef: {name: rot-1}}
          databases: {renames: {rot_db: rot_old}}
          """);
      RestoreRequest done = osb.awaitRestoreEnd("rot-old");
      assertThat(done.getStatus().getPhase())
          .as(done.getStatus().getMessage())
          .isEqualTo(RestorePhase.Succeeded);

      // an old key removed too early: the old backup names a key no longer held, and the message
      // says which
      data.remove(oldKey);
      setSigningData(data);
      osb.restore(
          "rot-old-gone",
          """
          source: {backupRunRef: {name: rot-1}}
          databases: {renames: {rot_db: rot_gone}}
          """);
      RestoreRequest refused = osb.awaitRestoreEnd("rot-old-gone");
      assertThat(refused.getStatus().getPhase()).isEqualTo(RestorePhase.Failed);
      assertThat(
              refused
                  .getStatus()
                  .condition(RestoreRequestStatus.COMPLETE)
                  .orElseThrow()
                  .getReason())
          .isEqualTo("ManifestKeyUnknown");
      assertThat(refused.getStatus().getMessage())
          .contains("'" + oldKey + "'")
          .contains("primary-manifest-signing");
    } finally {
      setSigningData(new LinkedHashMap<>(before));
    }
  }

  @Test
  void agentJobsUseCredentialsOfTheirOwnForBackupAndRestore() throws Exception {
    Assumptions.assumeTrue(
        osb.s3.agentCredentials().isPresent(), "the S3 server has a second user");
    var agent = osb.s3.agentCredentials().get();
    osb.apply(
        osb.secret(
            "backup-s3-agent",
            Map.of("accessKey", agent.accessKey(), "secretKey", agent.secretKey())));
    osb.apply(
        osb.secret(
            "backup-s3-wrong", Map.of("accessKey", agent.accessKey(), "secretKey", "not-the-key")));
    osb.seed("agent_db");
    osb.apply(osb.policy("agent", osb.databases("agent_db")));
    try {
      withAgentSecret("backup-s3-agent");
      osb.awaitFinal(
          BackupStore.class,
          LocalOsbackup.STORE,
          s ->
              s.getStatus() != null
                  && s.getStatus()
                      .condition(BackupStoreStatus.AGENT_CREDENTIALS)
                      .map(c -> "True".equals(c.getStatus()))
                      .orElse(false));

      BackupRun run = osb.backup("agent", "agent-1");
      assertThat(run.getStatus().getPhase())
          .as(run.getStatus().getMessage())
          .isEqualTo(RunPhase.Succeeded);
      assertThat(
              secretsOf(
                  osb.client
                      .batch()
                      .v1()
                      .jobs()
                      .inNamespace(NS)
                      .withLabel(Api.RUN_LABEL, "agent-1")
                      .list()
                      .getItems()))
          .contains("backup-s3-agent")
          .doesNotContain("backup-s3", "primary-manifest-signing");

      osb.restore(
          "agent-restore",
          """
          source: {backupRunRef: {name: agent-1}}
          databases: {renames: {agent_db: agent_copy}}
          """);
      RestoreRequest done = osb.awaitRestoreEnd("agent-restore");
      assertThat(done.getStatus().getPhase())
          .as(done.getStatus().getMessage())
          .isEqualTo(RestorePhase.Succeeded);
      assertThat(
              secretsOf(
                  osb.client
                      .batch()
                      .v1()
                      .jobs()
                      .inNamespace(NS)
                      .withLabel(Api.RESTORE_LABEL, "agent-restore")
                      .list()
                      .getItems()))
          .contains("backup-s3-agent")
          .doesNotContain("backup-s3");
      assertThat(osb.db.tableChecksums("agent_copy")).isEqualTo(osb.db.tableChecksums("agent_db"));

      // the agents really use that Secret: with a wrong key there, the operator's own keys do not
      // help them
      withAgentSecret("backup-s3-wrong");
      BackupRun denied = osb.backup("agent", "agent-2");
      assertThat(denied.getStatus().getPhase()).isEqualTo(RunPhase.Failed);
      assertThat(denied.getStatus().getMessage()).containsIgnoringCase("denied");
    } finally {
      withAgentSecret(null);
    }
  }

  @Test
  void theBreakGlassRestoreVerifiesWithTheSigningSecretsManifestAndRefusesARewrittenOne()
      throws Exception {
    osb.seed("bgsig_db");
    osb.apply(osb.policy("bgsig", osb.databases("bgsig_db")));
    BackupRun good = osb.backup("bgsig", "bgsig-1");
    osb.db.execute("UPDATE bgsig_db.hosts SET name = 'attacker'");
    BackupRun evil = osb.backup("bgsig", "bgsig-2");
    assertThat(evil.getStatus().getPhase()).isEqualTo(RunPhase.Succeeded);
    String id = good.getStatus().getBackupId();
    // the admin's off-site copy of the signing Secret
    Path keys = work.resolve("primary-manifest-signing.yaml");
    Files.writeString(
        keys,
        Serialization.asYaml(
            osb.client.secrets().inNamespace(NS).withName("primary-manifest-signing").get()));

    BreakGlassIT.Outcome verified =
        cli(
            "--signing-keys",
            keys.toString(),
            "--database",
            "bgsig_db=bgsig_good",
            "--backup-id",
            id);
    assertThat(verified.code()).as(verified.err()).isZero();
    assertThat(verified.out()).contains("manifest of " + id + " verified");

    BreakGlassIT.Outcome noKeys = cli("--database", "bgsig_db=bgsig_nokeys", "--backup-id", id);
    assertThat(noKeys.code()).isEqualTo(1);
    assertThat(noKeys.err())
        .contains("ManifestKeyUnknown")
        .contains("--signing-keys")
        .contains("--allow-unsigned-manifest")
        .contains("nothing was changed");

    swapArtifact(good, evil);
    BreakGlassIT.Outcome refused =
        cli(
            "--signing-keys",
            keys.toString(),
            "--database",
            "bgsig_db=bgsig_evil",
            "--backup-id",
            id);
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err())
        .contains("ManifestSignatureInvalid")
        .contains(id)
        .contains("nothing was changed");
    assertThat(osb.db.column("SHOW DATABASES LIKE 'bgsig_evil'")).isEmpty();

    BreakGlassIT.Outcome trusted =
        cli(
            "--signing-keys",
            keys.toString(),
            "--database",
            "bgsig_db=bgsig_evil",
            "--backup-id",
            id,
            "--allow-unsigned-manifest");
    assertThat(trusted.code()).as(trusted.err()).isZero();
    assertThat(trusted.err()).contains("warning: ManifestSignatureInvalid");
  }

  static BreakGlassIT.Outcome cli(String... args) throws Exception {
    Path login = Files.createDirectories(work.resolve("cli-login"));
    Files.writeString(login.resolve("username"), osb.db.user());
    Files.writeString(login.resolve("password"), osb.db.password());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    RestoreCommand cmd =
        new RestoreCommand(
            Map.of(
                "OSBACKUP_S3_ACCESS_KEY",
                osb.s3.accessKey(),
                "OSBACKUP_S3_SECRET_KEY",
                osb.s3.secretKey()),
            Clock.systemUTC(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    List<String> all =
        new ArrayList<>(
            List.of(
                "--endpoint",
                osb.s3.endpoint(),
                "--bucket",
                LocalOsbackup.BUCKET,
                "--prefix",
                "prod",
                "--region",
                osb.s3.region(),
                "--namespace",
                NS,
                "--db-host",
                "127.0.0.1",
                "--db-port",
                String.valueOf(osb.db.port()),
                "--db-credentials-dir",
                login.toString()));
    all.addAll(List.of(args));
    int code = new CommandLine(cmd).execute(all.toArray(String[]::new));
    return new BreakGlassIT.Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static String signedWith(BackupRun run) throws Exception {
    String sig = run.getStatus().getManifestKey().replace("manifest.json", "manifest.sig");
    return osb.bucket.getJson(sig, ManifestSignature.class).orElseThrow().keyId();
  }

  static void setSigningData(Map<String, String> data) {
    osb.client
        .secrets()
        .inNamespace(NS)
        .withName("primary-manifest-signing")
        .edit(
            s -> {
              s.setData(data);
              return s;
            });
  }

  static void withAgentSecret(String name) {
    osb.client
        .resources(BackupStore.class)
        .inNamespace(NS)
        .withName(LocalOsbackup.STORE)
        .edit(
            s -> {
              s.getSpec()
                  .getS3()
                  .setAgentCredentialsSecret(name == null ? null : new LocalRef(name));
              return s;
            });
  }

  static List<String> secretsOf(List<Job> jobs) {
    assertThat(jobs).isNotEmpty();
    return jobs.stream()
        .flatMap(j -> j.getSpec().getTemplate().getSpec().getVolumes().stream())
        .filter(v -> v.getSecret() != null)
        .map(v -> v.getSecret().getSecretName())
        .toList();
  }

  static String b64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Puts {@code from}'s artifact in {@code into}'s place and rewrites {@code into}'s manifest to
   * match it.
   */
  static void swapArtifact(BackupRun into, BackupRun from) throws Exception {
    ArtifactStatus target = into.getStatus().getArtifacts().get(0);
    ArtifactStatus source = from.getStatus().getArtifacts().get(0);
    byte[] bytes;
    try (InputStream in = osb.bucket.download(source.getKey())) {
      bytes = in.readAllBytes();
    }
    try (ArtifactUpload upload = osb.bucket.open(target.getKey(), Compression.NONE)) {
      upload.stream().write(bytes);
      upload.finish();
    }
    String key = into.getStatus().getManifestKey();
    Manifest m = osb.bucket.getJson(key, Manifest.class).orElseThrow();
    List<Manifest.Entry> entries = new ArrayList<>();
    for (Manifest.Entry e : m.artifacts()) {
      entries.add(
          e.key().equals(target.getKey())
              ? new Manifest.Entry(
                  e.kind(),
                  e.target(),
                  e.database(),
                  e.node(),
                  e.key(),
                  source.getSize(),
                  e.rawSize(),
                  source.getSha256(),
                  e.compression(),
                  e.files(),
                  e.source(),
                  e.startedAt(),
                  e.finishedAt(),
                  e.warnings())
              : e);
    }
    osb.bucket.putJson(
        key,
        new Manifest(
            m.formatVersion(),
            m.backupId(),
            m.namespace(),
            m.policy(),
            m.run(),
            m.store(),
            m.bucket(),
            m.folder(),
            m.compression(),
            m.startedAt(),
            m.completedAt(),
            m.size(),
            entries));
  }
}
