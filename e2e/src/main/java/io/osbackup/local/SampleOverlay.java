package io.osbackup.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestoreRequest;
import io.osbackup.testbed.SimulatedNodes;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A file of {@code samples/} as local mode applies it: unchanged, except for what addresses real
 * infrastructure. The BackupStore's endpoint, bucket and region point at local mode's S3 server,
 * the database targets' host and port at its MariaDB, the Secrets those name hold the local logins,
 * and — when asked — the policy's schedule, the include list and a restore's backup id are
 * replaced. Every change is listed (Secret values never are), so what runs is the sample a user
 * would apply, with the overlay a cluster admin would write for their own cloud.
 */
public final class SampleOverlay {

  /**
   * Local mode's servers and the optional replacements.
   *
   * @param s3Prefix null keeps the sample's prefix
   * @param databases null keeps the sample's include lists; empty backs up every user database
   * @param schedule null keeps the sample's schedule
   */
  public record Local(
      String s3Endpoint,
      String s3Region,
      String s3Bucket,
      String s3Prefix,
      String accessKey,
      String secretKey,
      String dbHost,
      int dbPort,
      String dbUser,
      String dbPassword,
      List<String> databases,
      String schedule) {

    public Local {
      Objects.requireNonNull(s3Endpoint, "s3Endpoint");
      Objects.requireNonNull(dbHost, "dbHost");
    }
  }

  /** The objects to apply, in the file's order, and what was changed, one line each. */
  public record Overlaid(List<HasMetadata> objects, List<String> changes) {}

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * A value the overlay replaced: at {@code pointer} of the object, the sample's {@code sample}
   * became {@code local}.
   */
  private record Replacement(String pointer, JsonNode sample, JsonNode local) {}

  private final Local local;
  private final Map<String, List<String>> nodePaths;

  /** What {@link #read} replaced, by {@code kind/name}, so {@link #reapply} can do it again. */
  private final Map<String, List<Replacement>> replaced =
      new java.util.concurrent.ConcurrentHashMap<>();

  public SampleOverlay(Local local) {
    this(local, Map.of());
  }

  private SampleOverlay(Local local, Map<String, List<String>> nodePaths) {
    this.local = local;
    this.nodePaths = nodePaths;
  }

  /**
   * This overlay, also backing up {@code paths} of simulated nodes ({@code --node-dir}): the policy
   * gets a files target {@code local-<node>} for each node, selecting it by its hostname label.
   */
  public SampleOverlay withNodePaths(Map<String, List<String>> paths) {
    return new SampleOverlay(local, Map.copyOf(paths));
  }

  /**
   * A write to the API of an object {@link #read} overlaid — {@code kubectl apply -f samples/01-…}
   * again, as a create, an update or a merge patch — with each value the overlay replaced put back
   * to local mode's wherever the write carries the sample's own value (its placeholder); values a
   * user changed on purpose pass. Returns what was changed, one line each (Secret values never).
   */
  public List<String> reapply(String kind, String name, ObjectNode body) {
    List<String> changes = new ArrayList<>();
    for (Replacement r : replaced.getOrDefault(kind + "/" + name, List.of())) {
      JsonNode now = body.at(r.pointer());
      if (!now.isMissingNode() && now.equals(r.sample())) {
        int slash = r.pointer().lastIndexOf('/');
        JsonNode parent = body.at(r.pointer().substring(0, slash));
        if (parent instanceof ObjectNode object) {
          object.set(r.pointer().substring(slash + 1), r.local());
          changes.add(
              kind + " " + name + ": " + r.pointer() + " of the sample kept as local mode's");
        }
      }
    }
    return changes;
  }

