package io.osbackup.restore;

import io.osbackup.api.v1alpha1.RestoreRequestSpec;
import io.osbackup.contract.ArtifactKind;
import io.osbackup.contract.DeniedPaths;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.RestorePlan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which artifacts of a backup a RestoreRequest restores, and where each goes: pure, from the
 * manifest and the spec. A selection that cannot be honoured is a {@link Problem} naming the spec
 * field and the fix.
 */
public final class RestoreSelection {

  /** MariaDB database names: at most 64 characters, none of / \ . and no trailing space. */
  private static final Pattern DATABASE_NAME = Pattern.compile("^[^/\\\\.]{1,64}$");

  private RestoreSelection() {}

  /** A database server and the Secret with the credentials to log in with. */
  public record Server(String host, int port, String credentialsSecret) {}

  /**
   * One database artifact and where it goes.
   *
   * @param inPlace true when it replaces the database it was taken from (same name, same server)
   */
  public record DatabaseChoice(
      Manifest.Entry entry, String destination, Server server, boolean inPlace) {

    /** {@code host:port/destination}. */
    public String where() {
      return server.host() + ":" + server.port() + "/" + destination;
    }
  }

  /**
   * One files artifact and where it goes.
   *
   * @param node the node it is written on
   * @param paths the node paths of the archive to restore
   * @param toPath null in place, else the directory below which the paths land
   */
  public record FilesChoice(Manifest.Entry entry, String node, List<String> paths, String toPath) {

    public boolean inPlace() {
      return toPath == null;
    }

    /** {@code node:path,path}, as written on the node. */
    public String where() {
      return node
          + ":"
          + paths.stream()
              .map(p -> toPath == null ? p : join(toPath, p))
              .collect(Collectors.joining(","));
    }
  }

  /**
   * A selection that cannot be honoured: {@code field} of the spec, and a message that says what to
   * change.
   */
  public record Problem(String reason, String field, String message) {

    /** A problem whose message names its field. */
    static Problem of(String reason, String field, String message) {
      return new Problem(reason, field, message.contains(field) ? message : field + ": " + message);
    }
  }

  /**
   * The accounts artifact of a database target and the server it goes to (its databases' server).
   *
   * @param replace true: existing accounts are made as in the backup
   */
  public record AccountsChoice(Manifest.Entry entry, Server server, boolean replace) {

    /** {@code host:port (accounts)}. */
    public String where() {
      return server.host() + ":" + server.port() + " (accounts)";
    }
  }

  /** What is restored, or why not. */
  public record Result(
      List<DatabaseChoice> databases,
      List<FilesChoice> files,
      Problem problem,
      List<AccountsChoice> accounts) {

    public Result(List<DatabaseChoice> databases, List<FilesChoice> files, Problem problem) {
      this(databases, files, problem, List.of());
    }

    public boolean ok() {
      return problem == null;
    }

    /** The choices that write over what is there now. */
    public List<String> inPlace() {
      List<String> out = new ArrayList<>();
      databases.stream()
          .filter(DatabaseChoice::inPlace)
          .forEach(d -> out.add("database " + d.where()));
      files.stream().filter(FilesChoice::inPlace).forEach(f -> out.add("files " + f.where()));
      return out;
    }
  }

  /**
   * Chooses the artifacts of {@code manifest} that {@code spec} asks for.
   *
   * @param credentials the credentials Secret of each database target of the backup's policy, when
   *     the policy (or the run's copy of it) is known; a target without one can only be restored
   *     with {@code databases.into}
   */
  public static Result select(
      Manifest manifest, RestoreRequestSpec spec, Map<String, String> credentials) {
    return select(manifest, spec, credentials, Writer.NODE_JOB);
  }

  /**
   * Who writes the files: decides whether an in-place restore may need the node's {@code /}
   * writable.
   */
  public enum Writer {
    /**
     * A files Job on the node, which mounts the parent of every path it restores in place writable.
     */
    NODE_JOB,
    /** The break-glass CLI, writing below its {@code --root} with the rights of whoever runs it. */
    BREAK_GLASS
  }

