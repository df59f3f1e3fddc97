package io.osbackup.cli;

import io.osbackup.catalog.Catalog;
import io.osbackup.catalog.SignatureCheck;
import io.osbackup.catalog.SigningKeys;
import io.osbackup.contract.ArtifactKind;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Manifest;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code osbackup backups}: lists the backups a bucket holds, read from their manifests, with
 * nothing but S3 credentials: the first step of a restore when the cluster itself is gone.
 */
@Command(
    name = "backups",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the backups in a bucket (no Kubernetes needed), newest first.",
      "With --backup-id, shows the artifacts of one backup."
    })
public final class BackupsCommand implements Callable<Integer> {

  @Mixin StoreOptions store;

  @Mixin SigningKeyOptions signing;

  @Option(
      names = "--namespace",
      description = "Only backups of this namespace. Default: every namespace.")
  String namespace;

  @Option(names = "--policy", description = "Only backups of this policy.")
  String policy;

  @Option(names = "--backup-id", description = "Show the artifacts of this backup.")
  String backupId;

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;

  public BackupsCommand() {
    this(System.getenv(), System.out, System.err);
  }

  /** A command with its surroundings given, for tests. */
  public BackupsCommand(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    try (ObjectStore bucket = store.connect(env)) {
      List<Catalog.Backup> backups =
          list(bucket, store.prefix, namespace, policy, signing.keys(env));
      if (backupId != null) {
        List<Catalog.Backup> matching =
            backups.stream().filter(b -> backupId.equals(b.backupId())).toList();
        if (matching.isEmpty()) {
          err.println(
              "no backup '"
                  + backupId
                  + "' in bucket "
                  + store.bucket
                  + "; run without --backup-id to list"
                  + " them");
          return 1;
        }
        matching.forEach(this::show);
        return 0;
      }
      out.printf(
          "%-50s %-14s %-28s %-22s %12s  %s%n",
          "BACKUP ID", "NAMESPACE", "POLICY", "COMPLETED", "BYTES", "CONTENTS");
      for (Catalog.Backup b : backups) {
        out.printf(
            "%-50s %-14s %-28s %-22s %12d  %s%n",
            b.backupId(),
            b.manifest().namespace(),
            b.policy(),
            b.completedAt(),
            b.size(),
            contents(b.manifest()));
      }
      if (backups.isEmpty()) {
        err.println(
            "no backups found under '"
                + (store.prefix == null ? "" : store.prefix)
                + "' in bucket "
                + store.bucket
                + " (check --prefix and --namespace)");
      }
      return 0;
    } catch (Exception e) {
      err.println("osbackup backups: " + e.getMessage());
      return 1;
    }
  }

  /** Every backup under the prefix (of one namespace and policy, when given), newest first. */
  static List<Catalog.Backup> list(
      ObjectStore bucket, String prefix, String namespace, String policy, SigningKeys keys)
      throws IOException {
    String base =
        namespace == null
            ? BackupLayout.policyFolder(prefix, null, null)
            : BackupLayout.policyFolder(prefix, namespace, policy);
    Catalog.Shelf shelf = Catalog.of(bucket);
    List<Catalog.Backup> out = new ArrayList<>();
    String root = prefix == null || prefix.isEmpty() ? "" : prefix + "/";
    for (ObjectInfo o : shelf.list(base.isEmpty() ? "" : base + "/")) {
      if (!o.key().endsWith("/" + BackupLayout.MANIFEST) || !o.key().startsWith(root)) {
        continue;
      }
      String[] parts = o.key().substring(root.length()).split("/");
      if (parts.length != 4 || parts[1].startsWith(".")) {
        continue; // <namespace>/<policy>/<backupId>/manifest.json only
      }
      var read = Catalog.readManifest(shelf, o.key(), prefix, parts[0], keys);
      if (read.isEmpty()) {
        continue;
      }
      Catalog.Parsed parsed = read.get();
      if (parsed.backup() != null && (policy == null || policy.equals(parsed.backup().policy()))) {
        out.add(parsed.backup());
      }
    }
    out.sort(
        Comparator.comparing(
            Catalog.Backup::completedAt, Comparator.nullsLast(Comparator.reverseOrder())));
    return out;
  }

  private void show(Catalog.Backup b) {
    Manifest m = b.manifest();
    out.println(
        "backup " + b.backupId() + " (namespace " + m.namespace() + ", policy " + m.policy() + ")");
    out.println("  started   " + m.startedAt());
    out.println("  completed " + m.completedAt());
    out.println("  manifest  " + b.key());
    out.println(
        "  signature "
            + b.signature().word()
            + " ("
            + b.signature().detail()
            + (b.signature().outcome() == SignatureCheck.Outcome.UNKNOWN_KEY
                ? "; give them with --signing-keys"
                : "")
            + ")");
    for (Manifest.Entry e : m.artifacts()) {
      String what =
          ArtifactKind.DATABASE.is(e.kind())
              ? "database "
                  + e.target()
                  + "/"
                  + e.database()
                  + (e.source() == null
                      ? ""
                      : " from " + e.source().host() + ":" + e.source().port())
              : ArtifactKind.ACCOUNTS.is(e.kind())
                  ? "accounts "
                      + e.target()
                      + " ("
                      + (e.accounts() == null ? "?" : e.accounts())
                      + " accounts and roles)"
                      + (e.source() == null
                          ? ""
                          : " from " + e.source().host() + ":" + e.source().port())
                  : "files    "
                      + e.target()
                      + " on "
                      + e.node()
                      + (e.source() == null || e.source().paths() == null
                          ? ""
                          : " " + e.source().paths())
                      + (e.source() == null
                              || e.source().exclude() == null
                              || e.source().exclude().isEmpty()
                          ? ""
                          : " excluding " + e.source().exclude());
      out.printf("  %-70s %12d bytes  %s%n", what, e.size(), e.key());
    }
  }

  private static String contents(Manifest m) {
    TreeSet<String> dbs = new TreeSet<>();
    TreeSet<String> files = new TreeSet<>();
    TreeSet<String> accounts = new TreeSet<>();
    for (Manifest.Entry e : m.artifacts()) {
      if (ArtifactKind.DATABASE.is(e.kind())) {
        dbs.add(e.database());
      } else if (ArtifactKind.ACCOUNTS.is(e.kind())) {
        accounts.add(e.target());
      } else {
        files.add(e.target() + "@" + e.node());
      }
    }
    return (dbs.isEmpty() ? "" : "databases " + dbs)
        + (accounts.isEmpty() ? "" : "; accounts of " + accounts)
        + (files.isEmpty() ? "" : (dbs.isEmpty() ? "" : "; ") + "files " + files);
  }
}
