package io.osbackup.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.testbed.SimulatedNodes;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Local mode applies the samples as they stand but for the addresses and logins of its own servers.
 */
class SampleOverlayTest {

  private static final Path SAMPLES = LocalMode.samplesDir();

  private static SampleOverlay.Local local(List<String> databases, String prefix) {
    return new SampleOverlay.Local(
        "http://127.0.0.1:9000",
        "us-east-1",
        "local-bucket",
        prefix,
        "AK-local",
        "SK-local-secret",
        "127.0.0.1",
        33306,
        "backup",
        "db-Pw-local",
        databases,
        "*/5 * * * *");
  }

  @Test
  void thePolicyKeepsEverythingButItsDatabaseAddressAndSchedule() throws Exception {
    SampleOverlay.Overlaid overlaid =
        new SampleOverlay(local(null, null)).read(SAMPLES.resolve(LocalMode.POLICY_SAMPLE), null);

    BackupPolicy original = original(LocalMode.POLICY_SAMPLE, BackupPolicy.class);
    BackupPolicy policy = only(overlaid, BackupPolicy.class);
    assertThat(policy.getSpec().getDatabases().get(0).getHost()).isEqualTo("127.0.0.1");
    assertThat(policy.getSpec().getDatabases().get(0).getPort()).isEqualTo(33306);
    assertThat(policy.getSpec().getSchedule()).isEqualTo("*/5 * * * *");
    original.getSpec().getDatabases().get(0).setHost("127.0.0.1");
    original.getSpec().getDatabases().get(0).setPort(33306);
    original.getSpec().setSchedule("*/5 * * * *");
    assertThat(Serialization.asYaml(policy.getSpec()))
        .isEqualTo(Serialization.asYaml(original.getSpec()));

    Secret login = only(overlaid, Secret.class);
    assertThat(decoded(login, "password")).isEqualTo("db-Pw-local");
    assertThat(decoded(login, "username")).isEqualTo("backup");
    assertThat(overlaid.changes())
        .contains(
            "BackupPolicy control-plane-daily: spec.databases[0].host openstack-galera.openstack.svc -> 127.0.0.1",
            "BackupPolicy control-plane-daily: spec.databases[0].port 3306 -> 33306",
            "BackupPolicy control-plane-daily: spec.schedule 0 2 * * * -> */5 * * * *",
            "Secret backup-db: username, password from local mode's servers");
    assertThat(String.join("\n", overlaid.changes())).doesNotContain("db-Pw-local");
  }

  @Test
  void theStorePointsAtTheLocalBucketAndOnlyAnExistingServerGetsItsOwnPrefix() throws Exception {
    BackupStore store =
        only(
            new SampleOverlay(local(null, null))
                .read(SAMPLES.resolve(LocalMode.STORE_SAMPLE), null),
            BackupStore.class);
    assertThat(store.getSpec().getS3().getEndpoint()).isEqualTo("http://127.0.0.1:9000");
    assertThat(store.getSpec().getS3().getBucket()).isEqualTo("local-bucket");
    assertThat(store.getSpec().getS3().getPrefix()).isEqualTo("prod");

    SampleOverlay.Overlaid existing =
        new SampleOverlay(local(List.of(), "osbackup-local"))
            .read(SAMPLES.resolve(LocalMode.STORE_SAMPLE), null);
    assertThat(only(existing, BackupStore.class).getSpec().getS3().getPrefix())
        .isEqualTo("osbackup-local");
    Secret keys = only(existing, Secret.class);
    assertThat(decoded(keys, "accessKey")).isEqualTo("AK-local");
    assertThat(decoded(keys, "secretKey")).isEqualTo("SK-local-secret");
    assertThat(String.join("\n", existing.changes()))
        .doesNotContain("SK-local-secret")
        .doesNotContain("AK-local");
  }

  @Test
  void anEmptyDatabaseListBacksUpEveryUserDatabase() throws Exception {
    SampleOverlay.Overlaid overlaid =
        new SampleOverlay(local(List.of(), "p"))
            .read(SAMPLES.resolve(LocalMode.POLICY_SAMPLE), null);
    assertThat(only(overlaid, BackupPolicy.class).getSpec().getDatabases().get(0).getInclude())
        .isEmpty();
    assertThat(overlaid.changes())
        .contains(
            "BackupPolicy control-plane-daily: spec.databases[0].include -> []"
                + " (every user database)");
  }

  @Test
  void aRestoreByIdGetsTheBackupLocalModeTookAndOneByRunIsUntouched() throws Exception {
    SampleOverlay overlay = new SampleOverlay(local(null, null));
    RestoreRequest byId =
        only(overlay.read(SAMPLES.resolve(LocalMode.DRY_RUN_SAMPLE), "b-1"), RestoreRequest.class);
    assertThat(byId.getSpec().getSource().getBackupId()).isEqualTo("b-1");
    assertThat(byId.getSpec().getDryRun()).isTrue();

    SampleOverlay.Overlaid byRun = overlay.read(SAMPLES.resolve(LocalMode.RESTORE_SAMPLE), "b-1");
    assertThat(byRun.changes()).isEmpty();
    assertThat(Serialization.asYaml(only(byRun, RestoreRequest.class).getSpec()))
        .isEqualTo(
            Serialization.asYaml(
                original(LocalMode.RESTORE_SAMPLE, RestoreRequest.class).getSpec()));
  }