  /**
   * Chooses the artifacts of {@code manifest} that {@code spec} asks for, to be written by {@code
   * writer}.
   *
   * @param credentials as for {@link #select(Manifest, RestoreRequestSpec, Map)}
   */
  public static Result select(
      Manifest manifest, RestoreRequestSpec spec, Map<String, String> credentials, Writer writer) {
    String id = manifest.backupId();
    List<DatabaseChoice> databases = new ArrayList<>();
    List<FilesChoice> files = new ArrayList<>();
    if (spec.getDatabases() != null) {
      Optional<Problem> problem =
          selectDatabases(manifest, spec.getDatabases(), credentials, databases);
      if (problem.isPresent()) {
        return new Result(List.of(), List.of(), problem.get());
      }
    }
    if (spec.getFiles() != null) {
      List<RestoreRequestSpec.FilesSelection> include = spec.getFiles().getInclude();
      if (include == null || include.isEmpty()) {
        return problem(
            "NothingSelected",
            "spec.files.include",
            "spec.files.include is empty: list the files targets to"
                + " restore, or remove spec.files");
      }
      for (int i = 0; i < include.size(); i++) {
        Optional<Problem> problem =
            selectFiles(manifest, include.get(i), "spec.files.include[" + i + "]", writer, files);
        if (problem.isPresent()) {
          return new Result(List.of(), List.of(), problem.get());
        }
      }
    }
    if (databases.isEmpty() && files.isEmpty()) {
      return problem(
          "NothingSelected",
          "spec",
          "nothing of backup " + id + " is selected: set spec.databases or" + " spec.files");
    }
    Set<String> destinations = new HashSet<>();
    for (DatabaseChoice d : databases) {
      if (!destinations.add(d.where())) {
        return problem(
            "DuplicateDestination",
            "spec.databases.renames",
            "two databases would both be restored to "
                + d.where()
                + ": give them different names in spec.databases.renames");
      }
    }
    Set<String> nodePaths = new HashSet<>();
    for (FilesChoice f : files) {
      for (String p : f.paths()) {
        String where = f.node() + ":" + (f.toPath() == null ? p : join(f.toPath(), p));
        if (!nodePaths.add(where)) {
          return problem(
              "DuplicateDestination",
              "spec.files.include",
              "two archives would both be restored to "
                  + where
                  + ": restore them with different spec.files.include[].toPath or toNode");
        }
      }
    }
    List<AccountsChoice> accounts = new ArrayList<>();
    RestoreRequestSpec.Accounts wanted = spec.getAccounts();
    if (wanted != null && Boolean.TRUE.equals(wanted.getRestore())) {
      if (databases.isEmpty()) {
        return problem(
            "NothingSelected",
            "spec.accounts",
            "spec.accounts.restore needs spec.databases: accounts are"
                + " restored into the server the databases go to");
      }
      Map<String, String> renames = spec.getDatabases().getRenames();
      if (renames != null && !renames.isEmpty()) {
        return problem(
            "AccountsWithRenames",
            "spec.accounts",
            "spec.accounts.restore with spec.databases.renames: the"
                + " accounts' grants name the databases by their backed-up names "
                + new TreeSet<>(renames.keySet())
                + ", not "
                + new TreeSet<>(renames.values())
                + "; restore the accounts in a request without renames, or"
                + " edit the downloaded accounts script and run it with the mariadb client");
      }
      Map<String, Server> servers = new LinkedHashMap<>();
      databases.forEach(d -> servers.putIfAbsent(d.entry().target(), d.server()));
      for (Map.Entry<String, Server> t : servers.entrySet()) {
        Optional<Manifest.Entry> entry =
            manifest.artifacts().stream()
                .filter(
                    e -> Manifest.Entry.ACCOUNTS.equals(e.kind()) && t.getKey().equals(e.target()))
                .findFirst();
        if (entry.isEmpty()) {
          return problem(
              "NotInBackup",
              "spec.accounts",
              "backup "
                  + id
                  + " holds no accounts of target "
                  + t.getKey()
                  + " (taken before accounts were captured, or with spec.databases[].accounts: None): remove"
                  + " spec.accounts");
        }
        accounts.add(
            new AccountsChoice(
                entry.get(),
                t.getValue(),
                wanted.getExisting() == RestoreRequestSpec.ExistingAccounts.Replace));
      }
    }
    return new Result(List.copyOf(databases), List.copyOf(files), null, List.copyOf(accounts));
  }

