package io.osbackup.cli;

import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.agent.files.MountTable;
import io.osbackup.agent.restore.RestoreExecution;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.api.v1alpha1.LocalRef;
import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.catalog.BackupFinder;
import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.DeniedPaths;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import io.osbackup.restore.RestoreSelection;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osbackup restore}: the break-glass restore. Restores databases and files of one backup
 * straight from the bucket, with nothing but S3 credentials and a database address — for when the
 * cluster that runs the operator is what was lost. Same safety as a RestoreRequest: everything is
 * verified before anything is written, the switch goes through a staging schema or directory, and
 * the previous contents are kept aside.
 */
@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Restores from a bucket without Kubernetes: databases into a MariaDB server, files into a directory.",
      "Verifies every selected artifact first; writes in place only with --confirm <backup id>.",
      "Exit codes: 0 restored (or verified, with --dry-run), 1 failed, 2 bad arguments."
    })
public final class RestoreCommand implements Callable<Integer> {

  /** Environment variables holding the database login when no --db-credentials-dir is given. */
  public static final String DB_USERNAME_ENV = "OSBACKUP_DB_USERNAME";

  public static final String DB_PASSWORD_ENV = "OSBACKUP_DB_PASSWORD";

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  @Mixin StoreOptions store;

  @Mixin SigningKeyOptions signing;

  @Option(
      names = "--allow-unsigned-manifest",
      description =
          "Restore even though the backup's manifest is not verified by the signing keys (no"
              + " manifest.sig, a key not given, or a signature that does not match). Only for a backup you trust.")
  boolean allowUnsignedManifest;

  @Option(
      names = "--namespace",
      required = true,
      description = "Namespace the backup was taken in.")
  String namespace;

  @Option(
      names = "--backup-id",
      required = true,
      description = "The backup (osbackup backups lists them).")
  String backupId;

  @Option(
      names = "--policy",
      description = "Policy of the backup, when several policies use the same id.")
  String policy;

  @Option(
      names = "--database",
      paramLabel = "NAME[=NEW]",
      description = "Restore this database (repeatable); NAME=NEW restores it under another name.")
  List<String> databases = new ArrayList<>();

  @Option(
      names = "--all-databases",
      description = "Restore every database of the backup (of --target).")
  boolean allDatabases;

  @Option(names = "--target", description = "Only this database target of the backup.")
  String target;

  @Option(
      names = "--db-host",
      description = "MariaDB server to restore into (required with databases).")
  String dbHost;

  @Option(
      names = "--db-port",
      defaultValue = "3306",
      description = "Its port (default: ${DEFAULT-VALUE}).")
  int dbPort;

  @Option(
      names = "--db-credentials-dir",
      description =
          "Directory with the files username and password. Default: $"
              + DB_USERNAME_ENV
              + " and $"
              + DB_PASSWORD_ENV
              + ".")
  Path dbCredentialsDir;

  @Option(
      names = "--accounts",
      description =
          "Also restore the MariaDB accounts, roles and grants of the restored database targets (after"
              + " their databases): missing ones are created with their password hashes; existing ones are listed and"
              + " left unchanged. Not with --database NAME=NEW.")
  boolean accounts;

  @Option(
      names = "--replace-existing-accounts",
      description =
          "With --accounts: make existing accounts and roles exactly as in the backup (a user is dropped"
              + " and created again). The login doing the restore is never changed.")
  boolean replaceExistingAccounts;

  @Option(names = "--files-target", description = "Restore this files target of the backup.")
  String filesTarget;

  @Option(
      names = "--node",
      description = "Node whose archive to restore (required when the target has several).")
  String node;

  @Option(
      names = "--path",
      description = "Path of the archive to restore (repeatable). Default: all of it.")
  List<String> paths = new ArrayList<>();

  @Option(
      names = "--root",
      defaultValue = "/",
      description =
          "Directory that stands for the node's / (default: ${DEFAULT-VALUE}); e.g. a mounted disk.")
  Path root;

  @Option(names = "--to-path", description = "Restore below this directory instead of in place.")
  String toPath;

