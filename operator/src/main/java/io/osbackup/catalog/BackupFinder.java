package io.osbackup.catalog;

import io.osbackup.contract.BackupLayout;
import io.osbackup.store.ObjectInfo;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the backup a restore reads, in the bucket alone (so it works when the cluster lost every
 * CR): by its id, or the newest one that had completed at a given time, as rdiff-backup's {@code
 * --restore-as-of}.
 */
public final class BackupFinder {

  private static final Pattern AGE = Pattern.compile("^([0-9]+)(m|h|d|w)$");

  /** A manifest's object may be written a little after the completion time it records. */
  private static final Duration WRITE_SLACK = Duration.ofMinutes(10);

  private final Catalog.Shelf shelf;
  private final String prefix;
  private final String namespace;
  private final SigningKeys keys;

  public BackupFinder(Catalog.Shelf shelf, String prefix, String namespace) {
    this(shelf, prefix, namespace, SigningKeys.none());
  }

  /** A finder whose backups carry the check of their manifest's signature by {@code keys}. */
  public BackupFinder(Catalog.Shelf shelf, String prefix, String namespace, SigningKeys keys) {
    this.shelf = shelf;
    this.prefix = prefix;
    this.namespace = namespace;
    this.keys = keys;
  }

  /** A lookup that found nothing usable, with a message for the user. */
  public static final class NotFound extends Exception {
    private final String reason;

    NotFound(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    /** BackupNotFound, AsOfBeforeFirstBackup, NoBackups or Ambiguous. */
    public String reason() {
      return reason;
    }
  }

  /**
   * The backup with id {@code backupId}: of {@code policy} when given, else of whichever policy of
   * the namespace holds it (refused when several do).
   */
  public Catalog.Backup byId(String policy, String backupId) throws IOException, NotFound {
    if (policy != null) {
      String key =
          BackupLayout.manifest(BackupLayout.backupFolder(prefix, namespace, policy, backupId));
      return read(key)
          .orElseThrow(
              () ->
                  new NotFound(
                      "BackupNotFound",
                      "no backup '"
                          + backupId
                          + "' of policy '"
                          + policy
                          + "' in the store: there is no "
                          + key));
    }
    List<String> keys = new ArrayList<>();
    for (ObjectInfo o : shelf.list(Catalog.namespaceFolder(prefix, namespace))) {
      if (o.key().endsWith("/" + backupId + "/" + BackupLayout.MANIFEST)) {
        keys.add(o.key());
      }
    }
    if (keys.isEmpty()) {
      throw new NotFound(
          "BackupNotFound",
          "no backup '"
              + backupId
              + "' in the store under "
              + Catalog.namespaceFolder(prefix, namespace)
              + ": check source.backupId (kubectl get brun shows the ids)");
    }
    if (keys.size() > 1) {
      throw new NotFound(
          "Ambiguous",
          "backup id '"
              + backupId
              + "' is held by several policies ("
              + keys
              + "): set source.policyRef");
    }
    return read(keys.get(0))
        .orElseThrow(
            () ->
                new NotFound(
                    "BackupNotFound",
                    "backup '" + backupId + "' vanished while it was looked up (retention?)"));
  }

  /** The newest backup of {@code policy} that had completed at {@code asOf}. */
  public Catalog.Backup asOf(String policy, Instant asOf) throws IOException, NotFound {
    String folder = BackupLayout.policyFolder(prefix, namespace, policy) + "/";
    List<ObjectInfo> manifests =
        new ArrayList<>(
            shelf.list(folder).stream()
                .filter(o -> o.key().endsWith("/" + BackupLayout.MANIFEST))
                .toList());
    if (manifests.isEmpty()) {
      throw new NotFound(
          "NoBackups",
          "policy '" + policy + "' has no backups in the store (nothing under " + folder + ")");
    }
    manifests.sort(
        Comparator.comparing(
                ObjectInfo::lastModified, Comparator.nullsFirst(Comparator.naturalOrder()))
            .reversed());
    Catalog.Backup best = null;
    Catalog.Backup oldest = null;
    for (ObjectInfo o : manifests) {
      Instant written = o.lastModified();
      if (best != null
          && written != null
          && written.plus(WRITE_SLACK).isBefore(best.completedAt())) {
        break; // every older manifest completed before the best one
      }
      if (written != null && written.isAfter(asOf.plus(WRITE_SLACK))) {
        continue; // written well after asOf: completed after it
      }
      Optional<Catalog.Backup> backup = read(o.key());
      if (backup.isEmpty() || backup.get().completedAt() == null) {
        continue;
      }
      Catalog.Backup b = backup.get();
      if (oldest == null || b.completedAt().isBefore(oldest.completedAt())) {
        oldest = b;
      }
      if (!b.completedAt().isAfter(asOf)
          && (best == null || b.completedAt().isAfter(best.completedAt()))) {
        best = b;
      }
    }
    if (best == null && oldest == null) {
      oldest = read(manifests.get(manifests.size() - 1).key()).orElse(null);
    }
    if (best == null) {
      throw new NotFound(
          "AsOfBeforeFirstBackup",
          "no backup of policy '"
              + policy
              + "' had completed by "
              + asOf
              + (oldest == null
                  ? ""
                  : " (the oldest found, "
                      + oldest.backupId()
                      + ", completed "
                      + oldest.completedAt()
                      + ")")
              + ": choose a later source.asOf");
    }
    return best;
  }

  private Optional<Catalog.Backup> read(String key) throws IOException {
    Optional<Catalog.Parsed> read = Catalog.readManifest(shelf, key, prefix, namespace, keys);
    if (read.isEmpty()) {
      return Optional.empty();
    }
    Catalog.Parsed parsed = read.get();
    if (parsed.backup() == null) {
      throw new IOException("manifest " + key + " " + parsed.problem());
    }
    return Optional.of(parsed.backup());
  }

  /**
   * The time {@code value} stands for: an RFC 3339 time ({@code 2026-11-20T00:00:00Z}) or an age
   * before {@code now} ({@code 30m}, {@code 12h}, {@code 10d}, {@code 2w}).
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static Instant parseAsOf(String value, Instant now) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          "source.asOf is empty: use an RFC 3339 time (2026-11-20T00:00:00Z) or an age"
              + " (10d, 12h, 30m, 2w)");
    }
    Matcher age = AGE.matcher(value.strip());
    if (age.matches()) {
      long n = Long.parseLong(age.group(1));
      Duration d =
          switch (age.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
          };
      return now.minus(d);
    }
    try {
      return OffsetDateTime.parse(value.strip()).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "source.asOf '"
              + value
              + "' is neither an RFC 3339 time"
              + " (2026-11-20T00:00:00Z) nor an age (10d, 12h, 30m, 2w)");
    }
  }
}