  private static Optional<Problem> selectDatabases(
      Manifest manifest,
      RestoreRequestSpec.DatabaseRestore spec,
      Map<String, String> credentials,
      List<DatabaseChoice> out) {
    String id = manifest.backupId();
    List<Manifest.Entry> entries =
        manifest.artifacts().stream().filter(e -> ArtifactKind.DATABASE.is(e.kind())).toList();
    Set<String> targets =
        entries.stream().map(Manifest.Entry::target).collect(Collectors.toCollection(TreeSet::new));
    if (entries.isEmpty()) {
      return Optional.of(
          Problem.of(
              "NotInBackup",
              "spec.databases",
              "backup " + id + " holds no database: remove" + " spec.databases"));
    }
    if (spec.getTarget() != null) {
      if (!targets.contains(spec.getTarget())) {
        return Optional.of(
            Problem.of(
                "NotInBackup",
                "spec.databases.target",
                "backup "
                    + id
                    + " has no database"
                    + " target '"
                    + spec.getTarget()
                    + "'; it has "
                    + targets));
      }
      entries = entries.stream().filter(e -> spec.getTarget().equals(e.target())).toList();
    }
    Map<String, List<Manifest.Entry>> byName = new LinkedHashMap<>();
    entries.forEach(e -> byName.computeIfAbsent(e.database(), k -> new ArrayList<>()).add(e));
    List<String> include = spec.getInclude() == null ? List.of() : spec.getInclude();
    for (String db : include) {
      if (!byName.containsKey(db)) {
        return Optional.of(
            Problem.of(
                "NotInBackup",
                "spec.databases.include",
                "database '"
                    + db
                    + "' is not in"
                    + " backup "
                    + id
                    + (spec.getTarget() == null ? "" : " target " + spec.getTarget())
                    + "; it has "
                    + new TreeSet<>(byName.keySet())));
      }
      if (byName.get(db).size() > 1) {
        return Optional.of(
            Problem.of(
                "Ambiguous",
                "spec.databases.target",
                "database '"
                    + db
                    + "' is in more than"
                    + " one target of backup "
                    + id
                    + " ("
                    + byName.get(db).stream().map(Manifest.Entry::target).toList()
                    + "): set spec.databases.target"));
      }
    }
    List<Manifest.Entry> chosen =
        include.isEmpty()
            ? entries
            : entries.stream().filter(e -> include.contains(e.database())).toList();
    Map<String, String> renames = spec.getRenames() == null ? Map.of() : spec.getRenames();
    Set<String> chosenNames =
        chosen.stream().map(Manifest.Entry::database).collect(Collectors.toSet());
    for (Map.Entry<String, String> rename : renames.entrySet()) {
      if (!chosenNames.contains(rename.getKey())) {
        return Optional.of(
            Problem.of(
                "NotInBackup",
                "spec.databases.renames",
                "spec.databases.renames renames '"
                    + rename.getKey()
                    + "', which is not among the databases restored "
                    + new TreeSet<>(chosenNames)));
      }
      if (rename.getValue() == null
          || !DATABASE_NAME.matcher(rename.getValue()).matches()
          || rename.getValue().endsWith(" ")) {
        return Optional.of(
            Problem.of(
                "InvalidName",
                "spec.databases.renames",
                "spec.databases.renames."
                    + rename.getKey()
                    + ": '"
                    + rename.getValue()
                    + "' is not a database name (1-64 characters, no / \\ or"
                    + " .)"));
      }
    }
    RestoreRequestSpec.DatabaseServer into = spec.getInto();
    for (Manifest.Entry e : chosen) {
      Server server;
      if (into != null) {
        server =
            new Server(
                into.getHost(),
                into.getPort() == null ? 3306 : into.getPort(),
                into.getCredentialsSecret() == null ? null : into.getCredentialsSecret().getName());
      } else {
        String secret = credentials.get(e.target());
        if (e.source() == null || e.source().host() == null) {
          return Optional.of(
              Problem.of(
                  "SourceUnknown",
                  "spec.databases.into",
                  "the manifest of backup "
                      + id
                      + " does not say which server target "
                      + e.target()
                      + " came from: set spec.databases.into"));
        }
        if (secret == null) {
          return Optional.of(
              Problem.of(
                  "CredentialsUnknown",
                  "spec.databases.into",
                  "osbackup does not know the"
                      + " credentials for "
                      + e.source().host()
                      + ":"
                      + e.source().port()
                      + " (target "
                      + e.target()
                      + " is not in policy "
                      + manifest.policy()
                      + ", or the policy is gone): set spec.databases.into with"
                      + " host, port and credentialsSecret"));
        }
        server =
            new Server(
                e.source().host(), e.source().port() == null ? 3306 : e.source().port(), secret);
      }
      String destination = renames.getOrDefault(e.database(), e.database());
      boolean inPlace = into == null && destination.equals(e.database());
      out.add(new DatabaseChoice(e, destination, server, inPlace));
    }
    return Optional.empty();
  }

