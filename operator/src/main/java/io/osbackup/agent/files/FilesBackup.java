package io.osbackup.agent.files;

import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.BackupReport;
import io.osbackup.contract.Compression;
import io.osbackup.contract.DeniedPaths;
import io.osbackup.store.ArtifactSink;
import io.osbackup.store.ArtifactUpload;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The files half of the agent: streams the paths of one node into a PAX tar artifact, keeping
 * modes, owners, mtimes to the nanosecond, symlinks (never followed), hard links, holes of sparse
 * files and empty directories, so GNU {@code tar -xp} restores them. A listed path that is, or lies
 * below, a symlink fails the artifact.
 */
public final class FilesBackup {

  /**
   * How a regular file is opened for reading; tests replace it to make a file unreadable even for
   * root.
   */
  @FunctionalInterface
  interface FileOpener {
    InputStream open(Path local) throws IOException;
  }

  private static final int TYPE_MASK = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFLNK = 0120000;
  private static final int PERMISSIONS = 07777;
  private static final int BUFFER = 64 * 1024;

  /** Files up to this size are read whole, and once more when they change while being read. */
  static final int REREAD_LIMIT = 8 * 1024 * 1024;

  private final MountTable mounts;
  private final Consumer<String> notes;
  private final FileOpener opener;

  /**
   * Reads node paths through {@code mounts} and reports skipped entries and changing files to
   * {@code notes}.
   */
  public FilesBackup(MountTable mounts, Consumer<String> notes) {
    this(mounts, notes, local -> Files.newInputStream(local, LinkOption.NOFOLLOW_LINKS));
  }

  FilesBackup(MountTable mounts, Consumer<String> notes, FileOpener opener) {
    this.mounts = mounts;
    this.notes = notes;
    this.opener = opener;
  }

  /**
   * Checks a files target before anything is read; throws {@link IllegalArgumentException} naming
   * the field.
   */
  public static void validate(BackupPlan.Files files) {
    if (files.target() == null || files.target().isBlank()) {
      throw new IllegalArgumentException("files.target is empty");
    }
    if (files.node() == null || files.node().isBlank()) {
      throw new IllegalArgumentException("files.node is empty");
    }
    if (files.hostRoot() != null && !files.hostRoot().startsWith("/")) {
      throw new IllegalArgumentException(
          "files.hostRoot must be an absolute path: '" + files.hostRoot() + "'");
    }
    if (files.paths() == null || files.paths().isEmpty()) {
      throw new IllegalArgumentException("files.paths is empty: name at least one absolute path");
    }
    for (int i = 0; i < files.paths().size(); i++) {
      String path = files.paths().get(i);
      if (path == null || !path.startsWith("/")) {
        throw new IllegalArgumentException(
            "files.paths[" + i + "] must be an absolute path: '" + path + "'");
      }
      if (Path.of(path).normalize().getNameCount() == 0 && !files.targetsVolume()) {
        throw new IllegalArgumentException(
            "files.paths[" + i + "] must name a directory or file below /, not '" + path + "'");
      }
    }
    if (files.excluded() != null) {
      for (int i = 0; i < files.excluded().size(); i++) {
        String path = files.excluded().get(i);
        if (path == null || !path.startsWith("/")) {
          throw new IllegalArgumentException(
              "files.excluded[" + i + "] must be an absolute path: '" + path + "'");
        }
      }
    }
    if (!files.targetsVolume()) {
      DeniedPaths denied = denied(files);
      for (int i = 0; i < files.paths().size(); i++) {
        String path = files.paths().get(i);
        Optional<DeniedPaths.Subtree> covering = denied.covering(path);
        if (covering.isPresent()) {
          throw new IllegalArgumentException(
              "files.paths["
                  + i
                  + "] "
                  + path
                  + " is "
                  + (covering.get().path().equals(Path.of(path).normalize().toString())
                      ? "denied"
                      : "inside the denied " + covering.get().path())
                  + " ("
                  + covering.get().why()
                  + "): the operator never reads it from nodes, whatever the plan says");
        }
      }
    }
    Excludes.of(files.exclude());
  }

