package io.osbackup.agent.files;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code exclude} list of a files target: an entry starting with {@code /} excludes that node
 * path and everything below it; any other entry is a glob matched against the file name alone.
 */
final class Excludes {

  private final List<Path> absolute;
  private final List<PathMatcher> globs;

  private Excludes(List<Path> absolute, List<PathMatcher> globs) {
    this.absolute = absolute;
    this.globs = globs;
  }

  /** Parses the list; a malformed glob is an {@link IllegalArgumentException} naming it. */
  static Excludes of(List<String> patterns) {
    List<Path> absolute = new ArrayList<>();
    List<PathMatcher> globs = new ArrayList<>();
    if (patterns != null) {
      for (int i = 0; i < patterns.size(); i++) {
        String pattern = patterns.get(i);
        if (pattern == null || pattern.isBlank()) {
          throw new IllegalArgumentException("files.exclude[" + i + "] is empty");
        }
        if (pattern.startsWith("/")) {
          absolute.add(Path.of(pattern).normalize());
          continue;
        }
        try {
          globs.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern));
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(
              "files.exclude["
                  + i
                  + "] is not a valid glob '"
                  + pattern
                  + "': "
                  + e.getDescription());
        }
      }
    }
    return new Excludes(List.copyOf(absolute), List.copyOf(globs));
  }

  /**
   * True when {@code nodePath} (absolute, normalized) is excluded by itself or by an excluded
   * ancestor path.
   */
  boolean excludes(Path nodePath) {
    for (Path path : absolute) {
      if (nodePath.startsWith(path)) {
        return true;
      }
    }
    Path name = nodePath.getFileName();
    if (name == null) {
      return false;
    }
    for (PathMatcher glob : globs) {
      if (glob.matches(name)) {
        return true;
      }
    }
    return false;
  }
}