  /** How a files artifact of a PersistentVolumeClaim names its "node": {@code pvc-<claim>}. */
  public static final String VOLUME_PREFIX = "pvc-";

  private static Optional<Problem> selectFiles(
      Manifest manifest,
      RestoreRequestSpec.FilesSelection spec,
      String field,
      Writer writer,
      List<FilesChoice> out) {
    String id = manifest.backupId();
    List<Manifest.Entry> entries =
        manifest.artifacts().stream().filter(e -> ArtifactKind.FILES.is(e.kind())).toList();
    Set<String> targets =
        entries.stream().map(Manifest.Entry::target).collect(Collectors.toCollection(TreeSet::new));
    List<Manifest.Entry> ofTarget =
        entries.stream().filter(e -> Objects.equals(spec.getTarget(), e.target())).toList();
    if (ofTarget.isEmpty()) {
      return Optional.of(
          Problem.of(
              "NotInBackup",
              field + ".target",
              "backup "
                  + id
                  + " has no files target '"
                  + spec.getTarget()
                  + "'; it has "
                  + targets));
    }
    Set<String> nodes =
        ofTarget.stream().map(Manifest.Entry::node).collect(Collectors.toCollection(TreeSet::new));
    List<String> wanted = spec.getNodes() == null ? List.of() : spec.getNodes();
    for (String node : wanted) {
      if (!nodes.contains(node)) {
        return Optional.of(
            Problem.of(
                "NotInBackup",
                field + ".nodes",
                "backup "
                    + id
                    + " has no archive of "
                    + spec.getTarget()
                    + " from node '"
                    + node
                    + "'; it has "
                    + nodes));
      }
    }
    List<Manifest.Entry> chosen =
        wanted.isEmpty()
            ? ofTarget
            : ofTarget.stream().filter(e -> wanted.contains(e.node())).toList();
    if (spec.getToNode() != null && chosen.size() > 1) {
      return Optional.of(
          Problem.of(
              "Ambiguous",
              field + ".toNode",
              field
                  + ".toNode restores one archive onto"
                  + " another node, but "
                  + chosen.size()
                  + " nodes are selected "
                  + chosen.stream().map(Manifest.Entry::node).toList()
                  + ": list exactly one in "
                  + field
                  + ".nodes"));
    }
    if (spec.getToPath() != null
        && (!spec.getToPath().startsWith("/")
            || spec.getToPath().contains("/../")
            || spec.getToPath().endsWith("/..")
            || "/".equals(normalise(spec.getToPath())))) {
      return Optional.of(
          Problem.of(
              "InvalidPath",
              field + ".toPath",
              field
                  + ".toPath must be an absolute directory"
                  + " other than / without '..': '"
                  + spec.getToPath()
                  + "'"));
    }
    String toPath = spec.getToPath() == null ? null : normalise(spec.getToPath());
    Optional<DeniedPaths.Subtree> deniedTo =
        toPath == null ? Optional.empty() : DENIED.covering(toPath);
    if (deniedTo.isPresent()) {
      return Optional.of(
          Problem.of(
              "HostPathNotAllowed",
              field + ".toPath",
              field
                  + ".toPath "
                  + toPath
                  + denial(toPath, deniedTo.get())
                  + ": osbackup never writes denied node paths; choose another directory,"
                  + " for example /var/tmp/osbackup-restore"));
    }
    for (Manifest.Entry e : chosen) {
      if (e.node() != null && e.node().startsWith(VOLUME_PREFIX) && spec.getToNode() == null) {
        String claim = e.node().substring(VOLUME_PREFIX.length());
        return Optional.of(
            Problem.of(
                "VolumeNotRestorable",
                field + ".toNode",
                "the archive of "
                    + e.target()
                    + " is of PersistentVolumeClaim '"
                    + claim
                    + "', not of a node: a RestoreRequest does not write into"
                    + " volumes. Set "
                    + field
                    + ".toNode and "
                    + field
                    + ".toPath to unpack it into a directory of a node"
                    + " (and copy it into the volume from there), or use the break-glass `osbackup restore --files-target "
                    + e.target()
                    + " --node "
                    + e.node()
                    + " --root <where the claim is mounted> --path <directory>`"));
      }
      List<String> held =
          e.source() == null || e.source().paths() == null ? List.of() : e.source().paths();
      List<String> paths = new ArrayList<>();
      List<String> asked =
          spec.getPaths() == null || spec.getPaths().isEmpty() ? held : spec.getPaths();
      for (String raw : asked) {
        if (raw == null || !raw.startsWith("/") || raw.contains("/../") || raw.endsWith("/..")) {
          return Optional.of(
              Problem.of(
                  "InvalidPath",
                  field + ".paths",
                  field + ".paths: '" + raw + "' must be an" + " absolute path without '..'"));
        }
        String path = normalise(raw);
        if (held.stream().map(RestoreSelection::normalise).noneMatch(h -> under(path, h))) {
          return Optional.of(
              Problem.of(
                  "NotInBackup",
                  field + ".paths",
                  field
                      + ".paths: '"
                      + raw
                      + "' is not in the"
                      + " archive of "
                      + e.target()
                      + " from "
                      + e.node()
                      + ", which holds "
                      + held));
        }
        paths.add(path);
      }
      for (String a : paths) {
        for (String b : paths) {
          if (!a.equals(b) && under(b, a)) {
            return Optional.of(
                Problem.of(
                    "InvalidPath",
                    field + ".paths",
                    field
                        + ".paths: '"
                        + b
                        + "' lies inside"
                        + " '"
                        + a
                        + "': list only '"
                        + a
                        + "'"));
          }
        }
      }
      if (paths.isEmpty()) {
        return Optional.of(
            Problem.of(
                "NotInBackup",
                field + ".paths",
                "the archive of "
                    + e.target()
                    + " from "
                    + e.node()
                    + " lists no paths in the manifest"));
      }
      if (e.node() != null && e.node().startsWith(VOLUME_PREFIX) && paths.contains("/")) {
        return Optional.of(
            Problem.of(
                "InvalidPath",
                field + ".paths",
                "the archive of "
                    + e.target()
                    + " holds the"
                    + " whole volume '"
                    + e.node().substring(VOLUME_PREFIX.length())
                    + "': list in "
                    + field
                    + ".paths the"
                    + " directories below / to restore (its top-level entries), for example /images"));
      }
      for (String path : paths) {
        Optional<Problem> denied = deniedDestination(e, path, toPath, field, writer);
        if (denied.isPresent()) {
          return denied;
        }
      }
      String node = spec.getToNode() == null ? e.node() : spec.getToNode();
      out.add(new FilesChoice(e, node, List.copyOf(new LinkedHashSet<>(paths)), toPath));
    }
    return Optional.empty();
  }

