package io.osbackup.retention;

import io.osbackup.api.v1alpha1.Retention;
import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Enforces a policy's retention in the bucket, the source of truth: lists the policy's folder once,
 * reads the manifests of its successful backups, asks {@link RetentionPolicy#keep} which to keep,
 * and deletes the others manifest first, then the leftovers of old failed runs.
 *
 * <p>What it guarantees: it never deletes the newest successful backup; when the listing or a
 * manifest read fails it deletes nothing; it touches only keys under {@code <policyFolder>/} (so
 * policy {@code nova} never touches {@code nova-cells/}); a backup's manifest is deleted before its
 * artifacts, so a half-deleted backup is never seen as whole, and after a failed manifest deletion
 * nothing more is deleted; it never throws for a failed request, it reports it.
 *
 * <p>Requests: one paginated listing of the folder (1,000 keys a page), one listing of incomplete
 * uploads, one read per manifest, one batched delete of every due manifest, then batched deletes of
 * the folders' other objects (whole folders, up to 1,000 keys a request) and an abort per folder
 * with incomplete uploads.
 */
public final class RetentionPass {

  /** Failed and partial runs kept when the policy does not say. */
  public static final int DEFAULT_FAILED_RUNS_HISTORY_LIMIT = 3;

  /** The time in a backup id: {@code <policy>-yyyyMMdd-HHmmss[-<hex>]}, UTC. */
  private static final Pattern ID_TIME = Pattern.compile(".*-(\\d{8}-\\d{6})(-[0-9a-f]+)?");

  /**
   * How far a manifest's times may lie after the store's write time of the manifest before its
   * writer's clock is called ahead (and, added to the longest run, before it is called behind):
   * clocks kept by NTP differ by far less.
   */
  public static final Duration CLOCK_TOLERANCE = Duration.ofMinutes(5);

  private static final DateTimeFormatter ID_FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private RetentionPass() {}

  /**
   * {@link #run(RetentionStore, String, Retention, ZoneId, Instant, Duration, boolean)} on the
   * bucket.
   */
  public static RetentionResult run(
      ObjectStore store,
      String policyFolder,
      Retention rules,
      ZoneId zone,
      Instant now,
      Duration longestRun,
      boolean dryRun) {
    return run(
        RetentionStore.of(store), policyFolder, rules, zone, now, longestRun, dryRun, Set.of());
  }

  /**
   * {@link #run(RetentionStore, String, Retention, ZoneId, Instant, Duration, boolean, Set)} on the
   * bucket.
   */
  public static RetentionResult run(
      ObjectStore store,
      String policyFolder,
      Retention rules,
      ZoneId zone,
      Instant now,
      Duration longestRun,
      boolean dryRun,
      Set<String> inUse) {
    return run(RetentionStore.of(store), policyFolder, rules, zone, now, longestRun, dryRun, inUse);
  }

  /**
   * One retention pass over a policy's folder.
   *
   * @param policyFolder {@link BackupLayout#policyFolder}, {@code <prefix>/<namespace>/<policy>}
   * @param rules the policy's retention; null keeps every successful backup (failed runs' leftovers
   *     are still cleaned, keeping {@link #DEFAULT_FAILED_RUNS_HISTORY_LIMIT})
   * @param zone the policy's time zone
   * @param now the clock
   * @param longestRun how long a run can take (the Jobs' deadline plus slack): a folder without a
   *     manifest whose newest object is younger may be a run in progress and is never touched
   * @param dryRun true: delete nothing, report what is due
   */
  public static RetentionResult run(
      RetentionStore store,
      String policyFolder,
      Retention rules,
      ZoneId zone,
      Instant now,
      Duration longestRun,
      boolean dryRun) {
    return run(store, policyFolder, rules, zone, now, longestRun, dryRun, Set.of());
  }

  /**
   * One retention pass that leaves the backups in {@code inUse} (being restored) alone: they stay
   * due for deletion and go at a later pass.
   */
  public static RetentionResult run(
      RetentionStore store,
      String policyFolder,
      Retention rules,
      ZoneId zone,
      Instant now,
      Duration longestRun,
      boolean dryRun,
      Set<String> inUse) {
    return run(store, policyFolder, rules, zone, now, longestRun, dryRun, inUse, null);
  }

  /**
   * {@link #run(RetentionStore, String, Retention, ZoneId, Instant, Duration, boolean, Set, Owner)}
   * on the bucket.
   */
  public static RetentionResult run(
      ObjectStore store,
      String policyFolder,
      Retention rules,
      ZoneId zone,
      Instant now,
      Duration longestRun,
      boolean dryRun,
      Set<String> inUse,
      Owner us) {
    return run(
        RetentionStore.of(store), policyFolder, rules, zone, now, longestRun, dryRun, inUse, us);
  }

  /**
   * One retention pass that acts only on the folders {@code us} owns (see {@link #owner}); null
   * when the owner is unknown (tests): then only a marker's or manifest's namespace and policy are
   * checked.
   */
  public static RetentionResult run(
      RetentionStore store,
      String policyFolder,
      Retention rules,
      ZoneId zone,
      Instant now,
      Duration longestRun,
      boolean dryRun,
      Set<String> inUse,
      Owner us) {
    String root;
    try {
      root = root(policyFolder);
      RetentionPolicy.maxAge(rules == null ? null : rules.getMaxAge());
    } catch (IllegalArgumentException e) {
      return RetentionResult.failed(e.getMessage() + "; nothing was deleted");
    }

    // observe: one listing, then the manifests
    Map<String, List<ObjectInfo>> folders;
    try {
      folders = folders(root, store.list(root));
    } catch (IOException | RuntimeException e) {
      return RetentionResult.failed(
          "could not list " + root + ": " + e.getMessage() + "; nothing was deleted");
    }
    List<Backup> successful = new ArrayList<>();
    List<ClockSkew> skewed = new ArrayList<>();
    List<String> notOwned = new ArrayList<>();
    List<Leftover> leftovers = new ArrayList<>();
    String[] names = root.substring(0, root.length() - 1).split("/");
    String policy = names[names.length - 1];
    String namespace = names.length > 1 ? names[names.length - 2] : null;
    for (Map.Entry<String, List<ObjectInfo>> folder : folders.entrySet()) {
      String id = folder.getKey();
      Optional<String> nested = nestedBackup(root, id, folder.getValue());
      if (nested.isPresent()) {
        notOwned.add(
            id
                + ": holds "
                + nested.get()
                + ", another store's backup; nothing below "
                + root
                + id
                + "/ is ever deleted");
        continue;
      }
      Optional<ObjectInfo> manifestObject =
          folder.getValue().stream().filter(o -> o.key().equals(manifestKey(root, id))).findFirst();
      Manifest manifest = null;
      if (manifestObject.isPresent()) {
        try {
          manifest =
              store
                  .manifest(manifestObject.get().key())
                  .orElseThrow(() -> new IOException("it was listed but is gone"));
        } catch (IOException | RuntimeException e) {
          return RetentionResult.failed(
              "could not read the manifest of backup "
                  + id
                  + " ("
                  + manifestObject.get().key()
                  + "): "
                  + e.getMessage()
                  + "; nothing was deleted");
        }
      }
      // The marker is read when the manifest does not say who wrote the folder (a run that failed,
      // an old backup).
      boolean hasMarker =
          folder.getValue().stream().anyMatch(o -> o.key().equals(markerKey(root, id)));
      Optional<Owner.Marker> marker = Optional.empty();
      if (hasMarker && (manifest == null || manifest.owner() == null)) {
        try {
          marker = store.marker(markerKey(root, id));
        } catch (IOException | RuntimeException e) {
          return RetentionResult.failed(
              "could not read the owner marker of folder "
                  + id
                  + " ("
                  + markerKey(root, id)
                  + "): "
                  + e.getMessage()
                  + "; nothing was deleted");
        }
        Optional<String> foreign = marker.flatMap(m -> notOurs(m.owner(), us, namespace));
        if (foreign.isPresent()) {
          notOwned.add(id + ": its " + BackupLayout.OWNER + " names " + foreign.get());
          continue;
        }
      }
      if (manifest == null) {
        if (marker.isEmpty() && !looksLikeARun(policy, id, root, folder.getValue())) {
          notOwned.add(
              id
                  + ": has neither "
                  + BackupLayout.MANIFEST
                  + " nor "
                  + BackupLayout.OWNER
                  + " and holds objects no backup run writes");
          continue;
        }
        leftovers.add(leftover(id, folder.getValue()));
        continue;
      }
      Optional<String> foreign = manifestNotOurs(manifest, id, policy, namespace, us);
      if (foreign.isPresent()) {
        notOwned.add(id + ": its " + BackupLayout.MANIFEST + " " + foreign.get());
        continue;
      }
      Optional<ClockSkew> skew = skew(id, manifest, manifestObject.get(), longestRun);
      skew.ifPresent(skewed::add);
      Instant time = time(manifest, manifestObject.get());
      successful.add(
          new Backup(id, time, skew.filter(ClockSkew::ahead).isPresent(), hold(manifest, time)));
    }

    // decide
    RetentionDecision decision = RetentionPolicy.keep(successful, rules, zone, now);
    List<ClockSkew> clockSkew = newestFirst(skewed, decision);
    List<String> leftoversDue =
        leftoversDue(leftovers, failedRunsHistoryLimit(rules), now, longestRun);
    long keptBytes = decision.keptIds().stream().mapToLong(id -> bytes(folders.get(id))).sum();
    if (dryRun) {
      return new RetentionResult(
          decision.kept(),
          List.of(),
          decision.deletedIds(),
          List.of(),
          leftoversDue,
          keptBytes,
          0,
          0,
          List.of(),
          clockSkew,
          notOwned);
    }

    // act: every due manifest first, in one batched request, then the folders' other objects in
    // batches
    List<String> errors = new ArrayList<>();
    Set<String> withUploads = foldersWithUploads(store, root, errors);
    List<String> deleted = new ArrayList<>();
    List<String> leftoversRemoved = new ArrayList<>();
    long deletedBytes = 0;
    int aborted = 0;
    List<String> due =
        reversed(decision.deletedIds()).stream().filter(id -> !inUse.contains(id)).toList();
    boolean stopped = false;
    if (!due.isEmpty()) {
      try {
        store.delete(due.stream().map(id -> guard(root, id, manifestKey(root, id))).toList());
      } catch (IOException | RuntimeException e) {
        // Some manifests may be gone: those backups are leftovers now, and the next pass removes
        // them.
        errors.add(
            "could not delete the manifests of "
                + due.size()
                + " backups: "
                + e.getMessage()
                + "; retention stopped");
        stopped = true;
      }
    }
    if (!stopped) {
      List<Folder> toRemove = new ArrayList<>();
      due.forEach(id -> toRemove.add(new Folder(id, manifestKey(root, id), false)));
      reversed(leftoversDue).forEach(id -> toRemove.add(new Folder(id, null, true)));
      for (List<Folder> batch : batches(toRemove, folders)) {
        Set<String> failed = removeFolders(store, root, batch, folders, withUploads, errors);
        for (Folder f : batch) {
          aborted += f.aborted;
          if (failed.contains(f.id)) {
            continue;
          }
          deletedBytes += bytes(folders.get(f.id));
          (f.leftover ? leftoversRemoved : deleted).add(f.id);
        }
      }
    }
    return new RetentionResult(
        decision.kept(),
        reversed(deleted),
        decision.deletedIds().stream().filter(id -> !deleted.contains(id)).toList(),
        reversed(leftoversRemoved),
        leftoversDue.stream().filter(id -> !leftoversRemoved.contains(id)).toList(),
        keptBytes,
        deletedBytes,
        aborted,
        errors,
        clockSkew,
        notOwned);
  }

  /** {@code <policyFolder>/}, the only prefix a pass touches. */
  static String root(String policyFolder) {
    if (policyFolder == null || policyFolder.isBlank() || policyFolder.replace("/", "").isBlank()) {
      throw new IllegalArgumentException("no policy folder given");
    }
    String folder = policyFolder;
    while (folder.endsWith("/")) {
      folder = folder.substring(0, folder.length() - 1);
    }
    return folder + "/";
  }

  /** The listed objects by backup folder name; objects not inside a backup folder are left out. */
  static Map<String, List<ObjectInfo>> folders(String root, List<ObjectInfo> listing) {
    Map<String, List<ObjectInfo>> out = new TreeMap<>();
    for (ObjectInfo o : listing) {
      if (!o.key().startsWith(root)) {
        continue; // a server that answers outside the prefix: never ours to touch
      }
      String rest = o.key().substring(root.length());
      int slash = rest.indexOf('/');
      if (slash <= 0) {
        continue; // a loose object in the policy folder is not a backup
      }
      out.computeIfAbsent(rest.substring(0, slash), k -> new ArrayList<>()).add(o);
    }
    return out;
  }

  /**
   * A {@code manifest.json} or {@code owner.json} below the backup folder other than its own:
   * another store's prefix lies inside this policy folder, and nothing there may be touched.
   */
  static Optional<String> nestedBackup(String root, String id, List<ObjectInfo> objects) {
    String own = root + id + "/";
    return objects.stream()
        .map(ObjectInfo::key)
        .filter(
            k -> k.endsWith("/" + BackupLayout.MANIFEST) || k.endsWith("/" + BackupLayout.OWNER))
        .filter(k -> !k.equals(own + BackupLayout.MANIFEST) && !k.equals(own + BackupLayout.OWNER))
        .findFirst();
  }

  /**
   * Whether a folder without manifest nor marker (a failed run of an operator from before owner
   * markers) looks like one of this policy's runs: its name is {@code
   * <policy>-yyyyMMdd-HHmmss[-hex]} and it holds only {@code db/}, {@code files/} and {@code
   * reports/} objects. Anything else was not written by a backup run and is left alone.
   */
  static boolean looksLikeARun(String policy, String id, String root, List<ObjectInfo> objects) {
    if (!id.startsWith(policy + "-")
        || !id.substring(policy.length()).matches("-\\d{8}-\\d{6}(-[0-9a-z]+)?")) {
      return false;
    }
    String own = root + id + "/";
    return objects.stream()
        .map(o -> o.key().substring(own.length()))
        .allMatch(k -> k.startsWith("db/") || k.startsWith("files/") || k.startsWith("reports/"));
  }

  /** Who {@code owner} is, when it is not {@code us}; empty when the folder is ours. */
  private static Optional<String> notOurs(Owner owner, Owner us, String namespace) {
    if (owner == null) {
      return Optional.of("no owner");
    }
    boolean ours = us == null ? Objects.equals(owner.namespace(), namespace) : us.owns(owner);
    return ours ? Optional.empty() : Optional.of(owner.describe());
  }

  /**
   * Why a backup's manifest is not ours, if it is not. One naming an owner is ours when it names
   * us. One written before owners existed is ours only when it describes this very folder: its
   * backup id, policy and namespace match the folder, and (when we know who we are) its store is
   * ours.
   */
  static Optional<String> manifestNotOurs(
      Manifest manifest, String id, String policy, String namespace, Owner us) {
    if (manifest.owner() != null) {
      return notOurs(manifest.owner(), us, namespace).map(o -> "names " + o);
    }
    if (!Objects.equals(manifest.backupId(), id)
        || !Objects.equals(manifest.policy(), policy)
        || !Objects.equals(manifest.namespace(), namespace)
        || (us != null && !Objects.equals(manifest.store(), us.store()))) {
      return Optional.of(
          "names no owner and describes backup '"
              + manifest.backupId()
              + "' of policy "
              + manifest.namespace()
              + "/"
              + manifest.policy()
              + " in store '"
              + manifest.store()
              + "', not this folder's");
    }
    return Optional.empty();
  }

  /** A folder without a manifest: when its run started and when it was last written to. */
  record Leftover(String id, Instant time, Instant lastWritten) {}

  private static Leftover leftover(String id, List<ObjectInfo> objects) {
    Instant lastWritten =
        objects.stream()
            .map(o -> o.lastModified() == null ? Instant.MAX : o.lastModified())
            .max(Comparator.naturalOrder())
            .orElse(Instant.MAX);
    return new Leftover(id, idTime(id).orElse(lastWritten), lastWritten);
  }

  /**
   * Leftovers to remove, newest first: those not written to for longer than {@code longestRun},
   * except the newest {@code limit} of them.
   */
  static List<String> leftoversDue(
      List<Leftover> leftovers, int limit, Instant now, Duration longestRun) {
    return leftovers.stream()
        .filter(l -> !l.lastWritten().equals(Instant.MAX))
        .filter(l -> Duration.between(l.lastWritten(), now).compareTo(longestRun) > 0)
        .sorted(Comparator.comparing(Leftover::time).thenComparing(Leftover::id).reversed())
        .skip(limit)
        .map(Leftover::id)
        .toList();
  }

  /** The time in a backup id ({@code …-yyyyMMdd-HHmmss[-hex]}, UTC), if it has one. */
  static Optional<Instant> idTime(String id) {
    Matcher m = ID_TIME.matcher(id);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalDateTime.parse(m.group(1), ID_FORMAT).toInstant(ZoneOffset.UTC));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * When the backup was written, by the store's clock: the store's write time of its manifest. Only
   * a store that gives no time falls back on the manifest's start, then its completion.
   */
  static Instant time(Manifest manifest, ObjectInfo manifestObject) {
    if (manifestObject.lastModified() != null) {
      return manifestObject.lastModified();
    }
    if (manifest.startedAt() != null) {
      return manifest.startedAt();
    }
    return manifest.completedAt() == null ? Instant.EPOCH : manifest.completedAt();
  }

  /**
   * Whether the manifest's writer had a wrong clock, cross-checked against the store's write time
   * {@code W} of the manifest (written right after the run completed): ahead when its start or
   * completion lies after {@code W} + {@link #CLOCK_TOLERANCE}; behind when its completion (its
   * start, if it has no completion) lies before {@code W} − {@code longestRun} − {@link
   * #CLOCK_TOLERANCE}.
   */
  static Optional<ClockSkew> skew(
      String id, Manifest manifest, ObjectInfo manifestObject, Duration longestRun) {
    Instant written = manifestObject.lastModified();
    if (written == null) {
      return Optional.empty();
    }
    Instant latest =
        Stream.of(manifest.startedAt(), manifest.completedAt())
            .filter(Objects::nonNull)
            .max(Comparator.naturalOrder())
            .orElse(null);
    if (latest == null) {
      return Optional.empty();
    }
    if (latest.isAfter(written.plus(CLOCK_TOLERANCE))) {
      return Optional.of(new ClockSkew(id, Duration.between(written, latest)));
    }
    Instant end = manifest.completedAt() != null ? manifest.completedAt() : manifest.startedAt();
    if (end.isBefore(written.minus(longestRun).minus(CLOCK_TOLERANCE))) {
      return Optional.of(new ClockSkew(id, Duration.between(written, end)));
    }
    return Optional.empty();
  }

  /**
   * The terms a backup made by hand is kept on, as its manifest records them (or its id says, for a
   * manifest from before they were recorded); null for one of the policy's own. {@code keepFor}
   * counts from the store's time, as every age retention reads; one that cannot be read keeps the
   * backup until it is deleted explicitly.
   */
  static Hold hold(Manifest manifest, Instant time) {
    Manifest.RunRetention terms = manifest.retentionOrInferred();
    if (!terms.keptOnOwnTerms()) {
      return null;
    }
    if (terms.keepUntil() != null) {
      return new Hold(terms.keepUntil());
    }
    try {
      Duration keepFor = RetentionPolicy.maxAge(terms.keepFor());
      return keepFor == null ? Hold.UNTIL_DELETED : new Hold(time.plus(keepFor));
    } catch (IllegalArgumentException | ArithmeticException | DateTimeException e) {
      return Hold.UNTIL_DELETED;
    }
  }

  /** The skewed backups in the decision's order, newest first. */
  private static List<ClockSkew> newestFirst(List<ClockSkew> skewed, RetentionDecision decision) {
    List<String> order = new ArrayList<>();
    List<Backup> all = new ArrayList<>();
    decision.kept().forEach(k -> all.add(k.backup()));
    all.addAll(decision.deleted());
    all.sort(RetentionPolicy.NEWEST_FIRST);
    all.forEach(b -> order.add(b.backupId()));
    return skewed.stream()
        .sorted(Comparator.comparingInt(s -> order.indexOf(s.backupId())))
        .toList();
  }

  /**
   * A folder to remove: a deleted backup (its manifest already gone) or a failed run's leftover.
   */
  private static final class Folder {
    final String id;
    final String manifest;
    final boolean leftover;
    int aborted;

    Folder(String id, String manifest, boolean leftover) {
      this.id = id;
      this.manifest = manifest;
      this.leftover = leftover;
    }
  }

  /** Keys a batch delete sends in one request (the S3 limit). */
  static final int BATCH = 1000;

  /**
   * Whole folders grouped so that a batch holds at most {@link #BATCH} keys (a larger folder is a
   * batch of its own): one failed request then leaves only its own folders unaccounted.
   */
  private static List<List<Folder>> batches(
      List<Folder> toRemove, Map<String, List<ObjectInfo>> folders) {
    List<List<Folder>> out = new ArrayList<>();
    List<Folder> current = new ArrayList<>();
    int keys = 0;
    for (Folder f : toRemove) {
      int size = folders.get(f.id).size();
      if (!current.isEmpty() && keys + size > BATCH) {
        out.add(current);
        current = new ArrayList<>();
        keys = 0;
      }
      current.add(f);
      keys += size;
    }
    if (!current.isEmpty()) {
      out.add(current);
    }
    return out;
  }

  /**
   * Deletes every object of the folders but their manifests (already gone) in one batched request,
   * then aborts their uploads; returns the folders not removed whole.
   */
  private static Set<String> removeFolders(
      RetentionStore store,
      String root,
      List<Folder> batch,
      Map<String, List<ObjectInfo>> folders,
      Set<String> withUploads,
      List<String> errors) {
    Set<String> failed = new HashSet<>();
    try {
      List<String> keys = new ArrayList<>();
      for (Folder f : batch) {
        for (ObjectInfo o : folders.get(f.id)) {
          if (!o.key().equals(f.manifest)) {
            keys.add(guard(root, f.id, o.key()));
          }
        }
      }
      store.delete(keys);
    } catch (IOException | RuntimeException e) {
      errors.add(
          "could not delete every object of "
              + batch.size()
              + " folders under "
              + root
              + " ("
              + batch.stream().map(f -> f.id).toList()
              + "): "
              + e.getMessage());
      batch.forEach(f -> failed.add(f.id));
    }
    for (Folder f : batch) {
      if (!withUploads.contains(f.id)) {
        continue;
      }
      try {
        f.aborted = store.abortIncompleteUploads(root + f.id + "/");
      } catch (IOException | RuntimeException e) {
        errors.add(
            "could not abort the incomplete uploads under " + root + f.id + "/: " + e.getMessage());
        failed.add(f.id);
      }
    }
    return failed;
  }

  /** Names of the folders with incomplete uploads; none (and an error) if they cannot be listed. */
  private static Set<String> foldersWithUploads(
      RetentionStore store, String root, List<String> errors) {
    Set<String> out = new HashSet<>();
    try {
      for (String key : store.incompleteUploads(root)) {
        String rest = key.startsWith(root) ? key.substring(root.length()) : "";
        if (rest.indexOf('/') > 0) {
          out.add(rest.substring(0, rest.indexOf('/')));
        }
      }
    } catch (IOException | RuntimeException e) {
      errors.add("could not list the incomplete uploads under " + root + ": " + e.getMessage());
    }
    return out;
  }

  /** {@code key}, after checking it is inside the backup folder {@code <root><id>/}. */
  private static String guard(String root, String id, String key) {
    if (!key.startsWith(root + id + "/")) {
      throw new IllegalStateException(key + " is not under " + root + id + "/");
    }
    return key;
  }

  private static String markerKey(String root, String id) {
    return root + id + "/" + BackupLayout.OWNER;
  }

  private static String manifestKey(String root, String id) {
    return root + id + "/" + BackupLayout.MANIFEST;
  }

  private static int failedRunsHistoryLimit(Retention rules) {
    return rules == null || rules.getFailedRunsHistoryLimit() == null
        ? DEFAULT_FAILED_RUNS_HISTORY_LIMIT
        : Math.max(0, rules.getFailedRunsHistoryLimit());
  }

  private static long bytes(List<ObjectInfo> objects) {
    return objects == null ? 0 : objects.stream().mapToLong(ObjectInfo::size).sum();
  }

  private static <T> List<T> reversed(List<T> list) {
    List<T> out = new ArrayList<>(list);
    Collections.reverse(out);
    return out;
  }
}
