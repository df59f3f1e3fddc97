package io.osbackup.agent.restore.db;

import io.osbackup.agent.db.AccountsScript;
import io.osbackup.agent.db.ClientOptionFile;
import io.osbackup.agent.db.DatabaseBackup;
import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.agent.db.DatabaseSelection;
import io.osbackup.agent.db.ErrorTail;
import io.osbackup.agent.db.ServerTls;
import io.osbackup.agent.restore.db.StagingScript.CharacterSet;
import io.osbackup.agent.restore.db.StagingScript.ScriptFormatException;
import io.osbackup.contract.BackupPlan;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database half of a restore: loads one database's backup script into a staging schema with the
 * stock {@code mariadb} client, has the caller verify the downloaded artifact, and only then
 * switches the destination database over in one {@code RENAME TABLE}, keeping its previous contents
 * in a schema beside it. Until that switch, a failure leaves the destination as it was.
 */
public final class DatabaseRestorer {

  /** Environment variable naming the client used to load scripts; else {@code mariadb}. */
  public static final String CLIENT_COMMAND_ENV = "OSBACKUP_MARIADB_CLIENT";

  /** Suffix of the staging schema, {@code <destination>_osbr_staging}. */
  public static final String STAGING_SUFFIX = "osbr_staging";

  /** How long the switch waits for other sessions to let go of the tables, by default. */
  public static final Duration DEFAULT_LOCK_WAIT = Duration.ofMinutes(2);

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseRestorer.class);
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
  private static final int SOCKET_TIMEOUT_MILLIS = 30 * 60_000;
  private static final int STREAM_BUFFER = 256 * 1024;
  private static final Pattern KEEP_SUFFIX = Pattern.compile("[A-Za-z0-9_]{1,48}");

  /**
   * How the client is run besides the connection: client commands off ({@code --binary-mode} leaves
   * only {@code DELIMITER}, which {@link StatementGate} checks), no file access from the client
   * ({@code --sandbox}), no {@code LOAD DATA LOCAL}, and no defaults files but the option file.
   */
  static final List<String> SANDBOX_ARGUMENTS =
      List.of("--binary-mode", "--sandbox", "--local-infile=0", "--skip-reconnect");

  private final String clientCommand;
  private final Duration lockWait;

  /**
   * @param clientCommand path or name of the MariaDB client, {@code mariadb}
   */
  public DatabaseRestorer(String clientCommand) {
    this(clientCommand, DEFAULT_LOCK_WAIT);
  }

  /**
   * @param clientCommand path or name of the MariaDB client, {@code mariadb}
   * @param lockWait how long the switch waits for sessions still using the destination's tables
   *     before it gives up and puts everything back (whole seconds, at least one)
   */
  public DatabaseRestorer(String clientCommand, Duration lockWait) {
    this.clientCommand = Objects.requireNonNull(clientCommand, "clientCommand");
    this.lockWait = Objects.requireNonNull(lockWait, "lockWait");
  }

  /** Uses the client named by {@value #CLIENT_COMMAND_ENV}, else {@code mariadb} on the PATH. */
  public static DatabaseRestorer mariadb() {
    String configured = System.getenv(CLIENT_COMMAND_ENV);
    return new DatabaseRestorer(
        configured == null || configured.isBlank() ? "mariadb" : configured.strip());
  }

  /** Checks the staging schema and the verified artifact just before the switch. */
  @FunctionalInterface
  public interface BeforeSwap {

    /**
     * Called once the whole script is loaded into staging; throwing keeps the destination as it
     * was. A restore passes {@code VerifiedStream::verify} here.
     */
    void check() throws IOException;
  }

  /** The server to restore into and the login to use; its {@code toString} hides the password. */
  public record Destination(
      String host, int port, DatabaseLogin login, BackupPlan.DatabaseTls tls) {

    public Destination {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(login, "login");
    }

    /** A server without TLS settings (TLS when the server offers it, checking nothing). */
    public Destination(String host, int port, DatabaseLogin login) {
      this(host, port, login, null);
    }

    /** {@code host:port}, as messages name the server. */
    public String server() {
      return host + ":" + port;
    }
  }

  /**
   * What the server told us: its version and its user databases (without {@code mysql}, {@code sys}
   * and the virtual schemas), in the server's order.
   */
  public record ServerSurvey(String serverVersion, Set<String> databases) {

    public ServerSurvey {
      databases = Collections.unmodifiableSet(new LinkedHashSet<>(databases));
    }
  }

  /**
   * What a restore did.
   *
   * @param database the destination database, now holding what the backup held
   * @param keptAs the schema holding the destination's previous contents; null when the destination
   *     did not exist before
   * @param tables tables restored (base tables and sequences)
   * @param views views restored
   * @param routines stored procedures and functions restored
   * @param triggers triggers restored
   * @param events events restored
   * @param recovery what this restore found of an earlier attempt into the same database that was
   *     killed mid-switch, and what it did (finished or rolled back that switch); null when none
   */
  public record Outcome(
      String database,
      String keptAs,
      int tables,
      int views,
      int routines,
      int triggers,
      int events,
      String recovery) {

    public Outcome(
        String database,
        String keptAs,
        int tables,
        int views,
        int routines,
        int triggers,
        int events) {
      this(database, keptAs, tables, views, routines, triggers, events, null);
    }

    Outcome withRecovery(String recovery) {
      return new Outcome(database, keptAs, tables, views, routines, triggers, events, recovery);
    }
  }

  /** The staging schema of a restore into {@code destinationDatabase}. */
  public static String stagingSchema(String destinationDatabase) {
    return SchemaName.of(destinationDatabase, STAGING_SUFFIX);
  }

  /**
   * The schema keeping the previous contents of {@code destinationDatabase}: {@code
   * <destination>_<keepSuffix>}, shortened with a hash past 64 characters.
   */
  public static String keepSchema(String destinationDatabase, String keepSuffix) {
    return SchemaName.of(destinationDatabase, keepSuffix);
  }

  /**
   * Connects over JDBC and lists the user databases on the server: proves the destination is
   * reachable with the login and shows which destination names already exist.
   *
   * @throws DatabaseRestoreException naming {@code host:port} and the cause in plain words (wrong
   *     password, unknown host, unreachable, ...), never the password
   */
  public ServerSurvey survey(Destination destination) throws DatabaseRestoreException {
    try (Connection c = connect(destination);
        Statement s = c.createStatement()) {
      String version;
      try (ResultSet rs = s.executeQuery("SELECT VERSION()")) {
        rs.next();
        version = rs.getString(1);
      }
      Set<String> databases = new LinkedHashSet<>();
      try (ResultSet rs = s.executeQuery("SHOW DATABASES")) {
        while (rs.next()) {
          String db = rs.getString(1);
          if (!DatabaseSelection.VIRTUAL.contains(db)
              && !DatabaseSelection.SYSTEM.contains(db)
              && !SwapJournal.SCHEMA.equals(db)) {
            databases.add(db);
          }
        }
      }
      return new ServerSurvey(version, databases);
    } catch (SQLException e) {
      throw new DatabaseRestoreException(explain(e, destination), e, true);
    }
  }

  /**
   * What the login of {@code destination} lacks for restoring into {@code schemas} (each
   * destination with its staging and keep schemas, and the journal schema) and, with {@code
   * accounts}, for restoring accounts; null when nothing. Reads only: the pre-flight before
   * anything is downloaded.
   */
  public String missingPrivileges(Destination destination, List<String> schemas, boolean accounts)
      throws DatabaseRestoreException {
    try (Connection c = connect(destination)) {
      return RestorePrivileges.missing(c, schemas, accounts);
    } catch (SQLException e) {
      throw new DatabaseRestoreException(explain(e, destination), e, true);
    }
  }

  /**
   * Restores the accounts of {@code script} (already through its allow-list) into the server of
   * {@code destination}: missing accounts are created, existing ones left, or made as in the backup
   * with {@code replace}.
   */
  public AccountsRestore.Outcome restoreAccounts(
      Destination destination, AccountsScript script, boolean replace)
      throws DatabaseRestoreException {
    try (Connection c = connect(destination)) {
      return AccountsRestore.apply(c, script, replace);
    } catch (SQLException e) {
      throw new DatabaseRestoreException(
          "restoring accounts on " + destination.server() + ": " + explain(e, destination),
          e,
          true);
    }
  }

  /**
   * Restores one database artifact into {@code destinationDatabase}:
   *
   * <ol>
   *   <li>creates the staging schema {@link #stagingSchema} (dropping one left by an earlier,
   *       crashed attempt) with the character set of the backed-up database;
   *   <li>streams {@code script} into the {@code mariadb} client, its {@code CREATE DATABASE} and
   *       {@code USE} lines replaced so that all of it lands in the staging schema;
   *   <li>calls {@code beforeSwap}; if it throws, the staging schema is dropped and the exception
   *       rethrown;
   *   <li>switches: one {@code RENAME TABLE} moves the destination's tables to the keep schema
   *       {@code <destination>_<keepSuffix>} and the staging tables into the destination (or
   *       creates the destination when it does not exist); views, triggers, routines and events are
   *       re-created on the side they belong to (kept events are disabled, so the kept copy does
   *       nothing on its own); the staging schema is dropped.
   * </ol>
   *
   * Nothing of the destination changes before step 4. The switch keeps a journal in the server
   * ({@code osbackup_restore.swap_journal}, see {@link SwapJournal}); first of all, a restore reads
   * the journal of the destination and, when an earlier attempt was killed mid-switch, finishes
   * that switch (its RENAME happened) or rolls it back (it did not), and says so in {@link
   * Outcome#recovery()}. When that attempt was this same restore (same keep schema) and its switch
   * is now complete, nothing is loaded again. Refused at once, before loading, when the keep schema
   * already exists and is not empty (an earlier attempt may have switched already).
   *
   * @param script the decompressed backup script of {@code sourceDatabase}
   * @param sourceDatabase the database the backup was taken of, as named in the script
   * @param destinationDatabase the database to restore into; may differ from the source
   * @param keepSuffix letters, digits and underscores, for example {@code orig_20261121_031500}
   * @throws DatabaseRestoreException when the server, the client, the script or the switch fails;
   *     {@link DatabaseRestoreException#destinationUntouched()} says whether the destination is as
   *     before
   * @throws IOException when reading {@code script} fails or {@code beforeSwap} throws it (the
   *     destination is then as before)
   */
  public Outcome restore(
      Destination destination,
      String sourceDatabase,
      String destinationDatabase,
      InputStream script,
      BeforeSwap beforeSwap,
      String keepSuffix)
      throws DatabaseRestoreException, IOException {
    checkName("source database", sourceDatabase);
    checkName("destination database", destinationDatabase);
    if (DatabaseSelection.VIRTUAL.contains(destinationDatabase)
        || DatabaseSelection.SYSTEM.contains(destinationDatabase)
        || SwapJournal.SCHEMA.equals(destinationDatabase)) {
      throw new DatabaseRestoreException(
          "restoring into the server's own database "
              + quote(destinationDatabase)
              + " is not supported: restore it under another name",
          null,
          true);
    }
    if (keepSuffix == null || !KEEP_SUFFIX.matcher(keepSuffix).matches()) {
      throw new DatabaseRestoreException(
          "the keep suffix must be 1 to 48 letters, digits or underscores, not '"
              + keepSuffix
              + "'",
          null,
          true);
    }
    String staging = stagingSchema(destinationDatabase);
    String keep = keepSchema(destinationDatabase, keepSuffix);
    if (keep.equals(staging)) {
      throw new DatabaseRestoreException(
          "the keep suffix '" + keepSuffix + "' is reserved for the staging schema", null, true);
    }
    String what =
        quote(sourceDatabase)
            + " into "
            + quote(destinationDatabase)
            + " on "
            + destination.server();

    String recovered = null;
    try (Connection c = connect(destination)) {
      Optional<SchemaSwap.Recovery> recovery = SchemaSwap.recover(c, destinationDatabase, lockWait);
      boolean sameRestore = recovery.isPresent() && recovery.get().plan().keep().equals(keep);
      if (recovery.isPresent() && ("none".equals(recovery.get().action()) && !sameRestore)) {
        recovery = Optional.empty(); // an earlier, other restore that completed: nothing to say
      }
      if (recovery.isPresent()) {
        SchemaSwap.Recovery r = recovery.get();
        recovered = r.message();
        LOG.warn("restoring {}: {}", what, recovered);
        if (r.switched() && sameRestore) {
          // The same restore (same keep schema) was switched in by the attempt that died.
          SwapJournal.Plan plan = r.plan();
          return new Outcome(
              destinationDatabase,
              plan.overExisting() ? keep : null,
              plan.incoming().tables().size(),
              plan.incoming().views().size(),
              plan.incoming().routines().size(),
              plan.incoming().triggers().size(),
              plan.incoming().events().size(),
              recovered);
        }
      }
      SchemaSwap.refuseUsedKeep(c, destinationDatabase, keep);
    } catch (SQLException e) {
      throw new DatabaseRestoreException(explain(e, destination), e, true);
    }

    StagingScript staged = new StagingScript(script, sourceDatabase, staging);
    CharacterSet characterSet;
    try {
      characterSet = staged.readHeader();
    } catch (ScriptFormatException e) {
      throw new DatabaseRestoreException(
          scriptProblem(sourceDatabase, destinationDatabase, e), e, true);
    }

    LOG.info("restoring {}: loading the backup into staging schema {}", what, quote(staging));
    long started = System.nanoTime();
    try {
      createStaging(destination, staging, characterSet);
      load(destination, staging, staged, sourceDatabase, destinationDatabase);
      LOG.info(
          "restoring {}: loaded in {} s ({} trigger headers and {} view definitions retargeted);"
              + " checking the artifact",
          what,
          (System.nanoTime() - started) / 1_000_000_000,
          staged.triggersRetargeted(),
          staged.viewsRetargeted());
      beforeSwap.check();
    } catch (DatabaseRestoreException | IOException | RuntimeException e) {
      dropStaging(destination, staging, e);
      throw e;
    }

    Connection c;
    try {
      c = connect(destination);
    } catch (SQLException e) {
      DatabaseRestoreException failed =
          new DatabaseRestoreException(
              explain(e, destination) + "; " + quote(destinationDatabase) + " was not changed",
              e,
              true);
      dropStaging(destination, staging, failed);
      throw failed;
    }
    Outcome outcome;
    try {
      outcome = new SchemaSwap(c, staging, destinationDatabase, keep, characterSet, lockWait).run();
      try (Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + quote(staging));
      } catch (SQLException e) {
        LOG.warn(
            "restoring {}: done, but dropping the staging schema {} failed (the next restore"
                + " drops it): {}",
            what,
            quote(staging),
            e.getMessage());
      }
    } catch (DatabaseRestoreException e) {
      if (e.destinationUntouched()) {
        dropStaging(destination, staging, e);
      }
      throw e;
    } finally {
      closeQuietly(c);
    }
    if (recovered != null) {
      outcome = outcome.withRecovery(recovered);
    }
    LOG.info(
        "restored {}: {} tables, {} views, {} routines, {} triggers, {} events{}",
        what,
        outcome.tables(),
        outcome.views(),
        outcome.routines(),
        outcome.triggers(),
        outcome.events(),
        outcome.keptAs() == null
            ? ""
            : "; the previous contents are in " + quote(outcome.keptAs()));
    return outcome;
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      LOG.debug("closing the connection: {}", e.getMessage());
    }
  }

  // ---- staging ----

  private void createStaging(Destination destination, String staging, CharacterSet characterSet)
      throws DatabaseRestoreException {
    try (Connection c = connect(destination);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + quote(staging));
      if (s.getWarnings() == null) {
        LOG.info("dropped the staging schema {} left by an earlier attempt", quote(staging));
      }
      s.execute("CREATE DATABASE " + quote(staging) + SchemaSwap.charsetClause(characterSet));
    } catch (SQLException e) {
      throw new DatabaseRestoreException(
          "could not create the staging schema " + quote(staging) + ": " + explain(e, destination),
          e,
          true);
    }
  }

  /** Drops the staging schema after a failure, noting on {@code failure} when that fails too. */
  private void dropStaging(Destination destination, String staging, Exception failure) {
    try (Connection c = connect(destination);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + quote(staging));
      LOG.info("dropped the staging schema {} after: {}", quote(staging), failure.getMessage());
    } catch (SQLException e) {
      LOG.warn("could not drop the staging schema {}: {}", quote(staging), e.getMessage());
      failure.addSuppressed(
          new IOException(
              "the staging schema " + quote(staging) + " was left behind: " + e.getMessage()));
    }
  }

  /** Streams the rewritten script into the client, failing with the client's own message. */
  private void load(
      Destination destination, String staging, StagingScript script, String source, String target)
      throws DatabaseRestoreException, IOException {
    try (ClientOptionFile options =
        ClientOptionFile.write(destination.login(), destination.tls())) {
      List<String> args = new ArrayList<>();
      args.add(clientCommand);
      args.add(options.argument()); // must come first
      args.add("--protocol=TCP");
      args.add("--host=" + destination.host());
      args.add("--port=" + destination.port());
      args.add("--default-character-set=utf8mb4");
      args.add("--max-allowed-packet=1G");
      args.add("--batch");
      args.add("--skip-print-query-on-error"); // it can be a multi-megabyte INSERT
      args.addAll(SANDBOX_ARGUMENTS);
      ProcessBuilder pb = new ProcessBuilder(args);
      pb.environment().remove("MYSQL_PWD");
      pb.environment().remove("MYSQL_HOST");
      pb.environment().remove("MYSQL_TCP_PORT");
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new DatabaseRestoreException(
            "cannot run '"
                + clientCommand
                + "' ("
                + e.getMessage()
                + "): install the MariaDB client or set "
                + CLIENT_COMMAND_ENV,
            e,
            true);
      }
      ErrorTail errors = ErrorTail.drain(p.getErrorStream(), "mariadb");
      OutputStream stdin =
          new ClientInput(new BufferedOutputStream(p.getOutputStream(), STREAM_BUFFER));
      StatementGate gate = new StatementGate(stdin, staging);
      try {
        script.copyTo(gate);
        gate.finish(); // nothing reaches the client unchecked; on a refusal it is killed, not
        // closed
        stdin.close();
        int exit = p.waitFor();
        String tail = errors.await();
        if (exit != 0 || errors.sawError()) {
          throw new DatabaseRestoreException(
              clientFailed(source, target, staging, exit, tail), null, true);
        }
      } catch (ClientGone e) {
        int exit = waitFor(p);
        String tail = errors.await();
        throw new DatabaseRestoreException(
            clientFailed(source, target, staging, exit, tail), e, true);
      } catch (ScriptFormatException e) {
        p.destroyForcibly();
        throw new DatabaseRestoreException(scriptProblem(source, target, e), e, true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(
            "interrupted while loading the backup of " + quote(source));
      } finally {
        if (p.isAlive()) {
          p.destroyForcibly();
        }
      }
    }
  }

  private static String clientFailed(
      String source, String target, String staging, int exit, String tail) {
    return "loading the backup of "
        + quote(source)
        + " into the staging schema "
        + quote(staging)
        + " failed: "
        + DatabaseBackup.toolFailure("mariadb", exit, errorLines(tail))
        + "; "
        + quote(target)
        + " was not changed";
  }

  /**
   * The client's {@code ERROR ...} lines when it printed any, without the failing statement it
   * echoes before them (which can be a multi-megabyte INSERT); else all it printed.
   */
  static String errorLines(String tail) {
    List<String> errors = tail.lines().filter(l -> l.startsWith("ERROR")).toList();
    return errors.isEmpty() ? tail : String.join("\n", errors);
  }

  private static String scriptProblem(String source, String target, ScriptFormatException e) {
    return "the backup script of "
        + quote(source)
        + " cannot be restored safely: "
        + e.getMessage()
        + "; "
        + quote(target)
        + " was not changed";
  }

  private static int waitFor(Process p) {
    try {
      if (p.waitFor(30, TimeUnit.SECONDS)) {
        return p.exitValue();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    p.destroyForcibly();
    return -1;
  }

  /**
   * The client's stdin; its failures mean the client is gone, not that the script is unreadable.
   */
  private static final class ClientInput extends FilterOutputStream {
    ClientInput(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      try {
        out.write(b);
      } catch (IOException e) {
        throw new ClientGone(e);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw new ClientGone(e);
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        throw new ClientGone(e);
      }
    }

    @Override
    public void close() throws IOException {
      try {
        out.close();
      } catch (IOException e) {
        throw new ClientGone(e);
      }
    }
  }

  /** Writing to the client failed: it exited (its stderr says why). */
  private static final class ClientGone extends IOException {
    ClientGone(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  // ---- JDBC ----

  private static Connection connect(Destination d) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", d.login().username());
    props.setProperty("password", d.login().password());
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_MILLIS));
    props.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_MILLIS));
    props.setProperty("connectionTimeZone", "SERVER");
    props.setProperty("characterEncoding", "UTF-8");
    String host =
        d.host().contains(":") && !d.host().startsWith("[") ? "[" + d.host() + "]" : d.host();
    try (ServerTls tls = ServerTls.apply(props, d.tls())) {
      return DriverManager.getConnection("jdbc:mysql://" + host + ":" + d.port() + "/", props);
    } catch (IOException e) {
      throw new SQLException(e.getMessage(), "08000", e);
    }
  }

  /**
   * A message for a tired admin; never holds the password (Connector/J's messages do not either).
   */
  static String explain(SQLException e, Destination d) {
    String server = d.server();
    String tlsProblem = ServerTls.explain(e, d.host(), d.port(), d.tls());
    if (tlsProblem != null) {
      return tlsProblem;
    }
    if (e.getErrorCode() == 1045 || "28000".equals(e.getSQLState())) {
      return "the server at "
          + server
          + " refused user '"
          + d.login().username()
          + "': check username and password in "
          + d.login().source()
          + " ("
          + e.getMessage()
          + ")";
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return "unknown host '"
            + d.host()
            + "': check the database server to restore into ("
            + t.getMessage()
            + ")";
      }
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return "cannot connect to " + server + ": " + t.getMessage();
      }
      if (t instanceof SocketTimeoutException) {
        return "cannot connect to " + server + ": no answer in time (" + t.getMessage() + ")";
      }
    }
    if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
      return "cannot connect to " + server + ": " + e.getMessage();
    }
    return "the server at "
        + server
        + " answered with error "
        + e.getErrorCode()
        + ": "
        + e.getMessage();
  }

  private static void checkName(String what, String name) throws DatabaseRestoreException {
    if (name == null
        || name.isEmpty()
        || name.endsWith(" ")
        || name.indexOf('\0') >= 0
        || name.codePointCount(0, name.length()) > SchemaName.MAX_LENGTH) {
      throw new DatabaseRestoreException(
          "'"
              + name
              + "' is not a valid "
              + what
              + " name (1 to 64 characters, not ending in a space)",
          null,
          true);
    }
  }

  private static String quote(String name) {
    return SchemaObjects.quote(name);
  }
}
