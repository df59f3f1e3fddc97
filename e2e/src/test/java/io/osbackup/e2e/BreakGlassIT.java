package io.osbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.RunPhase;
import io.osbackup.cli.BackupsCommand;
import io.osbackup.cli.RestoreCommand;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.store.ArtifactUpload;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The break-glass commands: backups taken by the operator are listed and restored from the bucket
 * after the Kubernetes API is gone, with nothing but S3 credentials and a database login, given
 * through the environment and files — never on the command line.
 */
class BreakGlassIT {

  @TempDir static Path work;
  static LocalOsbackup osb;
  static String id;
  static Map<String, String> env;
  static Path dbLogin;
  static Map<String, Long> atBackup;

  @BeforeAll
  static void backUpThenLoseTheCluster() throws Exception {
    osb = LocalOsbackup.start(work);
    osb.addNode("compute-1", "compute");
    osb.writeNovaConfig("compute-1", "[DEFAULT]\nhost = compute-1\n");
    osb.seed("bg_nova", "bg_keystone");
    // nova's service account: captured with the databases (accounts: Relevant), restored on request
    osb.db.execute(
        "CREATE USER 'bgnova'@'%' IDENTIFIED BY 'bgnova-Pw#1'",
        "GRANT ALL ON bg_nova.* TO 'bgnova'@'%'");
    // glance's image store, a PersistentVolumeClaim backed up whole
    Path images =
        Files.createDirectories(osb.cluster.claim(LocalOsbackup.NS, "bg-images").resolve("images"));
    Files.writeString(images.resolve("cirros.img"), "cirros image bytes");
    osb.apply(
        osb.policy(
            "bg",
            osb.databases("bg_nova", "bg_keystone")
                + """
        files:
          - name: nova-config
            nodeSelector: {openstack-role: compute}
            paths: [/etc/nova]
          - name: glance-images
            volume: {claimName: bg-images}
            paths: [/]
        """));
    BackupRun run = osb.backup("bg", "bg-1");
    assertThat(run.getStatus().getPhase())
        .as(run.getStatus().getMessage())
        .isEqualTo(RunPhase.Succeeded);
    id = run.getStatus().getBackupId();
    atBackup = osb.db.tableChecksums("bg_nova");
    // The node's disk, as an admin would mount it on a rescue machine.
    Path disk = Files.createDirectories(work.resolve("disk"));
    copy(osb.cluster.nodes().root("compute-1"), disk);
    // The manifest signing keys, as the admin keeps them off-site with the S3 credentials.
    String keys = signingKeys();
    osb.cluster.close(); // no Kubernetes API from here on
    env =
        Map.of(
            "OSBACKUP_S3_ACCESS_KEY",
            osb.s3.accessKey(),
            "OSBACKUP_S3_SECRET_KEY",
            osb.s3.secretKey(),
            "OSBACKUP_SIGNING_KEYS",
            keys);
    dbLogin = Files.createDirectories(work.resolve("db-login"));
    Files.writeString(dbLogin.resolve("username"), osb.db.user());
    Files.writeString(dbLogin.resolve("password"), osb.db.password() + "\n");
  }

  @AfterAll
  static void stop() {
    TestNamespace.closeAll(osb);
  }

  /** The store's signing keys as {@code <keyId>=<key>,...}, read from its signing Secret. */
  static String signingKeys() {
    var secret =
        osb.client
            .secrets()
            .inNamespace(LocalOsbackup.NS)
            .withName("primary-manifest-signing")
            .get();
    List<String> pairs = new ArrayList<>();
    secret
        .getData()
        .forEach(
            (k, v) -> {
              if (!"primary".equals(k)) {
                pairs.add(
                    k
                        + "="
                        + new String(
                            java.util.Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
              }
            });
    return String.join(",", pairs);
  }

  record Outcome(int code, String out, String err) {}

  static Outcome run(String command, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    Callable<Integer> cmd =
        "backups".equals(command)
            ? new BackupsCommand(env, o, e)
            : new RestoreCommand(env, Clock.systemUTC(), o, e);
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
                osb.s3.region()));
    all.addAll(List.of(args));
    int code = new CommandLine(cmd).execute(all.toArray(String[]::new));
    Outcome outcome =
        new Outcome(
            code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    assertThat(outcome.out() + outcome.err())
        .doesNotContain(osb.s3.secretKey())
        .doesNotContain(osb.db.password());
    return outcome;
  }

  @Test
  void listsTheBackupsAndWhatOneHolds() {
    Outcome list = run("backups");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out()).contains(id).contains("bg_keystone").contains("nova-config@compute-1");
    Outcome show = run("backups", "--namespace", "openstack", "--backup-id", id);
    assertThat(show.code()).isZero();
    assertThat(show.out())
        .contains("database galera/bg_nova")
        .contains("files    nova-config on compute-1")
        .contains("manifest  prod/openstack/bg/" + id + "/manifest.json");
    assertThat(run("backups", "--namespace", "openstack", "--backup-id", "nope").code())
        .isEqualTo(1);
  }

