package io.osbackup.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.agent.files.FilesBackup;
import io.osbackup.agent.files.MountTable;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Compression;
import io.osbackup.contract.Json;
import io.osbackup.contract.RestorePlan;
import io.osbackup.store.Bucket;
import io.osbackup.store.Credentials;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code osbackup agent}: does the data work of one Job of osbackup, which the plan in its
 * environment names. A backup Job gets a {@link BackupPlan} in {@code $OSBACKUP_PLAN}: the agent
 * uploads the artifacts and always writes a {@link BackupReport} to the bucket, since agent pods
 * have no Kubernetes access. A restore Job (or a RestoreRequest's verify Job) gets a {@link
 * RestorePlan} in {@code $OSBACKUP_RESTORE_PLAN} instead, and {@link RestoreAgent} does it and
 * writes a restore report. Exits 0 on success, 1 on a failed backup or restore, 2 on a bad plan.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one Job of osbackup, the one its plan names. A backup: reads the plan (JSON) from $"
          + BackupPlan.ENV
          + ", uploads the artifacts and a report to the bucket. A restore or a verification: reads"
          + " the plan from $"
          + RestorePlan.ENV
          + ", checks and restores the artifacts and writes a report to the bucket. A failure is"
          + " also written to "
          + AgentCommand.TERMINATION_LOG
          + ".",
      "Exit codes: 0 succeeded, 1 backup or restore failed, 2 bad plan."
    })
public final class AgentCommand implements Callable<Integer> {

  /**
   * Where Kubernetes reads the container's termination message from (resolved through the mount
   * table).
   */
  public static final String TERMINATION_LOG = "/dev/termination-log";

  /** Kubernetes keeps at most this many bytes of a termination message. */
  static final int MAX_TERMINATION_MESSAGE = 4096;

  static final int SUCCEEDED = 0;
  static final int FAILED = 1;
  static final int BAD_PLAN = 2;

  private final Map<String, String> env;
  private final BucketConnector connector;
  private final DatabaseDump databaseDump;
  private final DatabaseRestorer restoreDatabases = DatabaseRestorer.mariadb();
  private final Clock clock;
  private final PrintStream out;
  private final PrintStream err;
  private final ShutdownHooks shutdownHooks;
  private volatile Secrets secrets = Secrets.none();

  /** What the agent is doing, for its messages: backup or restore. */
  private String work = "backup";

  /** The agent of a real pod: the process environment, the S3 store and the database half. */
  public AgentCommand() {
    this(
        System.getenv(),
        BucketConnector.objectStore(),
        DatabaseDump.mariadb(),
        Clock.systemUTC(),
        System.out,
        System.err);
  }

  /** An agent with its surroundings given, for tests and the local Job runner. */
  public AgentCommand(
      Map<String, String> env,
      BucketConnector connector,
      DatabaseDump databaseDump,
      Clock clock,
      PrintStream out,
      PrintStream err) {
    this(env, connector, databaseDump, clock, out, err, ShutdownHooks.runtime());
  }