  @Option(
      names = "--confirm",
      description = "The backup id: allows writing over existing databases and directories.")
  String confirm;

  @Option(
      names = "--restore-setuid",
      description =
          "Keep the setuid/setgid bits of files owned by root (removed and listed by default).")
  boolean restoreSetuid;

  @Option(
      names = "--dry-run",
      description = "Only verify the artifacts and the database server; write nothing.")
  boolean dryRun;

  private final Map<String, String> env;
  private final Clock clock;
  private final PrintStream out;
  private final PrintStream err;

  public RestoreCommand() {
    this(System.getenv(), Clock.systemUTC(), System.out, System.err);
  }

  /** A command with its surroundings given, for tests. */
  public RestoreCommand(Map<String, String> env, Clock clock, PrintStream out, PrintStream err) {
    this.env = env;
    this.clock = clock;
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    RestoreRequestSpec spec;
    DatabaseLogin login = null;
    try {
      spec = spec();
      checkRoot();
      if (spec.getDatabases() != null) {
        login = login();
      }
    } catch (IllegalArgumentException | IOException e) {
      err.println("osbackup restore: " + e.getMessage());
      return 2;
    }
    SigningKeys keys;
    try {
      keys = signing.keys(env);
    } catch (IOException e) {
      err.println("osbackup restore: " + e.getMessage());
      return 2;
    }
    try (ObjectStore bucket = store.connect(env)) {
      Catalog.Backup backup =
          new BackupFinder(Catalog.of(bucket), store.prefix, namespace, keys)
              .byId(policy, backupId);
      SignatureCheck check = backup.signature();
      if (!check.verified()) {
        String message =
            check.refusal(
                backupId,
                backup.key(),
                signing.given(env)
                    ? "the keys given"
                    : "no keys given: --signing-keys or $" + SigningKeyOptions.KEYS_ENV,
                "--allow-unsigned-manifest");
        if (!allowUnsignedManifest) {
          err.println(
              "osbackup restore: " + check.reason() + ": " + message + "; nothing was changed");
          return 1;
        }
        err.println(
            "warning: "
                + check.reason()
                + ": restoring although backup "
                + backupId
                + "'s manifest "
                + check.detail()
                + " (--allow-unsigned-manifest)");
      } else {
        out.println("manifest of " + backupId + " verified (" + check.detail() + ")");
      }
      RestoreSelection.Result selection =
          RestoreSelection.select(
              backup.manifest(), spec, Map.of(), RestoreSelection.Writer.BREAK_GLASS);
      if (!selection.ok()) {
        err.println("osbackup restore: " + option(selection.problem().message()));
        return 2;
      }
      RestorePlan plan = plan(backup, selection);
      DatabaseLogin dbLogin = login;
      RestoreExecution execution =
          new RestoreExecution(
                  bucket::download,
                  DatabaseRestorer.mariadb(),
                  MountTable.of(Map.of(BackupPlan.HOST_ROOT, root.toAbsolutePath().toString())),
                  dir -> dbLogin,
                  out::println,
                  warning -> err.println("warning: " + warning))
              .replaceHint("--replace-existing-accounts");
      // What this writes over is known from the selection and the servers' databases: a missing
      // --confirm is
      // refused before any artifact is downloaded.
      List<String> inPlace = new ArrayList<>(selection.inPlace());
      List<RestoreReport.Server> servers = execution.survey(plan);
      for (RestorePlan.DatabaseItem item : plan.databases()) {
        for (RestoreReport.Server server : servers) {
          if (server.host().equals(item.host())
              && server.port() == item.port()
              && server.databases().contains(item.destination())) {
            inPlace.add("database " + item.where() + " (exists)");
          }
        }
      }
      if (!dryRun && !inPlace.isEmpty() && !backupId.equals(confirm)) {
        err.println(
            "osbackup restore: this writes in place "
                + inPlace
                + ": add --confirm "
                + backupId
                + " to allow it (the previous contents are kept aside); nothing was changed, nothing downloaded");
        return 2;
      }
      out.println(
          "verifying "
              + (plan.databases().size() + plan.files().size() + plan.accounts().size())
              + " artifacts of "
              + backupId
              + " before anything is written");
      RestoreExecution.Outcome verified = execution.verify(plan, new ArrayList<>());
      if (dryRun) {
        out.println(
            "dry run: every artifact verified; would restore to "
                + verified.items().stream().map(RestoreReport.Item::destination).toList()
                + (inPlace.isEmpty()
                    ? ""
                    : "; writes in place " + inPlace + ", so it needs --confirm " + backupId));
        return 0;
      }
      RestoreExecution.Outcome restored = execution.restore(plan, new ArrayList<>());
      for (RestoreReport.Item item : restored.items()) {
        out.println(
            "restored "
                + item.key()
                + " -> "
                + item.destination()
                + (item.keptAt() == null ? "" : " (previous kept at " + item.keptAt() + ")")
                + (item.destination().endsWith("(accounts)") && item.message() != null
                    ? ": " + item.message()
                    : ""));
      }
      return 0;
    } catch (BackupFinder.NotFound e) {
      err.println(
          "osbackup restore: "
              + e.getMessage()
                  .replace("source.backupId", "--backup-id")
                  .replace("source.policyRef", "--policy"));
      return 2;
    } catch (RestoreExecution.Failure e) {
      err.println("osbackup restore: " + e.reason() + ": " + e.getMessage());
      return 1;
    } catch (Exception e) {
      err.println("osbackup restore: " + e.getMessage());
      return 1;
    }
  }