  private void remember(String what, String pointer, JsonNode sample, JsonNode localValue) {
    replaced
        .computeIfAbsent(
            what.replace(' ', '/'), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
        .add(new Replacement(pointer, sample, localValue));
  }

  /**
   * Reads {@code sample} and applies the overlay; {@code backupId}, if not null, replaces a
   * restore's source id.
   */
  public Overlaid read(Path sample, String backupId) throws IOException {
    List<ObjectNode> docs = new ArrayList<>();
    try (Reader in = Files.newBufferedReader(sample)) {
      for (var it = YAML.readerFor(JsonNode.class).readValues(in); it.hasNext(); ) {
        JsonNode doc = (JsonNode) it.next();
        if (doc instanceof ObjectNode object && object.has("kind")) {
          docs.add(object);
        }
      }
    }
    Set<String> s3Secrets = new LinkedHashSet<>();
    Set<String> dbSecrets = new LinkedHashSet<>();
    List<String> changes = new ArrayList<>();
    for (ObjectNode doc : docs) {
      String what = doc.path("kind").asText() + " " + doc.at("/metadata/name").asText();
      switch (doc.path("kind").asText()) {
        case "BackupStore" -> {
          ObjectNode s3 = (ObjectNode) doc.at("/spec/s3");
          set(s3, "endpoint", local.s3Endpoint(), what, "spec.s3.endpoint", changes);
          set(s3, "bucket", local.s3Bucket(), what, "spec.s3.bucket", changes);
          set(s3, "region", local.s3Region(), what, "spec.s3.region", changes);
          if (local.s3Prefix() != null) {
            set(s3, "prefix", local.s3Prefix(), what, "spec.s3.prefix", changes);
          }
          s3Secrets.add(s3.at("/credentialsSecret/name").asText());
        }
        case "BackupPolicy" -> {
          ObjectNode spec = (ObjectNode) doc.path("spec");
          if (local.schedule() != null && spec.has("schedule")) {
            set(spec, "schedule", local.schedule(), what, "spec.schedule", changes);
          }
          int i = 0;
          for (JsonNode target : spec.path("databases")) {
            ObjectNode t = (ObjectNode) target;
            String field = "spec.databases[" + i++ + "]";
            set(t, "host", local.dbHost(), what, field + ".host", changes);
            if (t.path("port").asInt(3306) != local.dbPort()) {
              changes.add(
                  what
                      + ": "
                      + field
                      + ".port "
                      + t.path("port").asInt(3306)
                      + " -> "
                      + local.dbPort());
              if (t.has("port")) {
                remember(
                    what,
                    pointer(field + ".port"),
                    t.get("port").deepCopy(),
                    IntNode.valueOf(local.dbPort()));
              }
              t.put("port", local.dbPort());
            }
            if (local.databases() != null) {
              ArrayNode include = t.putArray("include");
              local.databases().forEach(include::add);
              changes.add(
                  what
                      + ": "
                      + field
                      + ".include -> "
                      + local.databases()
                      + (local.databases().isEmpty() ? " (every user database)" : ""));
            }
            dbSecrets.add(t.at("/credentialsSecret/name").asText());
          }
          for (var node : nodePaths.entrySet()) {
            ArrayNode files =
                spec.has("files") ? (ArrayNode) spec.get("files") : spec.putArray("files");
            ObjectNode target = files.addObject().put("name", "local-" + node.getKey());
            target.putObject("nodeSelector").put(SimulatedNodes.HOSTNAME_LABEL, node.getKey());
            ArrayNode paths = target.putArray("paths");
            node.getValue().forEach(paths::add);
            changes.add(
                what
                    + ": spec.files + local-"
                    + node.getKey()
                    + " on node "
                    + node.getKey()
                    + ": "
                    + node.getValue()
                    + " (--node-dir)");
          }
        }
        case "RestoreRequest" -> {
          JsonNode source = doc.at("/spec/source");
          if (backupId != null && source.has("backupId")) {
            set((ObjectNode) source, "backupId", backupId, what, "spec.source.backupId", changes);
          }
        }
        default -> {}
      }
    }
    for (ObjectNode doc : docs) {
      if (!doc.path("kind").asText().equals("Secret")) {
        continue;
      }
      String name = doc.at("/metadata/name").asText();
      Map<String, String> values = new LinkedHashMap<>();
      if (s3Secrets.contains(name)) {
        values.put("accessKey", local.accessKey());
        values.put("secretKey", local.secretKey());
      }
      if (dbSecrets.contains(name)) {
        values.put("username", local.dbUser());
        values.put("password", local.dbPassword());
      }
      if (!values.isEmpty()) {
        String what = "Secret " + name;
        for (var value : values.entrySet()) {
          JsonNode given = doc.at("/stringData/" + value.getKey());
          String placeholder =
              given.isTextual()
                  ? given.asText()
                  : doc.at("/data/" + value.getKey()).isTextual()
                      ? new String(
                          java.util.Base64.getDecoder()
                              .decode(doc.at("/data/" + value.getKey()).asText()),
                          java.nio.charset.StandardCharsets.UTF_8)
                      : null;
          if (placeholder != null && value.getValue() != null) {
            remember(
                what,
                "/stringData/" + value.getKey(),
                new TextNode(placeholder),
                new TextNode(value.getValue()));
            remember(
                what,
                "/data/" + value.getKey(),
                new TextNode(b64(placeholder)),
                new TextNode(b64(value.getValue())));
          }
        }
        // stringData, as the samples write it; the API server folds it into data
        doc.remove("data");
        ObjectNode data = doc.putObject("stringData");
        values.forEach(data::put);
        changes.add(
            "Secret "
                + name
                + ": "
                + String.join(", ", values.keySet())
                + " from local mode's servers");
      }
    }
    List<HasMetadata> objects = new ArrayList<>();
    for (ObjectNode doc : docs) {
      objects.add(
          Serialization.unmarshal(Serialization.asJson(doc), typeOf(doc.path("kind").asText())));
    }
    return new Overlaid(objects, changes);
  }

  private static String b64(String value) {
    return java.util.Base64.getEncoder()
        .encodeToString(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static Class<? extends HasMetadata> typeOf(String kind) {
    return switch (kind) {
      case "Secret" -> Secret.class;
      case "BackupStore" -> BackupStore.class;
      case "BackupPolicy" -> BackupPolicy.class;
      case "BackupRun" -> BackupRun.class;
      case "RestoreRequest" -> RestoreRequest.class;
      default -> GenericKubernetesResource.class;
    };
  }

  private void set(
      ObjectNode node, String field, String value, String what, String path, List<String> changes) {
    String before = node.path(field).asText(null);
    if (!value.equals(before)) {
      JsonNode sample = node.path(field).deepCopy();
      node.put(field, value);
      changes.add(
          what + ": " + path + " " + (before == null ? "(unset)" : before) + " -> " + value);
      if (!sample.isMissingNode()) {
        remember(what, pointer(path), sample, node.get(field));
      }
    }
  }

  /** {@code spec.databases[0].host} as the JSON pointer {@code /spec/databases/0/host}. */
  private static String pointer(String path) {
    return "/" + path.replaceAll("\\[(\\d+)]", ".$1").replace('.', '/');
  }
}
