package io.osbackup.contract;

/**
 * Where things live in the bucket: {@code <prefix>/<namespace>/<policy>/<backupId>/} holds, written
 * first, {@code owner.json} (who wrote the folder), the artifacts, the agents' reports, the
 * operator's {@code manifest.sig} and, written last, {@code manifest.json}. Pure functions, no I/O.
 */
public final class BackupLayout {

  public static final String MANIFEST = "manifest.json";

  /** The operator's signature of the manifest, written just before it. */
  public static final String SIGNATURE = "manifest.sig";

  /** The marker naming who wrote a backup folder, written into it before anything else. */
  public static final String OWNER = "owner.json";

  private BackupLayout() {}

  /**
   * The policy folder {@code <prefix>/<namespace>/<policy>} (no trailing slash; prefix may be
   * empty).
   */
  public static String policyFolder(String prefix, String namespace, String policy) {
    return join(prefix, namespace, policy);
  }

  /** The backup folder {@code <prefix>/<namespace>/<policy>/<backupId>} (no trailing slash). */
  public static String backupFolder(
      String prefix, String namespace, String policy, String backupId) {
    return join(prefix, namespace, policy, backupId);
  }

  /** {@code <folder>/db/<target>/<database>.sql<.gz|.zst>}. */
  public static String databaseArtifact(
      String folder, String target, String database, Compression compression) {
    return folder + "/db/" + target + "/" + database + ".sql" + compression.suffix();
  }

  /**
   * {@code <folder>/accounts/<target>.sql<.gz|.zst>}: the accounts, roles and grants of a database
   * target. Not below {@code db/<target>/}, where a database named {@code accounts} could live.
   */
  public static String accountsArtifact(String folder, String target, Compression compression) {
    return folder + "/accounts/" + target + ".sql" + compression.suffix();
  }

  /** {@code <folder>/files/<target>/<node>.tar<.gz|.zst>}. */
  public static String filesArtifact(
      String folder, String target, String node, Compression compression) {
    return folder + "/files/" + target + "/" + node + ".tar" + compression.suffix();
  }

  /**
   * {@code <folder>/reports/<jobName>.json}: what one agent Job did, written by the agent when it
   * ends.
   */
  public static String report(String folder, String jobName) {
    return folder + "/reports/" + jobName + ".json";
  }

  /** {@code <folder>/manifest.json}: written last; a backup exists if and only if it does. */
  public static String manifest(String folder) {
    return folder + "/" + MANIFEST;
  }

  /**
   * {@code <folder>/manifest.sig}: the operator's signature of the manifest, written just before
   * it.
   */
  public static String signature(String folder) {
    return folder + "/" + SIGNATURE;
  }

  /** The signature's key next to the manifest at {@code manifestKey}. */
  public static String signatureOf(String manifestKey) {
    return manifestKey.substring(0, manifestKey.length() - MANIFEST.length()) + SIGNATURE;
  }

  /**
   * {@code <folder>/owner.json}: who wrote the folder (cluster, namespace, store), written first.
   */
  public static String owner(String folder) {
    return folder + "/" + OWNER;
  }

  private static String join(String... parts) {
    StringBuilder out = new StringBuilder();
    for (String part : parts) {
      if (part == null || part.isEmpty()) {
        continue;
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }
}