  AgentCommand(
      Map<String, String> env,
      BucketConnector connector,
      DatabaseDump databaseDump,
      Clock clock,
      PrintStream out,
      PrintStream err,
      ShutdownHooks shutdownHooks) {
    this.shutdownHooks = shutdownHooks;
    this.env = env;
    this.connector = connector;
    this.databaseDump = databaseDump;
    this.clock = clock;
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    Instant startedAt = clock.instant();
    MountTable mounts;
    try {
      mounts = MountTable.fromEnv(env);
    } catch (IllegalArgumentException e) {
      // Only the local runner sets the mount table; without it there is no termination log to write
      // to.
      err.println("osbackup agent: " + e.getMessage());
      return BAD_PLAN;
    }

    String restorePlan = env.get(RestorePlan.ENV);
    if (restorePlan != null && !restorePlan.isBlank()) {
      work = "restore";
      RestoreAgent restore = new RestoreAgent(mounts, connector, restoreDatabases, clock, out, err);
      RestoreAgent.Result result = restore.run(restorePlan);
      secrets = restore.secrets();
      return result.code() == SUCCEEDED ? SUCCEEDED : fail(mounts, result.code(), result.message());
    }

    BackupPlan plan;
    try {
      plan = readPlan(env.get(BackupPlan.ENV));
      checkReportable(plan);
    } catch (IllegalArgumentException e) {
      return fail(mounts, BAD_PLAN, e.getMessage());
    }

    plan = plan.withLocalFiles(path -> mounts.resolve(path).toString());
    Credentials credentials;
    try {
      credentials = Credentials.fromDirectory(mounts.resolve(plan.store().credentialsDir()));
    } catch (IOException e) {
      return fail(mounts, FAILED, describe(e) + " (no report written)");
    }
    secrets = secrets.with(credentials.accessKey(), credentials.secretKey());
    Bucket bucket;
    try {
      bucket = connector.connect(plan.store(), credentials);
    } catch (Exception e) {
      restoreInterrupt(e);
      return fail(
          mounts,
          FAILED,
          "cannot reach bucket "
              + plan.store().bucket()
              + " at "
              + plan.store().endpoint()
              + ": "
              + describe(e)
              + " (no report written)");
    }
    OpenUploads uploads = new OpenUploads(bucket);
    Runnable unregister = shutdownHooks.add(() -> stop(uploads));
    try (bucket) {
      return backup(plan, mounts, bucket, uploads, startedAt);
    } finally {
      unregister.run();
    }
  }

  /** On SIGTERM (Job cancelled or past its deadline): abort the uploads in flight. */
  private void stop(OpenUploads uploads) {
    int aborted = uploads.abortAll("the agent was stopped (SIGTERM)");
    err.println(
        "osbackup agent: stopped (SIGTERM): aborted "
            + aborted
            + " upload(s) in flight, nothing of them stays in the bucket");
  }

  /** Does the work of {@code plan} and writes its report; returns the exit code. */
  private int backup(
      BackupPlan plan, MountTable mounts, Bucket bucket, OpenUploads uploads, Instant startedAt) {
    ReportDraft draft =
        new ReportDraft(
            this::logArtifact,
            text -> secrets.redact(text),
            warning -> err.println("warning: " + warning));
    int code = SUCCEEDED;
    String message = null;
    Compression compression = null;
    try {
      checkWork(plan);
      compression = Compression.of(plan.compression());
    } catch (IllegalArgumentException e) {
      code = BAD_PLAN;
      message = "invalid plan: " + e.getMessage();
    }
    if (code == SUCCEEDED) {
      try {
        if (plan.files() != null) {
          draft.source(
              new BackupReport.Source(
                  null,
                  null,
                  null,
                  null,
                  plan.files().paths(),
                  plan.files().exclude() == null || plan.files().exclude().isEmpty()
                      ? null
                      : plan.files().exclude()));
          FilesBackup files = new FilesBackup(mounts, draft::warning);
          draft.artifact(files.backup(plan.folder(), plan.files(), compression, uploads));
        } else {
          draft.source(
              new BackupReport.Source(
                  plan.database().host(), plan.database().port(), null, null, null));
          DatabaseLogin login =
              DatabaseLogin.read(mounts.resolve(plan.database().credentialsDir()));
          secrets = secrets.with(login.password());
          databaseDump.dump(plan, login, uploads, draft);
        }
      } catch (Exception e) {
        restoreInterrupt(e);
        code = FAILED;
        message = describe(e);
      }
      if (code == SUCCEEDED && uploads.stopped() != null) {
        code = FAILED; // the JVM is going down; the report is written if it gets that far
        message = uploads.stopped();
      }
    }

    BackupReport report =
        new BackupReport(
            plan.jobName(),
            plan.files() != null
                ? plan.files().target()
                : plan.database() != null ? plan.database().target() : null,
            plan.files() != null ? plan.files().node() : null,
            code == SUCCEEDED,
            message == null ? null : secrets.redact(message),
            startedAt,
            clock.instant(),
            draft.source(),
            draft.artifacts(),
            draft.warnings());
    String reportKey = BackupLayout.report(plan.folder(), plan.jobName());
    try {
      bucket.putJson(reportKey, report);
    } catch (Exception e) {
      restoreInterrupt(e);
      String failure = "cannot write the report " + reportKey + ": " + describe(e);
      message = message == null ? failure : message + "; " + failure;
      code = code == SUCCEEDED ? FAILED : code;
    }
    if (code != SUCCEEDED) {
      return fail(mounts, code, message);
    }
    out.println(
        "backup succeeded: " + draft.artifacts().size() + " artifact(s), report " + reportKey);
    return SUCCEEDED;
  }

