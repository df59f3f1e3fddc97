package io.osbackup.testbed;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The embedded API server's request handling, so {@code kubectl} can talk to it: the fabric8 CRUD
 * mock for resources, plus what kubectl asks before anything else — {@code /version}, the discovery
 * documents ({@code /api}, {@code /apis}, {@code /api/v1}, {@code /apis/<group>/<version>}) for the
 * kinds local mode uses — and server-side tables, so {@code kubectl get brun} shows the CRDs'
 * printer columns (phase, backup id, size, …) as a real API server does.
 */
final class LocalApiDispatcher extends KubernetesCrudDispatcher {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SECRET =
      Pattern.compile("^/api/v1/namespaces/[^/]+/secrets(?:/[^/]+)?$");
  private static final Pattern LIST =
      Pattern.compile("^/apis/([^/]+)/([^/]+)/(?:namespaces/([^/]+)/)?([a-z]+)$");

  /**
   * A kind served by the embedded API: its resource name, kind, whether namespaced, and short
   * names.
   */
  record Kind(String resource, String kind, boolean namespaced, List<String> shortNames) {}

  private static final Map<String, List<Kind>> BUILT_IN =
      Map.of(
          "v1",
          List.of(
              new Kind("pods", "Pod", true, List.of("po")),
              new Kind("secrets", "Secret", true, List.of()),
              new Kind("configmaps", "ConfigMap", true, List.of("cm")),
              new Kind("events", "Event", true, List.of("ev")),
              new Kind("nodes", "Node", false, List.of("no")),
              new Kind("namespaces", "Namespace", false, List.of("ns")),
              new Kind("persistentvolumeclaims", "PersistentVolumeClaim", true, List.of("pvc")),
              new Kind("services", "Service", true, List.of("svc"))),
          "apps/v1",
          List.of(
              new Kind("deployments", "Deployment", true, List.of("deploy")),
              new Kind("statefulsets", "StatefulSet", true, List.of("sts"))),
          "batch/v1",
          List.of(new Kind("jobs", "Job", true, List.of())),
          "coordination.k8s.io/v1",
          List.of(new Kind("leases", "Lease", true, List.of())),
          "apiextensions.k8s.io/v1",
          List.of(
              new Kind(
                  "customresourcedefinitions",
                  "CustomResourceDefinition",
                  false,
                  List.of("crd", "crds"))));

  private static final Pattern OBJECT =
      Pattern.compile("^/(?:api/v1|apis/[^/]+/[^/]+)/namespaces/[^/]+/([a-z]+)(?:/([^/]+))?$");

  private final Map<String, CustomResourceDefinition> crds = new ConcurrentHashMap<>();
  private volatile LocalCluster.WriteRewrite rewrite;
  private final List<String> rewritten = new java.util.concurrent.CopyOnWriteArrayList<>();

  LocalApiDispatcher() {
    super(List.of());
  }

  /** Serves {@code crd}'s kind in discovery and its printer columns in tables. */
  void serve(CustomResourceDefinition crd) {
    crds.put(crd.getSpec().getGroup() + "/" + crd.getSpec().getNames().getPlural(), crd);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String path = request.getPath();
    int query = path.indexOf('?');
    String bare = query < 0 ? path : path.substring(0, query);
    if ("GET".equals(request.getMethod())) {
      try {
        MockResponse discovery = discovery(bare);
        if (discovery != null) {
          return discovery;
        }
        String accept = request.getHeader("Accept");
        boolean watch = query >= 0 && path.substring(query).contains("watch=true");
        if (!watch && accept != null && accept.contains("as=Table")) {
          Matcher m = LIST.matcher(bare);
          if (m.matches() && crds.containsKey(m.group(1) + "/" + m.group(4))) {
            MockResponse list = super.dispatch(request);
            return table(list, crds.get(m.group(1) + "/" + m.group(4)));
          }
        }
      } catch (IOException e) {
        return json(
            500,
            "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"" + e.getMessage() + "\"}");
      }
    }
    return super.dispatch(request);
  }

  /**
   * Every create, update and patch of a namespaced object passes {@code rewrite} first (null:
   * none).
   */
  void rewriteWrites(LocalCluster.WriteRewrite rewrite) {
    this.rewrite = rewrite;
  }

  /** What {@link #rewriteWrites} changed so far. */
  List<String> rewritten() {
    return List.copyOf(rewritten);
  }

  @Override
  public MockResponse handleCreate(RecordedRequest request) {
    return super.handleCreate(foldStringData(rewritten(request)));
  }

  @Override
  public MockResponse handleUpdate(RecordedRequest request) {
    return super.handleUpdate(foldStringData(rewritten(request)));
  }

