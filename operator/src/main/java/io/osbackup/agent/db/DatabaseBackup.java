package io.osbackup.agent.db;

import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Compression;
import io.osbackup.contract.StoredArtifact;
import io.osbackup.store.ArtifactSink;
import io.osbackup.store.ArtifactUpload;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database half of the agent: checks the server over JDBC, runs one {@code mariadb-dump} over
 * every selected database of a target (one consistent snapshot) and stores one artifact per
 * database, each restorable alone with {@code mariadb < file}.
 */
public final class DatabaseBackup {

  /**
   * Environment variable naming the dump tool; else {@code mariadb-dump}, else {@code mysqldump} on
   * the PATH.
   */
  public static final String DUMP_COMMAND_ENV = "OSBACKUP_DUMP_COMMAND";

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseBackup.class);
  private static final int MAX_VIEWS_DUMP = 16 * 1024 * 1024;
  private static final int STREAM_BUFFER = 256 * 1024;

  private final String dumpCommand;

  /**
   * @param dumpCommand path or name of {@code mariadb-dump} (or a compatible {@code mysqldump})
   */
  public DatabaseBackup(String dumpCommand) {
    this.dumpCommand = dumpCommand;
  }

  /**
   * Uses {@value #DUMP_COMMAND_ENV} if set, else {@code mariadb-dump} on the PATH, else {@code
   * mysqldump}.
   */
  public static DatabaseBackup withDefaultDumpCommand() {
    return new DatabaseBackup(defaultDumpCommand());
  }

  static String defaultDumpCommand() {
    String configured = System.getenv(DUMP_COMMAND_ENV);
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    String path = System.getenv("PATH");
    for (String name : List.of("mariadb-dump", "mysqldump")) {
      if (path != null) {
        for (String dir : path.split(File.pathSeparator)) {
          if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
            return name;
          }
        }
      }
    }
    return "mariadb-dump";
  }

  /**
   * One stored per-database artifact, or the target's accounts artifact.
   *
   * @param database the database; null for the accounts artifact
   * @param accounts the number of accounts and roles in the accounts artifact; null for a database
   */
  public record Artifact(String database, StoredArtifact stored, Long accounts) {

    public Artifact(String database, StoredArtifact stored) {
      this(database, stored, null);
    }

    BackupReport.Artifact toReport() {
      return accounts != null
          ? BackupReport.Artifact.ofAccounts(stored, accounts)
          : BackupReport.Artifact.of(stored, database, null);
    }
  }

  /** What a successful backup of one target read and stored. */
  public record Result(
      String host,
      int port,
      String serverVersion,
      List<String> databases,
      List<Artifact> artifacts) {

    public BackupReport.Source source() {
      return new BackupReport.Source(host, port, serverVersion, databases, null);
    }

    public List<BackupReport.Artifact> reportArtifacts() {
      return artifacts.stream().map(Artifact::toReport).toList();
    }
  }

  /**
   * Backs up the databases of {@code target} below {@code folder}: one artifact per database at
   * {@link BackupLayout#databaseArtifact}. One upload is open at a time; on failure it is aborted
   * and the exception lists the artifacts finished before.
   */
  public Result run(
      BackupPlan.Database target,
      DatabaseLogin login,
      String folder,
      Compression compression,
      ArtifactSink sink)
      throws DatabaseBackupException {
    String host = target.host();
    int port = target.port();
    String server = host + ":" + port;
    BackupReport.Source where = new BackupReport.Source(host, port, null, null, null);

    Preflight.Survey survey;
    try {
      survey = Preflight.survey(host, port, login, target.tls());
    } catch (Preflight.PreflightException e) {
      throw new DatabaseBackupException(e.getMessage(), null, where, List.of());
    }
    List<String> selected;
    try {
      selected =
          DatabaseSelection.resolve(
              target.include(),
              target.exclude(),
              target.includeSystemDatabases(),
              survey.databases(),
              server);
    } catch (IllegalArgumentException e) {
      throw new DatabaseBackupException(e.getMessage(), null, where, List.of());
    }
    BackupReport.Source source =
        new BackupReport.Source(host, port, survey.serverVersion(), selected, null);
    if (selected.isEmpty()) {
      throw new DatabaseBackupException(
          "nothing to back up on "
              + server
              + ": it has no databases left after spec.databases[].include/exclude (it has "
              + survey.databases()
              + ")",
          null,
          source,
          List.of());
    }
    String accountsMode = target.accounts() == null ? AccountsDump.NONE : target.accounts();
    boolean withAccounts = !AccountsDump.NONE.equals(accountsMode);
    if (withAccounts) {
      String problem;
      try {
        problem =
            Preflight.withConnection(
                host,
                port,
                login,
                target.tls(),
                c -> Preflight.accountsReadable(c, login.username()));
      } catch (Preflight.PreflightException e) {
        throw new DatabaseBackupException(e.getMessage(), null, source, List.of());
      }
      if (problem != null) {
        throw new DatabaseBackupException(problem, null, source, List.of());
      }
    }
    LOG.info(
        "{} at {} (server {}): dumping {} as one snapshot",
        target.target(),
        server,
        survey.serverVersion(),
        selected);

    try (ClientOptionFile options = ClientOptionFile.write(login, target.tls())) {
      Map<String, byte[]> views = new LinkedHashMap<>();
      List<String> ignored = new ArrayList<>();
      for (String db : selected) {
        List<String> names = survey.views().getOrDefault(db, List.of());
        if (!names.isEmpty()) {
          views.put(db, dumpViews(options, host, port, db, names));
          names.forEach(v -> ignored.add("--ignore-table=" + db + "." + v));
        }
      }
      // An uncompressed dump is text: up to about twice the table data; compressed, less than it.
      Map<String, Long> expected = new LinkedHashMap<>();
      survey
          .dataBytes()
          .forEach(
              (db, bytes) -> expected.put(db, compression == Compression.NONE ? 2 * bytes : bytes));
      List<Artifact> artifacts = new ArrayList<>();
      if (withAccounts) {
        // Grant tables are not transactional: no snapshot covers them. They are read right before
        // the dump starts.
        artifacts.add(
            accounts(
                target, login, folder, compression, sink, selected, accountsMode, survey, source));
      }
      try {
        artifacts.addAll(
            dump(
                options,
                target,
                folder,
                compression,
                sink,
                selected,
                views,
                ignored,
                source,
                expected));
      } catch (DatabaseBackupException e) {
        List<BackupReport.Artifact> finished = new ArrayList<>();
        artifacts.forEach(a -> finished.add(a.toReport()));
        finished.addAll(e.finished());
        throw new DatabaseBackupException(e.getMessage(), e.getCause(), source, finished);
      }
      return new Result(host, port, survey.serverVersion(), selected, artifacts);
    } catch (ToolFailed | DumpSplitter.DumpFormatException e) {
      throw new DatabaseBackupException(e.getMessage(), e, source, List.of());
    } catch (IOException e) {
      throw new DatabaseBackupException(
          "could not prepare the dump of " + server + ": " + e.getMessage(), e, source, List.of());
    }
  }

  /**
   * Reads the target's accounts ({@link AccountsDump}), checks the script against the restore's
   * allow-list, and stores it at {@link BackupLayout#accountsArtifact}.
   */
  private Artifact accounts(
      BackupPlan.Database target,
      DatabaseLogin login,
      String folder,
      Compression compression,
      ArtifactSink sink,
      List<String> selected,
      String mode,
      Preflight.Survey survey,
      BackupReport.Source source)
      throws DatabaseBackupException {
    String server = target.host() + ":" + target.port();
    List<String> header =
        List.of(
            "osbackup accounts of target "
                + target.target()
                + " on "
                + server
                + " ("
                + survey.serverVersion()
                + "), accounts: "
                + mode
                + (AccountsDump.ALL.equals(mode) ? "" : " to " + selected),
            "Passwords are the hashes the server keeps. Into an empty server: mariadb < this file. An account that",
            "exists already keeps its password; its grants are added to. osbackup restore --accounts does more.");
    AccountsDump.Result read;
    try {
      read =
          Preflight.withConnection(
              target.host(),
              target.port(),
              login,
              target.tls(),
              c -> AccountsDump.read(c, mode, selected, header));
    } catch (Preflight.PreflightException e) {
      throw new DatabaseBackupException(
          "reading the accounts of " + server + ": " + e.getMessage(), e, source, List.of());
    }
    try {
      AccountsScript.parse(read.script());
    } catch (AccountsScript.RefusedException e) {
      throw new DatabaseBackupException(
          "the accounts read from "
              + server
              + " would not pass the restore's allow-list ("
              + e.getMessage()
              + "): set spec.databases[].accounts: None and report this",
          e,
          source,
          List.of());
    }
    String key = BackupLayout.accountsArtifact(folder, target.target(), compression);
    byte[] bytes = read.script().getBytes(StandardCharsets.UTF_8);
    ArtifactUpload upload = null;
    try {
      upload = sink.open(key, compression, bytes.length);
      OutputStream out = upload.stream();
      out.write(bytes);
      out.flush();
      StoredArtifact stored = upload.finish();
      LOG.info(
          "stored {} ({} accounts and roles, {} bytes)",
          key,
          read.accounts().size(),
          stored.size());
      return new Artifact(null, stored, (long) read.accounts().size());
    } catch (IOException | RuntimeException e) {
      if (upload != null) {
        upload.abort(e.getMessage());
      }
      throw new DatabaseBackupException(
          "could not store " + key + ": " + e.getMessage(), e, source, List.of());
    }
  }

  private List<String> commonArguments(ClientOptionFile options, String host, int port) {
    List<String> args = new ArrayList<>();
    args.add(dumpCommand);
    args.add(options.argument()); // must come first
    args.add("--protocol=TCP");
    args.add("--host=" + host);
    args.add("--port=" + port);
    args.add("--default-character-set=utf8mb4");
    args.add("--max-allowed-packet=1G");
    args.add("--single-transaction");
    return args;
  }

  private Process start(List<String> args) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(args);
    pb.environment().remove("MYSQL_PWD");
    pb.environment().remove("MYSQL_HOST");
    pb.environment().remove("MYSQL_TCP_PORT");
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    try {
      return pb.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run '"
              + dumpCommand
              + "' ("
              + e.getMessage()
              + "): install the MariaDB client or set "
              + DUMP_COMMAND_ENV,
          e);
    }
  }

  /**
   * mariadb-dump writes view definitions in a second pass after all databases, too late for
   * per-database artifacts. So views are dumped first, per database (definitions only, small),
   * appended to that database's artifact, and left out of the main dump with {@code
   * --ignore-table}. View definitions are DDL, which no transaction snapshots anyway.
   */
  private byte[] dumpViews(
      ClientOptionFile options, String host, int port, String db, List<String> names)
      throws IOException {
    List<String> args = commonArguments(options, host, port);
    args.addAll(
        List.of("--skip-triggers", "--no-data", "--skip-routines", "--skip-events", "--", db));
    args.addAll(names);
    Process p = start(args);
    ErrorTail errors = ErrorTail.drain(p.getErrorStream(), "mariadb-dump");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        if (out.size() > MAX_VIEWS_DUMP) {
          p.destroyForcibly();
          throw new IOException("the view definitions of database '" + db + "' exceed 16 MiB");
        }
      }
      int exit = p.waitFor();
      String tail = errors.await();
      if (exit != 0 || errors.sawError()) {
        throw new ToolFailed(toolFailure("mariadb-dump of the views of '" + db + "'", exit, tail));
      }
      return DumpSplitter.viewsBody(out.toByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      p.destroyForcibly();
    }
  }

  private List<Artifact> dump(
      ClientOptionFile options,
      BackupPlan.Database target,
      String folder,
      Compression compression,
      ArtifactSink sink,
      List<String> selected,
      Map<String, byte[]> views,
      List<String> ignored,
      BackupReport.Source source,
      Map<String, Long> expected)
      throws IOException, DatabaseBackupException {
    List<String> args = commonArguments(options, target.host(), target.port());
    args.addAll(List.of("--quick", "--routines", "--triggers", "--events", "--hex-blob"));
    args.addAll(ignored);
    args.add("--databases");
    args.add("--");
    args.addAll(selected);

    Process process = start(args);
    ErrorTail errors = ErrorTail.drain(process.getErrorStream(), "mariadb-dump");
    Uploads uploads =
        new Uploads(process, errors, target.target(), folder, compression, sink, expected);
    try (InputStream stdout = process.getInputStream()) {
      new DumpSplitter(selected, views).split(stdout, uploads);
      return uploads.finished;
    } catch (IOException | RuntimeException e) {
      process.destroyForcibly();
      int exit = waitFor(process);
      String tail = errors.await();
      String reason;
      if (uploads.sinkFailure != null) {
        reason = "could not store " + uploads.sinkFailure + ": " + e.getMessage();
      } else if (e instanceof ToolFailed) {
        reason = e.getMessage();
      } else if (exit != 0 || errors.sawError()) {
        reason = toolFailure("mariadb-dump", exit, tail) + " (" + e.getMessage() + ")";
      } else {
        reason = "mariadb-dump of " + target.host() + ":" + target.port() + ": " + e.getMessage();
      }
      uploads.abort(reason);
      throw new DatabaseBackupException(
          reason, e, source, uploads.finished.stream().map(Artifact::toReport).toList());
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }

  private static int waitFor(Process process) {
    try {
      if (process.waitFor(30, TimeUnit.SECONDS)) {
        return process.exitValue();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return -1;
  }

  public static String toolFailure(String tool, int exit, String stderrTail) {
    String how =
        exit > 128
            ? " was killed by signal " + (exit - 128)
            : exit == 0 ? " reported an error" : " failed with exit code " + exit;
    return tool + how + (stderrTail.isBlank() ? "" : ": " + stderrTail.strip());
  }

  /** The dump tool itself reported a failure. */
  private static final class ToolFailed extends IOException {
    ToolFailed(String message) {
      super(message);
    }
  }

  /**
   * Turns each database section into an upload, one at a time, checking the tool's health before
   * each finish.
   */
  private static final class Uploads implements DumpSplitter.Target {
    private final Process process;
    private final ErrorTail errors;
    private final String target;
    private final String folder;
    private final Compression compression;
    private final ArtifactSink sink;
    private final Map<String, Long> expected;
    final List<Artifact> finished = new ArrayList<>();
    String sinkFailure;
    private ArtifactUpload open;
    private String openKey;
    private OutputStream stream;

    Uploads(
        Process process,
        ErrorTail errors,
        String target,
        String folder,
        Compression compression,
        ArtifactSink sink,
        Map<String, Long> expected) {
      this.process = process;
      this.expected = expected;
      this.errors = errors;
      this.target = target;
      this.folder = folder;
      this.compression = compression;
      this.sink = sink;
    }

    @Override
    public OutputStream open(String database) throws IOException {
      openKey = BackupLayout.databaseArtifact(folder, target, database, compression);
      try {
        open = sink.open(openKey, compression, expected.getOrDefault(database, 0L));
      } catch (IOException | RuntimeException e) {
        sinkFailure = openKey;
        throw e;
      }
      stream = new SinkStream(new BufferedOutputStream(open.stream(), STREAM_BUFFER));
      return stream;
    }

    @Override
    public void finish(String database, boolean last) throws IOException {
      if (last) {
        int exit;
        try {
          exit = process.waitFor();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for mariadb-dump", e);
        }
        String tail = errors.await();
        if (exit != 0 || errors.sawError()) {
          throw new ToolFailed(toolFailure("mariadb-dump", exit, tail));
        }
      } else if (errors.sawError()) {
        throw new ToolFailed(toolFailure("mariadb-dump", 0, errors.text()));
      }
      try {
        stream.flush();
        StoredArtifact stored = open.finish();
        finished.add(new Artifact(database, stored));
        LOG.info("stored {} ({} bytes, {} raw)", stored.key(), stored.size(), stored.rawSize());
      } catch (IOException | RuntimeException e) {
        sinkFailure = openKey;
        throw e;
      } finally {
        open = null;
      }
    }

    void abort(String reason) {
      if (open != null) {
        open.abort(reason);
        open = null;
      }
    }

    /** Marks write errors as the sink's, so the message blames the upload, not the dump. */
    private final class SinkStream extends OutputStream {
      private final OutputStream delegate;

      SinkStream(OutputStream delegate) {
        this.delegate = delegate;
      }

      @Override
      public void write(int b) throws IOException {
        try {
          delegate.write(b);
        } catch (IOException | RuntimeException e) {
          sinkFailure = openKey;
          throw e;
        }
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          delegate.write(b, off, len);
        } catch (IOException | RuntimeException e) {
          sinkFailure = openKey;
          throw e;
        }
      }

      @Override
      public void flush() throws IOException {
        try {
          delegate.flush();
        } catch (IOException | RuntimeException e) {
          sinkFailure = openKey;
          throw e;
        }
      }
    }
  }
}
