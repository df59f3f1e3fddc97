package io.osbackup.catalog;

import io.osbackup.contract.BackupLayout;
import io.osbackup.contract.Json;
import io.osbackup.contract.Manifest;
import io.osbackup.contract.Owner;
import io.osbackup.store.ObjectInfo;
import io.osbackup.store.ObjectStore;
import io.osbackup.store.StoreErrors;
import io.osbackup.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The backups a store holds for one namespace, read from their manifests: one recursive listing of
 * {@code <prefix>/<namespace>/}, then each {@code manifest.json} read and checked against the key
 * it lies at.
 */
public final class Catalog {

  /** What the catalog reads from a bucket; {@link #of(ObjectStore)} is the real one. */
  public interface Shelf {

    /** Every object under {@code prefix}, recursively, across all pages. */
    List<ObjectInfo> list(String prefix) throws IOException;

    /** The bytes of {@code key}; empty when there is no such object. */
    Optional<byte[]> read(String key) throws IOException;
  }

  /**
   * One backup found in the store.
   *
   * @param key key of its manifest
   * @param folder key of its folder, {@code <prefix>/<namespace>/<policy>/<backupId>}
   * @param size bytes of its artifacts, as the manifest says
   * @param signature what checking the manifest's signature found; null when it was not checked
   */
  public record Backup(
      String key,
      String policy,
      String backupId,
      String folder,
      long size,
      Instant completedAt,
      Manifest manifest,
      SignatureCheck signature) {

    Backup withSignature(SignatureCheck check) {
      return new Backup(key, policy, backupId, folder, size, completedAt, manifest, check);
    }
  }

  /**
   * A manifest that was left out, and why ({@code reason}: ManifestInvalid or
   * ManifestSignatureInvalid).
   */
  public record Skipped(String key, String problem, String reason) {

    public Skipped(String key, String problem) {
      this(key, problem, "ManifestInvalid");
    }
  }

  /**
   * What one sync read: the backups, the manifests that could not be used, and the backups of other
   * owners (other clusters or stores) whose manifests lie under the same namespace folder.
   */
  public record Listing(List<Backup> backups, List<Skipped> skipped, List<Backup> foreign) {

    public Listing(List<Backup> backups, List<Skipped> skipped) {
      this(backups, skipped, List.of());
    }

    public long bytes() {
      return backups.stream().mapToLong(Backup::size).sum();
    }
  }

  private final Shelf shelf;
  private final SigningKeys keys;

  public Catalog(Shelf shelf) {
    this(shelf, SigningKeys.none());
  }

  /** A catalog that checks each manifest's signature with {@code keys}. */
  public Catalog(Shelf shelf, SigningKeys keys) {
    this.shelf = shelf;
    this.keys = keys;
  }

  /** A shelf reading from {@code store}. */
  public static Shelf of(ObjectStore store) {
    return new Shelf() {
      @Override
      public List<ObjectInfo> list(String prefix) throws IOException {
        return store.list(prefix);
      }

      @Override
      public Optional<byte[]> read(String key) throws IOException {
        try (InputStream in = store.download(key)) {
          return Optional.of(in.readAllBytes());
        } catch (StoreException e) {
          if (StoreErrors.OBJECT_NOT_FOUND.equals(e.reason())) {
            return Optional.empty();
          }
          throw e;
        }
      }
    };
  }

  /** {@code <prefix>/<namespace>/}: everything a store holds for one namespace. */
  public static String namespaceFolder(String prefix, String namespace) {
    return BackupLayout.policyFolder(prefix, namespace, null) + "/";
  }

  /**
   * Reads every backup of {@code namespace}, each with its {@link SignatureCheck}. A failed listing
   * or manifest read throws, so a partial view is never taken for the whole; a manifest that
   * vanished meanwhile is left out, one that cannot be used is {@link Skipped}. A manifest whose
   * signature does not match it (changed after the operator signed it) is {@link Skipped} with
   * reason {@code ManifestSignatureInvalid}; unsigned ones and those signed by a key not at hand
   * are listed, marked so.
   */
  public Listing read(String prefix, String namespace) throws IOException {
    return read(prefix, namespace, null);
  }

  /**
   * Reads every backup of {@code namespace} and sorts out those {@code us} does not own (see {@link
   * #owned}) into {@link Listing#foreign}; a null {@code us} owns everything (the break-glass CLI,
   * which reads any bucket).
   */
  public Listing read(String prefix, String namespace, Owner us) throws IOException {
    List<Backup> backups = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    List<Backup> foreign = new ArrayList<>();
    List<ObjectInfo> listing = shelf.list(namespaceFolder(prefix, namespace));
    Set<String> keysListed = new HashSet<>();
    listing.forEach(o -> keysListed.add(o.key()));
    for (ObjectInfo object : listing) {
      if (!object.key().endsWith("/" + BackupLayout.MANIFEST)) {
        continue;
      }
      // the signature is written before the manifest: a listed manifest has its signature listed
      // too
      Optional<Parsed> read =
          readManifest(
              shelf,
              object.key(),
              prefix,
              namespace,
              keys,
              keysListed.contains(BackupLayout.signatureOf(object.key())));
      if (read.isEmpty()) {
        continue; // deleted since the listing (retention removes the manifest first)
      }
      Parsed parsed = read.get();
      if (parsed.backup() == null) {
        skipped.add(new Skipped(object.key(), parsed.problem()));
        continue;
      }
      Owner marker = null;
      String markerKey = BackupLayout.owner(parsed.backup().folder());
      if (us != null
          && parsed.backup().manifest().owner() == null
          && keysListed.contains(markerKey)) {
        marker =
            shelf.read(markerKey).map(b -> readMarker(b)).map(Owner.Marker::owner).orElse(null);
      }
      if (!owned(parsed.backup().manifest(), marker, namespace, us)) {
        // another owner's: signed with its keys, not ours; a restore importing it checks it then
        foreign.add(parsed.backup());
      } else if (parsed.backup().signature().outcome() == SignatureCheck.Outcome.INVALID) {
        skipped.add(
            new Skipped(
                object.key(),
                parsed.backup().signature().detail(),
                SignatureCheck.Outcome.INVALID.reason()));
      } else {
        backups.add(parsed.backup());
      }
    }
    return new Listing(List.copyOf(backups), List.copyOf(skipped), List.copyOf(foreign));
  }