  /**
   * The subtrees the agent never reads on a node: the built-in ones, whatever the plan says, and
   * those the planner left out.
   */
  private static DeniedPaths denied(BackupPlan.Files files) {
    return DeniedPaths.builtInAnd(files.excluded(), "left out by the operator's plan");
  }

  /**
   * Archives {@code files} into {@code sink} under {@link BackupLayout#filesArtifact}; on any
   * failure the upload is aborted and the error, naming the path and node, is thrown.
   */
  public BackupReport.Artifact backup(
      String folder, BackupPlan.Files files, Compression compression, ArtifactSink sink)
      throws IOException {
    validate(files);
    String key = BackupLayout.filesArtifact(folder, files.target(), files.node(), compression);
    try (ArtifactUpload upload = sink.open(key, compression)) {
      long entries;
      try {
        entries = write(files, upload.stream());
      } catch (IOException | RuntimeException e) {
        upload.abort(String.valueOf(e.getMessage()));
        throw e;
      }
      return BackupReport.Artifact.of(upload.finish(), null, entries);
    }
  }

  /**
   * Writes the tar archive of {@code files} to {@code out} (which is flushed, not closed) and
   * returns the number of entries written.
   */
  public long write(BackupPlan.Files files, OutputStream out) throws IOException {
    validate(files);
    Walk walk = new Walk(files, out);
    walk.run();
    return walk.entries;
  }

  /** One archive being written. */
  private final class Walk {
    private final BackupPlan.Files files;
    private final String hostRoot;
    private final Excludes excludes;
    private final DeniedPaths denied;
    private final PaxTar tar;
    private final Set<String> written = new HashSet<>();

    /** The archived name of every file with more names than one, by its device and inode. */
    private final Map<Object, String> firstNames = new HashMap<>();

    private final byte[] buffer = new byte[BUFFER];
    private long entries;

    Walk(BackupPlan.Files files, OutputStream out) {
      this.files = files;
      this.hostRoot = files.hostRoot() == null ? BackupPlan.HOST_ROOT : files.hostRoot();
      this.excludes = Excludes.of(files.exclude());
      this.denied = files.targetsVolume() ? null : denied(files);
      this.tar = new PaxTar(out);
    }

    void run() throws IOException {
      for (Path root : roots()) {
        if (excludes.excludes(root)) {
          notes.accept("path " + root + " on node " + files.node() + " is excluded");
          continue;
        }
        refuseSymlinks(root);
        Path local = local(root);
        Meta meta;
        try {
          meta = Meta.read(local);
        } catch (NoSuchFileException e) {
          throw new IOException("path " + root + " does not exist on node " + files.node(), e);
        } catch (IOException e) {
          throw unreadable(root, e);
        }
        for (int i = 1; i < root.getNameCount(); i++) {
          parent(root.getRoot().resolve(root.subpath(0, i)));
        }
        tree(root, local, meta);
      }
      tar.finish();
    }

    /**
     * Fails when {@code root} or one of its parent directories is a symlink: the link alone would
     * be stored and the data it points to never backed up. Symlinks inside the tree are stored as
     * links.
     */
    private void refuseSymlinks(Path root) throws IOException {
      for (int i = 1; i <= root.getNameCount(); i++) {
        Path nodePath = root.getRoot().resolve(root.subpath(0, i));
        Path local = local(nodePath);
        Meta meta;
        try {
          meta = Meta.read(local);
        } catch (IOException e) {
          return; // a missing or unreadable path is reported by the caller
        }
        if (meta.type() != S_IFLNK) {
          continue;
        }
        Path target;
        try {
          Path link = Files.readSymbolicLink(local);
          target = nodePath.getParent().resolve(link).normalize();
        } catch (IOException e) {
          throw unreadable(nodePath, e);
        }
        if (nodePath.equals(root)) {
          throw new IOException(
              "path "
                  + root
                  + " on node "
                  + files.node()
                  + " is a symlink to "
                  + target
                  + ": list the target path instead");
        }
        throw new IOException(
            "path "
                + root
                + " on node "
                + files.node()
                + " is below "
                + nodePath
                + ", a symlink to "
                + target
                + ": list the target path "
                + target.resolve(nodePath.relativize(root))
                + " instead");
      }
    }