  @Test
  void restoresDatabasesAndTheirAccountsIntoAnEmptyServerSoTheServiceLogsIn() throws Exception {
    assertThat(run("backups", "--namespace", "openstack", "--backup-id", id).out())
        .contains("accounts galera (1 accounts and roles)")
        .contains("/accounts/galera.sql");
    try (io.osbackup.testbed.MariaDbServer fresh =
        io.osbackup.testbed.MariaDbServer.start(work.resolve("fresh"))) {
      Path freshLogin = Files.createDirectories(work.resolve("fresh-login"));
      Files.writeString(freshLogin.resolve("username"), fresh.user());
      Files.writeString(freshLogin.resolve("password"), fresh.password());
      List<String> args =
          List.of(
              "restore",
              "--namespace",
              "openstack",
              "--backup-id",
              id,
              "--database",
              "bg_nova",
              "--accounts",
              "--db-host",
              "127.0.0.1",
              "--db-port",
              String.valueOf(fresh.port()),
              "--db-credentials-dir",
              freshLogin.toString());
      Outcome restored = run(args.get(0), args.subList(1, args.size()).toArray(String[]::new));
      assertThat(restored.code()).as(restored.err()).isZero();
      assertThat(restored.out())
          .contains("accounts: created 1 ['bgnova'@'%']")
          .doesNotContain("bgnova-Pw#1");
      var nova =
          new io.osbackup.testbed.SqlClient("127.0.0.1", fresh.port(), "bgnova", "bgnova-Pw#1");
      assertThat(nova.tableChecksums("bg_nova")).isEqualTo(atBackup);
      assertThat(nova.column("SHOW GRANTS"))
          .contains("GRANT ALL PRIVILEGES ON `bg_nova`.* TO `bgnova`@`%`");

      // Again, in place: the existing account is listed and left as it is.
      fresh.execute("ALTER USER 'bgnova'@'%' IDENTIFIED BY 'changed-Pw#1'");
      List<String> again = new ArrayList<>(args.subList(1, args.size()));
      again.addAll(List.of("--confirm", id));
      Outcome kept = run("restore", again.toArray(String[]::new));
      assertThat(kept.code()).as(kept.err()).isZero();
      assertThat(kept.out())
          .contains("left unchanged 1 that exist already ['bgnova'@'%']")
          .contains("--replace-existing-accounts replaces them");
      assertThat(
              new io.osbackup.testbed.SqlClient("127.0.0.1", fresh.port(), "bgnova", "changed-Pw#1")
                  .column("SELECT 1"))
          .containsExactly("1");

      // A renamed database with accounts is refused: grants name the backed-up database.
      Outcome renamed =
          run(
              "restore",
              "--namespace",
              "openstack",
              "--backup-id",
              id,
              "--database",
              "bg_nova=bg_other",
              "--accounts",
              "--db-host",
              "127.0.0.1",
              "--db-port",
              String.valueOf(fresh.port()),
              "--db-credentials-dir",
              freshLogin.toString());
      assertThat(renamed.code()).isEqualTo(2);
      assertThat(renamed.err()).contains("--accounts with --database NAME=NEW");
    }
  }

  @Test
  void restoresADatabaseUnderAnotherNameThenInPlaceOnlyWithConfirm() {
    Outcome copy =
        run(
            "restore",
            "--namespace",
            "openstack",
            "--backup-id",
            id,
            "--database",
            "bg_nova=bg_nova_copy",
            "--db-host",
            "127.0.0.1",
            "--db-port",
            String.valueOf(osb.db.port()),
            "--db-credentials-dir",
            dbLogin.toString());
    assertThat(copy.code()).as(copy.err()).isZero();
    assertThat(osb.db.tableChecksums("bg_nova_copy")).isEqualTo(atBackup);

    osb.db.execute("UPDATE bg_nova.hosts SET name = 'broken'");
    Map<String, Long> broken = osb.db.tableChecksums("bg_nova");
    String[] inPlace = {
      "--namespace",
      "openstack",
      "--backup-id",
      id,
      "--database",
      "bg_nova",
      "--db-host",
      "127.0.0.1",
      "--db-port",
      String.valueOf(osb.db.port()),
      "--db-credentials-dir",
      dbLogin.toString()
    };
    Outcome refused = run("restore", inPlace);
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err()).contains("--confirm " + id).contains("nothing was changed");
    assertThat(osb.db.tableChecksums("bg_nova")).isEqualTo(broken);