  /** The selection as a RestoreRequest would state it, so both pick artifacts by the same rules. */
  RestoreRequestSpec spec() {
    RestoreRequestSpec spec = new RestoreRequestSpec();
    if (!databases.isEmpty() || allDatabases) {
      if (dbHost == null) {
        throw new IllegalArgumentException("--db-host is required to restore databases");
      }
      RestoreRequestSpec.DatabaseRestore db = new RestoreRequestSpec.DatabaseRestore();
      db.setTarget(target);
      Map<String, String> renames = new LinkedHashMap<>();
      for (String d : databases) {
        String[] parts = d.split("=", 2);
        db.getInclude().add(parts[0]);
        if (parts.length == 2) {
          renames.put(parts[0], parts[1]);
        }
      }
      db.setRenames(renames);
      RestoreRequestSpec.DatabaseServer into = new RestoreRequestSpec.DatabaseServer();
      into.setHost(dbHost);
      into.setPort(dbPort);
      LocalRef cli = new LocalRef();
      cli.setName("cli");
      into.setCredentialsSecret(cli);
      db.setInto(into);
      spec.setDatabases(db);
    }
    if (replaceExistingAccounts && !accounts) {
      throw new IllegalArgumentException("--replace-existing-accounts needs --accounts");
    }
    if (accounts) {
      if (spec.getDatabases() == null) {
        throw new IllegalArgumentException(
            "--accounts needs --database NAME or --all-databases: accounts are"
                + " restored into the server the databases go to");
      }
      RestoreRequestSpec.Accounts a = new RestoreRequestSpec.Accounts();
      a.setRestore(true);
      a.setExisting(
          replaceExistingAccounts
              ? RestoreRequestSpec.ExistingAccounts.Replace
              : RestoreRequestSpec.ExistingAccounts.Keep);
      spec.setAccounts(a);
    }
    if (filesTarget != null) {
      RestoreRequestSpec.FilesRestore files = new RestoreRequestSpec.FilesRestore();
      RestoreRequestSpec.FilesSelection selection = new RestoreRequestSpec.FilesSelection();
      selection.setTarget(filesTarget);
      if (node != null) {
        selection.getNodes().add(node);
        // written here, below --root: for a volume's archive too (pvc-<claim>), this machine is
        // where it goes
        selection.setToNode(node);
      }
      selection.setPaths(paths);
      selection.setToPath(toPath);
      files.getInclude().add(selection);
      spec.setFiles(files);
    }
    if (spec.getDatabases() == null && spec.getFiles() == null) {
      throw new IllegalArgumentException(
          "say what to restore: --database NAME (or --all-databases) and/or"
              + " --files-target TARGET");
    }
    return spec;
  }

