package io.osbackup.agent.restore.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.agent.files.FilesBackup;
import io.osbackup.agent.files.MountTable;
import io.osbackup.agent.restore.ArtifactMismatchException;
import io.osbackup.agent.restore.VerifiedStream;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesRestorerTest {

  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
  private static final String TS = "20261121-031500";
  private static final FilesRestorer.BeforeSwap NO_CHECK = () -> {};

  @TempDir Path tmp;
  private Path node;
  private MountTable mounts;
  private final List<String> notes = new ArrayList<>();

  /** A node with /etc/nova and /var/lib/nova as they were at backup time. */
  @BeforeEach
  void node() throws Exception {
    node = Files.createDirectories(tmp.resolve("node"));
    mounts = MountTable.of(Map.of("/host", node.toString()));
    Path nova = Files.createDirectories(node.resolve("etc/nova"));
    file(nova.resolve("nova.conf"), "[DEFAULT]\ndebug = false\n", "rw-r-----");
    file(nova.resolve("secret.key"), "s3cr3t\n", "rw-------");
    Files.createDirectories(nova.resolve("bin"));
    file(nova.resolve("bin/run.sh"), "#!/bin/sh\nexec nova-api\n", "rwxr-xr-x");
    Path policy = Files.createDirectories(nova.resolve("policy.d/deep/deeper"));
    file(policy.resolve("rule.yaml"), "rule: allow\n", "rw-r--r--");
    Files.createDirectories(nova.resolve("empty"));
    Path readOnly = Files.createDirectories(nova.resolve("read-only"));
    file(readOnly.resolve("inside.conf"), "inside\n", "r--r--r--");
    Files.createSymbolicLink(nova.resolve("relative-link"), Path.of("nova.conf"));
    Files.createSymbolicLink(nova.resolve("absolute-link"), Path.of("/etc/nova/nova.conf"));
    Files.createSymbolicLink(nova.resolve("dangling-link"), Path.of("/nonexistent/x"));
    Files.createSymbolicLink(nova.resolve("dir-link"), Path.of("policy.d"));
    file(nova.resolve("setuid-tool"), "tool\n", "rwxr-xr-x");
    if (ROOT) {
      chown(nova.resolve("nova.conf"), 4242, 4343);
      chown(nova.resolve("secret.key"), 4242, 4242);
      chown(nova.resolve("relative-link"), 4242, 4343);
      chown(nova.resolve("policy.d"), 0, 4343);
      chown(nova, 0, 4343);
      chown(nova.resolve("setuid-tool"), 4242, 4343); // a setuid tool of root's: see setuidBits...
    }
    Files.setAttribute(nova.resolve("setuid-tool"), "unix:mode", 04755);
    Files.setAttribute(nova.resolve("policy.d"), "unix:mode", 02750);
    Files.setPosixFilePermissions(nova, PosixFilePermissions.fromString("rwxr-x---"));
    Files.setPosixFilePermissions(
        nova.resolve("empty"), PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));

    Path lib = Files.createDirectories(node.resolve("var/lib/nova"));
    file(lib.resolve("state.json"), "{}\n", "rw-r-----");
    // Times last: creating children changes a directory's mtime.
    long second = Instant.parse("2024-03-01T02:00:00Z").getEpochSecond();
    try (Stream<Path> all = Files.walk(node)) {
      for (Path p : all.sorted().toList()) {
        setTime(p, FileTime.from(Instant.ofEpochSecond(second++)));
      }
    }
  }

  /** The node as an operator finds it later: /etc/nova edited since the backup. */
  private void edit() throws IOException {
    Path nova = node.resolve("etc/nova");
    Files.writeString(nova.resolve("nova.conf"), "[DEFAULT]\ndebug = true\n");
    Files.writeString(nova.resolve("added-later.conf"), "new\n");
    Files.delete(nova.resolve("secret.key"));
    Files.setPosixFilePermissions(
        nova.resolve("bin/run.sh"), PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(node.resolve("var/lib/nova/state.json"), "{\"changed\": true}\n");
  }

  private byte[] backup(String... paths) throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    new FilesBackup(mounts, notes::add)
        .write(
            new BackupPlan.Files("nova-config", "compute-07", "/host", List.of(paths), List.of()),
            tar);
    return tar.toByteArray();
  }

  private FilesRestorer restorer() {
    return new FilesRestorer(mounts, notes::add);
  }

  private FilesRestorer.Outcome restore(byte[] tar, List<String> units, String toPath)
      throws IOException {
    return restorer().restore(new ByteArrayInputStream(tar), units, "/host", toPath, TS, NO_CHECK);
  }

  @Test
  void restoresTheTreeAsItWasAndKeepsTheEditedOneAside() throws Exception {
    Map<String, String> atBackup = snapshot(node.resolve("etc/nova"));
    Map<String, String> libAtBackup = snapshot(node.resolve("var/lib/nova"));
    byte[] gz = gzip(backup("/etc/nova", "/var/lib/nova"));
    edit();
    Map<String, String> edited = snapshot(node.resolve("etc/nova"));
    Map<String, String> libEdited = snapshot(node.resolve("var/lib/nova"));
    VerifiedStream stored =
        new VerifiedStream(new ByteArrayInputStream(gz), "k", sha256(gz), gz.length);
    AtomicInteger checks = new AtomicInteger();

    FilesRestorer.Outcome outcome =
        restorer()
            .restore(
                Compression.GZIP.decompress(stored),
                List.of("/etc/nova", "/var/lib/nova"),
                "/host",
                null,
                TS,
                () -> {
                  // Nothing is switched before the check: the node still shows the edited tree.
                  assertThat(snapshot(node.resolve("etc/nova"))).isEqualTo(edited);
                  assertThat(node.resolve("etc/.nova.osbackup-restore-" + TS)).isDirectory();
                  checks.incrementAndGet();
                  stored.verify();
                });

    assertThat(checks).hasValue(1);
    assertThat(outcome.units())
        .containsExactly(
            new FilesRestorer.Unit("/etc/nova", "/etc/nova.orig-" + TS),
            new FilesRestorer.Unit("/var/lib/nova", "/var/lib/nova.orig-" + TS));
    assertThat(snapshot(node.resolve("etc/nova"))).isEqualTo(atBackup);
    assertThat(snapshot(node.resolve("var/lib/nova"))).isEqualTo(libAtBackup);
    assertThat(snapshot(node.resolve("etc/nova.orig-" + TS))).isEqualTo(edited);
    assertThat(snapshot(node.resolve("var/lib/nova.orig-" + TS))).isEqualTo(libEdited);
    assertThat(outcome.entries()).isEqualTo(atBackup.size() + libAtBackup.size());
    assertThat(outcome.bytes()).isPositive();
    assertThat(stagingLeft()).isEmpty();
    assertThat(notes).isEmpty();
    if (ROOT) {
      assertThat(atBackup.get("nova.conf")).startsWith("file 0640 4242:4343");
      assertThat(atBackup.get("relative-link")).startsWith("link 0777 4242:4343");
    }
    assertThat(atBackup.get("setuid-tool")).startsWith("file 4755");
    assertThat(atBackup.get("policy.d")).startsWith("dir 2750");
    assertThat(atBackup.get(".")).startsWith("dir 0750");
    assertThat(atBackup.get("read-only")).startsWith("dir 0555");
    assertThat(atBackup.get("empty")).startsWith("dir 0700");
    assertThat(atBackup.get("dangling-link")).endsWith("-> /nonexistent/x");
  }

  /**
   * A file owned by root (user or group) with the setuid or setgid bit comes back without it unless
   * the request asks for it, and is listed; other owners' files and directories keep their bits.
   * (Run as root, as the agent runs; as another user every restored file is that user's and keeps
   * its bits.)
   */
  @Test
  void setuidBitsOfFilesOwnedByRootAreRestoredOnlyWhenAsked() throws Exception {
    Path nova = node.resolve("etc/nova");
    file(nova.resolve("root-tool"), "tool\n", "rwxr-xr-x");
    file(nova.resolve("setgid-tool"), "tool\n", "rwxr-xr-x");
    if (ROOT) {
      chown(nova.resolve("root-tool"), 0, 0);
      chown(nova.resolve("setgid-tool"), 4242, 0);
    }
    Files.setAttribute(nova.resolve("root-tool"), "unix:mode", 04755);
    Files.setAttribute(nova.resolve("setgid-tool"), "unix:mode", 02755);
    for (String p : List.of("root-tool", "setgid-tool", ".")) {
      setTime(nova.resolve(p), FileTime.from(Instant.parse("2024-03-02T00:00:00Z")));
    }
    Map<String, String> atBackup = snapshot(nova);
    byte[] tar = backup("/etc/nova");
    edit();

    FilesRestorer.Outcome stripped = restore(tar, List.of("/etc/nova"), "/srv/default");
    FilesRestorer.Outcome asked =
        new FilesRestorer(mounts, notes::add, true)
            .restore(
                new ByteArrayInputStream(tar),
                List.of("/etc/nova"),
                "/host",
                "/srv/asked",
                TS,
                NO_CHECK);

    Map<String, String> restored = snapshot(node.resolve("srv/default/etc/nova"));
    assertThat(snapshot(node.resolve("srv/asked/etc/nova"))).isEqualTo(atBackup);
    assertThat(asked.setuidRemoved()).isEmpty();
    assertThat(restored.get("policy.d")).startsWith("dir 2750");
    if (ROOT) {
      assertThat(atBackup.get("root-tool")).startsWith("file 4755 0:0");
      assertThat(restored.get("root-tool")).startsWith("file 0755 0:0");
      assertThat(restored.get("setgid-tool")).startsWith("file 0755 4242:0");
      assertThat(restored.get("setuid-tool")).startsWith("file 4755 4242:4343");
      assertThat(stripped.setuidRemoved())
          .containsExactlyInAnyOrder("/etc/nova/root-tool", "/etc/nova/setgid-tool");
      assertThat(notes)
          .singleElement()
          .asString()
          .startsWith("setuid/setgid bits removed from 2 files owned by root: /etc/nova/")
          .contains("/etc/nova/root-tool")
          .endsWith("(set spec.files.restoreSetuid: true, or --restore-setuid, to restore them)");
      Map<String, String> others = new TreeMap<>(restored);
      others.keySet().removeAll(List.of("root-tool", "setgid-tool"));
      Map<String, String> othersAtBackup = new TreeMap<>(atBackup);
      othersAtBackup.keySet().removeAll(List.of("root-tool", "setgid-tool"));
      assertThat(others).isEqualTo(othersAtBackup);
    } else {
      assertThat(restored).isEqualTo(atBackup);
      assertThat(stripped.setuidRemoved()).isEmpty();
    }
  }

  @Test
  void restoresOneFileAndLeavesItsNeighboursAlone() throws Exception {
    String atBackup = snapshot(node.resolve("etc/nova")).get("nova.conf");
    byte[] tar = backup("/etc/nova");
    edit();

    FilesRestorer.Outcome outcome = restore(tar, List.of("/etc/nova/nova.conf"), null);

    assertThat(outcome.units())
        .containsExactly(
            new FilesRestorer.Unit("/etc/nova/nova.conf", "/etc/nova/nova.conf.orig-" + TS));
    assertThat(outcome.entries()).isEqualTo(1);
    Map<String, String> after = snapshot(node.resolve("etc/nova"));
    assertThat(after.get("nova.conf")).isEqualTo(atBackup);
    assertThat(Files.readString(node.resolve("etc/nova/nova.conf.orig-" + TS)))
        .isEqualTo("[DEFAULT]\ndebug = true\n");
    assertThat(after).containsKey("added-later.conf").doesNotContainKey("secret.key");
    assertThat(stagingLeft()).isEmpty();
  }

  @Test
  void restoresBelowToPathCreatingIt() throws Exception {
    Map<String, String> atBackup = snapshot(node.resolve("etc/nova"));
    byte[] tar = backup("/etc/nova");
    edit();
    Map<String, String> edited = snapshot(node.resolve("etc/nova"));

    FilesRestorer.Outcome outcome = restore(tar, List.of("/etc/nova"), "/var/restore/today");

    assertThat(outcome.units())
        .containsExactly(new FilesRestorer.Unit("/var/restore/today/etc/nova", null));
    assertThat(snapshot(node.resolve("var/restore/today/etc/nova"))).isEqualTo(atBackup);
    assertThat(snapshot(node.resolve("etc/nova"))).isEqualTo(edited);
    assertThat(node.resolve("etc/nova.orig-" + TS)).doesNotExist();
    assertThat(stagingLeft()).isEmpty();
  }

  @Test
  void unitMissingFromTheArchiveIsRefusedAndNothingChanges() throws Exception {
    byte[] tar = backup("/etc/nova", "/var/lib/nova");
    edit();
    Map<String, String> before = nodeState();

    assertThatThrownBy(() -> restore(tar, List.of("/etc/nova", "/etc/glance"), null))
        .hasMessage(
            "the archive holds nothing for /etc/glance (it holds /etc/nova, /var/lib): nothing"
                + " was restored");
    assertThat(nodeState()).isEqualTo(before);
  }

  @Test
  void checksumFailureBeforeTheSwapChangesNothing() throws Exception {
    byte[] gz = gzip(backup("/etc/nova"));
    edit();
    Map<String, String> before = nodeState();
    VerifiedStream stored =
        new VerifiedStream(
            new ByteArrayInputStream(gz),
            "f/files/nova-config/compute-07.tar.gz",
            "0".repeat(64),
            gz.length);

    assertThatThrownBy(
            () ->
                restorer()
                    .restore(
                        Compression.GZIP.decompress(stored),
                        List.of("/etc/nova"),
                        "/host",
                        null,
                        TS,
                        stored::verify))
        .isInstanceOf(ArtifactMismatchException.class);
    assertThat(nodeState()).isEqualTo(before);
  }

  @Test
  void failureBelowToPathRemovesTheDirectoriesItCreated() throws Exception {
    byte[] tar = backup("/etc/nova");
    Map<String, String> before = nodeState();

    assertThatThrownBy(
            () ->
                restorer()
                    .restore(
                        new ByteArrayInputStream(tar),
                        List.of("/etc/nova"),
                        "/host",
                        "/var/restore/today",
                        TS,
                        () -> {
                          throw new IOException("checksum mismatch");
                        }))
        .hasMessage("checksum mismatch");
    assertThat(nodeState()).isEqualTo(before);
    assertThat(node.resolve("var/restore")).doesNotExist();
  }

  @Test
  void symlinkInTheArchiveCannotCarryWritesOutsideStaging() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Map<String, String> before = nodeState();
    byte[] tar =
        tar(
            t -> {
              dir(t, "etc/nova/");
              symlink(t, "etc/nova/x", outside.toString());
              file(t, "etc/nova/x/passwd", "root::0:0::/:/bin/sh\n");
            });

    assertThatThrownBy(() -> restore(tar, List.of("/etc/nova"), null))
        .hasMessage(
            "archive entry 'etc/nova/x/passwd' lies below the symlink etc/nova/x: the archive is"
                + " refused, nothing was restored");
    assertThat(outside).isEmptyDirectory();
    assertThat(nodeState()).isEqualTo(before);
  }

  @Test
  void unitThatIsASymlinkInTheArchiveCannotCarryWritesOutside() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Map<String, String> before = nodeState();
    byte[] tar =
        tar(
            t -> {
              symlink(t, "etc/nova", outside.toString());
              file(t, "etc/nova/passwd", "root::0:0::/:/bin/sh\n");
            });

    assertThatThrownBy(() -> restore(tar, List.of("/etc/nova"), null))
        .hasMessageStartingWith("archive entry 'etc/nova/passwd' lies below the symlink etc/nova:");
    assertThat(outside).isEmptyDirectory();
    assertThat(nodeState()).isEqualTo(before);
  }

  @Test
  void namesThatClimbOutOrAreAbsoluteAreRefused() throws Exception {
    Map<String, String> before = nodeState();
    byte[] climbing =
        tar(
            t -> {
              dir(t, "etc/nova/");
              file(t, "etc/nova/../../../outside/evil", "x");
            });
    byte[] absolute =
        tar(
            t -> {
              dir(t, "etc/nova/");
              TarArchiveEntry entry = new TarArchiveEntry("/etc/nova/evil", true);
              entry.setSize(1);
              t.putArchiveEntry(entry);
              t.write('x');
              t.closeArchiveEntry();
            });

    assertThatThrownBy(() -> restore(climbing, List.of("/etc/nova"), null))
        .hasMessage(
            "archive entry 'etc/nova/../../../outside/evil' climbs out with '..': the archive is"
                + " refused, nothing was restored");
    assertThatThrownBy(() -> restore(absolute, List.of("/etc/nova"), null))
        .hasMessage(
            "archive entry '/etc/nova/evil' has an absolute name: the archive is refused, nothing"
                + " was restored");
    assertThatThrownBy(
            () ->
                FilesRestorer.unitsPresent(
                    new ByteArrayInputStream(climbing), List.of("/etc/nova")))
        .hasMessageContaining("climbs out with '..'");
    assertThat(tmp.resolve("outside")).doesNotExist();
    assertThat(nodeState()).isEqualTo(before);
    assertThat(stagingLeft()).isEmpty();
  }

  @Test
  void directoryReplacedByALaterSymlinkNeverChangesWhatTheLinkPointsTo() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwx------"));
    setTime(outside, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
    Map<String, Object> outsideBefore =
        Files.readAttributes(outside, "unix:mode,uid,gid,lastModifiedTime");
    byte[] tar =
        tar(
            t -> {
              dir(t, "etc/nova/");
              TarArchiveEntry d = new TarArchiveEntry("etc/nova/d/", TarConstants.LF_DIR);
              d.setMode(0777);
              d.setIds(1234, 1234);
              d.setLastModifiedTime(FileTime.fromMillis(0));
              t.putArchiveEntry(d);
              t.closeArchiveEntry();
              symlink(t, "etc/nova/d", outside.toString());
            });

    restore(tar, List.of("/etc/nova"), null);

    assertThat(Files.readSymbolicLink(node.resolve("etc/nova/d"))).isEqualTo(outside);
    assertThat(Files.readAttributes(outside, "unix:mode,uid,gid,lastModifiedTime"))
        .isEqualTo(outsideBefore);
  }

  @Test
  void destinationBelowASymlinkOnTheNodeIsRefused() throws Exception {
    byte[] tar = backup("/etc/nova");
    Files.createDirectories(node.resolve("srv/restore"));
    Files.createSymbolicLink(node.resolve("var/restore"), Path.of("/srv/restore"));
    Map<String, String> before = nodeState();

    assertThatThrownBy(() -> restore(tar, List.of("/etc/nova"), "/var/restore/today"))
        .hasMessage(
            "cannot restore /var/restore/today/etc/nova: /var/restore on the node is a symlink to"
                + " /srv/restore, which the agent does not follow; restore to a path without"
                + " symlinks");
    assertThat(nodeState()).isEqualTo(before);
  }

  @Test
  void keptNameAlreadyTakenIsRefusedBeforeAnythingIsWritten() throws Exception {
    byte[] tar = backup("/etc/nova");
    edit();
    Files.createDirectories(node.resolve("etc/nova.orig-" + TS));
    Map<String, String> before = nodeState();

    assertThatThrownBy(() -> restore(tar, List.of("/etc/nova"), null))
        .hasMessage(
            "cannot move /etc/nova aside: /etc/nova.orig-"
                + TS
                + " already exists (kept by an earlier restore?); move it away or restore with"
                + " another timestamp");
    assertThat(nodeState()).isEqualTo(before);
  }

  @Test
  void switchFailingAfterAnotherUnitSaysWhatIsWhere() throws Exception {
    Map<String, String> atBackup = snapshot(node.resolve("etc/nova"));
    byte[] tar = backup("/etc/nova", "/var/lib/nova");
    edit();
    Map<String, String> libEdited = snapshot(node.resolve("var/lib/nova"));

    assertThatThrownBy(
            () ->
                restorer()
                    .restore(
                        new ByteArrayInputStream(tar),
                        List.of("/etc/nova", "/var/lib/nova"),
                        "/host",
                        null,
                        TS,
                        // someone takes the kept name between the checks and the switch
                        () -> Files.createDirectory(node.resolve("var/lib/nova.orig-" + TS))))
        .isInstanceOfSatisfying(
            PartialRestoreException.class,
            e ->
                assertThat(e.switched())
                    .containsExactly(new FilesRestorer.Unit("/etc/nova", "/etc/nova.orig-" + TS)))
        .hasMessage(
            "restore stopped at /var/lib/nova: cannot move /var/lib/nova aside:"
                + " /var/lib/nova.orig-"
                + TS
                + " already exists (kept by an earlier restore?); move it away or restore with"
                + " another timestamp; /var/lib/nova is unchanged. Already restored: /etc/nova"
                + " (previous copy at /etc/nova.orig-"
                + TS
                + ")");
    assertThat(snapshot(node.resolve("etc/nova"))).isEqualTo(atBackup);
    assertThat(snapshot(node.resolve("var/lib/nova"))).isEqualTo(libEdited);
    assertThat(stagingLeft()).isEmpty();
  }

  @Test
  void specialEntriesAreSkippedWithANote() throws Exception {
    byte[] tar =
        tar(
            t -> {
              dir(t, "etc/nova/");
              file(t, "etc/nova/nova.conf", "conf\n");
              TarArchiveEntry fifo = new TarArchiveEntry("etc/nova/control", TarConstants.LF_FIFO);
              t.putArchiveEntry(fifo);
              t.closeArchiveEntry();
              hardLink(t, "etc/nova/again", "etc/nova/nova.conf");
              file(t, "etc/glance/glance.conf", "not selected\n");
            });

    FilesRestorer.Outcome outcome = restore(tar, List.of("/etc/nova"), null);

    assertThat(outcome.entries()).isEqualTo(3);
    assertThat(outcome.bytes()).isEqualTo(5);
    try (Stream<Path> listed = Files.list(node.resolve("etc/nova"))) {
      assertThat(listed.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("nova.conf", "again");
    }
    assertThat(Files.getAttribute(node.resolve("etc/nova/again"), "unix:nlink")).isEqualTo(2);
    assertThat(node.resolve("etc/glance")).doesNotExist();
    assertThat(notes)
        .containsExactly(
            "skipped FIFO /etc/nova/control: only files, directories and symlinks are restored");
  }

  @Test
  void mtimesComeBackToTheNanosecond() throws Exception {
    Path nova = node.resolve("etc/nova");
    List<Path> timed =
        List.of(nova.resolve("nova.conf"), nova.resolve("bin"), nova.resolve("empty"));
    long nanos = 123_456_789;
    for (Path p : timed) {
      setTime(p, FileTime.from(Instant.ofEpochSecond(1_709_258_400L, nanos++)));
    }
    byte[] tar = backup("/etc/nova");

    restore(tar, List.of("/etc/nova"), "/var/restore");

    Path restored = node.resolve("var/restore/etc/nova");
    for (Path p : timed) {
      assertThat(Files.getLastModifiedTime(restored.resolve(nova.relativize(p).toString())))
          .as(p.toString())
          .isEqualTo(Files.getLastModifiedTime(p));
    }
    assertThat(Files.getLastModifiedTime(restored.resolve("nova.conf")).toInstant().getNano())
        .isEqualTo(123_456_789);
  }

  @Test
  void hardLinksComeBackAsOneInodeAcrossUnits() throws Exception {
    Path nova = node.resolve("etc/nova");
    Files.createLink(nova.resolve("policy.d/deep/same-rule.yaml"), nova.resolve("nova.conf"));
    Files.createLink(node.resolve("var/lib/nova/nova.conf"), nova.resolve("nova.conf"));
    byte[] tar = backup("/etc/nova", "/var/lib/nova");
    edit();

    restore(tar, List.of("/etc/nova", "/var/lib/nova"), null);

    Object inode = Files.getAttribute(nova.resolve("nova.conf"), "unix:ino");
    assertThat(Files.getAttribute(nova.resolve("policy.d/deep/same-rule.yaml"), "unix:ino"))
        .isEqualTo(inode);
    assertThat(Files.getAttribute(node.resolve("var/lib/nova/nova.conf"), "unix:ino"))
        .isEqualTo(inode);
    assertThat(Files.getAttribute(nova.resolve("nova.conf"), "unix:nlink")).isEqualTo(3);
    assertThat(Files.readString(node.resolve("var/lib/nova/nova.conf")))
        .isEqualTo("[DEFAULT]\ndebug = false\n");
    assertThat(Files.getAttribute(nova.resolve("secret.key"), "unix:nlink")).isEqualTo(1);
  }

  @Test
  void aHardLinkWhoseFileIsNotRestoredFailsBeforeAnythingChanges() throws Exception {
    Files.createLink(node.resolve("var/lib/nova/nova.conf"), node.resolve("etc/nova/nova.conf"));
    byte[] tar = backup("/etc/nova", "/var/lib/nova");
    Map<String, String> before = nodeState();

    assertThatThrownBy(() -> restore(tar, List.of("/var/lib/nova"), null))
        .isNotInstanceOf(ArchiveRefusedException.class)
        .hasMessage(
            "cannot restore /var/lib/nova/nova.conf: it is a hard link to /etc/nova/nova.conf, which"
                + " this restore does not write; restore a unit that holds both (such as their common"
                + " directory), nothing was restored");
    assertThat(nodeState()).isEqualTo(before);
    assertThat(stagingLeft()).isEmpty();
  }

  @Test
  void hardLinksThatClimbOutOrComeBeforeTheirFileAreRefused() throws Exception {
    Path outside =
        Files.write(tmp.resolve("outside"), "outside\n".getBytes(StandardCharsets.UTF_8));
    Map<String, String> before = nodeState();
    Map<String, String> refusals =
        Map.of(
            "is a hard link to the absolute name " + outside,
            outside.toString(),
            "is a hard link that climbs out with '..' (etc/nova/../../../outside)",
            "etc/nova/../../../outside",
            "is a hard link to etc/nova/later.conf, which is not a file earlier in the archive",
            "etc/nova/later.conf",
            "is a hard link to etc/nova/sub, which is not a file earlier in the archive",
            "etc/nova/sub");
    for (Map.Entry<String, String> refusal : refusals.entrySet()) {
      byte[] tar =
          tar(
              t -> {
                dir(t, "etc/nova/");
                dir(t, "etc/nova/sub/");
                hardLink(t, "etc/nova/evil", refusal.getValue());
                file(t, "etc/nova/later.conf", "later\n");
              });

      assertThatThrownBy(() -> restore(tar, List.of("/etc/nova"), null))
          .as(refusal.getValue())
          .isInstanceOf(ArchiveRefusedException.class)
          .hasMessage(
              "archive entry 'etc/nova/evil' "
                  + refusal.getKey()
                  + ": the archive is refused, nothing was restored");
      assertThatThrownBy(
              () -> FilesRestorer.unitsPresent(new ByteArrayInputStream(tar), List.of("/etc/nova")))
          .isInstanceOf(ArchiveRefusedException.class);
    }
    assertThat(Files.getAttribute(outside, "unix:nlink")).isEqualTo(1);
    assertThat(nodeState()).isEqualTo(before);
    assertThat(stagingLeft()).isEmpty();
  }

  @Test
  void aHardLinkToAFileALaterEntryReplacedIsRefused() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("passwd"), "root:x:0:0\n");
    byte[] tar =
        tar(
            t -> {
              dir(t, "etc/nova/");
              dir(t, "etc/nova/d/");
              file(t, "etc/nova/d/passwd", "mine\n");
              symlink(t, "etc/nova/d", outside.toString());
              hardLink(t, "etc/nova/evil", "etc/nova/d/passwd");
            });

    assertThatThrownBy(() -> restore(tar, List.of("/etc/nova"), null))
        .isInstanceOf(ArchiveRefusedException.class)
        .hasMessageContaining("which a later entry replaced");
    assertThat(Files.getAttribute(outside.resolve("passwd"), "unix:nlink")).isEqualTo(1);
  }

  @Test
  void sparseFilesComeBackWithTheirHoles() throws Exception {
    Path disks = Files.createDirectories(node.resolve("var/lib/nova/disks"));
    Path big = disks.resolve("ephemeral.img");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(48L << 20);
      f.write("start".getBytes(StandardCharsets.UTF_8));
      f.seek(30L << 20);
      f.write("middle".getBytes(StandardCharsets.UTF_8));
    }
    Path small = disks.resolve("small.img");
    try (RandomAccessFile f = new RandomAccessFile(small.toFile(), "rw")) {
      f.setLength(512 * 1024);
      f.seek(100_000);
      f.write("data".getBytes(StandardCharsets.UTF_8));
    }
    byte[] tar = backup("/var/lib/nova");

    restore(tar, List.of("/var/lib/nova"), "/var/restore");

    for (Path original : List.of(big, small)) {
      Path restored = node.resolve("var/restore").resolve(node.relativize(original).toString());
      assertThat(Files.size(restored)).isEqualTo(Files.size(original));
      assertThat(Files.mismatch(restored, original)).isEqualTo(-1);
      assertThat(allocated(restored)).as(restored.toString()).isLessThanOrEqualTo(16 * 1024);
    }
  }

  @Test
  void anArchiveOfGnuTarRestoresItsHardLinksAndHolesToo() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src/etc/nova"));
    Files.writeString(src.resolve("nova.conf"), "[DEFAULT]\n");
    Files.createLink(src.resolve("same.conf"), src.resolve("nova.conf"));
    try (RandomAccessFile f = new RandomAccessFile(src.resolve("disk.img").toFile(), "rw")) {
      f.setLength(20L << 20);
      f.seek(10L << 20);
      f.write("data".getBytes(StandardCharsets.UTF_8));
    }
    Path archive = tmp.resolve("gnu.tar");
    for (String version : List.of("0.0", "0.1", "1.0")) {
      Process tar =
          new ProcessBuilder(
                  "tar",
                  "--format=pax",
                  "--sparse",
                  "--sparse-version=" + version,
                  "-C",
                  tmp.resolve("src").toString(),
                  "-cf",
                  archive.toString(),
                  "etc/nova")
              .redirectErrorStream(true)
              .start();
      assertThat(tar.waitFor()).isZero();

      restore(Files.readAllBytes(archive), List.of("/etc/nova"), "/var/restore-" + version);

      Path restored = node.resolve("var/restore-" + version + "/etc/nova");
      assertThat(Files.getAttribute(restored.resolve("same.conf"), "unix:ino"))
          .as(version)
          .isEqualTo(Files.getAttribute(restored.resolve("nova.conf"), "unix:ino"));
      assertThat(Files.mismatch(restored.resolve("disk.img"), src.resolve("disk.img")))
          .isEqualTo(-1);
      assertThat(allocated(restored.resolve("disk.img")))
          .as(version)
          .isLessThanOrEqualTo(16 * 1024);
    }
  }

  /** The bytes the file system allocated to {@code path}, as {@code stat} counts them. */
  private static long allocated(Path path) throws IOException, InterruptedException {
    Process stat = new ProcessBuilder("stat", "-c", "%b", path.toString()).start();
    String blocks = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(stat.waitFor()).isZero();
    return Long.parseLong(blocks) * 512;
  }

  @Test
  void leftoverStagingIsRemovedFirst() throws Exception {
    Map<String, String> atBackup = snapshot(node.resolve("etc/nova"));
    byte[] tar = backup("/etc/nova");
    Path leftover = Files.createDirectories(node.resolve("etc/.nova.osbackup-restore-" + TS));
    Files.writeString(leftover.resolve("half-written.conf"), "x");

    restore(tar, List.of("/etc/nova"), null);

    assertThat(snapshot(node.resolve("etc/nova"))).isEqualTo(atBackup);
    assertThat(stagingLeft()).isEmpty();
    assertThat(notes)
        .containsExactly(
            "removed /etc/.nova.osbackup-restore-" + TS + ", left over from an earlier restore");
  }

  @Test
  void unitsPresentNamesTheUnitsTheArchiveHoldsAndReadsItAll() throws Exception {
    byte[] tar = backup("/etc/nova", "/var/lib/nova");
    InputStream in = new ByteArrayInputStream(tar);

    assertThat(
            FilesRestorer.unitsPresent(
                in,
                List.of("/etc/nova/", "/etc/glance", "/var/lib/nova/state.json", "/var/lib/novax")))
        .containsExactly("/etc/nova/", "/var/lib/nova/state.json");
    assertThat(in.read()).isEqualTo(-1);
  }

  @Test
  void badArgumentsAreRefusedBeforeReading() {
    InputStream unread = new ByteArrayInputStream(new byte[0]);
    assertThatThrownBy(
            () ->
                restorer()
                    .restore(unread, List.of("/etc/nova", "/etc"), "/host", null, TS, NO_CHECK))
        .hasMessage("units /etc/nova and /etc overlap: list only the outer one");
    assertThatThrownBy(
            () -> restorer().restore(unread, List.of("etc/nova"), "/host", null, TS, NO_CHECK))
        .hasMessage("units[0] must be an absolute node path: 'etc/nova'");
    assertThatThrownBy(
            () ->
                restorer().restore(unread, List.of("/etc/nova"), "/host", "restore", TS, NO_CHECK))
        .hasMessage("toPath must be an absolute node path: 'restore'");
    assertThatThrownBy(
            () -> restorer().restore(unread, List.of("/etc/nova"), "/host", null, "../x", NO_CHECK))
        .hasMessageStartingWith("timestamp must be");
  }

  /** An archive of /etc taken before denied subtrees were left out of backups. */
  private static byte[] oldEtc() throws IOException {
    return tar(
        t -> {
          dir(t, "etc/");
          dir(t, "etc/nova/");
          file(t, "etc/nova/nova.conf", "[DEFAULT]\n");
          dir(t, "etc/kubernetes/");
          dir(t, "etc/kubernetes/pki/");
          file(t, "etc/kubernetes/pki/ca.key", "-----BEGIN PRIVATE KEY-----\n");
          file(t, "etc/shadow", "root:$6$hash:19000::::::\n");
          file(t, "etc/ssh/ssh_host_rsa_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
          file(t, "etc/ssh/sshd_config", "PermitRootLogin no\n");
        });
  }

  @Test
  void anOldArchivesDeniedEntriesAreSkippedWithANoteWhereverItIsUnpacked() throws Exception {
    FilesRestorer.Outcome outcome = restore(oldEtc(), List.of("/etc"), "/srv/restore");

    assertThat(outcome.units()).containsExactly(new FilesRestorer.Unit("/srv/restore/etc", null));
    Path etc = node.resolve("srv/restore/etc");
    assertThat(etc.resolve("nova/nova.conf")).hasContent("[DEFAULT]");
    assertThat(etc.resolve("ssh/sshd_config")).hasContent("PermitRootLogin no");
    assertThat(etc.resolve("kubernetes")).doesNotExist();
    assertThat(etc.resolve("shadow")).doesNotExist();
    assertThat(etc.resolve("ssh/ssh_host_rsa_key")).doesNotExist();
    assertThat(notes)
        .contains(
            "skipped 3 archive entries at and below /etc/kubernetes: osbackup never writes denied node paths"
                + " (Kubernetes PKI and kubeconfigs)",
            "skipped 1 archive entry at and below /etc/shadow: osbackup never writes denied node paths (password"
                + " hashes)");
  }

  @Test
  void aDeniedDestinationIsRefusedBeforeAnythingIsReadOrWritten() throws Exception {
    Map<String, String> before = snapshot(node);
    for (String[] c :
        new String[][] {
          {"/etc/kubernetes", null},
          {"/etc/kubernetes/pki", null},
          {"/etc", null},
          {"/var/lib", null},
          {"/etc/nova", "/var/lib/kubelet/pods"},
          {"/lib", "/var"},
          {"/etc/nova", "/root"}
        }) {
      InputStream unread = new ByteArrayInputStream(oldEtc());
      assertThatThrownBy(
              () -> restorer().restore(unread, List.of(c[0]), "/host", c[1], TS, NO_CHECK))
          .as(String.join(" to ", Arrays.asList(c)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("osbackup never writes denied node paths");
      assertThat(unread.available()).isEqualTo(oldEtc().length);
    }
    assertThat(snapshot(node)).isEqualTo(before);
  }

  // ---- helpers ----

  private List<Path> stagingLeft() throws IOException {
    try (Stream<Path> all = Files.walk(node)) {
      return all.filter(p -> p.getFileName().toString().contains(".osbackup-restore-")).toList();
    }
  }

  /**
   * The whole node; the times of the directories that hold destinations are left out, since staging
   * places come and go in them.
   */
  private Map<String, String> nodeState() throws IOException {
    Map<String, String> state = snapshot(node);
    for (String parent : List.of(".", "etc", "var", "var/lib")) {
      state.computeIfPresent(parent, (k, v) -> v.replaceFirst(" \\S+ $", " "));
    }
    return state;
  }

  /** Every path below {@code root} (and root itself as ".") with type, mode, owner, mtime, body. */
  private static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String type =
            switch (mode & 0170000) {
              case 0040000 -> "dir";
              case 0120000 -> "link";
              case 0100000 -> "file";
              default -> "other";
            };
        String body =
            type.equals("link")
                ? "-> " + Files.readSymbolicLink(p)
                : type.equals("file") ? Files.readString(p) : "";
        String name = p.equals(root) ? "." : root.relativize(p).toString();
        out.put(
            name,
            String.format(
                "%s %04o %d:%d %s %s",
                type,
                mode & 07777,
                ((Number) a.get("uid")).longValue(),
                ((Number) a.get("gid")).longValue(),
                a.get("lastModifiedTime"),
                body));
      }
    }
    return out;
  }

  /** Writes a tar by hand, for archives FilesBackup would never make. */
  private interface TarWriter {
    void write(TarArchiveOutputStream tar) throws IOException;
  }

  private static byte[] tar(TarWriter writer) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      writer.write(tar);
    }
    return out.toByteArray();
  }

  private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_DIR);
    entry.setMode(0755);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static void symlink(TarArchiveOutputStream tar, String name, String target)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
    entry.setLinkName(target);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static void hardLink(TarArchiveOutputStream tar, String name, String target)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    entry.setLinkName(target);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static void file(TarArchiveOutputStream tar, String name, String content)
      throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(0644);
    entry.setSize(bytes.length);
    tar.putArchiveEntry(entry);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static void file(Path path, String content, String permissions) throws IOException {
    Files.writeString(path, content);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
  }

  private static void chown(Path path, int uid, int gid) throws IOException {
    Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  private static void setTime(Path path, FileTime time) throws IOException {
    Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(time, null, null);
  }
}