    Outcome dry = run("restore", concat(inPlace, "--dry-run"));
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("dry run").contains("--confirm " + id);
    assertThat(osb.db.tableChecksums("bg_nova")).isEqualTo(broken);

    Outcome done = run("restore", concat(inPlace, "--confirm", id));
    assertThat(done.code()).as(done.err()).isZero();
    assertThat(osb.db.tableChecksums("bg_nova")).isEqualTo(atBackup);
    assertThat(osb.db.column("SHOW DATABASES LIKE 'bg_nova_orig_%'"))
        .singleElement()
        .satisfies(kept -> assertThat(osb.db.tableChecksums(kept)).isEqualTo(broken));
  }

  /**
   * The break-glass CLI loads scripts through the same checks as the agent: a tampered artifact
   * (its manifest rewritten to match) is first refused as an unsigned rewrite; told to restore it
   * anyway (--allow-unsigned-manifest), its shell command and switch to another database are still
   * refused naming the line, the command does not run and nothing is written.
   */
  @Test
  void aTamperedArtifactIsRefusedAndRunsNothing() throws Exception {
    String manifestKey = "prod/openstack/bg/" + id + "/manifest.json";
    byte[] signedManifest;
    try (InputStream in = osb.bucket.download(manifestKey)) {
      signedManifest = in.readAllBytes();
    }
    Manifest manifest = osb.bucket.getJson(manifestKey, Manifest.class).orElseThrow();
    Manifest.Entry keystone =
        manifest.artifacts().stream()
            .filter(a -> "bg_keystone".equals(a.database()))
            .findFirst()
            .orElseThrow();
    byte[] artifact;
    try (InputStream in = osb.bucket.download(keystone.key())) {
      artifact = in.readAllBytes();
    }
    String script;
    try (InputStream in = Compression.GZIP.decompress(new java.io.ByteArrayInputStream(artifact))) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Path marker = work.resolve("break-glass-marker");
    String evil =
        script.replaceFirst(
            "(?m)^UNLOCK TABLES;$",
            "UNLOCK TABLES;\n\\\\! touch " + marker + "\n\\\\u bg_nova\nDROP TABLE hosts;");
    Map<String, Long> nova = osb.db.tableChecksums("bg_nova");
    StoredArtifact stored;
    try (ArtifactUpload upload = osb.bucket.open(keystone.key(), Compression.GZIP)) {
      upload.stream().write(evil.getBytes(StandardCharsets.UTF_8));
      stored = upload.finish();
    }
    List<Manifest.Entry> artifacts = new ArrayList<>();
    for (Manifest.Entry a : manifest.artifacts()) {
      artifacts.add(
          a != keystone
              ? a
              : new Manifest.Entry(
                  a.kind(),
                  a.target(),
                  a.database(),
                  a.node(),
                  a.key(),
                  stored.size(),
                  a.rawSize(),
                  stored.sha256(),
                  a.compression(),
                  a.files(),
                  a.source(),
                  a.startedAt(),
                  a.finishedAt(),
                  a.warnings()));
    }
    osb.bucket.putJson(
        manifestKey,
        new Manifest(
            manifest.formatVersion(),
            manifest.backupId(),
            manifest.namespace(),
            manifest.policy(),
            manifest.run(),
            manifest.store(),
            manifest.bucket(),
            manifest.folder(),
            manifest.compression(),
            manifest.startedAt(),
            manifest.completedAt(),
            manifest.size(),
            artifacts,
            manifest.owner()));
    try {
      String[] args = {
        "--namespace",
        "openstack",
        "--backup-id",
        id,
        "--database",
        "bg_keystone=bg_keystone_tampered",
        "--db-host",
        "127.0.0.1",
        "--db-port",
        String.valueOf(osb.db.port()),
        "--db-credentials-dir",
        dbLogin.toString()
      };
      Outcome unsigned = run("restore", args);
      assertThat(unsigned.code()).as(unsigned.out() + unsigned.err()).isEqualTo(1);
      assertThat(unsigned.err())
          .contains("ManifestSignatureInvalid")
          .contains("nothing was changed");

      Outcome refused = run("restore", concat(args, "--allow-unsigned-manifest"));

      assertThat(refused.code()).as(refused.out() + refused.err()).isEqualTo(1);
      assertThat(refused.err()).contains("warning: ManifestSignatureInvalid");
      assertThat(refused.out() + refused.err())
          .contains("cannot be restored safely")
          .containsPattern(
              "line \\d+ refused: '\\\\!': client commands are not part of a backup script");
      assertThat(marker).doesNotExist();
      assertThat(osb.db.tableChecksums("bg_nova")).isEqualTo(nova);
      assertThat(osb.db.column("SHOW DATABASES LIKE 'bg_keystone_tampered%'")).isEmpty();
    } finally {
      // the very bytes the signed manifest describes
      try (ArtifactUpload upload = osb.bucket.open(keystone.key(), Compression.NONE)) {
        upload.stream().write(artifact);
        upload.finish();
      }
      osb.bucket.putJsonBytes(manifestKey, signedManifest);
    }
  }

  @Test
  void restoresANodesDirectoryOntoAMountedDisk() throws Exception {
    Path disk = work.resolve("disk");
    Files.writeString(disk.resolve("etc/nova/nova.conf"), "broken");
    String[] args = {
      "--namespace",
      "openstack",
      "--backup-id",
      id,
      "--files-target",
      "nova-config",
      "--node",
      "compute-1",
      "--root",
      disk.toString()
    };
    Outcome refused = run("restore", args);
    assertThat(refused.code()).isEqualTo(2);
    assertThat(Files.readString(disk.resolve("etc/nova/nova.conf"))).isEqualTo("broken");

    Outcome done = run("restore", concat(args, "--confirm", id));
    assertThat(done.code()).as(done.err()).isZero();
    assertThat(Files.readString(disk.resolve("etc/nova/nova.conf")))
        .isEqualTo("[DEFAULT]\nhost = compute-1\n");
    try (Stream<Path> kept = Files.list(disk.resolve("etc"))) {
      assertThat(kept.map(p -> p.getFileName().toString()))
          .anySatisfy(n -> assertThat(n).startsWith("nova.orig-"));
    }
  }

  @Test
  void restoresADirectoryOfAVolumeBackedUpWholeOntoTheMountedVolume() throws Exception {
    Path volume = Files.createDirectories(work.resolve("mounted-volume"));
    String[] whole = {
      "--namespace",
      "openstack",
      "--backup-id",
      id,
      "--files-target",
      "glance-images",
      "--node",
      "pvc-bg-images",
      "--root",
      volume.toString()
    };
    Outcome refused = run("restore", concat(whole, "--confirm", id));
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err())
        .contains("whole volume 'bg-images'")
        .contains("--path")
        .contains("/images");

    Outcome done = run("restore", concat(whole, "--path", "/images", "--confirm", id));
    assertThat(done.code()).as(done.err()).isZero();
    assertThat(Files.readString(volume.resolve("images/cirros.img")))
        .isEqualTo("cirros image bytes");
  }

  @Test
  void badArgumentsAreRefusedNamingTheOption() {
    Outcome unknown =
        run(
            "restore",
            "--namespace",
            "openstack",
            "--backup-id",
            id,
            "--database",
            "glance",
            "--db-host",
            "127.0.0.1",
            "--db-credentials-dir",
            dbLogin.toString());
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("--database").contains("glance").contains("bg_nova");
    Outcome noId =
        run(
            "restore",
            "--namespace",
            "openstack",
            "--backup-id",
            "bg-nope",
            "--all-databases",
            "--db-host",
            "127.0.0.1",
            "--db-credentials-dir",
            dbLogin.toString());
    assertThat(noId.code()).isEqualTo(2);
    assertThat(noId.err()).contains("--backup-id");
    Outcome denied =
        run(
            "restore",
            "--namespace",
            "openstack",
            "--backup-id",
            id,
            "--files-target",
            "nova-config",
            "--node",
            "compute-1",
            "--root",
            work.resolve("disk").toString(),
            "--to-path",
            "/etc/kubernetes/x",
            "--confirm",
            id);
    assertThat(denied.code()).isEqualTo(2);
    assertThat(denied.err())
        .contains("--to-path /etc/kubernetes/x is inside the denied /etc/kubernetes")
        .contains("never writes denied node paths");
    assertThat(work.resolve("disk/etc/kubernetes")).doesNotExist();
    Outcome nothing = run("restore", "--namespace", "openstack", "--backup-id", id);
    assertThat(nothing.code()).isEqualTo(2);
    assertThat(nothing.err()).contains("--database").contains("--files-target");
  }

  static String[] concat(String[] a, String... b) {
    return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
  }

  static void copy(Path from, Path to) throws Exception {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        }
      }
    }
  }
}