  /** Refuses a {@code --root} that is or lies inside a denied node path of this machine. */
  private void checkRoot() {
    String where = root.toAbsolutePath().normalize().toString();
    DeniedPaths.builtIn()
        .covering(where)
        .ifPresent(
            subtree -> {
              throw new IllegalArgumentException(
                  "--root "
                      + root
                      + (subtree.path().equals(where)
                          ? " is denied (" + subtree.why() + ")"
                          : " is inside the denied " + subtree.path() + " (" + subtree.why() + ")")
                      + ": osbackup never writes denied node paths; mount the node's disk elsewhere, for example /mnt/node");
            });
  }

  private DatabaseLogin login() throws IOException {
    if (dbCredentialsDir != null) {
      return DatabaseLogin.read(
          dbCredentialsDir,
          "the files username and password in --db-credentials-dir " + dbCredentialsDir);
    }
    String user = env.get(DB_USERNAME_ENV);
    String password = env.get(DB_PASSWORD_ENV);
    if (user == null || password == null) {
      throw new IOException(
          "no database login: set --db-credentials-dir (files username and password) or the"
              + " environment variables "
              + DB_USERNAME_ENV
              + " and "
              + DB_PASSWORD_ENV);
    }
    return new DatabaseLogin(
        user, password, "the environment variables " + DB_USERNAME_ENV + " and " + DB_PASSWORD_ENV);
  }

  private RestorePlan plan(Catalog.Backup backup, RestoreSelection.Result selection) {
    String stamp = STAMP.format(clock.instant());
    List<RestorePlan.DatabaseItem> dbs =
        selection.databases().stream()
            .map(
                d ->
                    new RestorePlan.DatabaseItem(
                        new RestorePlan.Artifact(
                            d.entry().key(),
                            d.entry().size(),
                            d.entry().sha256(),
                            d.entry().compression()),
                        d.entry().target(),
                        d.entry().database(),
                        d.destination(),
                        d.server().host(),
                        d.server().port(),
                        "cli"))
            .toList();
    List<RestorePlan.FilesItem> files =
        selection.files().stream()
            .map(
                f ->
                    new RestorePlan.FilesItem(
                        new RestorePlan.Artifact(
                            f.entry().key(),
                            f.entry().size(),
                            f.entry().sha256(),
                            f.entry().compression()),
                        f.entry().target(),
                        f.entry().node(),
                        f.paths(),
                        f.toPath(),
                        BackupPlan.HOST_ROOT,
                        restoreSetuid ? Boolean.TRUE : null))
            .toList();
    List<RestorePlan.AccountsItem> accountItems =
        selection.accounts().stream()
            .map(
                a ->
                    new RestorePlan.AccountsItem(
                        new RestorePlan.Artifact(
                            a.entry().key(),
                            a.entry().size(),
                            a.entry().sha256(),
                            a.entry().compression()),
                        a.entry().target(),
                        a.server().host(),
                        a.server().port(),
                        "cli",
                        null,
                        a.replace()))
            .toList();
    return new RestorePlan(
        "break-glass",
        "break-glass",
        backup.backupId(),
        null,
        null,
        RestorePlan.RESTORE,
        stamp,
        dbs,
        files,
        accountItems);
  }

  /** A selection message speaks of the RestoreRequest's fields; here the user typed options. */
  private static String option(String message) {
    return message
        .replace("spec.databases.include", "--database")
        .replace("spec.databases.target", "--target")
        .replace("spec.databases.renames", "--database NAME=NEW")
        .replace("spec.accounts.restore", "--accounts")
        .replace("spec.accounts", "--accounts")
        .replace("spec.files.include[0].target", "--files-target")
        .replace("spec.files.include[0].nodes", "--node")
        .replace("spec.files.include[0].toNode", "--node")
        .replace("spec.files.include[0].paths", "--path")
        .replace("spec.files.include[0].toPath", "--to-path");
  }
}
