package io.osbackup.agent.restore.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

import io.osbackup.agent.files.MountTable;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.DeniedPaths;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveStructSparse;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The files half of a restore: extracts units of a {@code FilesBackup} archive into staging places
 * next to their destinations on the node and, only once the whole artifact is read and verified,
 * moves each previous copy aside to {@code <dest>.orig-<timestamp>} and the restored one in.
 */
public final class FilesRestorer {

  /** The check that must pass before anything on the node is switched over. */
  @FunctionalInterface
  public interface BeforeSwap {
    /**
     * Throws when nothing may be switched over, typically because the artifact's checksum fails.
     */
    void check() throws IOException;
  }

  /**
   * What a restore switched over, unit by unit, and how many archive entries and file bytes it
   * wrote; {@code setuidRemoved} names the files owned by root whose setuid/setgid bits were not
   * restored.
   */
  public record Outcome(List<Unit> units, long entries, long bytes, List<String> setuidRemoved) {
    public Outcome {
      units = List.copyOf(units);
      setuidRemoved = List.copyOf(setuidRemoved);
    }
  }

  /**
   * One restored unit: the node path it was restored to, and the node path its previous copy was
   * moved to ({@code null} when nothing was there).
   */
  public record Unit(String path, String keptAt) {}

  /** Node subtrees no restore writes. */
  private static final DeniedPaths DENIED = DeniedPaths.builtIn();

  private static final int BUFFER = 64 * 1024;
  private static final int IMPLICIT_DIRECTORY_MODE = 0755;
  private static final int NAMES_KEPT = 1000;
  private static final int NAMES_SHOWN = 10;
  private static final Pattern TIMESTAMP = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIRECTORY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  private static final Set<OpenOption> NEW_FILE = Set.of(CREATE_NEW, WRITE, NOFOLLOW_LINKS);
  private static final Set<PosixFilePermission> OWNER_ALL =
      EnumSet.of(
          PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE);

  private final MountTable mounts;
  private final Consumer<String> notes;
  private final boolean restoreSetuid;

  /**
   * Writes node paths through {@code mounts} and reports skipped entries, owners it could not set
   * and leftovers it removed to {@code notes}.
   */
  public FilesRestorer(MountTable mounts, Consumer<String> notes) {
    this(mounts, notes, false);
  }

  /**
   * As {@link #FilesRestorer(MountTable, Consumer)}; {@code restoreSetuid} keeps the setuid and
   * setgid bits of files owned by root (user or group) as the archive has them. Without it they are
   * removed, and the files are named in a note and in {@link Outcome#setuidRemoved()}.
   */
  public FilesRestorer(MountTable mounts, Consumer<String> notes, boolean restoreSetuid) {
    this.mounts = mounts;
    this.notes = notes;
    this.restoreSetuid = restoreSetuid;
  }

  /**
   * Extracts the selected units of a (decompressed) tar stream into staging places next to their
   * destinations, reads the stream to its end, calls {@code beforeSwap} (which verifies the
   * artifact's checksum), checks that every unit was in the archive, and only then switches each
   * unit over: an existing destination is renamed to {@code <dest>.orig-<timestamp>}, the staging
   * place to the destination. Until the switch, any failure (including {@code beforeSwap} throwing)
   * removes the staging places and leaves the node as it was. The stream is not closed.
   *
   * @param tar the archive as written by {@code FilesBackup}, already decompressed
   * @param units absolute node paths to restore, each a directory or a file in the archive (e.g.
   *     {@code /etc/nova} or {@code /etc/nova/nova.conf}); none may contain another
   * @param hostRoot where the node's root is mounted in the pod ({@code /host}); null for {@link
   *     BackupPlan#HOST_ROOT}
   * @param toPath null or blank to restore in place, else an absolute node directory below which
   *     the units land ({@code /etc/nova} to {@code <toPath>/etc/nova}), created if missing
   * @param timestamp names the kept and staging copies, e.g. {@code 20261121-031500}
   * @throws IllegalArgumentException when an argument is malformed, before anything is read
   * @throws PartialRestoreException when switching a unit over failed after others were switched;
   *     the message says what is where
   * @throws IOException when the archive is refused, a unit is missing from it, {@code beforeSwap}
   *     throws, or writing fails before the switch; then nothing on the node has changed
   */
  public Outcome restore(
      InputStream tar,
      List<String> units,
      String hostRoot,
      String toPath,
      String timestamp,
      BeforeSwap beforeSwap)
      throws IOException {
    List<Path> unitPaths = units(units);
    String root = hostRoot(hostRoot);
    Path to = toPath(toPath);
    if (timestamp == null || !TIMESTAMP.matcher(timestamp).matches()) {
      throw new IllegalArgumentException(
          "timestamp must be letters, digits, '.', '_' or '-', like 20261121-031500: '"
              + timestamp
              + "'");
    }
    if (tar == null || beforeSwap == null) {
      throw new IllegalArgumentException("tar and beforeSwap are required");
    }
    List<Destination> destinations = new ArrayList<>();
    for (Path unit : unitPaths) {
      destinations.add(destination(unit, root, to, timestamp));
    }
    for (Destination destination : destinations) {
      refuseDenied(destination);
    }
    for (Destination destination : destinations) {
      refuseUnsafe(destination, root);
    }
    List<Path> created = new ArrayList<>();
    Extraction extraction = new Extraction(destinations);
    try {
      for (Destination destination : destinations) {
        createParents(destination, root, created);
        removeLeftover(destination);
      }
      extraction.run(tar);
      beforeSwap.check();
      extraction.requireEveryUnit();
    } catch (IOException | RuntimeException | Error e) {
      discard(destinations, created, e);
      throw e;
    }
    return new Outcome(
        switchOver(destinations), extraction.entries, extraction.bytes, extraction.setuidRemoved);
  }