  private static BackupPlan readPlan(String json) {
    if (json == null || json.isBlank()) {
      throw new IllegalArgumentException(
          BackupPlan.ENV + " is not set: the agent reads its plan (JSON) from it");
    }
    BackupPlan plan;
    try {
      plan = Json.MAPPER.readValue(json, BackupPlan.class);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " (line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr()
                  + ")";
      throw new IllegalArgumentException(
          BackupPlan.ENV + " is not a valid plan: " + e.getOriginalMessage() + where);
    }
    if (plan == null) {
      throw new IllegalArgumentException(BackupPlan.ENV + " is not a valid plan: it is null");
    }
    return plan;
  }

  /** What must hold before a report can be written at all. */
  private static void checkReportable(BackupPlan plan) {
    require(plan.jobName(), "jobName");
    require(plan.folder(), "folder");
    if (plan.store() == null) {
      throw invalid("store is missing");
    }
    require(plan.store().endpoint(), "store.endpoint");
    require(plan.store().bucket(), "store.bucket");
    require(plan.store().credentialsDir(), "store.credentialsDir");
    if (!plan.store().credentialsDir().startsWith("/")) {
      throw invalid(
          "store.credentialsDir must be an absolute path: '" + plan.store().credentialsDir() + "'");
    }
  }

  /** What must hold for the work itself; a report saying why is written when it does not. */
  private static void checkWork(BackupPlan plan) {
    if ((plan.files() == null) == (plan.database() == null)) {
      throw new IllegalArgumentException("exactly one of database and files must be set");
    }
    if (plan.files() != null) {
      FilesBackup.validate(plan.files());
    } else {
      require(plan.database().target(), "database.target");
      require(plan.database().host(), "database.host");
      require(plan.database().credentialsDir(), "database.credentialsDir");
    }
  }

  private static void require(String value, String field) {
    if (value == null || value.isBlank()) {
      throw invalid(field + " is missing");
    }
  }

  private static IllegalArgumentException invalid(String what) {
    return new IllegalArgumentException(BackupPlan.ENV + " is not a valid plan: " + what);
  }

  private int fail(MountTable mounts, int code, String message) {
    String safe = secrets.redact(message);
    err.println("osbackup agent: " + (code == BAD_PLAN ? "bad plan: " : work + " failed: ") + safe);
    Path log = mounts.resolve(TERMINATION_LOG);
    try {
      Files.write(log, truncate(safe, MAX_TERMINATION_MESSAGE));
    } catch (IOException | RuntimeException e) {
      err.println(
          "osbackup agent: cannot write " + TERMINATION_LOG + " (" + log + "): " + e.getMessage());
    }
    return code;
  }

  private void logArtifact(BackupReport.Artifact a) {
    out.println(
        secrets.redact(
            "artifact "
                + a.key()
                + " size="
                + a.size()
                + " sha256="
                + a.sha256()
                + (a.files() != null ? " files=" + a.files() : "")));
  }

  /** The first {@code max} bytes of {@code message} in UTF-8, cut on a character boundary. */
  static byte[] truncate(String message, int max) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= max) {
      return bytes;
    }
    int end = max;
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--;
    }
    byte[] cut = new byte[end];
    System.arraycopy(bytes, 0, cut, 0, end);
    return cut;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  private static void restoreInterrupt(Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
  }
}
