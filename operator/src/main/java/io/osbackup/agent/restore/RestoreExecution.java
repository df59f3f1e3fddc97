package io.osbackup.agent.restore;

import io.osbackup.agent.db.AccountsScript;
import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.agent.files.MountTable;
import io.osbackup.agent.restore.db.AccountsRestore;
import io.osbackup.agent.restore.db.DatabaseRestoreException;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.agent.restore.files.ArchiveRefusedException;
import io.osbackup.agent.restore.files.FilesRestorer;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Compression;
import io.osbackup.contract.ItemState;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import io.osbackup.store.StoreErrors;
import io.osbackup.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Carries out a {@link RestorePlan}: the work of a restore Job's agent and of the break-glass
 * {@code osbackup restore} command alike. {@link #verify} reads every item whole and checks it
 * against its manifest entry, and reaches every database server, writing nothing; {@link #restore}
 * writes each item into a staging place, checks it again while it streams, and only then switches
 * it in, keeping the previous contents aside.
 */
public final class RestoreExecution {

  /** Where the stored bytes of an artifact are read from: the bucket. */
  @FunctionalInterface
  public interface ArtifactSource {
    InputStream open(String key) throws IOException;
  }

  /** Reads the login of the database server whose credentials are at {@code credentialsDir}. */
  @FunctionalInterface
  public interface Logins {
    DatabaseLogin read(String credentialsDir) throws IOException;
  }

  /** A restore that failed, with the one-word reason the report carries. */
  public static final class Failure extends Exception {
    private final String reason;

    public Failure(String reason, String message, Throwable cause) {
      super(message, cause);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  private final ArtifactSource source;
  private final DatabaseRestorer databases;
  private final MountTable mounts;
  private final Logins logins;
  private final Consumer<String> log;
  private final Consumer<String> warnings;

  public RestoreExecution(
      ArtifactSource source,
      DatabaseRestorer databases,
      MountTable mounts,
      Logins logins,
      Consumer<String> log,
      Consumer<String> warnings) {
    this.source = source;
    this.databases = databases;
    this.mounts = mounts;
    this.logins = logins;
    this.log = log;
    this.warnings = warnings;
  }

  /** What a verify or restore did: one item result per plan item, and the servers surveyed. */
  public record Outcome(List<RestoreReport.Item> items, List<RestoreReport.Server> servers) {}

  /**
   * Reaches every database server of the plan (and lists its databases), then reads every artifact
   * whole, checking size and SHA-256 and, for an archive, that it holds every path to restore.
   * Writes nothing.
   *
   * @param results receives the item results so far, also when it fails
   */
  public Outcome verify(RestorePlan plan, List<RestoreReport.Item> results) throws Failure {
    List<RestoreReport.Server> servers = survey(plan);
    for (RestorePlan.DatabaseItem item : plan.databases()) {
      readWhole(item.artifact(), null);
      results.add(
          new RestoreReport.Item(
              item.artifact().key(), item.where(), ItemState.VERIFIED, null, null));
    }
    for (RestorePlan.AccountsItem item : plan.accounts()) {
      AccountsScript script = readAccounts(item);
      results.add(
          new RestoreReport.Item(
              item.artifact().key(),
              item.where(),
              ItemState.VERIFIED,
              null,
              script.accounts().size() + " accounts and roles"));
    }
    for (RestorePlan.FilesItem item : plan.files()) {
      Set<String> present = readWhole(item.artifact(), item.paths());
      List<String> missing = item.paths().stream().filter(p -> !present.contains(p)).toList();
      if (!missing.isEmpty()) {
        throw new Failure(
            "PathNotInBackup",
            "the archive "
                + item.artifact().key()
                + " holds no "
                + missing
                + ": choose paths the archive holds",
            null);
      }
      results.add(
          new RestoreReport.Item(
              item.artifact().key(), where(item), ItemState.VERIFIED, null, null));
    }
    return new Outcome(List.copyOf(results), servers);
  }

  /**
   * Reaches every database server of the plan once and lists its databases, downloading nothing:
   * what a restore would write over is known before any artifact is read, and the login's
   * privileges for what it writes (accounts included) are checked.
   */
  public List<RestoreReport.Server> survey(RestorePlan plan) throws Failure {
    List<RestoreReport.Server> servers = new ArrayList<>();
    Map<String, DatabaseRestorer.Destination> reached = new LinkedHashMap<>();
    for (RestorePlan.DatabaseItem item : plan.databases()) {
      String server = item.host() + ":" + item.port();
      if (reached.containsKey(server)) {
        continue;
      }
      DatabaseRestorer.Destination destination = destination(item);
      try {
        DatabaseRestorer.ServerSurvey survey = databases.survey(destination);
        servers.add(
            new RestoreReport.Server(
                item.host(), item.port(), survey.serverVersion(), List.copyOf(survey.databases())));
        reached.put(server, destination);
        log.accept("reached " + server + " (" + survey.serverVersion() + ")");
      } catch (DatabaseRestoreException e) {
        throw new Failure(
            "TargetUnreachable", "database server " + server + ": " + e.getMessage(), e);
      }
    }
    checkPrivileges(plan, reached, servers);
    return servers;
  }

  /**
   * Restores every item: databases through a staging schema swapped in atomically, files through
   * staging directories renamed in. Stops at the first failure; what was restored before it stays
   * restored (and says where the previous contents are).
   */
  public Outcome restore(RestorePlan plan, List<RestoreReport.Item> results) throws Failure {
    String keepSuffix = "orig_" + plan.stamp().replace('-', '_');
    // Accounts scripts are small: each is read, checked and passed through its allow-list before
    // anything is written.
    Map<RestorePlan.AccountsItem, AccountsScript> scripts = new LinkedHashMap<>();
    for (RestorePlan.AccountsItem item : plan.accounts()) {
      scripts.put(item, readAccounts(item));
    }
    for (RestorePlan.DatabaseItem item : plan.databases()) {
      DatabaseRestorer.Destination destination = destination(item);
      RestorePlan.Artifact a = item.artifact();
      try (InputStream stored = open(a.key());
          VerifiedStream verified = new VerifiedStream(stored, a.key(), a.sha256(), a.size());
          InputStream script = Compression.of(a.compression()).decompress(verified)) {
        DatabaseRestorer.Outcome outcome;
        try {
          outcome =
              databases.restore(
                  destination,
                  item.database(),
                  item.destination(),
                  script,
                  verified::verify,
                  keepSuffix);
        } catch (DatabaseRestoreException | IOException e) {
          if (!(e instanceof ArtifactMismatchException)
              && !(e.getCause() instanceof ArtifactMismatchException)) {
            verified.verify(); // a damaged object usually breaks decompression or the script first:
            // name the cause
          }
          throw e;
        }
        if (outcome.recovery() != null) {
          warnings.accept(item.where() + ": " + outcome.recovery());
        }
        results.add(
            new RestoreReport.Item(
                a.key(), item.where(), ItemState.RESTORED, outcome.keptAs(), outcome.recovery()));
        log.accept(
            "restored "
                + a.key()
                + " into "
                + item.where()
                + (outcome.keptAs() == null
                    ? ""
                    : "; previous tables kept in " + outcome.keptAs()));
      } catch (ArtifactMismatchException e) {
        results.add(
            new RestoreReport.Item(a.key(), item.where(), ItemState.FAILED, null, e.getMessage()));
        throw new Failure("ArtifactCorrupted", e.getMessage(), e);
      } catch (DatabaseRestoreException | IOException e) {
        results.add(
            new RestoreReport.Item(a.key(), item.where(), ItemState.FAILED, null, e.getMessage()));
        throw new Failure(
            e instanceof StoreException ? "StoreUnavailable" : "RestoreFailed",
            "restoring " + a.key() + " into " + item.where() + ": " + e.getMessage(),
            e);
      }
    }
    for (Map.Entry<RestorePlan.AccountsItem, AccountsScript> e : scripts.entrySet()) {
      RestorePlan.AccountsItem item = e.getKey();
      AccountsScript script = e.getValue();
      try {
        AccountsRestore.Outcome outcome =
            databases.restoreAccounts(accountsDestination(item), script, item.replace());
        String summary = outcome.summary(item.replace() ? null : replaceHint);
        if (!outcome.kept().isEmpty()) {
          warnings.accept(item.where() + ": " + summary);
        }
        results.add(
            new RestoreReport.Item(
                item.artifact().key(), item.where(), ItemState.RESTORED, null, summary));
        log.accept("restored " + item.artifact().key() + " into " + item.where() + ": " + summary);
      } catch (DatabaseRestoreException ex) {
        results.add(
            new RestoreReport.Item(
                item.artifact().key(), item.where(), ItemState.FAILED, null, ex.getMessage()));
        throw new Failure(
            "RestoreFailed",
            "restoring " + item.artifact().key() + " into " + item.where() + ": " + ex.getMessage(),
            ex);
      }
    }
    for (RestorePlan.FilesItem item : plan.files()) {
      RestorePlan.Artifact a = item.artifact();
      FilesRestorer files =
          new FilesRestorer(mounts, warnings, Boolean.TRUE.equals(item.restoreSetuid()));
      try (InputStream stored = open(a.key());
          VerifiedStream verified = new VerifiedStream(stored, a.key(), a.sha256(), a.size());
          InputStream tar = Compression.of(a.compression()).decompress(verified)) {
        FilesRestorer.Outcome outcome;
        try {
          outcome =
              files.restore(
                  tar,
                  item.paths(),
                  item.hostRoot(),
                  item.toPath(),
                  plan.stamp(),
                  verified::verify);
        } catch (IOException e) {
          if (!(e instanceof ArtifactMismatchException)) {
            verified.verify(); // a damaged object usually breaks decompression first: name the real
            // cause
          }
          throw e;
        }
        List<String> kept =
            outcome.units().stream()
                .map(FilesRestorer.Unit::keptAt)
                .filter(k -> k != null)
                .toList();
        String setuid = setuidRemoved(outcome.setuidRemoved());
        results.add(
            new RestoreReport.Item(
                a.key(),
                where(item),
                ItemState.RESTORED,
                kept.isEmpty() ? null : String.join(",", kept),
                setuid));
        log.accept(
            "restored "
                + a.key()
                + " to "
                + where(item)
                + " ("
                + outcome.entries()
                + " entries)"
                + (kept.isEmpty() ? "" : "; previous kept at " + kept)
                + (setuid == null ? "" : "; " + setuid));
      } catch (ArtifactMismatchException e) {
        results.add(
            new RestoreReport.Item(a.key(), where(item), ItemState.FAILED, null, e.getMessage()));
        throw new Failure("ArtifactCorrupted", e.getMessage(), e);
      } catch (ArchiveRefusedException e) {
        results.add(
            new RestoreReport.Item(a.key(), where(item), ItemState.FAILED, null, e.getMessage()));
        throw archiveRefused(a, e);
      } catch (IOException e) {
        results.add(
            new RestoreReport.Item(a.key(), where(item), ItemState.FAILED, null, e.getMessage()));
        throw new Failure(
            e instanceof StoreException ? "StoreUnavailable" : "RestoreFailed",
            "restoring " + a.key() + " to " + where(item) + ": " + e.getMessage(),
            e);
      }
    }
    return new Outcome(List.copyOf(results), List.of());
  }

  /**
   * The pre-flight of every database server before anything is downloaded: the login must hold what
   * loading into a staging schema, the switch and its journal need on every schema the plan
   * touches, and what accounts need when the plan restores them.
   */
  private void checkPrivileges(
      RestorePlan plan,
      Map<String, DatabaseRestorer.Destination> reached,
      List<RestoreReport.Server> servers)
      throws Failure {
    String keepSuffix = "orig_" + plan.stamp().replace('-', '_');
    for (Map.Entry<String, DatabaseRestorer.Destination> e : reached.entrySet()) {
      String server = e.getKey();
      List<String> existing =
          servers.stream()
              .filter(s -> (s.host() + ":" + s.port()).equals(server))
              .findFirst()
              .map(RestoreReport.Server::databases)
              .orElse(List.of());
      List<String> schemas = new ArrayList<>();
      for (RestorePlan.DatabaseItem item : plan.databases()) {
        if ((item.host() + ":" + item.port()).equals(server)) {
          schemas.add(item.destination());
          schemas.add(DatabaseRestorer.stagingSchema(item.destination()));
          if (existing.contains(item.destination())) {
            schemas.add(DatabaseRestorer.keepSchema(item.destination(), keepSuffix));
          }
        }
      }
      schemas.add(io.osbackup.agent.db.DatabaseSelection.OSBACKUP); // the switch journal
      boolean accounts =
          plan.accounts().stream().anyMatch(a -> (a.host() + ":" + a.port()).equals(server));
      String missing;
      try {
        missing = databases.missingPrivileges(e.getValue(), schemas, accounts);
      } catch (DatabaseRestoreException ex) {
        throw new Failure(
            "TargetUnreachable", "database server " + server + ": " + ex.getMessage(), ex);
      }
      if (missing != null) {
        throw new Failure("MissingPrivileges", "database server " + server + ": " + missing, null);
      }
      log.accept(
          "the login on "
              + server
              + " holds what the restore needs"
              + (accounts ? ", accounts included" : ""));
    }
  }

  /** How the caller says "replace existing accounts": the request's field or the CLI's option. */
  private String replaceHint = "spec.accounts.existing: Replace";

  /** Names the caller's way of asking for existing accounts to be replaced, in messages. */
  public RestoreExecution replaceHint(String hint) {
    this.replaceHint = hint;
    return this;
  }

  /**
   * Reads an accounts artifact whole into memory, checks its size and SHA-256, and passes it
   * through the accounts allow-list; nothing of it runs before all of that passed.
   */
  private AccountsScript readAccounts(RestorePlan.AccountsItem item) throws Failure {
    RestorePlan.Artifact a = item.artifact();
    if (a.size() > AccountsScript.MAX_BYTES) {
      throw new Failure(
          "AccountsRefused",
          "the accounts artifact "
              + a.key()
              + " has "
              + a.size()
              + " bytes, more"
              + " than an accounts script ever needs ("
              + AccountsScript.MAX_BYTES
              + ")",
          null);
    }
    byte[] raw;
    try (InputStream stored = open(a.key());
        VerifiedStream verified = new VerifiedStream(stored, a.key(), a.sha256(), a.size())) {
      raw = verified.readAllBytes();
      verified.verify();
      log.accept(
          "verified " + a.key() + " (" + verified.count() + " bytes, sha256 " + a.sha256() + ")");
    } catch (ArtifactMismatchException e) {
      throw new Failure("ArtifactCorrupted", e.getMessage(), e);
    } catch (IOException e) {
      throw new Failure(
          e instanceof StoreException se && StoreErrors.OBJECT_NOT_FOUND.equals(se.reason())
              ? "ArtifactMissing"
              : "StoreUnavailable",
          "reading " + a.key() + ": " + e.getMessage(),
          e);
    }
    String text;
    try (InputStream in =
        Compression.of(a.compression()).decompress(new java.io.ByteArrayInputStream(raw))) {
      byte[] plain = in.readNBytes(AccountsScript.MAX_BYTES + 1);
      if (plain.length > AccountsScript.MAX_BYTES) {
        throw new IOException("it unpacks to more than " + AccountsScript.MAX_BYTES + " bytes");
      }
      text = new String(plain, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new Failure(
          "AccountsRefused",
          "the accounts artifact " + a.key() + " is refused: " + e.getMessage(),
          e);
    }
    try {
      return AccountsScript.parse(text);
    } catch (AccountsScript.RefusedException e) {
      throw new Failure(
          "AccountsRefused",
          "the accounts artifact " + a.key() + " is refused, nothing of it ran: " + e.getMessage(),
          e);
    }
  }

  private DatabaseRestorer.Destination accountsDestination(RestorePlan.AccountsItem item)
      throws Failure {
    return destination(
        new RestorePlan.DatabaseItem(
            item.artifact(),
            item.target(),
            "-",
            "-",
            item.host(),
            item.port(),
            item.credentialsDir(),
            item.tls()));
  }

  /** {@code node:path,path} as the operator's plan names it. */
  static String where(RestorePlan.FilesItem item) {
    List<String> paths =
        item.paths().stream()
            .map(p -> item.toPath() == null ? p : RestorePlan.join(item.toPath(), p))
            .toList();
    return item.node() + ":" + String.join(",", paths);
  }

  private DatabaseRestorer.Destination destination(RestorePlan.DatabaseItem item) throws Failure {
    try {
      BackupPlan.DatabaseTls tls = item.tls();
      if (tls != null && tls.caFile() != null) {
        tls = tls.withCaFile(mounts.resolve(tls.caFile()).toString());
      }
      return new DatabaseRestorer.Destination(
          item.host(), item.port(), logins.read(item.credentialsDir()), tls);
    } catch (IOException e) {
      throw new Failure(
          "BadPlan",
          "database credentials for " + item.host() + ":" + item.port() + ": " + e.getMessage(),
          e);
    }
  }

  /** Reads an artifact to its end, checking it; returns which of {@code paths} an archive holds. */
  private Set<String> readWhole(RestorePlan.Artifact a, List<String> paths) throws Failure {
    try (InputStream stored = open(a.key());
        VerifiedStream verified = new VerifiedStream(stored, a.key(), a.sha256(), a.size())) {
      Set<String> present = new LinkedHashSet<>();
      if (paths != null) {
        try (InputStream tar =
            Compression.of(a.compression()).decompress(new NonClosing(verified))) {
          present.addAll(FilesRestorer.unitsPresent(tar, paths));
        } catch (IOException e) {
          verified.verify(); // a corrupted object usually fails decompression first: name the real
          // cause
          throw e;
        }
      }
      verified.verify();
      log.accept(
          "verified " + a.key() + " (" + verified.count() + " bytes, sha256 " + a.sha256() + ")");
      return present;
    } catch (ArtifactMismatchException e) {
      throw new Failure("ArtifactCorrupted", e.getMessage(), e);
    } catch (ArchiveRefusedException e) {
      throw archiveRefused(a, e);
    } catch (IOException e) {
      throw new Failure(
          e instanceof StoreException se && StoreErrors.OBJECT_NOT_FOUND.equals(se.reason())
              ? "ArtifactMissing"
              : "StoreUnavailable",
          "reading " + a.key() + ": " + e.getMessage(),
          e);
    }
  }

  /** Says which root-owned files lost their setuid/setgid bits; null when none did. */
  static String setuidRemoved(List<String> files) {
    if (files.isEmpty()) {
      return null;
    }
    List<String> shown = files.size() > 20 ? files.subList(0, 20) : files;
    return "setuid/setgid bits removed from "
        + files.size()
        + " files owned by root: "
        + String.join(", ", shown)
        + (files.size() > shown.size() ? ", ..." : "")
        + " (spec.files.restoreSetuid: true, or --restore-setuid, restores them)";
  }

  /** An archive whose checksum matches but which holds an entry no restore writes. */
  private static Failure archiveRefused(RestorePlan.Artifact a, ArchiveRefusedException e) {
    return new Failure(
        "ArchiveRefused",
        "the archive "
            + a.key()
            + " is refused: "
            + e.getMessage()
            + "; it was not written by osbackup's agent or it was altered: restore another backup",
        e);
  }

  private InputStream open(String key) throws IOException {
    return source.open(key);
  }

  /** Keeps a decompressor's close from closing the checked stream before it was verified. */
  private static final class NonClosing extends java.io.FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {}
  }
}
