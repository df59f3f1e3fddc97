package io.osbackup.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osbackup.api.v1alpha1.BackupPolicy;
import io.osbackup.api.v1alpha1.BackupRun;
import io.osbackup.api.v1alpha1.BackupStore;
import io.osbackup.api.v1alpha1.RestoreRequest;
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
 * A file of {@code samples/} as local mode applies it: unchanged, except for what addresses real infrastructure. The
 * BackupStore's endpoint, bucket and region point at local mode's S3 server, the database targets' host and port at its
 * MariaDB, the Secrets those name hold the local logins, and — when asked — the policy's schedule, the include list
 * and a restore's backup id are replaced. Every change is listed (Secret values never are), so what runs is the sample
 * a user would apply, with the overlay a cluster admin would write for their own cloud.
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

  private final Local local;

  public SampleOverlay(Local local) {
    this.local = local;
  }

  /** Reads {@code sample} and applies the overlay; {@code backupId}, if not null, replaces a restore's source id. */
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
              changes.add(what + ": " + field + ".port " + t.path("port").asInt(3306) + " -> " + local.dbPort());
              t.put("port", local.dbPort());
            }
            if (local.databases() != null) {
              ArrayNode include = t.putArray("include");
              local.databases().forEach(include::add);
              changes.add(what + ": " + field + ".include -> " + local.databases()
                  + (local.databases().isEmpty() ? " (every user database)" : ""));
            }
            dbSecrets.add(t.at("/credentialsSecret/name").asText());
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
        // stringData, as the samples write it; the API server folds it into data
        doc.remove("data");
        ObjectNode data = doc.putObject("stringData");
        values.forEach(data::put);
        changes.add("Secret " + name + ": " + String.join(", ", values.keySet()) + " from local mode's servers");
      }
    }
    List<HasMetadata> objects = new ArrayList<>();
    for (ObjectNode doc : docs) {
      objects.add(Serialization.unmarshal(Serialization.asJson(doc), typeOf(doc.path("kind").asText())));
    }
    return new Overlaid(objects, changes);
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

  private static void set(ObjectNode node, String field, String value, String what, String path, List<String> changes) {
    String before = node.path(field).asText(null);
    if (!value.equals(before)) {
      node.put(field, value);
      changes.add(what + ": " + path + " " + (before == null ? "(unset)" : before) + " -> " + value);
    }
  }
}