  /** The node subtrees no restore writes. */
  private static final DeniedPaths DENIED = DeniedPaths.builtIn();

  /**
   * Why {@code path} of archive {@code e} may not be restored (to {@code toPath}, or in place when
   * null): the archive's path is denied (a backup taken before denied subtrees were left out), its
   * destination is or holds a denied subtree (the switch would move it aside), or, in place by a
   * Job, its parent is the node's {@code /}.
   */
  private static Optional<Problem> deniedDestination(
      Manifest.Entry e, String path, String toPath, String field, Writer writer) {
    if (writer == Writer.BREAK_GLASS
        && e.node() != null
        && e.node().startsWith(VOLUME_PREFIX)
        && toPath == null) {
      return Optional.empty(); // into the volume mounted at --root: its paths are not a node's
    }
    Optional<DeniedPaths.Subtree> archived = DENIED.covering(path);
    if (archived.isPresent()) {
      return Optional.of(
          Problem.of(
              "HostPathNotAllowed",
              field + ".paths",
              field
                  + ".paths: the archive's "
                  + path
                  + denial(path, archived.get())
                  + ": osbackup never writes denied node paths, in place or elsewhere (the"
                  + " archive was taken before they were left out of backups); list other paths of the archive"));
    }
    String destination = toPath == null ? path : join(toPath, path);
    String where = toPath == null ? field + ".paths" : field + ".toPath";
    Optional<DeniedPaths.Subtree> covering = DENIED.covering(destination);
    if (covering.isPresent()) {
      return Optional.of(
          Problem.of(
              "HostPathNotAllowed",
              where,
              where
                  + ": restoring "
                  + path
                  + " to "
                  + destination
                  + " would write "
                  + destination
                  + denial(destination, covering.get())
                  + ": osbackup never writes denied"
                  + " node paths; choose another toPath"));
    }
    List<DeniedPaths.Subtree> inside = DENIED.inside(destination);
    if (!inside.isEmpty()) {
      String moved =
          inside.stream().limit(3).map(DeniedPaths.Subtree::path).collect(Collectors.joining(", "))
              + (inside.size() > 3 ? ", …" : "");
      return Optional.of(
          Problem.of(
              "HostPathNotAllowed",
              where,
              where
                  + ": restoring "
                  + path
                  + (toPath == null ? " in place" : " to " + destination)
                  + " would move "
                  + moved
                  + " aside with it, and"
                  + " osbackup never writes denied node paths: "
                  + (toPath == null
                      ? "list the directories to restore in "
                          + field
                          + ".paths, for example /etc/nova, or set "
                          + field
                          + ".toPath to unpack the archive elsewhere"
                      : "choose another toPath")));
    }
    if (toPath == null && writer == Writer.NODE_JOB && destination.lastIndexOf('/') == 0) {
      return Optional.of(
          Problem.of(
              "HostPathNotAllowed",
              where,
              where
                  + ": restoring "
                  + path
                  + " in place needs the"
                  + " node's / writable (the previous copy is renamed aside next to it), which a restore Job never mounts:"
                  + " set "
                  + field
                  + ".toPath, or list the directories inside "
                  + path
                  + " to restore"));
    }
    return Optional.empty();
  }

  private static String denial(String path, DeniedPaths.Subtree subtree) {
    return (subtree.path().equals(path)
            ? " is denied ("
            : " is inside the denied " + subtree.path() + " (")
        + subtree.why()
        + ")";
  }

  /** True when {@code path} is {@code root} or lies below it. */
  static boolean under(String path, String root) {
    return path.equals(root) || "/".equals(root) || path.startsWith(root + "/");
  }

  static String normalise(String path) {
    return RestorePlan.normalise(path);
  }

  static String join(String toPath, String path) {
    return RestorePlan.join(toPath, path);
  }

  private static Result problem(String reason, String field, String message) {
    return new Result(List.of(), List.of(), Problem.of(reason, field, message));
  }
}