  /**
   * A patch, after {@code rewrite}, with a Secret's {@code stringData} folded into {@code data} as
   * for a create; kubectl's strategic merge patch of a Secret (which the mock refuses with 415) is
   * taken as the JSON merge patch it amounts to for a Secret's flat maps, so {@code kubectl apply}
   * of a sample works.
   */
  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    RecordedRequest patch = foldStringData(rewritten(request));
    String type = patch.getHeader("Content-Type");
    String path = patch.getPath();
    int query = path.indexOf('?');
    if (type != null
        && type.startsWith("application/strategic-merge-patch+json")
        && SECRET.matcher(query < 0 ? path : path.substring(0, query)).matches()) {
      patch =
          new RecordedRequest(
              patch.getHttpVersion(),
              patch.method(),
              patch.getPath(),
              patch
                  .getHeaders()
                  .newBuilder()
                  .set("Content-Type", "application/merge-patch+json")
                  .build(),
              new Buffer(patch.getBody().getBytes()));
    }
    return super.handlePatch(patch);
  }

  private RecordedRequest rewritten(RecordedRequest request) {
    LocalCluster.WriteRewrite current = rewrite;
    String path = request.getPath();
    int query = path.indexOf('?');
    Matcher m = OBJECT.matcher(query < 0 ? path : path.substring(0, query));
    if (current == null || !m.matches()) {
      return request;
    }
    try {
      if (!(JSON.readTree(request.getBody().getBytes()) instanceof ObjectNode body)) {
        return request;
      }
      String name = m.group(2) != null ? m.group(2) : body.at("/metadata/name").asText();
      String kind = kindOf(m.group(1));
      List<String> changes = kind == null ? List.of() : current.rewrite(kind, name, body);
      if (changes.isEmpty()) {
        return request;
      }
      rewritten.addAll(changes);
      return new RecordedRequest(
          request.getHttpVersion(),
          request.method(),
          request.getPath(),
          request.getHeaders(),
          new Buffer(JSON.writeValueAsBytes(body)));
    } catch (IOException | RuntimeException e) {
      return request; // not a JSON object: let the mock answer as it does
    }
  }

  private String kindOf(String resource) {
    for (List<Kind> kinds : BUILT_IN.values()) {
      for (Kind k : kinds) {
        if (k.resource().equals(resource)) {
          return k.kind();
        }
      }
    }
    return crds.values().stream()
        .filter(c -> c.getSpec().getNames().getPlural().equals(resource))
        .map(c -> c.getSpec().getNames().getKind())
        .findFirst()
        .orElse(null);
  }

  /**
   * A Secret written with {@code stringData} (as the samples and most manifests are) stored the way
   * a real API server stores it: each value base64-encoded into {@code data}, {@code stringData}
   * gone. The mock would keep it as given, and nothing reading {@code data} would find the keys.
   */
  static RecordedRequest foldStringData(RecordedRequest request) {
    String path = request.getPath();
    int query = path.indexOf('?');
    if (!SECRET.matcher(query < 0 ? path : path.substring(0, query)).matches()) {
      return request;
    }
    try {
      byte[] raw = request.getBody().getBytes();
      if (!(JSON.readTree(raw) instanceof ObjectNode secret)
          || !secret.path("stringData").isObject()) {
        return request;
      }
      ObjectNode data =
          secret.path("data").isObject()
              ? (ObjectNode) secret.get("data")
              : secret.putObject("data");
      secret
          .get("stringData")
          .fields()
          .forEachRemaining(
              f ->
                  data.put(
                      f.getKey(),
                      Base64.getEncoder().encodeToString(f.getValue().asText().getBytes(UTF_8))));
      secret.remove("stringData");
      return new RecordedRequest(
          request.getHttpVersion(),
          request.method(),
          request.getPath(),
          request.getHeaders(),
          new Buffer(JSON.writeValueAsBytes(secret)));
    } catch (IOException e) {
      return request; // not JSON: let the mock answer as it does
    }
  }

  private MockResponse discovery(String path) throws IOException {
    switch (path) {
      case "/version":
        return json(
            200,
            "{\"major\":\"1\",\"minor\":\"31\",\"gitVersion\":\"v1.31.0-osbackup-local\","
                + "\"platform\":\"linux/amd64\"}");
      case "/api":
        return json(
            200,
            "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
                + "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}");
      case "/apis":
        return json(200, JSON.writeValueAsString(groupList()));
      case "/api/v1":
        return json(200, JSON.writeValueAsString(resourceList("v1", BUILT_IN.get("v1"))));
      default:
        break;
    }
    if (path.startsWith("/apis/") && path.chars().filter(c -> c == '/').count() == 3) {
      String groupVersion = path.substring("/apis/".length());
      List<Kind> kinds = kinds(groupVersion);
      if (!kinds.isEmpty()) {
        return json(200, JSON.writeValueAsString(resourceList(groupVersion, kinds)));
      }
    }
    return null;
  }

  private List<Kind> kinds(String groupVersion) {
    if (BUILT_IN.containsKey(groupVersion)) {
      return BUILT_IN.get(groupVersion);
    }
    List<Kind> out = new ArrayList<>();
    for (CustomResourceDefinition crd : crds.values()) {
      for (var v : crd.getSpec().getVersions()) {
        if ((crd.getSpec().getGroup() + "/" + v.getName()).equals(groupVersion)) {
          var names = crd.getSpec().getNames();
          out.add(
              new Kind(
                  names.getPlural(),
                  names.getKind(),
                  "Namespaced".equals(crd.getSpec().getScope()),
                  names.getShortNames() == null ? List.of() : names.getShortNames()));
        }
      }
    }
    return out;
  }

  private ObjectNode groupList() {
    ObjectNode list = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
    ArrayNode groups = list.putArray("groups");
    List<String> groupVersions =
        new ArrayList<>(BUILT_IN.keySet().stream().filter(gv -> gv.contains("/")).toList());
    crds.values()
        .forEach(
            c ->
                c.getSpec()
                    .getVersions()
                    .forEach(
                        v -> {
                          String gv = c.getSpec().getGroup() + "/" + v.getName();
                          if (!groupVersions.contains(gv)) {
                            groupVersions.add(gv);
                          }
                        }));
    for (String gv : groupVersions) {
      String[] parts = gv.split("/");
      ObjectNode group = groups.addObject().put("name", parts[0]);
      ObjectNode version = JSON.createObjectNode().put("groupVersion", gv).put("version", parts[1]);
      group.putArray("versions").add(version);
      group.set("preferredVersion", version);
    }
    return list;
  }

  private static ObjectNode resourceList(String groupVersion, List<Kind> kinds) {
    ObjectNode list =
        JSON.createObjectNode()
            .put("kind", "APIResourceList")
            .put("apiVersion", "v1")
            .put("groupVersion", groupVersion);
    ArrayNode resources = list.putArray("resources");
    for (Kind k : kinds) {
      ObjectNode r =
          resources
              .addObject()
              .put("name", k.resource())
              .put("singularName", k.kind().toLowerCase())
              .put("namespaced", k.namespaced())
              .put("kind", k.kind());
      ArrayNode verbs = r.putArray("verbs");
      List.of("create", "delete", "get", "list", "patch", "update", "watch").forEach(verbs::add);
      ArrayNode shortNames = r.putArray("shortNames");
      k.shortNames().forEach(shortNames::add);
      if (!"events".equals(k.resource()) && !"namespaces".equals(k.resource())) {
        resources
            .addObject()
            .put("name", k.resource() + "/status")
            .put("singularName", "")
            .put("namespaced", k.namespaced())
            .put("kind", k.kind())
            .putArray("verbs")
            .add("get")
            .add("patch")
            .add("update");
      }
    }
    return list;
  }

  /** A list response turned into a meta.k8s.io Table with the CRD's printer columns. */
  private static MockResponse table(MockResponse list, CustomResourceDefinition crd)
      throws IOException {
    if (list.code() != 200) {
      return list;
    }
    JsonNode items = JSON.readTree(list.getBody().readUtf8()).path("items");
    List<CustomResourceColumnDefinition> columns =
        new ArrayList<>(crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns());
    ObjectNode table =
        JSON.createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    table.putObject("metadata");
    ArrayNode definitions = table.putArray("columnDefinitions");
    definitions
        .addObject()
        .put("name", "Name")
        .put("type", "string")
        .put("format", "name")
        .put("priority", 0)
        .put("description", "Name of the resource");
    for (CustomResourceColumnDefinition c : columns) {
      definitions
          .addObject()
          .put("name", c.getName())
          .put("type", "date".equals(c.getType()) ? "string" : c.getType())
          .put("format", "")
          .put("priority", c.getPriority() == null ? 0 : c.getPriority())
          .put("description", c.getDescription() == null ? "" : c.getDescription());
    }
    ArrayNode rows = table.putArray("rows");
    for (JsonNode item : items) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      cells.add(item.path("metadata").path("name").asText());
      for (CustomResourceColumnDefinition c : columns) {
        JsonNode value = at(item, c.getJsonPath());
        if ("date".equals(c.getType())) {
          cells.add(value.isTextual() ? age(value.asText()) : "<unknown>");
        } else if (value.isMissingNode() || value.isNull()) {
          cells.addNull();
        } else {
          cells.add(value);
        }
      }
      ObjectNode object = row.putObject("object");
      object.put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/v1");
      object.set("metadata", item.path("metadata"));
    }
    return json(200, JSON.writeValueAsString(table));
  }

  /** {@code .status.phase}-style paths, the only kind the osbackup CRDs use. */
  private static JsonNode at(JsonNode item, String jsonPath) {
    JsonNode node = item;
    for (String part : jsonPath.replaceFirst("^\\.", "").split("\\.")) {
      node = node.path(part);
    }
    return node;
  }

  private static String age(String timestamp) {
    try {
      Duration d = Duration.between(Instant.parse(timestamp), Instant.now());
      if (d.toDays() > 0) {
        return d.toDays() + "d";
      }
      if (d.toHours() > 0) {
        return d.toHours() + "h";
      }
      if (d.toMinutes() > 0) {
        return d.toMinutes() + "m";
      }
      return Math.max(0, d.toSeconds()) + "s";
    } catch (RuntimeException e) {
      return timestamp;
    }
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(body);
  }
}
