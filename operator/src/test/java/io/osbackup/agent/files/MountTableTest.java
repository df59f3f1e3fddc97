package io.osbackup.agent.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class MountTableTest {

  @Test
  void identityResolvesEveryPathToItself() {
    assertThat(MountTable.identity().resolve("/host/etc/nova"))
        .isEqualTo(Path.of("/host/etc/nova"));
    assertThat(MountTable.fromEnv(Map.of()).resolve("/dev/termination-log"))
        .isEqualTo(Path.of("/dev/termination-log"));
  }

  @Test
  void longestMountPrefixWins() {
    MountTable mounts =
        MountTable.of(
            Map.of(
                "/host", "/tmp/node-a",
                "/host/etc/nova", "/tmp/nova-conf",
                "/dev/termination-log", "/tmp/job/termination-log"));

    assertThat(mounts.resolve("/host/etc/nova/nova.conf"))
        .isEqualTo(Path.of("/tmp/nova-conf/nova.conf"));
    assertThat(mounts.resolve("/host/etc/nova")).isEqualTo(Path.of("/tmp/nova-conf"));
    assertThat(mounts.resolve("/host/etc/swift")).isEqualTo(Path.of("/tmp/node-a/etc/swift"));
    assertThat(mounts.resolve("/dev/termination-log"))
        .isEqualTo(Path.of("/tmp/job/termination-log"));
  }

  @Test
  void prefixesMatchWholePathComponentsOnly() {
    MountTable mounts = MountTable.of(Map.of("/host", "/tmp/node-a"));

    assertThat(mounts.resolve("/hostile/x")).isEqualTo(Path.of("/hostile/x"));
    assertThat(mounts.resolve("/host/../etc/passwd")).isEqualTo(Path.of("/etc/passwd"));
  }

  @Test
  void readsTheTableFromTheEnvironment() {
    MountTable mounts =
        MountTable.fromEnv(Map.of(MountTable.ENV, "{\"/var/run/osbackup/store\": \"/tmp/creds\"}"));

    assertThat(mounts.resolve("/var/run/osbackup/store/accessKey"))
        .isEqualTo(Path.of("/tmp/creds/accessKey"));
  }

  @Test
  void rejectsMalformedTables() {
    assertThatThrownBy(() -> MountTable.fromEnv(Map.of(MountTable.ENV, "[1,2]")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(MountTable.ENV);
    assertThatThrownBy(() -> MountTable.of(Map.of("host", "/tmp/x")))
        .hasMessageContaining("mount path must be absolute: 'host'");
    assertThatThrownBy(() -> MountTable.identity().resolve("etc/nova"))
        .hasMessageContaining("must be absolute");
  }

  @Test
  void onlyPathsBelowAMountAreMountedExceptInARealPod() {
    MountTable table = MountTable.of(Map.of("/host/var/tmp/restore", "/tmp/node/var/tmp/restore"));
    Assertions.assertThat(table.mounted("/host/var/tmp/restore/etc")).isTrue();
    Assertions.assertThat(table.mounted("/host/var")).isFalse();
    Assertions.assertThat(MountTable.identity().mounted("/host/var")).isTrue();
  }
}
