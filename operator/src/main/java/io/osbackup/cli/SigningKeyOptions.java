package io.osbackup.cli;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.catalog.SigningKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * Where the break-glass commands find the manifest signing keys: a directory holding one file per
 * key id (the signing Secret mounted or extracted), the signing Secret's manifest as {@code kubectl
 * get secret -o yaml} prints it, or the environment; never the command line, which other users of
 * the machine can read.
 */
public final class SigningKeyOptions {

  /** Environment variable holding {@code <keyId>=<key>} pairs separated by commas or newlines. */
  public static final String KEYS_ENV = "OSBACKUP_SIGNING_KEYS";

  @Option(
      names = "--signing-keys",
      paramLabel = "PATH",
      description =
          "The store's manifest signing keys: a directory with one file per key id, or the signing"
              + " Secret's YAML/JSON manifest (kubectl get secret <store>-manifest-signing -o yaml). Default: $"
              + KEYS_ENV
              + " (<keyId>=<key>, comma-separated).")
  Path path;

  /** The keys to verify with; {@link SigningKeys#none()} when none are given. */
  SigningKeys keys(Map<String, String> env) throws IOException {
    if (path != null) {
      String source = "--signing-keys " + path;
      try {
        return SigningKeys.forVerifying(
            Files.isDirectory(path) ? directory(path) : secret(path), source);
      } catch (IllegalArgumentException e) {
        throw new IOException(e.getMessage(), e);
      }
    }
    String value = env.get(KEYS_ENV);
    if (value == null || value.isBlank()) {
      return SigningKeys.none();
    }
    Map<String, byte[]> data = new LinkedHashMap<>();
    for (String pair : value.split("[,\n]")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IOException(
            "$" + KEYS_ENV + " holds an entry without '<keyId>=': use <keyId>=<key>[,...]");
      }
      data.put(
          pair.substring(0, eq).strip(),
          pair.substring(eq + 1).strip().getBytes(StandardCharsets.UTF_8));
    }
    try {
      return SigningKeys.forVerifying(data, "$" + KEYS_ENV);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Whether keys were given at all. */
  boolean given(Map<String, String> env) {
    return path != null || (env.get(KEYS_ENV) != null && !env.get(KEYS_ENV).isBlank());
  }

  private static Map<String, byte[]> directory(Path dir) throws IOException {
    Map<String, byte[]> data = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString();
        if (Files.isRegularFile(f)
            && !name.startsWith(".")) { // a mounted Secret's ..data links are hidden
          data.put(name, Files.readAllBytes(f));
        }
      }
    }
    return data;
  }

  private static Map<String, byte[]> secret(Path file) throws IOException {
    Secret secret;
    try (InputStream in = Files.newInputStream(file)) {
      secret = Serialization.unmarshal(in, Secret.class);
    } catch (RuntimeException e) {
      throw new IOException(
          "--signing-keys "
              + file
              + " is neither a directory nor a Secret manifest: "
              + e.getMessage(),
          e);
    }
    if (secret == null) {
      throw new IOException(
          "--signing-keys " + file + " is empty: give the signing Secret's manifest");
    }
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (secret.getData() != null) {
      secret.getData().forEach((k, v) -> data.put(k, Base64.getDecoder().decode(v)));
    }
    if (secret.getStringData() != null) {
      secret.getStringData().forEach((k, v) -> data.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    return data;
  }
}