  /**
   * {@code kubectl apply -f samples/01-backupstore-swift.yaml} again, unchanged: the create, update
   * or merge patch carries the sample's placeholders, and local mode's endpoint and logins are
   * kept; a value changed on purpose passes.
   */
  @Test
  void reapplyingTheStoreSampleUnchangedKeepsLocalModesEndpointAndLogins() throws Exception {
    SampleOverlay overlay = new SampleOverlay(local(null, null));
    overlay.read(SAMPLES.resolve(LocalMode.STORE_SAMPLE), null);

    ObjectMapper json = new ObjectMapper();
    ObjectNode store =
        (ObjectNode)
            json.readTree(
                Serialization.asJson(original(LocalMode.STORE_SAMPLE, BackupStore.class)));
    List<String> changes = overlay.reapply("BackupStore", "swift", store);
    assertThat(store.at("/spec/s3/endpoint").asText()).isEqualTo("http://127.0.0.1:9000");
    assertThat(store.at("/spec/s3/bucket").asText()).isEqualTo("local-bucket");
    assertThat(changes)
        .contains("BackupStore swift: /spec/s3/endpoint of the sample kept as local mode's");

    ObjectNode patch =
        (ObjectNode)
            json.readTree(
                "{\"spec\":{\"s3\":{\"endpoint\":\"http://swift-proxy.openstack.svc:8080\",\"prefix\":\"prod\"}}}");
    overlay.reapply("BackupStore", "swift", patch);
    assertThat(patch.at("/spec/s3/endpoint").asText()).isEqualTo("http://127.0.0.1:9000");

    ObjectNode elsewhere =
        (ObjectNode) json.readTree("{\"spec\":{\"s3\":{\"endpoint\":\"http://10.0.0.5:8080\"}}}");
    assertThat(overlay.reapply("BackupStore", "swift", elsewhere)).isEmpty();
    assertThat(elsewhere.at("/spec/s3/endpoint").asText()).isEqualTo("http://10.0.0.5:8080");
    assertThat(overlay.reapply("BackupStore", "other", patch.deepCopy()))
        .as("another store")
        .isEmpty();

    ObjectNode secret =
        (ObjectNode)
            json.readTree(
                "{\"stringData\":{\"accessKey\":\"REPLACE-WITH-EC2-ACCESS-KEY\",\"secretKey\":\"REPLACE-WITH-EC2-SECRET-KEY\"}}");
    List<String> secretChanges = overlay.reapply("Secret", "swift-s3-credentials", secret);
    assertThat(secret.at("/stringData/accessKey").asText()).isEqualTo("AK-local");
    assertThat(secret.at("/stringData/secretKey").asText()).isEqualTo("SK-local-secret");
    assertThat(String.join("\n", secretChanges))
        .doesNotContain("SK-local-secret")
        .doesNotContain("REPLACE");
  }

  @Test
  void aNodeDirGetsAFilesTargetOfItsOwnOnThatNode() throws Exception {
    SampleOverlay.Overlaid overlaid =
        new SampleOverlay(local(null, null))
            .withNodePaths(Map.of("controller-1", List.of("/etc/octavia")))
            .read(SAMPLES.resolve(LocalMode.POLICY_SAMPLE), null);
    var files = only(overlaid, BackupPolicy.class).getSpec().getFiles();
    var added = files.get(files.size() - 1);
    assertThat(added.getName()).isEqualTo("local-controller-1");
    assertThat(added.getNodeSelector())
        .isEqualTo(Map.of(SimulatedNodes.HOSTNAME_LABEL, "controller-1"));
    assertThat(added.getPaths()).containsExactly("/etc/octavia");
    assertThat(files)
        .hasSize(
            original(LocalMode.POLICY_SAMPLE, BackupPolicy.class).getSpec().getFiles().size() + 1);
    assertThat(overlaid.changes())
        .contains(
            "BackupPolicy control-plane-daily: spec.files + local-controller-1 on node controller-1:"
                + " [/etc/octavia] (--node-dir)");
  }

  private static <T> T original(String sample, Class<T> type) throws Exception {
    try (InputStream in = Files.newInputStream(SAMPLES.resolve(sample))) {
      Object loaded = Serialization.unmarshal(in);
      List<?> all = loaded instanceof List<?> list ? list : List.of(loaded);
      Object match =
          all.stream()
              .filter(
                  o ->
                      o instanceof io.fabric8.kubernetes.api.model.HasMetadata h
                          && h.getKind().equals(type.getSimpleName()))
              .findFirst()
              .orElseThrow();
      return Serialization.unmarshal(Serialization.asJson(match), type);
    }
  }

  private static <T> T only(SampleOverlay.Overlaid overlaid, Class<T> type) {
    return overlaid.objects().stream()
        .filter(type::isInstance)
        .map(type::cast)
        .findFirst()
        .orElseThrow();
  }

  private static String decoded(Secret secret, String key) {
    assertThat(secret.getData()).as("the sample's placeholders are gone").isNullOrEmpty();
    return secret.getStringData().get(key);
  }
}