  /**
   * Reads a (decompressed) tar stream to its end and returns those of {@code units} (as given) that
   * it holds, at their path or below; for the verify step before anything is written. An archive
   * that {@link #restore} would refuse (absolute names, {@code ..}) is refused here too. The stream
   * is not closed.
   */
  public static Set<String> unitsPresent(InputStream tar, List<String> units) throws IOException {
    List<Path> paths = units(units);
    Set<Integer> present = new HashSet<>();
    Set<Path> files = new HashSet<>();
    TarArchiveInputStream in = new TarArchiveInputStream(tar, StandardCharsets.UTF_8.name());
    for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
      if (entry.isGlobalPaxHeader()) {
        continue;
      }
      Path path = nodePath(entry.getName());
      if (entry.isLink()) {
        linkTarget(entry, files);
      }
      remember(files, path, entry);
      int unit = path == null ? -1 : unitOf(paths, path);
      if (unit >= 0) {
        present.add(unit);
      }
    }
    tar.transferTo(OutputStream.nullOutputStream());
    Set<String> result = new LinkedHashSet<>();
    for (int i = 0; i < units.size(); i++) {
      if (present.contains(i)) {
        result.add(units.get(i));
      }
    }
    return result;
  }

  /** Where one unit goes: node paths for messages, local paths for the work. */
  private record Destination(
      Path unit, Path node, Path local, Path staging, Path kept, Path localKept) {

    Path stagingNode() {
      return node.resolveSibling(staging.getFileName());
    }

    /** The local path of {@code rel} (relative to the unit) inside the staging place. */
    Path inStaging(Path rel) {
      return rel.toString().isEmpty() ? staging : staging.resolve(rel);
    }
  }

  private Destination destination(Path unit, String root, Path to, String timestamp) {
    Path node = to == null ? unit : to.resolve(unit.getRoot().relativize(unit));
    String name = node.getFileName().toString();
    Path local = local(root, node);
    return new Destination(
        unit,
        node,
        local,
        local.resolveSibling("." + name + ".osbackup-restore-" + timestamp),
        node.resolveSibling(name + ".orig-" + timestamp),
        local.resolveSibling(name + ".orig-" + timestamp));
  }

  private Path local(String root, Path nodePath) {
    return mounts.resolve(root + nodePath);
  }

  /**
   * Refuses a unit that is a denied node path (an archive taken before they were left out of
   * backups may hold one), and a destination that is, lies inside or holds a denied subtree
   * (switching it over would move that aside).
   */
  private static void refuseDenied(Destination d) {
    Optional<DeniedPaths.Subtree> unit = DENIED.covering(d.unit().toString());
    if (unit.isPresent()) {
      throw new IllegalArgumentException(
          "cannot restore "
              + d.unit()
              + ": it is "
              + denial(d.unit(), unit.get())
              + ", and osbackup never writes denied node paths; restore other paths of the archive");
    }
    Optional<DeniedPaths.Subtree> covering = DENIED.covering(d.node().toString());
    if (covering.isPresent()) {
      throw new IllegalArgumentException(
          "cannot restore "
              + d.unit()
              + " to "
              + d.node()
              + ": it is "
              + denial(d.node(), covering.get())
              + ", and osbackup never writes denied node paths; choose another toPath");
    }
    List<DeniedPaths.Subtree> inside = DENIED.inside(d.node().toString());
    if (!inside.isEmpty()) {
      throw new IllegalArgumentException(
          "cannot restore "
              + d.unit()
              + " to "
              + d.node()
              + ": switching it over would move "
              + inside.stream().map(DeniedPaths.Subtree::path).collect(Collectors.joining(", "))
              + " aside with it, and osbackup never writes denied node paths; restore the directories"
              + " inside it, or to a toPath");
    }
  }

  private static String denial(Path path, DeniedPaths.Subtree subtree) {
    return (subtree.path().equals(path.toString())
            ? "denied ("
            : "inside the denied " + subtree.path() + " (")
        + subtree.why()
        + ")";
  }

  /**
   * Refuses, before anything is written, a destination below a symlink or a file, a destination
   * that is a mount point (it cannot be renamed), and a kept name that is taken.
   */
  private void refuseUnsafe(Destination d, String root) throws IOException {
    for (int i = 1; i < d.node().getNameCount(); i++) {
      Path ancestor = d.node().getRoot().resolve(d.node().subpath(0, i));
      if (!mounts.mounted(root + ancestor)) {
        continue; // above the node directories mounted into the pod
      }
      Path local = local(root, ancestor);
      BasicFileAttributes a = attributes(local);
      if (a == null) {
        break;
      }
      if (a.isSymbolicLink()) {
        throw new IOException(
            "cannot restore "
                + d.node()
                + ": "
                + ancestor
                + " on the node is a symlink to "
                + Files.readSymbolicLink(local)
                + ", which the agent does not follow; restore to a path without symlinks");
      }
      if (!a.isDirectory()) {
        throw new IOException(
            "cannot restore " + d.node() + ": " + ancestor + " on the node is not a directory");
      }
    }
    BasicFileAttributes existing = attributes(d.local());
    if (existing == null) {
      return;
    }
    if (existing.isDirectory() && !sameDevice(d.local(), d.local().getParent())) {
      throw new IOException(
          "cannot restore "
              + d.node()
              + ": it is a mount point, which cannot be moved aside; restore with toPath and"
              + " copy the files over");
    }
    if (attributes(d.localKept()) != null) {
      throw keptTaken(d);
    }
  }

  private static IOException keptTaken(Destination d) {
    return new IOException(
        "cannot move "
            + d.node()
            + " aside: "
            + d.kept()
            + " already exists (kept by an earlier restore?); move it away or restore with"
            + " another timestamp");
  }

  private void createParents(Destination d, String root, List<Path> created) throws IOException {
    for (int i = 1; i < d.node().getNameCount(); i++) {
      Path ancestor = d.node().getRoot().resolve(d.node().subpath(0, i));
      if (!mounts.mounted(root + ancestor)) {
        continue; // above the node directories mounted into the pod
      }
      Path local = local(root, ancestor);
      if (attributes(local) == null) {
        Files.createDirectory(local);
        created.add(local);
      }
    }
  }

  private void removeLeftover(Destination d) throws IOException {
    if (attributes(d.staging()) != null) {
      deleteTree(d.staging());
      notes.accept("removed " + d.stagingNode() + ", left over from an earlier restore");
    }
  }

  /** Removes every staging place and the parents made for them, after {@code failure}. */
  private static void discard(
      List<Destination> destinations, List<Path> created, Throwable failure) {
    for (Destination d : destinations) {
      try {
        deleteTree(d.staging());
      } catch (IOException | RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
    for (int i = created.size() - 1; i >= 0; i--) {
      try {
        Files.deleteIfExists(created.get(i));
      } catch (DirectoryNotEmptyException e) {
        // something else was put there meanwhile: it stays
      } catch (IOException | RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
  }

  /** Switches every unit over in order; stops at the first failure with a full account. */
  private List<Unit> switchOver(List<Destination> destinations) throws PartialRestoreException {
    List<Unit> done = new ArrayList<>();
    for (int i = 0; i < destinations.size(); i++) {
      Destination d = destinations.get(i);
      try {
        done.add(switchUnit(d));
      } catch (SwitchFailure failure) {
        if (!failure.stagingKept) {
          deleteQuietly(d.staging(), failure);
        }
        List<Path> untouched = new ArrayList<>();
        for (Destination later : destinations.subList(i + 1, destinations.size())) {
          deleteQuietly(later.staging(), failure);
          untouched.add(later.node());
        }
        StringBuilder message =
            new StringBuilder("restore stopped at " + d.node() + ": " + failure.getMessage());
        if (done.isEmpty()) {
          message.append(". No unit was switched over");
        } else {
          message.append(". Already restored: ");
          message.append(
              done.stream()
                  .map(
                      u ->
                          u.path()
                              + (u.keptAt() == null
                                  ? " (nothing was there before)"
                                  : " (previous copy at " + u.keptAt() + ")"))
                  .collect(Collectors.joining(", ")));
        }
        if (!untouched.isEmpty()) {
          message.append(". Not restored, unchanged: ");
          message.append(untouched.stream().map(Path::toString).collect(Collectors.joining(", ")));
        }
        throw new PartialRestoreException(message.toString(), done, failure);
      }
    }
    return done;
  }

  /**
   * Renames the destination aside and the staging place in. When the second rename fails, the
   * previous copy is renamed back once; the failure says where everything is.
   */
  private Unit switchUnit(Destination d) throws SwitchFailure {
    boolean existed = exists(d, d.local());
    if (existed) {
      if (exists(d, d.localKept())) {
        throw new SwitchFailure(keptTaken(d).getMessage() + "; " + d.node() + " is unchanged");
      }
      try {
        Files.move(d.local(), d.localKept(), StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new SwitchFailure(
            "cannot move "
                + d.node()
                + " aside to "
                + d.kept()
                + " ("
                + reason(e)
                + "); "
                + d.node()
                + " is unchanged",
            e);
      }
    }
    try {
      if (attributes(d.local()) != null) {
        throw new IOException(d.node() + " reappeared after it was moved aside");
      }
      Files.move(d.staging(), d.local(), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      String what = "cannot move the restored copy into place (" + reason(e) + "); ";
      if (!existed) {
        throw new SwitchFailure(what + d.node() + " is unchanged", e);
      }
      try {
        Files.move(d.localKept(), d.local(), StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException back) {
        e.addSuppressed(back);
        SwitchFailure failure =
            new SwitchFailure(
                what
                    + "its previous copy is at "
                    + d.kept()
                    + " and the restored copy at "
                    + d.stagingNode()
                    + ": move one of them to "
                    + d.node()
                    + " by hand",
                e);
        failure.stagingKept = true;
        throw failure;
      }
      throw new SwitchFailure(
          what + d.node() + " is unchanged (its previous copy was put back)", e);
    }
    return new Unit(d.node().toString(), existed ? d.kept().toString() : null);
  }

  private static boolean exists(Destination d, Path local) throws SwitchFailure {
    try {
      return attributes(local) != null;
    } catch (IOException e) {
      throw new SwitchFailure(
          "cannot read " + local + " (" + reason(e) + "); " + d.node() + " is unchanged", e);
    }
  }

  /** Switching one unit over failed; the message says what state that unit is in. */
  private static final class SwitchFailure extends IOException {
    private boolean stagingKept;

    SwitchFailure(String message) {
      super(message);
    }

    SwitchFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** One pass over the archive, writing the entries of the units into their staging places. */
  private final class Extraction {
    private final List<Destination> destinations;
    private final List<Path> units;
    private final Set<Integer> found = new HashSet<>();
    private final Contents contents;
    private final List<Directory> directories = new ArrayList<>();
    private final Map<DeniedPaths.Subtree, Integer> skipped = new LinkedHashMap<>();
    private final byte[] buffer = new byte[BUFFER];
    private boolean ownersRefused;
    private final List<String> setuidRemoved = new ArrayList<>();

    /** The node paths of the archive's files so far, for the targets of hard links. */
    private final Set<Path> archivedFiles = new HashSet<>();

    /** The files written so far, by node path, for the hard links to them. */
    private final Map<Path, Staged> extracted = new HashMap<>();

    private long entries;
    private long bytes;

    Extraction(List<Destination> destinations) {
      this.destinations = destinations;
      this.units = destinations.stream().map(Destination::unit).toList();
      this.contents = new Contents(units);
    }

    void run(InputStream in) throws IOException {
      // Not closed: the caller reads the rest of the stream to verify it.
      TarArchiveInputStream tar = new TarArchiveInputStream(in, StandardCharsets.UTF_8.name());
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        if (entry.isGlobalPaxHeader()) {
          continue;
        }
        Path path = nodePath(entry.getName());
        Path linked = entry.isLink() ? linkTarget(entry, archivedFiles) : null;
        remember(archivedFiles, path, entry);
        extracted.remove(path);
        if (path == null) {
          continue;
        }
        contents.add(path);
        int unit = unitOf(units, path);
        if (unit < 0) {
          continue;
        }
        Optional<DeniedPaths.Subtree> denied = DENIED.covering(path.toString());
        if (denied.isPresent()) {
          skipped.merge(denied.get(), 1, Integer::sum);
          continue;
        }
        found.add(unit);
        if (linked != null) {
          link(entry, destinations.get(unit), path, linked);
        } else {
          extract(tar, entry, destinations.get(unit), path);
        }
      }
      in.transferTo(OutputStream.nullOutputStream());
      applyDirectories();
      skipped.forEach(
          (subtree, count) ->
              notes.accept(
                  "skipped "
                      + count
                      + (count == 1 ? " archive entry" : " archive entries")
                      + " at and below "
                      + subtree.path()
                      + ": osbackup never writes denied node paths ("
                      + subtree.why()
                      + ")"));
      noteSetuidRemoved();
    }

    void requireEveryUnit() throws IOException {
      List<String> missing = new ArrayList<>();
      for (int i = 0; i < units.size(); i++) {
        if (!found.contains(i)) {
          missing.add(units.get(i) + " (" + contents.near(units.get(i)) + ")");
        }
      }
      if (!missing.isEmpty()) {
        throw new IOException(
            "the archive holds nothing for "
                + String.join("; nor for ", missing)
                + ": nothing was restored");
      }
    }

    private void extract(TarArchiveInputStream tar, TarArchiveEntry entry, Destination d, Path path)
        throws IOException {
      Path rel = d.unit().relativize(path);
      Path target = d.inStaging(rel);
      if (entry.isSymbolicLink()) {
        enterParents(d, rel, entry.getName());
        clear(target, false);
        Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
        owner(target, entry.getLongUserId(), entry.getLongGroupId());
        times(target, entry.getLastModifiedTime());
      } else if (entry.isDirectory()) {
        enterParents(d, rel, entry.getName());
        if (!clear(target, true)) {
          Files.createDirectory(target, PRIVATE_DIRECTORY);
        }
        directories.add(
            new Directory(
                d,
                rel,
                entry.getMode(),
                entry.getLongUserId(),
                entry.getLongGroupId(),
                entry.getLastModifiedTime()));
      } else if (regular(entry)) {
        enterParents(d, rel, entry.getName());
        clear(target, false);
        bytes += entry.isSparse() ? writeSparse(tar, entry, target) : write(tar, target);
        owner(target, entry.getLongUserId(), entry.getLongGroupId());
        mode(target, setuidChecked(target, path, entry.getMode()));
        times(target, entry.getLastModifiedTime());
        extracted.put(path, new Staged(d, rel, fileKey(target)));
      } else {
        notes.accept(
            "skipped "
                + kind(entry)
                + " "
                + path
                + ": only files, directories and symlinks are restored");
        return;
      }
      entries++;
    }

    /**
     * Recreates a hard link to {@code linked}, a file this restore wrote earlier (in this unit or
     * another one), so both names share one inode again; fails, before anything is switched over,
     * when that file is not part of the restore.
     */
    private void link(TarArchiveEntry entry, Destination d, Path path, Path linked)
        throws IOException {
      Staged staged = extracted.get(linked);
      if (staged == null) {
        throw new IOException(
            "cannot restore "
                + path
                + ": it is a hard link to "
                + linked
                + ", which this restore does not write; restore a unit that holds both (such as"
                + " their common directory), nothing was restored");
      }
      Path rel = d.unit().relativize(path);
      Path target = d.inStaging(rel);
      enterParents(d, rel, entry.getName());
      clear(target, false);
      Path existing = staged.destination().inStaging(staged.rel());
      if (!staged.stillThere()) {
        throw refused(
            entry.getName(),
            "is a hard link to " + entry.getLinkName() + ", which a later entry replaced");
      }
      try {
        Files.createLink(target, existing);
      } catch (FileSystemException e) {
        if (!"Invalid cross-device link".equals(e.getReason())) {
          throw e;
        }
        Files.copy(existing, target, StandardCopyOption.COPY_ATTRIBUTES, NOFOLLOW_LINKS);
        notes.accept(
            "restored "
                + path
                + " as a copy of "
                + linked
                + ", not as a hard link: they are restored to different file systems");
      }
      extracted.put(path, new Staged(d, rel, fileKey(target)));
      entries++;
    }

    /**
     * Writes a sparse entry's data regions only, so its holes stay holes, and gives the file its
     * full length; returns the bytes written.
     */
    private long writeSparse(TarArchiveInputStream tar, TarArchiveEntry entry, Path target)
        throws IOException {
      long written = 0;
      long at = 0;
      try (FileChannel out = FileChannel.open(target, NEW_FILE, PRIVATE_FILE)) {
        for (TarArchiveStructSparse region : entry.getOrderedSparseHeaders()) {
          if (region.getNumbytes() == 0) {
            continue;
          }
          while (at < region.getOffset()) {
            long skipped = tar.skip(region.getOffset() - at);
            if (skipped <= 0) {
              throw truncated(entry);
            }
            at += skipped;
          }
          for (long remaining = region.getNumbytes(); remaining > 0; ) {
            int n = tar.read(buffer, 0, (int) Math.min(buffer.length, remaining));
            if (n < 0) {
              throw truncated(entry);
            }
            ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
            while (chunk.hasRemaining()) {
              at += out.write(chunk, at);
            }
            remaining -= n;
            written += n;
          }
        }
        out.force(true);
      }
      if (Files.size(target) < entry.getRealSize()) {
        // Extends the file without writing: the trailing hole stays a hole.
        try (RandomAccessFile file = new RandomAccessFile(target.toFile(), "rw")) {
          file.setLength(entry.getRealSize());
        }
      }
      return written;
    }

    /**
     * Makes sure every directory between the staging place and {@code rel} is a real directory,
     * creating missing ones; refuses the archive when one is a symlink or a file, so no entry can
     * be written outside the staging place.
     */
    private void enterParents(Destination d, Path rel, String name) throws IOException {
      Path dir = d.staging();
      for (int i = 0; i < depth(rel); i++) {
        BasicFileAttributes a = attributes(dir);
        Path here = i == 0 ? d.unit() : d.unit().resolve(rel.subpath(0, i));
        if (a == null) {
          Files.createDirectory(dir, PRIVATE_DIRECTORY);
          Path made = i == 0 ? Path.of("") : rel.subpath(0, i);
          directories.add(new Directory(d, made, IMPLICIT_DIRECTORY_MODE, -1, -1, null));
        } else if (a.isSymbolicLink()) {
          throw refused(name, "lies below the symlink " + archiveName(here));
        } else if (!a.isDirectory()) {
          throw refused(name, "lies below " + archiveName(here) + ", which is not a directory");
        }
        dir = dir.resolve(rel.getName(i));
      }
    }

    /**
     * Removes what an earlier entry left at {@code target}, except a real directory when {@code
     * keepDirectory}; returns whether that directory is there.
     */
    private boolean clear(Path target, boolean keepDirectory) throws IOException {
      BasicFileAttributes a = attributes(target);
      if (a == null) {
        return false;
      }
      if (keepDirectory && a.isDirectory()) {
        return true;
      }
      deleteTree(target);
      return false;
    }

    private long write(TarArchiveInputStream tar, Path target) throws IOException {
      long written = 0;
      try (FileChannel out = FileChannel.open(target, NEW_FILE, PRIVATE_FILE)) {
        for (int n = tar.read(buffer); n >= 0; n = tar.read(buffer)) {
          ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
          while (chunk.hasRemaining()) {
            out.write(chunk);
          }
          written += n;
        }
        out.force(true);
      }
      return written;
    }

    /**
     * {@code mode} without its setuid and setgid bits when the file (as written, owners set)
     * belongs to root, user or group, and the request did not ask for them; such files are listed.
     */
    private int setuidChecked(Path target, Path path, int mode) throws IOException {
      if (restoreSetuid || (mode & 06000) == 0) {
        return mode;
      }
      int uid = (Integer) Files.getAttribute(target, "unix:uid", NOFOLLOW_LINKS);
      int gid = (Integer) Files.getAttribute(target, "unix:gid", NOFOLLOW_LINKS);
      if (uid != 0 && gid != 0) {
        return mode;
      }
      setuidRemoved.add(path.toString());
      return mode & ~06000;
    }

    /** Notes the files whose setuid/setgid bits were removed, once, after the archive is read. */
    private void noteSetuidRemoved() {
      if (setuidRemoved.isEmpty()) {
        return;
      }
      List<String> shown = setuidRemoved.size() > 20 ? setuidRemoved.subList(0, 20) : setuidRemoved;
      notes.accept(
          "setuid/setgid bits removed from "
              + setuidRemoved.size()
              + " files owned by root: "
              + String.join(", ", shown)
              + (setuidRemoved.size() > shown.size() ? ", ..." : "")
              + " (set spec.files.restoreSetuid: true, or --restore-setuid, to restore them)");
    }

    /**
     * Sets the modes, owners and times of directories, deepest first, after all their contents are
     * written; a directory a later entry replaced is left alone.
     */
    private void applyDirectories() throws IOException {
      directories.sort(Comparator.comparingInt((Directory dir) -> depth(dir.rel())).reversed());
      for (Directory dir : directories) {
        if (!realDirectory(dir.destination().staging(), dir.rel())) {
          continue;
        }
        Path target = dir.destination().inStaging(dir.rel());
        owner(target, dir.uid(), dir.gid());
        mode(target, dir.mode());
        if (dir.mtime() != null) {
          times(target, dir.mtime());
        }
      }
    }

    private void owner(Path target, long uid, long gid) throws IOException {
      if (ownersRefused || uid < 0 || gid < 0) {
        return;
      }
      try {
        Files.setAttribute(target, "unix:uid", (int) uid, NOFOLLOW_LINKS);
        Files.setAttribute(target, "unix:gid", (int) gid, NOFOLLOW_LINKS);
      } catch (FileSystemException e) {
        if (!(e instanceof AccessDeniedException)
            && !"Operation not permitted".equals(e.getReason())) {
          throw e;
        }
        ownersRefused = true;
        notes.accept(
            "owners were not restored ("
                + reason(e)
                + "): restored files belong to the agent's user instead of their owners in the"
                + " backup");
      }
    }
  }

  /** A file this restore wrote: where, and its inode, which a hard link to it must still find. */
  private record Staged(Destination destination, Path rel, Object key) {

    /** Whether the file is still there, through real directories, and still the same inode. */
    boolean stillThere() throws IOException {
      Path parent = rel.getParent() == null ? Path.of("") : rel.getParent();
      if (depth(rel) > 0 && !realDirectory(destination.staging(), parent)) {
        return false;
      }
      BasicFileAttributes a = attributes(destination.inStaging(rel));
      return a != null && a.isRegularFile() && a.fileKey().equals(key);
    }
  }

  /** A directory whose mode, owner and time are set once its contents are written. */
  private record Directory(
      Destination destination, Path rel, int mode, long uid, long gid, FileTime mtime) {}

  /** The archive's paths, cut at the depths of the units, to say what it holds instead. */
  private static final class Contents {
    private final Map<Integer, TreeSet<Path>> byDepth = new HashMap<>();
    private boolean empty = true;

    Contents(List<Path> units) {
      for (Path unit : units) {
        byDepth.putIfAbsent(unit.getNameCount(), new TreeSet<>());
      }
    }

    void add(Path path) {
      empty = false;
      for (Map.Entry<Integer, TreeSet<Path>> e : byDepth.entrySet()) {
        if (e.getValue().size() < NAMES_KEPT) {
          int depth = Math.min(e.getKey(), path.getNameCount());
          e.getValue().add(path.getRoot().resolve(path.subpath(0, depth)));
        }
      }
    }

    /** What the archive holds at the depth of {@code unit}, leaving out mere parents. */
    String near(Path unit) {
      if (empty) {
        return "the archive is empty";
      }
      TreeSet<Path> paths = byDepth.get(unit.getNameCount());
      Set<Path> parents = new HashSet<>();
      for (Path p : paths) {
        for (Path up = p.getParent(); up != null; up = up.getParent()) {
          parents.add(up);
        }
      }
      List<String> shown =
          paths.stream().filter(p -> !parents.contains(p)).map(Path::toString).toList();
      String list = String.join(", ", shown.subList(0, Math.min(NAMES_SHOWN, shown.size())));
      boolean more = shown.size() > NAMES_SHOWN || paths.size() >= NAMES_KEPT;
      return "it holds " + list + (more ? ", …" : "");
    }
  }

  // ---- shared checks ----

  private static List<Path> units(List<String> units) {
    if (units == null || units.isEmpty()) {
      throw new IllegalArgumentException("units is empty: name at least one absolute node path");
    }
    List<Path> paths = new ArrayList<>();
    for (int i = 0; i < units.size(); i++) {
      String unit = units.get(i);
      if (unit == null || !unit.startsWith("/")) {
        throw new IllegalArgumentException(
            "units[" + i + "] must be an absolute node path: '" + unit + "'");
      }
      Path path = Path.of(unit).normalize();
      if (path.getNameCount() == 0) {
        throw new IllegalArgumentException(
            "units[" + i + "] must name a directory or file below /, not '" + unit + "'");
      }
      for (Path other : paths) {
        if (path.startsWith(other) || other.startsWith(path)) {
          throw new IllegalArgumentException(
              path.equals(other)
                  ? "units names " + path + " twice"
                  : "units " + other + " and " + path + " overlap: list only the outer one");
        }
      }
      paths.add(path);
    }
    return paths;
  }

  private static String hostRoot(String hostRoot) {
    if (hostRoot == null) {
      return BackupPlan.HOST_ROOT;
    }
    if (!hostRoot.startsWith("/")) {
      throw new IllegalArgumentException("hostRoot must be an absolute path: '" + hostRoot + "'");
    }
    return hostRoot;
  }

  private static Path toPath(String toPath) {
    if (toPath == null || toPath.isBlank()) {
      return null;
    }
    if (!toPath.startsWith("/")) {
      throw new IllegalArgumentException("toPath must be an absolute node path: '" + toPath + "'");
    }
    return Path.of(toPath).normalize();
  }

  /**
   * The node path an archive entry describes ({@code etc/nova/} is {@code /etc/nova}); null for the
   * archive's root ({@code ./}). Absolute names and {@code ..} refuse the archive.
   */
  private static Path nodePath(String name) throws IOException {
    if (name.startsWith("/")) {
      throw refused(name, "has an absolute name");
    }
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.equals("..")) {
        throw refused(name, "climbs out with '..'");
      }
      if (!part.isEmpty() && !part.equals(".")) {
        parts.add(part);
      }
    }
    if (parts.isEmpty()) {
      return null;
    }
    try {
      return Path.of("/", parts.toArray(String[]::new));
    } catch (InvalidPathException e) {
      throw refused(name, "is not a usable path (" + e.getReason() + ")");
    }
  }

  /**
   * The node path a hard-link entry names as its target; refuses the archive when that name is
   * absolute, climbs out with {@code ..}, or is not a file earlier in the archive.
   */
  private static Path linkTarget(TarArchiveEntry entry, Set<Path> earlierFiles) throws IOException {
    String link = entry.getLinkName();
    if (link == null || link.isEmpty()) {
      throw refused(entry.getName(), "is a hard link without a target");
    }
    if (link.startsWith("/")) {
      throw refused(entry.getName(), "is a hard link to the absolute name " + link);
    }
    if (List.of(link.split("/")).contains("..")) {
      throw refused(entry.getName(), "is a hard link that climbs out with '..' (" + link + ")");
    }
    Path target = nodePath(link);
    if (target == null || !earlierFiles.contains(target)) {
      throw refused(
          entry.getName(),
          "is a hard link to " + link + ", which is not a file earlier in the archive");
    }
    return target;
  }

  /** Keeps track of which node paths the archive holds as files so far. */
  private static void remember(Set<Path> files, Path path, TarArchiveEntry entry) {
    if (path == null) {
      return;
    }
    if (regular(entry) || entry.isLink()) {
      files.add(path);
    } else {
      files.remove(path);
    }
  }

  private static IOException truncated(TarArchiveEntry entry) {
    return new IOException(
        "archive entry '" + entry.getName() + "' ends before its data: the archive is cut short");
  }

  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS).fileKey();
  }

  /** The index of the unit {@code path} is or lies in, or -1. */
  private static int unitOf(List<Path> units, Path path) {
    for (int i = 0; i < units.size(); i++) {
      if (path.startsWith(units.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static ArchiveRefusedException refused(String name, String why) {
    return new ArchiveRefusedException(name, why);
  }

  private static String archiveName(Path nodePath) {
    return nodePath.getRoot().relativize(nodePath).toString();
  }

  private static boolean regular(TarArchiveEntry entry) {
    byte flag = entry.getLinkFlag();
    return flag == TarConstants.LF_NORMAL
        || flag == TarConstants.LF_OLDNORM
        || flag == TarConstants.LF_CONTIG
        || entry.isOldGNUSparse();
  }

  private static String kind(TarArchiveEntry entry) {
    if (entry.isFIFO()) {
      return "FIFO";
    }
    if (entry.isCharacterDevice()) {
      return "character device";
    }
    if (entry.isBlockDevice()) {
      return "block device";
    }
    return "entry of type '" + (char) entry.getLinkFlag() + "'";
  }

  // ---- file system ----

  private static void mode(Path target, int mode) throws IOException {
    Files.setAttribute(target, "unix:mode", mode & 07777);
  }

  private static void times(Path target, FileTime mtime) throws IOException {
    Files.getFileAttributeView(target, BasicFileAttributeView.class, NOFOLLOW_LINKS)
        .setTimes(mtime, null, null);
  }

  /** The attributes of {@code path} itself (not a symlink's target), or null when it is absent. */
  private static BasicFileAttributes attributes(Path path) throws IOException {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Whether every name from {@code staging} down to {@code rel} is a directory, not a symlink. */
  private static boolean realDirectory(Path staging, Path rel) throws IOException {
    Path dir = staging;
    for (int i = 0; ; i++) {
      BasicFileAttributes a = attributes(dir);
      if (a == null || !a.isDirectory()) {
        return false;
      }
      if (i == depth(rel)) {
        return true;
      }
      dir = dir.resolve(rel.getName(i));
    }
  }

  /** The number of names in a relative path; 0 for the empty path (which Java counts as 1). */
  private static int depth(Path rel) {
    return rel.toString().isEmpty() ? 0 : rel.getNameCount();
  }

  private static boolean sameDevice(Path a, Path b) throws IOException {
    return Files.getAttribute(a, "unix:dev", NOFOLLOW_LINKS)
        .equals(Files.getAttribute(b, "unix:dev", NOFOLLOW_LINKS));
  }

  /**
   * Deletes {@code path} and, for a directory, everything in it; symlinks are removed, never
   * followed. Directories are made writable for their owner first.
   */
  static void deleteTree(Path path) throws IOException {
    BasicFileAttributes a = attributes(path);
    if (a == null) {
      return;
    }
    if (a.isDirectory()) {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path, NOFOLLOW_LINKS);
      if (!permissions.containsAll(OWNER_ALL)) {
        permissions.addAll(OWNER_ALL);
        Files.setPosixFilePermissions(path, permissions);
      }
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(path)) {
        stream.forEach(children::add);
      }
      for (Path child : children) {
        deleteTree(child);
      }
    }
    Files.delete(path);
  }

  private static void deleteQuietly(Path path, Throwable failure) {
    try {
      deleteTree(path);
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return String.valueOf(e.getMessage());
  }
}
