package io.osbackup.agent.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.osbackup.agent.MemoryBucket;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Compression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesBackupTest {

  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
  private static final String LONG_NAME = "long-" + "x".repeat(110) + ".conf";
  private static final String JAPANESE = "設定ファイル.conf";

  @TempDir Path tmp;
  private Path node;
  private MountTable mounts;
  private final List<String> notes = new ArrayList<>();

  @BeforeEach
  void tree() throws Exception {
    node = Files.createDirectories(tmp.resolve("node"));
    mounts = MountTable.of(Map.of("/host", node.toString()));
    Path nova = Files.createDirectories(node.resolve("etc/nova"));
    file(nova.resolve("nova.conf"), "[DEFAULT]\ndebug = false\n", "rw-r-----");
    file(nova.resolve("secret.key"), "s3cr3t\n", "rw-------");
    Files.createDirectories(nova.resolve("bin"));
    file(nova.resolve("bin/run.sh"), "#!/bin/sh\nexec nova-api\n", "rwxr-xr-x");
    Files.createDirectories(nova.resolve("empty"));
    file(nova.resolve("with space.conf"), "spaces\n", "rw-r--r--");
    file(nova.resolve(JAPANESE), "日本語\n", "rw-r--r--");
    Path deep = Files.createDirectories(nova.resolve("d".repeat(60)));
    file(deep.resolve(LONG_NAME), "long\n", "rw-r--r--");
    Files.createSymbolicLink(nova.resolve("relative-link"), Path.of("nova.conf"));
    Files.createSymbolicLink(nova.resolve("absolute-link"), Path.of("/etc/nova/nova.conf"));
    file(nova.resolve("owned-by-nova.conf"), "nova\n", "rw-r-----");
    file(nova.resolve("big-ids.conf"), "big\n", "rw-r-----");
    if (ROOT) {
      chown(nova.resolve("owned-by-nova.conf"), 4242, 4343);
      chown(nova.resolve("big-ids.conf"), 3_000_000, 3_000_001);
      chown(nova, 0, 4343);
    }
    Files.createDirectories(nova.resolve("cache/sub"));
    file(nova.resolve("cache/sub/blob"), "excluded\n", "rw-r--r--");
    file(nova.resolve("module.pyc"), "excluded\n", "rw-r--r--");
    Files.createDirectories(nova.resolve("bin/__pycache__"));
    file(nova.resolve("bin/__pycache__/run.pyc"), "excluded\n", "rw-r--r--");
    run("mkfifo", nova.resolve("control.fifo").toString());

    Path lib = Files.createDirectories(node.resolve("var/lib/nova"));
    file(lib.resolve("state.json"), "{}\n", "rw-r-----");
    Files.createDirectories(lib.resolve("instances/uuid"));
    file(lib.resolve("instances/uuid/disk"), "excluded\n", "rw-r--r--");

    Files.setPosixFilePermissions(nova, PosixFilePermissions.fromString("rwxr-x---"));
    Files.setPosixFilePermissions(
        nova.resolve("empty"), PosixFilePermissions.fromString("rwx------"));
    // Times last: creating children changes a directory's mtime.
    long second = Instant.parse("2024-03-01T02:00:00Z").getEpochSecond();
    try (Stream<Path> all = Files.walk(node)) {
      for (Path p : all.sorted().toList()) {
        if (p.toString().endsWith(".fifo")) {
          continue; // the JDK opens the file to set its times, and opening a FIFO blocks
        }
        FileTime t = FileTime.from(Instant.ofEpochSecond(second++, 123_456_789));
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setTimes(t, null, null);
      }
    }
  }

  private BackupPlan.Files plan(List<String> paths) {
    return new BackupPlan.Files(
        "nova-config",
        "compute-07",
        "/host",
        paths,
        List.of("/var/lib/nova/instances", "/etc/nova/cache", "*.pyc"));
  }

  private FilesBackup backup() {
    return new FilesBackup(mounts, notes::add);
  }

  @Test
  void gnuTarRestoresTheTreeAsItWas() throws Exception {
    MemoryBucket bucket = new MemoryBucket();
    BackupReport.Artifact artifact =
        backup()
            .backup(
                "p/ns/daily/b1",
                plan(List.of("/etc/nova", "/var/lib/nova")),
                Compression.GZIP,
                bucket);

    assertThat(artifact.key()).isEqualTo("p/ns/daily/b1/files/nova-config/compute-07.tar.gz");
    Path archive = tmp.resolve("archive.tar.gz");
    Files.write(archive, bucket.objects.get(artifact.key()));
    Path out = Files.createDirectories(tmp.resolve("out"));
    run("tar", "--numeric-owner", "-p", "-xzf", archive.toString(), "-C", out.toString());

    Map<String, String> expected = expected();
    assertThat(snapshot(out)).isEqualTo(expected);
    String listing = run("tar", "-tzf", archive.toString());
    assertThat(listing.lines().count()).isEqualTo(artifact.files()).isEqualTo(expected.size());
    assertThat(notes)
        .anySatisfy(
            n -> assertThat(n).contains("skipped FIFO /etc/nova/control.fifo on node compute-07"));
  }

  @Test
  void commonsCompressReadsTheSameTree() throws Exception {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    long entries = backup().write(plan(List.of("/etc/nova", "/var/lib/nova")), tar);

    Map<String, String> read = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()), "UTF-8")) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        String name =
            e.getName().endsWith("/")
                ? e.getName().substring(0, e.getName().length() - 1)
                : e.getName();
        String type =
            e.isDirectory() ? "dir" : e.isSymbolicLink() ? "link" : e.isFile() ? "file" : "?";
        String body =
            e.isSymbolicLink()
                ? "-> " + e.getLinkName()
                : e.isFile() ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : "";
        read.put(
            name,
            describe(
                type,
                e.getMode() & 07777,
                e.getLongUserId(),
                e.getLongGroupId(),
                e.getLastModifiedTime().toInstant().getEpochSecond(),
                body));
      }
    }
    Map<String, String> expected = expected();
    assertThat(read).isEqualTo(expected);
    assertThat(entries).isEqualTo(expected.size());
  }

  @Test
  void listedPathThatIsMissingFailsNamingPathAndNode() {
    MemoryBucket bucket = new MemoryBucket();

    assertThatThrownBy(
            () ->
                backup()
                    .backup(
                        "f", plan(List.of("/etc/nova", "/etc/glance")), Compression.NONE, bucket))
        .hasMessage("path /etc/glance does not exist on node compute-07");
    assertThat(bucket.objects).isEmpty();
    assertThat(bucket.aborted).containsKey("f/files/nova-config/compute-07.tar");
  }

  @Test
  void listedPathThatIsASymlinkFailsInsteadOfStoringTheLink() throws IOException {
    Path rings = Files.createDirectories(node.resolve("srv/node-config/swift"));
    file(rings.resolve("object.ring.gz"), "ring\n", "rw-r--r--");
    Files.createSymbolicLink(node.resolve("etc/swift"), Path.of("/srv/node-config/swift"));
    MemoryBucket bucket = new MemoryBucket();

    assertThatThrownBy(
            () ->
                backup()
                    .backup(
                        "f", plan(List.of("/etc/nova", "/etc/swift")), Compression.NONE, bucket))
        .hasMessage(
            "path /etc/swift on node compute-07 is a symlink to /srv/node-config/swift: list the"
                + " target path instead");
    assertThat(bucket.objects).isEmpty();
    assertThat(bucket.aborted).containsKey("f/files/nova-config/compute-07.tar");
  }

  @Test
  void relativeSymlinkIsNamedByItsTargetOnTheNode() throws IOException {
    Files.createDirectories(node.resolve("srv/swift"));
    Files.createSymbolicLink(node.resolve("etc/swift"), Path.of("../srv/swift"));

    assertThatThrownBy(
            () -> backup().write(plan(List.of("/etc/swift")), new ByteArrayOutputStream()))
        .hasMessage(
            "path /etc/swift on node compute-07 is a symlink to /srv/swift: list the target path"
                + " instead");
  }

  @Test
  void listedPathBelowASymlinkedDirectoryFails() throws IOException {
    Path kolla = Files.createDirectories(node.resolve("var/lib/kolla/config_files/glance"));
    file(kolla.resolve("glance-api.conf"), "[DEFAULT]\n", "rw-r--r--");
    Files.createSymbolicLink(node.resolve("etc/kolla"), Path.of("/var/lib/kolla/config_files"));

    assertThatThrownBy(
            () -> backup().write(plan(List.of("/etc/kolla/glance")), new ByteArrayOutputStream()))
        .hasMessage(
            "path /etc/kolla/glance on node compute-07 is below /etc/kolla, a symlink to"
                + " /var/lib/kolla/config_files: list the target path"
                + " /var/lib/kolla/config_files/glance instead");
  }

  @Test
  void excludedSymlinkIsSkippedNotRefused() throws Exception {
    Files.createSymbolicLink(node.resolve("etc/swift"), Path.of("/srv/node-config/swift"));
    BackupPlan.Files files =
        new BackupPlan.Files(
            "nova-config", "compute-07", "/host", List.of("/etc/swift"), List.of("/etc/swift"));

    assertThat(backup().write(files, new ByteArrayOutputStream())).isZero();
  }

  @Test
  void unreadableFileFailsNamingPathAndNode() {
    Path secret = node.resolve("etc/nova/secret.key");
    FilesBackup backup =
        new FilesBackup(
            mounts,
            notes::add,
            local -> {
              if (local.equals(secret)) {
                throw new AccessDeniedException(local.toString());
              }
              return Files.newInputStream(local);
            });
    MemoryBucket bucket = new MemoryBucket();

    assertThatThrownBy(
            () -> backup.backup("f", plan(List.of("/etc/nova")), Compression.NONE, bucket))
        .hasMessage("cannot read /etc/nova/secret.key on node compute-07: permission denied");
    assertThat(bucket.objects).isEmpty();
    assertThat(bucket.aborted).hasSize(1);
  }

  @Test
  void unreadableFileFailsForRealWhenNotRoot() throws Exception {
    assumeFalse(ROOT, "root reads every file");
    Files.setPosixFilePermissions(
        node.resolve("etc/nova/secret.key"), PosixFilePermissions.fromString("---------"));

    assertThatThrownBy(
            () -> backup().write(plan(List.of("/etc/nova")), new ByteArrayOutputStream()))
        .hasMessage("cannot read /etc/nova/secret.key on node compute-07: permission denied");
  }

  @Test
  void fileThatChangesSizeWhileReadKeepsTheArchiveWhole() throws Exception {
    Path shrinking = node.resolve("etc/nova/nova.conf");
    Path growing = node.resolve("etc/nova/secret.key");
    FilesBackup backup =
        new FilesBackup(
            mounts,
            notes::add,
            local -> {
              if (local.equals(shrinking)) {
                return new ByteArrayInputStream("[DEF".getBytes(StandardCharsets.UTF_8));
              }
              if (local.equals(growing)) {
                return new ByteArrayInputStream(
                    "s3cr3t\nand much more".getBytes(StandardCharsets.UTF_8));
              }
              return Files.newInputStream(local);
            });
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    backup.write(plan(List.of("/etc/nova")), tar);

    Map<String, String> contents = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        if (e.isFile()) {
          contents.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
    assertThat(contents.get("etc/nova/nova.conf")).isEqualTo("[DEF" + "\0".repeat(20));
    assertThat(contents.get("etc/nova/secret.key")).isEqualTo("s3cr3t\n");
    assertThat(contents.get("etc/nova/with space.conf")).isEqualTo("spaces\n");
    assertThat(notes)
        .anySatisfy(n -> assertThat(n).contains("/etc/nova/nova.conf on node compute-07 shrank"))
        .anySatisfy(n -> assertThat(n).contains("/etc/nova/secret.key on node compute-07 grew"));
  }

  @Test
  void fileThatChangesOnceIsReadAgainWithoutWarning() throws Exception {
    Path conf = node.resolve("etc/nova/nova.conf");
    AtomicInteger opened = new AtomicInteger();
    FilesBackup backup =
        new FilesBackup(
            mounts,
            notes::add,
            local -> {
              if (local.equals(conf) && opened.getAndIncrement() == 0) {
                return new ByteArrayInputStream("[DEF".getBytes(StandardCharsets.UTF_8));
              }
              return Files.newInputStream(local);
            });
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    backup.write(plan(List.of("/etc/nova")), tar);

    assertThat(opened).hasValue(2);
    assertThat(contents(tar).get("etc/nova/nova.conf")).isEqualTo("[DEFAULT]\ndebug = false\n");
    assertThat(notes).noneSatisfy(n -> assertThat(n).contains("nova.conf"));
  }

  @Test
  void fileThatChangesOnBothReadsIsPaddedWithAWarning() throws Exception {
    Path conf = node.resolve("etc/nova/nova.conf");
    AtomicInteger opened = new AtomicInteger();
    FilesBackup backup =
        new FilesBackup(
            mounts,
            notes::add,
            local -> {
              if (local.equals(conf)) {
                opened.incrementAndGet();
                return new ByteArrayInputStream("[DEF".getBytes(StandardCharsets.UTF_8));
              }
              return Files.newInputStream(local);
            });
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    backup.write(plan(List.of("/etc/nova")), tar);

    assertThat(opened).hasValue(2);
    assertThat(contents(tar).get("etc/nova/nova.conf")).isEqualTo("[DEF" + "\0".repeat(20));
    assertThat(notes)
        .contains(
            "/etc/nova/nova.conf on node compute-07 shrank while being read, also on a second read"
                + " (24 bytes expected, 4 read): padded with zeros");
  }

  @Test
  void fileAboveTheRereadLimitIsStreamedTwiceNeverHeldWhole() throws Exception {
    Path big = node.resolve("var/lib/nova/big.img");
    try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
      file.setLength(FilesBackup.REREAD_LIMIT + 1L);
    }
    AtomicInteger opened = new AtomicInteger();
    FilesBackup backup =
        new FilesBackup(
            mounts,
            notes::add,
            local -> {
              if (local.equals(big)) {
                opened.incrementAndGet();
                return new ByteArrayInputStream(new byte[] {1, 2, 3});
              }
              return Files.newInputStream(local);
            });
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    backup.write(plan(List.of("/var/lib/nova")), tar);

    assertThat(opened).as("once to find its holes, once to write its data").hasValue(2);
    assertThat(contents(tar).get("var/lib/nova/big.img")).hasSize(FilesBackup.REREAD_LIMIT + 1);
    assertThat(notes)
        .contains(
            "/var/lib/nova/big.img on node compute-07 shrank while being read ("
                + (FilesBackup.REREAD_LIMIT + 1)
                + " bytes expected, 3 read): padded with zeros");
  }

  /** A node's /etc with the keys of Kubernetes and of the OS next to a service's configuration. */
  private void nodeSecrets() throws IOException {
    Path pki = Files.createDirectories(node.resolve("etc/kubernetes/pki"));
    file(pki.resolve("ca.key"), "-----BEGIN PRIVATE KEY-----\n", "rw-------");
    file(node.resolve("etc/kubernetes/admin.conf"), "apiVersion: v1\n", "rw-------");
    file(node.resolve("etc/shadow"), "root:$6$hash:19000::::::\n", "rw-r-----");
    file(node.resolve("etc/shadow-"), "root:$6$old:19000::::::\n", "rw-r-----");
    file(node.resolve("etc/gshadow"), "root:*::\n", "rw-r-----");
    file(node.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", "rw-r--r--");
    Path ssh = Files.createDirectories(node.resolve("etc/ssh"));
    file(ssh.resolve("ssh_host_ed25519_key"), "-----BEGIN OPENSSH PRIVATE KEY-----\n", "rw-------");
    file(ssh.resolve("ssh_host_ed25519_key.pub"), "ssh-ed25519 AAAA\n", "rw-r--r--");
    file(ssh.resolve("sshd_config"), "PermitRootLogin no\n", "rw-r--r--");
    Path kubelet = Files.createDirectories(node.resolve("var/lib/kubelet/pods/uid/volumes"));
    file(kubelet.resolve("token"), "eyJhbGciOi\n", "rw-------");
    Path etcd = Files.createDirectories(node.resolve("var/lib/etcd/member"));
    file(etcd.resolve("db"), "etcd\n", "rw-------");
  }

  @Test
  void aWholeEtcLeavesOutTheNodesKeysAndSaysSo() throws Exception {
    nodeSecrets();
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    BackupPlan.Files etc =
        new BackupPlan.Files(
            "node-config", "compute-07", "/host", List.of("/etc", "/var/lib"), List.of());

    backup().write(etc, tar);

    Map<String, String> archived = contents(tar);
    assertThat(archived)
        .containsKeys(
            "etc/nova/nova.conf",
            "etc/passwd",
            "etc/ssh/sshd_config",
            "etc/ssh/ssh_host_ed25519_key.pub",
            "var/lib/nova/state.json");
    assertThat(archived.keySet())
        .noneMatch(name -> name.startsWith("etc/kubernetes"))
        .noneMatch(name -> name.startsWith("etc/shadow") || name.startsWith("etc/gshadow"))
        .doesNotContain("etc/ssh/ssh_host_ed25519_key")
        .noneMatch(name -> name.startsWith("var/lib/kubelet") || name.startsWith("var/lib/etcd"));
    assertThat(names(tar)).noneMatch(name -> name.startsWith("etc/kubernetes"));
    assertThat(notes)
        .contains(
            "left out /etc/kubernetes on node compute-07: the operator never reads it (Kubernetes PKI and"
                + " kubeconfigs)",
            "left out /etc/shadow on node compute-07: the operator never reads it (password hashes)",
            "left out /var/lib/kubelet on node compute-07: the operator never reads it (kubelet state: every pod's"
                + " Secrets and service account tokens)");
  }

  @Test
  void theAgentRefusesADeniedPathEvenWhenItsPlanListsIt() throws Exception {
    nodeSecrets();
    for (String path :
        List.of(
            "/etc/kubernetes/pki",
            "/etc/kubernetes",
            "/etc/shadow",
            "/var/lib/kubelet/pods",
            "/etc/ssh/ssh_host_ed25519_key",
            "/proc/1")) {
      BackupPlan.Files files =
          new BackupPlan.Files(
              "node-config", "compute-07", "/host", List.of("/etc/nova", path), List.of());
      ByteArrayOutputStream tar = new ByteArrayOutputStream();

      assertThatThrownBy(() -> backup().write(files, tar))
          .as(path)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("files.paths[1] " + path + " is")
          .hasMessageContaining("never reads");
      assertThat(tar.size()).as(path).isZero();
    }
  }

  @Test
  void theAgentAlsoLeavesOutWhatItsPlanExcludes() throws Exception {
    Path site = Files.createDirectories(node.resolve("etc/nova/site-secrets"));
    file(site.resolve("vault.token"), "hvs.x\n", "rw-------");
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    BackupPlan.Files files =
        new BackupPlan.Files(
            "nova-config",
            "compute-07",
            "/host",
            List.of("/etc/nova"),
            List.of(),
            null,
            List.of("/etc/nova/site-secrets"));

    backup().write(files, tar);

    assertThat(contents(tar).keySet()).noneMatch(name -> name.startsWith("etc/nova/site-secrets"));
    assertThat(notes)
        .anyMatch(n -> n.startsWith("left out /etc/nova/site-secrets on node compute-07"));
  }

  @Test
  void mtimesKeepTheirNanosecondsForCommonsCompressAndGnuTar() throws Exception {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    backup().write(plan(List.of("/etc/nova", "/var/lib/nova")), tar);

    Map<String, FileTime> read = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()), "UTF-8")) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        read.put(e.getName().replaceFirst("/$", ""), e.getLastModifiedTime());
      }
    }
    assertThat(read).containsKeys("etc/nova/nova.conf", "etc/nova/empty", "etc/nova/relative-link");
    for (Map.Entry<String, FileTime> e : read.entrySet()) {
      assertThat(e.getValue().toInstant())
          .as(e.getKey())
          .isEqualTo(mtime(node.resolve(e.getKey())).toInstant());
    }
    assertThat(read.get("etc/nova/nova.conf").toInstant().getNano() % 100).isNotZero();

    Path archive = Files.write(tmp.resolve("archive.tar"), tar.toByteArray());
    Path out = Files.createDirectories(tmp.resolve("out"));
    run("tar", "--numeric-owner", "-p", "-xf", archive.toString(), "-C", out.toString());
    try (Stream<Path> all = Files.walk(out)) {
      for (Path p : all.filter(p -> !p.equals(out)).toList()) {
        Path original = node.resolve(out.relativize(p).toString());
        assertThat(mtime(p).toInstant()).as(p.toString()).isEqualTo(mtime(original).toInstant());
      }
    }
    assertThat(run("tar", "--full-time", "-tvf", archive.toString()))
        .contains(".123456789 etc/nova/nova.conf");
  }

  @Test
  void secondNamesOfAFileAreArchivedAsHardLinksToTheFirst() throws Exception {
    Path glance = Files.createDirectories(node.resolve("var/lib/glance"));
    file(glance.resolve("a-image.conf"), "image\n", "rw-r-----");
    Files.createLink(glance.resolve("b-again.conf"), glance.resolve("a-image.conf"));
    Files.createDirectories(glance.resolve("sub"));
    Files.createLink(glance.resolve("sub/c-third.conf"), glance.resolve("a-image.conf"));
    Files.createDirectories(glance.resolve("cache"));
    file(glance.resolve("cache/original"), "cached\n", "rw-r--r--");
    Files.createLink(glance.resolve("z-of-excluded"), glance.resolve("cache/original"));
    BackupPlan.Files files =
        new BackupPlan.Files(
            "glance",
            "compute-07",
            "/host",
            List.of("/var/lib/glance"),
            List.of("/var/lib/glance/cache"));
    ByteArrayOutputStream tar = new ByteArrayOutputStream();

    long entries = backup().write(files, tar);

    Map<String, String> read = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()), "UTF-8")) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        read.put(
            e.getName(),
            e.isLink()
                ? "hard link to " + e.getLinkName()
                : e.isFile()
                    ? "file " + new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    : "dir");
      }
    }
    assertThat(read)
        .containsEntry("var/lib/glance/a-image.conf", "file image\n")
        .containsEntry("var/lib/glance/b-again.conf", "hard link to var/lib/glance/a-image.conf")
        .containsEntry(
            "var/lib/glance/sub/c-third.conf", "hard link to var/lib/glance/a-image.conf")
        .containsEntry("var/lib/glance/z-of-excluded", "file cached\n")
        .doesNotContainKey("var/lib/glance/cache/original");
    assertThat(entries).isEqualTo(read.size());

    Path archive = Files.write(tmp.resolve("archive.tar"), tar.toByteArray());
    Path out = Files.createDirectories(tmp.resolve("out"));
    run("tar", "--numeric-owner", "-p", "-xf", archive.toString(), "-C", out.toString());
    Path restored = out.resolve("var/lib/glance");
    Object inode = Files.getAttribute(restored.resolve("a-image.conf"), "unix:ino");
    assertThat(Files.getAttribute(restored.resolve("b-again.conf"), "unix:ino")).isEqualTo(inode);
    assertThat(Files.getAttribute(restored.resolve("sub/c-third.conf"), "unix:ino"))
        .isEqualTo(inode);
    assertThat(Files.getAttribute(restored.resolve("a-image.conf"), "unix:nlink")).isEqualTo(3);
    assertThat(Files.getAttribute(restored.resolve("z-of-excluded"), "unix:nlink")).isEqualTo(1);
    assertThat(Files.readString(restored.resolve("sub/c-third.conf"))).isEqualTo("image\n");
  }

  @Test
  void aSecondNameOfADeniedFileIsArchivedAsAFileNotAsALinkToTheDeniedName() throws Exception {
    nodeSecrets();
    Files.createLink(node.resolve("etc/nova/passwd-copy"), node.resolve("etc/passwd"));
    Files.createLink(
        node.resolve("etc/ssh/zz-key-copy"), node.resolve("etc/ssh/ssh_host_ed25519_key"));
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    BackupPlan.Files etc =
        new BackupPlan.Files("node-config", "compute-07", "/host", List.of("/etc"), List.of());

    backup().write(etc, tar);

    Map<String, String> links = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()), "UTF-8")) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        if (e.isLink()) {
          links.put(e.getName(), e.getLinkName());
        }
      }
    }
    // etc/nova/passwd-copy comes first in the walk: etc/passwd is the link to it.
    assertThat(links).containsExactly(Map.entry("etc/passwd", "etc/nova/passwd-copy"));
    assertThat(contents(tar))
        .containsEntry("etc/nova/passwd-copy", "root:x:0:0:root:/root:/bin/sh\n")
        .containsEntry("etc/ssh/zz-key-copy", "-----BEGIN OPENSSH PRIVATE KEY-----\n")
        .doesNotContainKey("etc/ssh/ssh_host_ed25519_key");
  }

  @Test
  void sparseFilesAreArchivedSparseAndGnuTarRestoresTheirHoles() throws Exception {
    Path disks = Files.createDirectories(node.resolve("var/lib/disks"));
    Path ephemeral = disks.resolve("ephemeral.img"); // above the re-read limit: streamed
    try (RandomAccessFile f = new RandomAccessFile(ephemeral.toFile(), "rw")) {
      f.setLength(64L << 20);
      f.write(filled('a', 5000));
      f.seek(40L << 20);
      f.write(filled('b', 4096));
    }
    Path small = disks.resolve("small.img"); // read whole
    try (RandomAccessFile f = new RandomAccessFile(small.toFile(), "rw")) {
      f.setLength(1L << 20);
      f.seek((1L << 20) - 10);
      f.write(filled('c', 10));
    }
    Path zeros = Files.write(disks.resolve("preallocated.img"), new byte[256 * 1024]);
    BackupPlan.Files files =
        new BackupPlan.Files("disks", "compute-07", "/host", List.of("/var/lib/disks"), List.of());
    ByteArrayOutputStream tar = new ByteArrayOutputStream();

    backup().write(files, tar);

    assertThat(tar.size()).isLessThan(64 * 1024);
    Map<String, Long> realSizes = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()), "UTF-8")) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        if (e.isFile()) {
          assertThat(e.isPaxGNU1XSparse()).as(e.getName()).isTrue();
          realSizes.put(e.getName(), e.getRealSize());
          assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(node.resolve(e.getName())));
        }
      }
    }
    assertThat(realSizes)
        .containsOnly(
            Map.entry("var/lib/disks/ephemeral.img", 64L << 20),
            Map.entry("var/lib/disks/small.img", 1L << 20),
            Map.entry("var/lib/disks/preallocated.img", 256L * 1024));

    Path archive = Files.write(tmp.resolve("archive.tar"), tar.toByteArray());
    Path out = Files.createDirectories(tmp.resolve("out"));
    run("tar", "--numeric-owner", "-p", "-xf", archive.toString(), "-C", out.toString());
    for (Path original : List.of(ephemeral, small, zeros)) {
      Path restored = out.resolve(node.relativize(original).toString());
      assertThat(Files.mismatch(restored, original)).as(restored.toString()).isEqualTo(-1);
      assertThat(allocated(restored)).as(restored.toString()).isLessThanOrEqualTo(16 * 1024);
      assertThat(mtime(restored).toInstant()).isEqualTo(mtime(original).toInstant());
    }
    assertThat(run("tar", "-tvf", archive.toString()))
        .contains("var/lib/disks/ephemeral.img")
        .doesNotContain("GNUSparseFile");
  }

  @Test
  void longAndNonAsciiNamesOfLinksAndSparseFilesSurviveGnuTar() throws Exception {
    Path dir =
        Files.createDirectories(node.resolve("var/lib/" + "ü".repeat(30) + "/" + "n".repeat(90)));
    Path sparse = dir.resolve("disk-" + "s".repeat(120) + ".img");
    try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
      f.setLength(1L << 20);
      f.write(filled('d', 10));
    }
    Files.createLink(dir.resolve("z-" + "l".repeat(120)), sparse);
    String target = "/" + "t".repeat(150) + "/日本語";
    Files.createSymbolicLink(dir.resolve("symlink-" + "y".repeat(110)), Path.of(target));
    BackupPlan.Files files =
        new BackupPlan.Files("long", "compute-07", "/host", List.of("/var/lib"), List.of());
    ByteArrayOutputStream tar = new ByteArrayOutputStream();

    backup().write(files, tar);

    Path archive = Files.write(tmp.resolve("archive.tar"), tar.toByteArray());
    Path out = Files.createDirectories(tmp.resolve("out"));
    run("tar", "--numeric-owner", "-p", "-xf", archive.toString(), "-C", out.toString());
    Path restored = out.resolve(node.relativize(dir).toString());
    Path restoredSparse = restored.resolve(sparse.getFileName().toString());
    assertThat(Files.mismatch(restoredSparse, sparse)).isEqualTo(-1);
    assertThat(allocated(restoredSparse)).isLessThanOrEqualTo(16 * 1024);
    assertThat(Files.getAttribute(restored.resolve("z-" + "l".repeat(120)), "unix:ino"))
        .isEqualTo(Files.getAttribute(restoredSparse, "unix:ino"));
    assertThat(Files.readSymbolicLink(restored.resolve("symlink-" + "y".repeat(110))))
        .isEqualTo(Path.of(target));
    assertThat(mtime(restoredSparse).toInstant()).isEqualTo(mtime(sparse).toInstant());
  }

  private static byte[] filled(char c, int length) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) c);
    return bytes;
  }

  /** The bytes the file system allocated to {@code path}, as {@code stat} counts them. */
  static long allocated(Path path) throws IOException, InterruptedException {
    return Long.parseLong(run("stat", "-c", "%b", path.toString()).trim()) * 512;
  }

  private static FileTime mtime(Path path) throws IOException {
    return Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS);
  }

  private static List<String> names(ByteArrayOutputStream tar) throws IOException {
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
      }
    }
    return names;
  }

  private static Map<String, String> contents(ByteArrayOutputStream tar) throws IOException {
    Map<String, String> contents = new TreeMap<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        if (e.isFile()) {
          contents.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        }
      }
    }
    return contents;
  }

  @Test
  void aVolumeArchivedWholeHasItsChildrenAtTheTopLevel() throws Exception {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    BackupPlan.Files volume =
        new BackupPlan.Files(
            "glance-images", "pvc-glance-images", "/host", List.of("/"), List.of("*.pyc"), true);
    long entries = backup().write(volume, tar);

    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()), "UTF-8")) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
      }
    }
    assertThat(names)
        .hasSize((int) entries)
        .contains("etc/", "etc/nova/nova.conf", "var/lib/nova/");
    assertThat(names)
        .noneMatch(n -> n.isEmpty() || n.startsWith("/") || n.equals("./") || n.endsWith(".pyc"));
  }

  @Test
  void badPlansAreRejectedBeforeReading() {
    assertThatThrownBy(() -> FilesBackup.validate(plan(List.of("etc/nova"))))
        .hasMessage("files.paths[0] must be an absolute path: 'etc/nova'");
    assertThatThrownBy(
            () ->
                FilesBackup.validate(
                    new BackupPlan.Files("t", "n", "/host", List.of("/etc"), List.of("[a-"))))
        .hasMessageStartingWith("files.exclude[0] is not a valid glob '[a-'");
    assertThatThrownBy(() -> FilesBackup.validate(plan(List.of("/"))))
        .hasMessageContaining("files.paths[0] must name a directory or file below /");
    assertThatCode(
            () ->
                FilesBackup.validate(
                    new BackupPlan.Files("t", "pvc-c", "/host", List.of("/"), List.of(), true)))
        .as("/ is the whole volume of a volume target")
        .doesNotThrowAnyException();
  }

  /**
   * The source tree as an extraction must restore it: listed paths, their parents, nothing
   * excluded.
   */
  private Map<String, String> expected() throws IOException {
    Map<String, String> all = snapshot(node);
    assertThat(all)
        .containsKeys(
            "etc/nova/cache/sub/blob", "etc/nova/module.pyc", "var/lib/nova/instances/uuid/disk");
    Map<String, String> expected = new TreeMap<>(all);
    expected
        .keySet()
        .removeIf(
            k ->
                k.startsWith("etc/nova/cache")
                    || k.startsWith("var/lib/nova/instances")
                    || k.endsWith(".pyc")
                    || k.endsWith(".fifo"));
    assertThat(expected)
        .containsKeys(
            "etc",
            "var/lib",
            "etc/nova/empty",
            "etc/nova/with space.conf",
            "etc/nova/" + JAPANESE,
            "etc/nova/" + "d".repeat(60) + "/" + LONG_NAME,
            "etc/nova/absolute-link",
            "etc/nova/bin/__pycache__");
    return expected;
  }

  private static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.filter(p -> !p.equals(root)).toList()) {
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String type =
            switch (mode & 0170000) {
              case 0040000 -> "dir";
              case 0120000 -> "link";
              case 0100000 -> "file";
              default -> "other";
            };
        if (type.equals("other")) {
          continue;
        }
        String body =
            type.equals("link")
                ? "-> " + Files.readSymbolicLink(p)
                : type.equals("file") ? Files.readString(p) : "";
        out.put(
            root.relativize(p).toString(),
            describe(
                type,
                mode & 07777,
                ((Number) a.get("uid")).longValue(),
                ((Number) a.get("gid")).longValue(),
                ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond(),
                body));
      }
    }
    return out;
  }

  private static String describe(
      String type, int mode, long uid, long gid, long mtime, String body) {
    return String.format(
        "%s %04o %d:%d %s %s", type, mode, uid, gid, Instant.ofEpochSecond(mtime), body);
  }

  private static void file(Path path, String content, String permissions) throws IOException {
    Files.writeString(path, content);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
  }

  private static void chown(Path path, int uid, int gid) throws IOException {
    Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int code = process.waitFor();
    assertThat(code).as("%s: %s", String.join(" ", command), output).isZero();
    return output;
  }
}