    /** The listed paths, normalized and sorted, without those inside another listed path. */
    private List<Path> roots() {
      List<Path> sorted =
          files.paths().stream().map(p -> Path.of(p).normalize()).sorted().distinct().toList();
      List<Path> roots = new ArrayList<>();
      for (Path path : sorted) {
        if (roots.stream().noneMatch(path::startsWith)) {
          roots.add(path);
        }
      }
      return roots;
    }

    private Path local(Path nodePath) {
      return mounts.resolve(hostRoot + nodePath);
    }

    /** A parent directory of a listed path, so that extraction restores its mode and owner. */
    private void parent(Path nodePath) throws IOException {
      String name = name(nodePath) + "/";
      if (written.contains(name)) {
        return;
      }
      Meta meta;
      try {
        meta = Meta.read(local(nodePath));
      } catch (IOException e) {
        meta = null;
      }
      if (meta == null || meta.type() != S_IFDIR) {
        notes.accept(
            "parent directory "
                + nodePath
                + " of a listed path cannot be read on node "
                + files.node()
                + ": stored as root:root 0755");
        meta = new Meta(S_IFDIR, 0755, 0, 0, "", "", 0, FileTime.fromMillis(0), 1, null);
      }
      put(entry(name, TarConstants.LF_DIR, meta));
    }

    private void tree(Path nodePath, Path local, Meta meta) throws IOException {
      switch (meta.type()) {
        case S_IFLNK -> symlink(nodePath, local, meta);
        case S_IFREG -> file(nodePath, local, meta);
        case S_IFDIR -> directory(nodePath, local, meta);
        default ->
            notes.accept(
                "skipped "
                    + kind(meta.type())
                    + " "
                    + nodePath
                    + " on node "
                    + files.node()
                    + ": only files, directories and symlinks are archived");
      }
    }

    private void directory(Path nodePath, Path local, Meta meta) throws IOException {
      String name = name(nodePath) + "/";
      // The root of a volume archived whole has no entry: its children are the archive's top level.
      if (nodePath.getNameCount() > 0 && written.add(name)) {
        put(entry(name, TarConstants.LF_DIR, meta));
      }
      List<String> children = new ArrayList<>();
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(local)) {
        for (Path child : stream) {
          children.add(child.getFileName().toString());
        }
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
      children.sort(null);
      for (String child : children) {
        Path childNode = nodePath.resolve(child);
        if (excludes.excludes(childNode) || deniedLeftOut(childNode)) {
          continue;
        }
        Path childLocal = local.resolve(child);
        Meta childMeta;
        try {
          childMeta = Meta.read(childLocal);
        } catch (NoSuchFileException e) {
          vanished(childNode);
          continue;
        } catch (IOException e) {
          throw unreadable(childNode, e);
        }
        tree(childNode, childLocal, childMeta);
      }
    }

    /** True, with a note, when {@code nodePath} is a denied subtree the agent never reads. */
    private boolean deniedLeftOut(Path nodePath) {
      if (denied == null) {
        return false;
      }
      Optional<DeniedPaths.Subtree> covering =
          denied.at(nodePath); // its parents were checked on the way down
      covering.ifPresent(
          s ->
              notes.accept(
                  "left out "
                      + nodePath
                      + " on node "
                      + files.node()
                      + ": the operator never reads it ("
                      + s.why()
                      + ")"));
      return covering.isPresent();
    }

