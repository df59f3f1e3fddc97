package io.osbackup.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mutating admission webhook on loopback through which a real API server has every create and
 * update of a Secret or an osbackup resource (outside Kubernetes' own namespaces) pass a {@link
 * LocalCluster.WriteRewrite} (local mode keeps its endpoints and logins when a sample is applied
 * again as it stands). The API server calls it over HTTPS with the control plane's CA; its failure
 * policy is {@code Ignore}, so a stopped local mode never blocks a write.
 *
 * <p>A Secret reaches a webhook with {@code stringData} already folded into {@code data}: the
 * rewrite sees the decoded values as {@code stringData}, as the samples write them, and its changes
 * go back into {@code data}.
 */
final class LocalAdmission implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalAdmission.class);
  static final String NAME = "local-mode.osbackup.io";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpsServer server;
  private final ExecutorService threads;
  private final LocalCluster.WriteRewrite rewrite;

  private LocalAdmission(Path pki, LocalCluster.WriteRewrite rewrite) throws IOException {
    this.rewrite = rewrite;
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(KubeletServer.tls(pki)));
    threads =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "local-admission");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(threads);
    server.createContext("/mutate", this::mutate);
    server.start();
  }

  /**
   * Starts the webhook and registers it with the API server for every namespace but Kubernetes'
   * own.
   */
  static LocalAdmission start(KubernetesClient client, Path pki, LocalCluster.WriteRewrite rewrite)
      throws IOException {
    LocalAdmission admission = new LocalAdmission(pki, rewrite);
    String ca = Base64.getEncoder().encodeToString(Files.readAllBytes(pki.resolve("ca.crt")));
    MutatingWebhookConfiguration config =
        new MutatingWebhookConfigurationBuilder()
            .withNewMetadata()
            .withName(NAME)
            .endMetadata()
            .addNewWebhook()
            .withName("samples." + NAME)
            .withNewClientConfig()
            .withUrl("https://127.0.0.1:" + admission.server.getAddress().getPort() + "/mutate")
            .withCaBundle(ca)
            .endClientConfig()
            .addNewRule()
            .withOperations("CREATE", "UPDATE")
            .withApiGroups("", "osbackup.io")
            .withApiVersions("v1", "v1alpha1")
            .withResources(
                "secrets", "backupstores", "backuppolicies", "backupruns", "restorerequests")
            .withScope("Namespaced")
            .endRule()
            .withNewNamespaceSelector()
            .addNewMatchExpression()
            .withKey("kubernetes.io/metadata.name")
            .withOperator("NotIn")
            .withValues("kube-system", "kube-public", "kube-node-lease")
            .endMatchExpression()
            .endNamespaceSelector()
            .withSideEffects("None")
            .withAdmissionReviewVersions("v1")
            .withFailurePolicy("Ignore")
            .withTimeoutSeconds(5)
            .endWebhook()
            .build();
    client
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .resource(config)
        .createOr(NonDeletingOperation::update);
    return admission;
  }

  private void mutate(HttpExchange exchange) throws IOException {
    ObjectNode response = JSON.createObjectNode();
    try (InputStream in = exchange.getRequestBody()) {
      JsonNode review = JSON.readTree(in);
      JsonNode request = review.path("request");
      response.put("uid", request.path("uid").asText());
      response.put("allowed", true);
      if (request.path("object") instanceof ObjectNode object) {
        String kind = request.path("kind").path("kind").asText();
        String name = request.path("name").asText(object.at("/metadata/name").asText());
        ObjectNode changed = rewritten(kind, name, object.deepCopy());
        ArrayNode patch = patch(object, changed);
        if (!patch.isEmpty()) {
          response.put("patchType", "JSONPatch");
          response.put("patch", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(patch)));
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("admission review not rewritten: {}", e.toString());
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("apiVersion", "admission.k8s.io/v1");
    body.put("kind", "AdmissionReview");
    body.set("response", response);
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The object after the rewrite; a Secret's data shown to it decoded, as stringData. */
  private ObjectNode rewritten(String kind, String name, ObjectNode object) {
    boolean secret = "Secret".equals(kind) && object.path("data") instanceof ObjectNode;
    if (secret) {
      ObjectNode decoded = JSON.createObjectNode();
      object
          .path("data")
          .fields()
          .forEachRemaining(
              e ->
                  decoded.put(
                      e.getKey(),
                      new String(
                          Base64.getDecoder().decode(e.getValue().asText()),
                          StandardCharsets.UTF_8)));
      object.set("stringData", decoded);
    }
    rewrite.rewrite(kind, name, object).forEach(line -> LOG.info("kept on write: {}", line));
    if (secret) {
      ObjectNode data = JSON.createObjectNode();
      object
          .path("stringData")
          .fields()
          .forEachRemaining(
              e ->
                  data.put(
                      e.getKey(),
                      Base64.getEncoder()
                          .encodeToString(e.getValue().asText().getBytes(StandardCharsets.UTF_8))));
      object.set("data", data);
      object.remove("stringData");
    }
    return object;
  }

  /**
   * A JSON patch replacing each top-level field that differs (the rewrite changes spec and data,
   * never names).
   */
  private static ArrayNode patch(ObjectNode before, ObjectNode after) {
    ArrayNode ops = JSON.createArrayNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = after.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if ("metadata".equals(field.getKey())
          || field.getValue().equals(before.get(field.getKey()))) {
        continue;
      }
      ObjectNode op = ops.addObject();
      op.put("op", before.has(field.getKey()) ? "replace" : "add");
      op.put("path", "/" + field.getKey());
      op.set("value", field.getValue());
    }
    List<String> removed = new ArrayList<>();
    before
        .fieldNames()
        .forEachRemaining(
            f -> {
              if (!after.has(f) && !"metadata".equals(f)) {
                removed.add(f);
              }
            });
    removed.forEach(f -> ops.addObject().put("op", "remove").put("path", "/" + f));
    return ops;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
