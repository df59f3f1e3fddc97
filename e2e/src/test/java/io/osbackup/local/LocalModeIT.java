package io.osbackup.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's local-mode command takes a whole control-plane backup with embedded defaults. */
class LocalModeIT {

  @TempDir Path work;

  @Test
  void takesAFirstBackupOfTheSampleControlPlane() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    int code =
        new CommandLine(new LocalMode(out)).execute("--once", "--work-dir=" + work.resolve("local"));
    String printed = buffer.toString(StandardCharsets.UTF_8);
    assertThat(code).as(printed).isZero();
    assertThat(printed)
        .contains("Succeeded  6/6 jobs, 13 artifacts")
        .contains("/db/galera/nova_api.sql.gz")
        .contains("/files/swift-rings/controller-1.tar.gz")
        .contains("RestoreRequest openstack/local-nova-copy")
        .contains("Succeeded  restored 2 artifacts")
        .contains("/nova_restored")
        .contains("controller-1:/var/tmp/osbackup-restore/etc/keystone")
        .doesNotContain("FAILED");
  }
}
