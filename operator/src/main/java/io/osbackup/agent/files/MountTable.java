package io.osbackup.agent.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.osbackup.contract.Json;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Resolves an absolute path as seen inside the agent pod to a local path: the identity in a real
 * pod, and the folders of a simulated node when the local Job runner sets {@value #ENV}.
 */
public final class MountTable {

  /**
   * Environment variable holding a JSON object {@code {"<mountPath>": "<local dir or file>"}}; the
   * longest mount path that is a prefix (on whole path components) of a pod path wins.
   */
  public static final String ENV = "OSBACKUP_MOUNTS";

  private static final MountTable IDENTITY = new MountTable(List.of());

  private final List<Mount> mounts;

  private MountTable(List<Mount> mounts) {
    this.mounts = mounts;
  }

  /** The table of a real pod: every path is itself. */
  public static MountTable identity() {
    return IDENTITY;
  }

  /** A table from mount path to local path; mount paths must be absolute. */
  public static MountTable of(Map<String, String> mounts) {
    List<Mount> list =
        mounts.entrySet().stream()
            .map(e -> new Mount(podPath(e.getKey(), "mount path"), local(e.getKey(), e.getValue())))
            .sorted(Comparator.comparingInt((Mount m) -> m.podPath().getNameCount()).reversed())
            .toList();
    return new MountTable(list);
  }

  /**
   * The table described by {@value #ENV} in {@code env}, or the identity when it is unset or blank.
   */
  public static MountTable fromEnv(Map<String, String> env) {
    String json = env.get(ENV);
    if (json == null || json.isBlank()) {
      return identity();
    }
    Map<String, String> mounts;
    try {
      mounts = Json.MAPPER.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          ENV + " is not a JSON object of mount path to local path: " + e.getOriginalMessage());
    }
    if (mounts == null) {
      return identity();
    }
    return of(mounts);
  }

  /** The local path behind {@code podPath}, an absolute path inside the pod. */
  public Path resolve(String podPath) {
    Path path = podPath(podPath, "pod path");
    for (Mount mount : mounts) {
      if (path.startsWith(mount.podPath())) {
        Path rest = mount.podPath().relativize(path);
        return rest.toString().isEmpty() ? mount.local() : mount.local().resolve(rest);
      }
    }
    return path;
  }

  /**
   * Whether {@code podPath} lies in a mount: always in a real pod (the identity table); in the
   * local runner only below a mount path. A directory above every mount is scaffolding the runtime
   * made for the mounts, not the node's.
   */
  public boolean mounted(String podPath) {
    if (mounts.isEmpty()) {
      return true;
    }
    Path path = podPath(podPath, "pod path");
    return mounts.stream().anyMatch(m -> path.startsWith(m.podPath()));
  }

  @Override
  public String toString() {
    return mounts.isEmpty() ? "MountTable[identity]" : "MountTable" + mounts;
  }

  private static Path podPath(String value, String what) {
    if (value == null || !value.startsWith("/")) {
      throw new IllegalArgumentException(what + " must be absolute: '" + value + "'");
    }
    return Path.of(value).normalize();
  }

  private static Path local(String mountPath, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("mount " + mountPath + " has no local path");
    }
    return Path.of(value).toAbsolutePath().normalize();
  }

  private record Mount(Path podPath, Path local) {
    @Override
    public String toString() {
      return podPath + "=" + local;
    }
  }
}
