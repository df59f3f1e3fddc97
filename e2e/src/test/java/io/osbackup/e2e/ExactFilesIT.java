package io.osbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RestorePhase;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.api.v1alpha1.RunPhase;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A files target with hard links, sparse files and nanosecond mtimes, backed up by the real agent
 * into the real S3 server and restored in place by a RestoreRequest: links, holes and times come
 * back as they were.
 */
class ExactFilesIT {

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

  @Test
  void hardLinksHolesAndNanosecondTimesSurviveTheRoundTrip() throws Exception {
    Path node = osb.cluster.nodes().root("compute-1");
    Path glance = Files.createDirectories(node.resolve("var/lib/glance"));
    Files.writeString(glance.resolve("glance-api.conf"), "[DEFAULT]\nbind_port = 9292\n");
    Files.createDirectories(glance.resolve("backup"));
    Files.createLink(glance.resolve("backup/glance-api.conf"), glance.resolve("glance-api.conf"));
    Files.createLink(glance.resolve("zz-same.conf"), glance.resolve("glance-api.conf"));
    Path ephemeral = glance.resolve("ephemeral.img"); // above the agent's re-read limit
    try (RandomAccessFile f = new RandomAccessFile(ephemeral.toFile(), "rw")) {
      f.setLength(96L << 20);
      f.write("boot sector".getBytes(StandardCharsets.UTF_8));
      f.seek(50L << 20);
      f.write("middle".getBytes(StandardCharsets.UTF_8));
    }
    Path small = glance.resolve("small.img");
    try (RandomAccessFile f = new RandomAccessFile(small.toFile(), "rw")) {
      f.setLength(2L << 20);
      f.seek((2L << 20) - 4);
      f.write("tail".getBytes(StandardCharsets.UTF_8));
    }
    long nanos = 123_456_789;
    try (Stream<Path> all = Files.walk(glance)) {
      for (Path p : all.sorted().toList()) {
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setTimes(FileTime.from(Instant.ofEpochSecond(1_709_258_400L, nanos++)), null, null);
      }
    }
    Map<String, String> atBackup = describe(glance);
    byte[] ephemeralBytes = Files.readAllBytes(ephemeral);

    osb.apply(
        osb.policy(
            "exact",
            """
        files:
          - name: glance-state
            nodeSelector: {openstack-role: compute}
            paths: [/var/lib/glance]
        """));
    BackupRun run = osb.backup("exact", "exact-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    assertThat(run.getStatus().getArtifacts())
        .singleElement()
        .satisfies(a -> assertThat(a.getSize()).as("holes are not stored").isLessThan(1L << 20));
    String id = run.getStatus().getBackupId();

    Files.writeString(glance.resolve("glance-api.conf"), "broken"); // all three names see it
    Files.delete(small);

    osb.restore(
        "exact-restore",
        """
        source: {backupRunRef: {name: exact-1}}
        files:
          include: [{target: glance-state, nodes: [compute-1]}]
        confirm: %s
        """
            .formatted(id));
    RestoreRequest done = osb.awaitRestoreEnd("exact-restore");
    assertThat(done.getStatus().getPhase())
        .as(done.getStatus().getMessage())
        .isEqualTo(RestorePhase.Succeeded);

    assertThat(describe(glance)).isEqualTo(atBackup);
    assertThat(Files.getAttribute(glance.resolve("glance-api.conf"), "unix:ino"))
        .isEqualTo(Files.getAttribute(glance.resolve("backup/glance-api.conf"), "unix:ino"))
        .isEqualTo(Files.getAttribute(glance.resolve("zz-same.conf"), "unix:ino"));
    assertThat(Files.readAllBytes(ephemeral)).isEqualTo(ephemeralBytes);
    Path kept = node.resolve("var/lib/glance.orig-" + done.getStatus().getStamp());
    assertThat(Files.readString(kept.resolve("zz-same.conf"))).isEqualTo("broken");
  }

  /**
   * Every path below {@code root}: type, size, link count, allocated bytes (rounded up to 64 KiB)
   * and mtime to the nanosecond; for files, whether they share an inode with an earlier path.
   */
  private static Map<String, String> describe(Path root) throws IOException, InterruptedException {
    Map<String, String> out = new TreeMap<>();
    Map<Object, String> inodes = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted().toList()) {
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        String name = root.relativize(p).toString();
        boolean file = (Boolean) a.get("isRegularFile");
        String sameAs = file ? inodes.putIfAbsent(String.valueOf(a.get("ino")), name) : null;
        out.put(
            name,
            String.format(
                "%s size=%d links=%s allocated<=%dKiB mtime=%s%s",
                file ? "file" : "dir",
                file ? (Long) a.get("size") : 0,
                a.get("nlink"),
                file ? (allocated(p) + 65535) / 65536 * 64 : 0,
                a.get("lastModifiedTime"),
                sameAs == null ? "" : " same inode as " + sameAs));
      }
    }
    return out;
  }

  private static long allocated(Path path) throws IOException, InterruptedException {
    Process stat = new ProcessBuilder("stat", "-c", "%b", path.toString()).start();
    String blocks = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(stat.waitFor()).isZero();
    return Long.parseLong(blocks) * 512;
  }
}