  /**
   * Whether {@code us} owns a backup: its manifest names us (cluster, namespace, store name); or,
   * for a manifest written before owners existed, its namespace and store are ours and its folder's
   * {@code owner.json}, if any, names us. A null {@code us} owns everything.
   */
  public static boolean owned(Manifest manifest, Owner marker, String namespace, Owner us) {
    if (us == null) {
      return true;
    }
    if (manifest.owner() != null) {
      return us.owns(manifest.owner());
    }
    return Objects.equals(manifest.namespace(), namespace)
        && Objects.equals(manifest.store(), us.store())
        && (marker == null || us.owns(marker));
  }

  private static Owner.Marker readMarker(byte[] bytes) {
    try {
      return Json.MAPPER.readValue(bytes, Owner.Marker.class);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Reads the manifest at {@code key} and its signature and checks both: empty when there is no
   * manifest; else the backup with its {@link SignatureCheck}, or why the manifest cannot be used.
   * A verified manifest must also name the folder it lies in, so a signed manifest copied elsewhere
   * does not verify.
   */
  public static Optional<Parsed> readManifest(
      Shelf shelf, String key, String prefix, String namespace, SigningKeys keys)
      throws IOException {
    return readManifest(shelf, key, prefix, namespace, keys, true);
  }

  private static Optional<Parsed> readManifest(
      Shelf shelf,
      String key,
      String prefix,
      String namespace,
      SigningKeys keys,
      boolean signatureListed)
      throws IOException {
    Optional<byte[]> bytes = shelf.read(key);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    byte[] signature =
        signatureListed && key.endsWith("/" + BackupLayout.MANIFEST)
            ? shelf.read(BackupLayout.signatureOf(key)).orElse(null)
            : null;
    Parsed parsed = parse(key, bytes.get(), prefix, namespace);
    if (parsed.backup() == null) {
      return Optional.of(parsed);
    }
    SignatureCheck check = keys.check(bytes.get(), signature);
    Backup backup = parsed.backup();
    if (check.verified() && !Objects.equals(backup.manifest().folder(), backup.folder())) {
      check =
          SignatureCheck.invalid(
              check.keyId(),
              "is signed for folder "
                  + backup.manifest().folder()
                  + ", not"
                  + " for "
                  + backup.folder()
                  + " where it lies");
    }
    return Optional.of(new Parsed(backup.withSignature(check), null));
  }

  /** A manifest read at a key: the backup it describes, or why it cannot be used. */
  public record Parsed(Backup backup, String problem) {}

  /**
   * Parses the manifest at {@code key} and checks that it describes the backup whose folder it lies
   * in: {@code <prefix>/<namespace>/<policy>/<backupId>/manifest.json} with the same policy and
   * backup id inside.
   */
  public static Parsed parse(String key, byte[] bytes, String prefix, String namespace) {
    String base = namespaceFolder(prefix, namespace);
    String[] parts =
        key.startsWith(base) ? key.substring(base.length()).split("/", -1) : new String[0];
    if (parts.length != 3
        || parts[0].isEmpty()
        || parts[1].isEmpty()
        || !BackupLayout.MANIFEST.equals(parts[2])) {
      return problem("is not at " + base + "<policy>/<backupId>/" + BackupLayout.MANIFEST);
    }
    Manifest manifest;
    try {
      manifest = Json.MAPPER.readValue(bytes, Manifest.class);
    } catch (IOException e) {
      return problem("is not a valid manifest: " + firstLine(e.getMessage()));
    }
    if (manifest == null) {
      return problem("is empty");
    }
    if (manifest.formatVersion() < 1 || manifest.formatVersion() > Manifest.FORMAT_VERSION) {
      return problem(
          "has format version "
              + manifest.formatVersion()
              + "; this operator reads 1 to "
              + Manifest.FORMAT_VERSION);
    }
    if (!Objects.equals(manifest.policy(), parts[0])
        || !Objects.equals(manifest.backupId(), parts[1])) {
      return problem(
          "describes backup '"
              + manifest.backupId()
              + "' of policy '"
              + manifest.policy()
              + "', not the folder it"
              + " lies in");
    }
    if (manifest.artifacts() == null) {
      return problem("lists no artifacts");
    }
    String folder = BackupLayout.backupFolder(prefix, namespace, parts[0], parts[1]);
    return new Parsed(
        new Backup(
            key,
            parts[0],
            parts[1],
            folder,
            manifest.size(),
            manifest.completedAt(),
            manifest,
            null),
        null);
  }

  private static Parsed problem(String problem) {
    return new Parsed(null, problem);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
