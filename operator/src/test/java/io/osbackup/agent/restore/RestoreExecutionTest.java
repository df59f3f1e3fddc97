package io.osbackup.agent.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.agent.files.MountTable;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How an agent reports an archive it refuses (ArchiveRefused naming the entry, at verify and at
 * restore), and the setuid bits of root's files it removes unless the plan says to keep them.
 */
class RestoreExecutionTest {

  static final String KEY = "prod/openstack/p/p-20261121-020000/files/nova-config/compute-1.tar.gz";

  @TempDir Path tmp;

  /**
   * A gzip tar holding /etc/nova and an entry that climbs out of it, with its true size and
   * SHA-256.
   */
  static byte[] climbingArchive() throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(raw, "UTF-8")) {
      TarArchiveEntry dir = new TarArchiveEntry("etc/nova/", TarConstants.LF_DIR);
      dir.setMode(0755);
      tar.putArchiveEntry(dir);
      tar.closeArchiveEntry();
      byte[] bytes = "evil\n".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry evil = new TarArchiveEntry("etc/nova/../../root/.ssh/authorized_keys");
      evil.setSize(bytes.length);
      evil.setMode(0644);
      tar.putArchiveEntry(evil);
      tar.write(bytes);
      tar.closeArchiveEntry();
    }
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(raw.toByteArray());
    }
    return gz.toByteArray();
  }

  RestorePlan plan(String mode, byte[] stored) throws Exception {
    return plan(mode, stored, null);
  }

  RestorePlan plan(String mode, byte[] stored, Boolean restoreSetuid) throws Exception {
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(stored));
    RestorePlan.FilesItem item =
        new RestorePlan.FilesItem(
            new RestorePlan.Artifact(KEY, stored.length, sha256, "gzip"),
            "nova-config",
            "compute-1",
            List.of("/etc/nova"),
            null,
            "/host",
            restoreSetuid);
    return new RestorePlan(
        "job",
        "req",
        "p-20261121-020000",
        "report",
        null,
        mode,
        "20261121-031500",
        List.of(),
        List.of(item));
  }

  RestoreExecution execution(byte[] stored, Path node) {
    return new RestoreExecution(
        key -> new ByteArrayInputStream(stored),
        new DatabaseRestorer("mariadb"),
        MountTable.of(Map.of("/host", node.toString())),
        dir -> {
          throw new IOException("no databases here");
        },
        line -> {},
        line -> {});
  }

  @Test
  void verifyReportsARefusedArchiveAsArchiveRefusedNamingTheEntry() throws Exception {
    byte[] stored = climbingArchive();
    Path node = Files.createDirectories(tmp.resolve("node"));

    assertThatThrownBy(
            () ->
                execution(stored, node).verify(plan(RestorePlan.VERIFY, stored), new ArrayList<>()))
        .isInstanceOf(RestoreExecution.Failure.class)
        .satisfies(
            e -> assertThat(((RestoreExecution.Failure) e).reason()).isEqualTo("ArchiveRefused"))
        .hasMessageContaining(KEY)
        .hasMessageContaining(
            "archive entry 'etc/nova/../../root/.ssh/authorized_keys' climbs out with '..'");
  }

  @Test
  void restoreReportsARefusedArchiveAsArchiveRefusedAndWritesNothing() throws Exception {
    byte[] stored = climbingArchive();
    Path node = Files.createDirectories(tmp.resolve("node"));
    Files.createDirectories(node.resolve("etc/nova"));
    Files.writeString(node.resolve("etc/nova/nova.conf"), "kept\n");
    List<RestoreReport.Item> results = new ArrayList<>();

    assertThatThrownBy(
            () -> execution(stored, node).restore(plan(RestorePlan.RESTORE, stored), results))
        .isInstanceOf(RestoreExecution.Failure.class)
        .satisfies(
            e -> assertThat(((RestoreExecution.Failure) e).reason()).isEqualTo("ArchiveRefused"))
        .hasMessageContaining("'etc/nova/../../root/.ssh/authorized_keys'");
    assertThat(results)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.state().value()).isEqualTo("Failed");
              assertThat(r.message()).contains("etc/nova/../../root/.ssh/authorized_keys");
            });
    assertThat(node.resolve("root")).doesNotExist();
    assertThat(Files.readString(node.resolve("etc/nova/nova.conf"))).isEqualTo("kept\n");
    try (var list = Files.list(node.resolve("etc"))) {
      assertThat(list.map(p -> p.getFileName().toString())).containsExactly("nova");
    }
  }

  /** A gzip tar of /etc/nova holding a setuid tool owned by root. */
  static byte[] setuidArchive() throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(raw, "UTF-8")) {
      TarArchiveEntry dir = new TarArchiveEntry("etc/nova/", TarConstants.LF_DIR);
      dir.setMode(0755);
      tar.putArchiveEntry(dir);
      tar.closeArchiveEntry();
      byte[] bytes = "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry tool = new TarArchiveEntry("etc/nova/tool");
      tool.setSize(bytes.length);
      tool.setMode(04755);
      tool.setUserId(0);
      tool.setGroupId(0);
      tar.putArchiveEntry(tool);
      tar.write(bytes);
      tar.closeArchiveEntry();
    }
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(raw.toByteArray());
    }
    return gz.toByteArray();
  }

  @Test
  void setuidBitsOfRootsFilesAreRemovedAndReportedUnlessThePlanKeepsThem() throws Exception {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")), "only root restores files owned by root");
    byte[] stored = setuidArchive();
    Path stripped = Files.createDirectories(tmp.resolve("stripped"));
    Path kept = Files.createDirectories(tmp.resolve("kept"));
    List<RestoreReport.Item> results = new ArrayList<>();

    execution(stored, stripped).restore(plan(RestorePlan.RESTORE, stored), results);
    execution(stored, kept).restore(plan(RestorePlan.RESTORE, stored, true), results);

    assertThat(Files.getAttribute(stripped.resolve("etc/nova/tool"), "unix:mode"))
        .isEqualTo(0100755);
    assertThat(Files.getAttribute(kept.resolve("etc/nova/tool"), "unix:mode")).isEqualTo(0104755);
    assertThat(results.get(0).state().value()).isEqualTo("Restored");
    assertThat(results.get(0).message())
        .isEqualTo(
            "setuid/setgid bits removed from 1 files owned by root: /etc/nova/tool"
                + " (spec.files.restoreSetuid: true, or --restore-setuid, restores them)");
    assertThat(results.get(1).message()).isNull();
  }
}