    private void symlink(Path nodePath, Path local, Meta meta) throws IOException {
      String target;
      try {
        target = Files.readSymbolicLink(local).toString();
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
      TarArchiveEntry entry = entry(name(nodePath), TarConstants.LF_SYMLINK, meta);
      entry.setLinkName(target);
      put(entry);
    }

    /**
     * A file up to {@link #REREAD_LIMIT} is read whole before its entry is written: when its size
     * changed while it was read, it is read once more, and only a second change is padded or cut. A
     * larger file is streamed, never held whole: once to find its holes, once to write its data,
     * since its entry's size and sparse map are written before its bytes. A file with all-zero
     * blocks is stored sparse, a later name of an archived inode as a hard link.
     */
    private void file(Path nodePath, Path local, Meta meta) throws IOException {
      if (hardLink(nodePath, meta)) {
        return;
      }
      if (meta.size() > REREAD_LIMIT) {
        stream(nodePath, local, meta);
        return;
      }
      byte[] content = readWhole(nodePath, local, meta.size());
      if (content == null) {
        return;
      }
      String again = "";
      if (content.length != meta.size()) {
        try {
          meta = Meta.read(local);
        } catch (NoSuchFileException e) {
          vanished(nodePath);
          return;
        } catch (IOException e) {
          throw unreadable(nodePath, e);
        }
        if (meta.type() != S_IFREG) {
          notes.accept(
              nodePath
                  + " on node "
                  + files.node()
                  + " was replaced by a "
                  + (meta.type() == S_IFDIR
                      ? "directory"
                      : meta.type() == S_IFLNK ? "symlink" : kind(meta.type()))
                  + " while being archived: skipped");
          return;
        }
        if (hardLink(nodePath, meta)) {
          return;
        }
        if (meta.size() > REREAD_LIMIT) {
          stream(nodePath, local, meta);
          return;
        }
        content = readWhole(nodePath, local, meta.size());
        if (content == null) {
          return;
        }
        again = ", also on a second read";
      }
      int stored = (int) Math.min(content.length, meta.size());
      if (stored < meta.size()) {
        shrank(nodePath, meta.size(), stored, again);
        content = Arrays.copyOf(content, (int) meta.size()); // padded with zeros
      } else if (content.length > meta.size()) {
        grew(nodePath, meta.size(), again);
      }
      SparseMap map = SparseMap.of(content, (int) meta.size());
      if (map.hasHoles()) {
        putSparse(nodePath, meta, map);
        for (SparseMap.Region region : map.regions()) {
          tar.write(content, (int) region.offset(), (int) region.length());
        }
      } else {
        TarArchiveEntry entry = entry(name(nodePath), TarConstants.LF_NORMAL, meta);
        entry.setSize(meta.size());
        tar.put(entry, Map.of());
        entries++;
        tar.write(content, 0, (int) meta.size());
      }
      tar.closeEntry();
      archived(nodePath, meta);
    }

    /**
     * Writes a hard-link entry when {@code meta} is a file already archived under another name; a
     * name whose first one was excluded or denied is archived as a file, as it is the first one
     * archived.
     */
    private boolean hardLink(Path nodePath, Meta meta) throws IOException {
      if (meta.links() < 2 || meta.key() == null) {
        return false;
      }
      String first = firstNames.get(meta.key());
      if (first == null) {
        return false;
      }
      TarArchiveEntry entry = entry(name(nodePath), TarConstants.LF_LINK, meta);
      entry.setLinkName(first);
      put(entry);
      return true;
    }

    /** Remembers the name of a file just archived, for the other names of its inode. */
    private void archived(Path nodePath, Meta meta) {
      if (meta.links() > 1 && meta.key() != null) {
        firstNames.putIfAbsent(meta.key(), name(nodePath));
      }
    }

    /**
     * Writes the header of a PAX sparse 1.0 entry and its map; the data regions follow. GNU tar and
     * bsdtar extract it with holes where the map has none.
     */
    private void putSparse(Path nodePath, Meta meta, SparseMap map) throws IOException {
      byte[] header = map.header();
      TarArchiveEntry entry =
          entry(SparseMap.placeholderName(name(nodePath)), TarConstants.LF_NORMAL, meta);
      entry.setSize(header.length + map.dataBytes());
      tar.put(entry, map.paxKeys(name(nodePath)));
      entries++;
      tar.write(header, 0, header.length);
    }

    /**
     * The bytes of {@code local}, reading at most one byte more than {@code size} (so growth
     * shows); null when it vanished.
     */
    private byte[] readWhole(Path nodePath, Path local, long size) throws IOException {
      InputStream in;
      try {
        in = opener.open(local);
      } catch (NoSuchFileException e) {
        vanished(nodePath);
        return null;
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
      try (in) {
        return in.readNBytes((int) size + 1);
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
    }

    /**
     * Streams a file above the re-read limit: a first pass finds its holes, a second writes the
     * data; what changed in between is padded or cut as for a plain file.
     */
    private void stream(Path nodePath, Path local, Meta meta) throws IOException {
      SparseMap map = scan(nodePath, local, meta.size());
      if (map == null) {
        return;
      }
      if (!map.hasHoles()) {
        streamWhole(nodePath, local, meta);
        return;
      }
      InputStream in;
      try {
        in = opener.open(local);
      } catch (NoSuchFileException e) {
        vanished(nodePath);
        return;
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
      try (in) {
        putSparse(nodePath, meta, map);
        long at = 0;
        boolean ended = false;
        for (SparseMap.Region region : map.regions()) {
          if (!ended) {
            at += skip(in, nodePath, region.offset() - at);
            ended = at < region.offset();
          }
          long remaining = region.length();
          while (remaining > 0 && !ended) {
            int n;
            try {
              n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
            } catch (IOException e) {
              throw unreadable(nodePath, e);
            }
            if (n < 0) {
              ended = true;
              break;
            }
            tar.write(buffer, 0, n);
            remaining -= n;
            at += n;
          }
          zeros(remaining);
        }
        if (!ended) {
          at += skip(in, nodePath, meta.size() - at);
          ended = at < meta.size();
        }
        if (ended) {
          shrank(nodePath, meta.size(), at, "");
        } else if (grew(in, nodePath)) {
          grew(nodePath, meta.size(), "");
        }
        tar.closeEntry();
        archived(nodePath, meta);
      }
    }

    /** Skips up to {@code count} bytes of {@code in}; fewer only at its end. */
    private long skip(InputStream in, Path nodePath, long count) throws IOException {
      long skipped = 0;
      try {
        while (skipped < count) {
          long n = in.skip(count - skipped);
          if (n <= 0) {
            if (in.read() < 0) {
              break;
            }
            n = 1;
          }
          skipped += n;
        }
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
      return skipped;
    }

    /** The holes of a file read once from start to end; null when it vanished. */
    private SparseMap scan(Path nodePath, Path local, long size) throws IOException {
      InputStream in;
      try {
        in = opener.open(local);
      } catch (NoSuchFileException e) {
        vanished(nodePath);
        return null;
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
      SparseMap map = new SparseMap();
      try (in) {
        long remaining = size;
        while (remaining > 0) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
          if (n < 0) {
            break;
          }
          map.add(buffer, 0, n);
          remaining -= n;
        }
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
      if (map.size() < size) {
        // It shrank while scanned: what is missing is stored as zeros, and noted when written.
        padScan(map, size);
      }
      map.finish();
      return map;
    }

    private void padScan(SparseMap map, long size) {
      byte[] zeros = new byte[BUFFER];
      while (map.size() < size) {
        int n = (int) Math.min(zeros.length, size - map.size());
        map.add(zeros, 0, n);
      }
    }

    private void streamWhole(Path nodePath, Path local, Meta meta) throws IOException {
      InputStream in;
      try {
        in = opener.open(local);
      } catch (NoSuchFileException e) {
        vanished(nodePath);
        return;
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
      try (in) {
        TarArchiveEntry entry = entry(name(nodePath), TarConstants.LF_NORMAL, meta);
        entry.setSize(meta.size());
        tar.put(entry, Map.of());
        entries++;
        long remaining = meta.size();
        while (remaining > 0) {
          int n;
          try {
            n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
          } catch (IOException e) {
            throw unreadable(nodePath, e);
          }
          if (n < 0) {
            break;
          }
          tar.write(buffer, 0, n);
          remaining -= n;
        }
        if (remaining > 0) {
          shrank(nodePath, meta.size(), meta.size() - remaining, "");
          zeros(remaining);
        } else if (grew(in, nodePath)) {
          grew(nodePath, meta.size(), "");
        }
        tar.closeEntry();
        archived(nodePath, meta);
      }
    }

    private void zeros(long count) throws IOException {
      Arrays.fill(buffer, (byte) 0);
      while (count > 0) {
        int n = (int) Math.min(buffer.length, count);
        tar.write(buffer, 0, n);
        count -= n;
      }
    }

    private void shrank(Path nodePath, long expected, long read, String again) {
      notes.accept(
          nodePath
              + " on node "
              + files.node()
              + " shrank while being read"
              + again
              + " ("
              + expected
              + " bytes expected, "
              + read
              + " read): padded with zeros");
    }

    private void grew(Path nodePath, long size, String again) {
      notes.accept(
          nodePath
              + " on node "
              + files.node()
              + " grew while being read"
              + again
              + ": cut at "
              + size
              + " bytes");
    }

    private void vanished(Path nodePath) {
      notes.accept(nodePath + " on node " + files.node() + " vanished while being archived");
    }

    private boolean grew(InputStream in, Path nodePath) throws IOException {
      try {
        return in.read() >= 0;
      } catch (IOException e) {
        throw unreadable(nodePath, e);
      }
    }

    private void put(TarArchiveEntry entry) throws IOException {
      tar.put(entry, Map.of());
      tar.closeEntry();
      entries++;
    }

    private TarArchiveEntry entry(String name, byte type, Meta meta) {
      TarArchiveEntry entry = new TarArchiveEntry(name, type);
      entry.setMode(meta.permissions());
      entry.setUserId(meta.uid());
      entry.setGroupId(meta.gid());
      entry.setUserName(meta.owner());
      entry.setGroupName(meta.group());
      entry.setLastModifiedTime(meta.mtime());
      entry.setSize(0);
      return entry;
    }

    private IOException unreadable(Path nodePath, IOException cause) {
      String reason =
          cause instanceof AccessDeniedException
              ? "permission denied"
              : cause instanceof FileSystemException f && f.getReason() != null
                  ? f.getReason()
                  : String.valueOf(cause.getMessage());
      return new IOException(
          "cannot read " + nodePath + " on node " + files.node() + ": " + reason, cause);
    }
  }

  /** The archive name of a node path: {@code /etc/nova} is stored as {@code etc/nova}. */
  private static String name(Path nodePath) {
    return nodePath.getRoot().relativize(nodePath).toString();
  }

  private static String kind(int type) {
    return switch (type) {
      case 0140000 -> "socket";
      case 0060000 -> "block device";
      case 0020000 -> "character device";
      case 0010000 -> "FIFO";
      default -> "special file";
    };
  }

  /** What one stat of a path says, without following a symlink. */
  private record Meta(
      int type,
      int permissions,
      long uid,
      long gid,
      String owner,
      String group,
      long size,
      FileTime mtime,
      int links,
      Object key) {

    static Meta read(Path local) throws IOException {
      Map<String, Object> a = Files.readAttributes(local, "unix:*", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      long uid = ((Number) a.get("uid")).longValue();
      long gid = ((Number) a.get("gid")).longValue();
      return new Meta(
          mode & TYPE_MASK,
          mode & PERMISSIONS,
          uid,
          gid,
          principal(((UserPrincipal) a.get("owner")).getName(), uid),
          principal(((GroupPrincipal) a.get("group")).getName(), gid),
          (Long) a.get("size"),
          (FileTime) a.get("lastModifiedTime"),
          ((Number) a.get("nlink")).intValue(),
          a.get("fileKey"));
    }

    /**
     * The JDK names an id without a passwd/group entry by its number; tar then gets no name at all.
     */
    private static String principal(String name, long id) {
      return name == null || name.equals(Long.toString(id)) ? "" : name;
    }
  }
}
