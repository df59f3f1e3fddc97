package io.osbackup.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import com.networknt.schema.path.PathType;
import com.networknt.schema.regex.RegularExpression;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.common.values.NullValue;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Validates custom resources offline the way the API server does: the OpenAPI v3 structural schema
 * of a CRD (with kubectl's strict field validation), then every {@code x-kubernetes-validations}
 * CEL rule at its place in the schema. Messages follow the API server's wording (kube-apiserver
 * 1.36, checked by ControlPlaneIT), for example {@code spec.files[0]: Invalid value: a files target
 * needs ...} or {@code spec.schedule: Invalid value: "0 24 * * *": ...}.
 */
final class CrdSchemaValidator {

  private static final YAMLMapper YAML = new YAMLMapper();

  private final String kind;
  private final JsonNode openApi;
  private final Schema structural;
  private final Map<String, CelType> types = new LinkedHashMap<>();
  private final Map<JsonNode, List<Rule>> rulesBySchema = new IdentityHashMap<>();
  private final List<Rule> rules = new ArrayList<>();

  /** One CEL rule of the CRD, compiled (or not) against the type of the schema node it sits on. */
  record Rule(
      String schemaPath,
      String rule,
      String message,
      String messageExpression,
      String fieldPath,
      boolean transition,
      CelRuntime.Program program,
      CelRuntime.Program messageProgram,
      String compileError) {}

  private CrdSchemaValidator(JsonNode crd) {
    this.kind = crd.at("/spec/names/kind").asText();
    JsonNode versions = crd.at("/spec/versions");
    if (versions.size() != 1) {
      throw new IllegalArgumentException(kind + ": expected one version, found " + versions.size());
    }
    this.openApi = versions.get(0).at("/schema/openAPIV3Schema");
    this.structural = structuralSchema(openApi);
    compileRules(openApi, kind, "");
  }

  /** Loads the CRD in one file. */
  static CrdSchemaValidator load(Path crdFile) {
    try {
      return new CrdSchemaValidator(YAML.readTree(crdFile.toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a CRD from its YAML text. */
  static CrdSchemaValidator parse(String crdYaml) {
    try {
      return new CrdSchemaValidator(YAML.readTree(crdYaml));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Loads every CRD in a folder, by kind. */
  static Map<String, CrdSchemaValidator> loadAll(Path crdsDir) {
    try (Stream<Path> files = Files.list(crdsDir)) {
      return files
          .filter(p -> p.toString().endsWith(".yaml"))
          .sorted()
          .map(CrdSchemaValidator::load)
          .collect(Collectors.toMap(v -> v.kind, v -> v, (a, b) -> a, LinkedHashMap::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads every document of a YAML file (comments and {@code ---} separators allowed). */
  static List<JsonNode> readDocuments(Path yamlFile) {
    try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yamlFile.toFile())) {
      List<JsonNode> out = new ArrayList<>();
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc != null && !doc.isMissingNode() && !doc.isNull()) {
          out.add(doc);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String kind() {
    return kind;
  }

  /** Every CEL rule of the CRD with where it sits and whether it compiled. */
  List<Rule> rules() {
    return Collections.unmodifiableList(rules);
  }

  /** What the API server would say about creating {@code object}; empty when it is accepted. */
  List<String> validate(JsonNode object) {
    return validate(object, null);
  }

  /**
   * What the API server would say about replacing {@code old} with {@code object}; {@code old ==
   * null} is a create, where transition rules (those using {@code oldSelf}) are not evaluated.
   */
  List<String> validate(JsonNode object, JsonNode old) {
    List<String> messages = new ArrayList<>();
    ObjectNode body = object.deepCopy();
    // Status is reset on create and ignored on update of the main resource when the status
    // subresource is on.
    body.remove("status");
    for (Error error : structural.validate(body)) {
      messages.add(describe(error));
    }
    JsonNode oldBody = old == null ? null : old.deepCopy();
    if (oldBody instanceof ObjectNode o) {
      o.remove("status");
    }
    evaluateRules(openApi, body, oldBody, "", messages);
    return messages;
  }

  // ---- structural schema (networknt)
  // ---------------------------------------------------------------------------

  private static Schema structuralSchema(JsonNode openApi) {
    ObjectNode schema = strip(openApi);
    ObjectNode props = (ObjectNode) schema.with("properties");
    props.putObject("apiVersion").put("type", "string");
    props.putObject("kind").put("type", "string");
    props.putObject("metadata").put("type", "object");
    SchemaRegistryConfig config =
        SchemaRegistryConfig.builder()
            .pathType(PathType.JSON_POINTER)
            .regularExpressionFactory(CrdSchemaValidator::re2)
            .build();
    SchemaRegistry registry =
        SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_4, b -> b.schemaRegistryConfig(config));
    return registry.getSchema(schema);
  }

  /**
   * OpenAPI patterns are Go RE2 expressions matched anywhere in the value, as the API server does.
   */
  private static RegularExpression re2(String pattern) {
    Pattern compiled = Pattern.compile(pattern);
    return value -> compiled.matcher(value).find();
  }

  /**
   * Checks that a pattern is valid RE2 (what the API server compiles it with); returns the error or
   * null.
   */
  static String re2Error(String pattern) {
    try {
      Pattern.compile(pattern);
      return null;
    } catch (PatternSyntaxException e) {
      return e.getMessage();
    }
  }

  /**
   * A JSON-schema copy of an OpenAPI node: Kubernetes extensions, defaults and descriptions
   * removed, and unknown fields rejected as kubectl's strict field validation does.
   */
  private static ObjectNode strip(JsonNode node) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = f.getKey();
      if (key.startsWith("x-kubernetes-")
          || key.equals("default")
          || key.equals("description")
          || key.equals("format")
          || key.equals("nullable")) {
        continue;
      }
      JsonNode value = f.getValue();
      switch (key) {
        case "properties" -> {
          ObjectNode props = out.putObject("properties");
          value.fields().forEachRemaining(p -> props.set(p.getKey(), strip(p.getValue())));
        }
        case "items", "additionalProperties", "not" ->
            out.set(key, value.isObject() ? strip(value) : value.deepCopy());
        case "allOf", "anyOf", "oneOf" -> {
          ArrayNode list = out.putArray(key);
          value.forEach(v -> list.add(strip(v)));
        }
        default -> out.set(key, value.deepCopy());
      }
    }
    boolean preserveUnknown = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    if (node.has("properties") && !node.has("additionalProperties") && !preserveUnknown) {
      out.put("additionalProperties", false);
    }
    return out;
  }

  private String describe(Error error) {
    String at = fieldPath(error.getInstanceLocation());
    JsonNode value = error.getInstanceNode();
    JsonNode schema = schemaAt(error);
    return switch (error.getKeyword()) {
      case "required" -> join(at, error.getProperty()) + ": Required value";
      case "additionalProperties" -> "unknown field \"" + join(at, error.getProperty()) + "\"";
      case "pattern" ->
          at
              + ": Invalid value: "
              + value
              + ": "
              + at
              + " in body should match '"
              + schema.path("pattern").asText()
              + "'";
      case "enum" ->
          at
              + ": Unsupported value: "
              + value
              + ": supported values: "
              + stream(schema.path("enum"))
                  .map(JsonNode::toString)
                  .collect(Collectors.joining(", "));
      case "minimum" ->
          at
              + ": Invalid value: "
              + value
              + ": "
              + at
              + " in body should be greater than or equal to "
              + number(schema.path("minimum"));
      case "maximum" ->
          at
              + ": Invalid value: "
              + value
              + ": "
              + at
              + " in body should be less than or equal to "
              + number(schema.path("maximum"));
      case "minLength" ->
          at
              + ": Invalid value: "
              + value
              + ": "
              + at
              + " in body should be at least "
              + schema.path("minLength").asInt()
              + " chars long";
      case "maxLength" ->
          at + ": Too long: may not be more than " + schema.path("maxLength").asInt() + " bytes";
      case "minItems" ->
          at
              + ": Invalid value: "
              + value.size()
              + ": "
              + at
              + " in body should have at least "
              + schema.path("minItems").asInt()
              + " items";
      case "maxItems" ->
          at
              + ": Too many: "
              + value.size()
              + ": must have at most "
              + schema.path("maxItems").asInt()
              + " items";
      case "type" ->
          at
              + ": Invalid value: \""
              + typeOf(value)
              + "\": "
              + at
              + " in body must be of type "
              + schema.path("type").asText()
              + ": \""
              + typeOf(value)
              + "\"";
      default -> at + ": Invalid value: " + error.getMessage();
    };
  }

  /**
   * The schema object that holds the failing keyword, found from the instance location in the
   * OpenAPI schema.
   */
  private JsonNode schemaAt(Error error) {
    JsonNode schema = error.getSchemaNode();
    if (schema != null && schema.isObject() && schema.has(error.getKeyword())) {
      return schema;
    }
    JsonNode node = openApi;
    NodePath path = error.getInstanceLocation();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object element = path.getElement(i);
      if (element instanceof Integer) {
        node = node.path("items");
      } else if (node.path("properties").has(element.toString())) {
        node = node.path("properties").path(element.toString());
      } else {
        node = node.path("additionalProperties");
      }
    }
    return node;
  }

  private static String number(JsonNode n) {
    return n.canConvertToExactIntegral() ? Long.toString(n.asLong()) : n.asText();
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out.stream();
  }

  private static String fieldPath(NodePath path) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object element = path.getElement(i);
      if (element instanceof Integer index) {
        out.append('[').append(index).append(']');
      } else {
        out.append(out.length() == 0 ? "" : ".").append(element);
      }
    }
    return out.toString();
  }

  private static String join(String parent, String child) {
    return parent.isEmpty() ? child : parent + "." + child;
  }

  /**
   * How kube-apiserver (1.36) shows the value a rule refused: a scalar as JSON followed by ": "
   * ({@code "0 24 * * *": }), an object or array not at all.
   */
  private static String shownValue(JsonNode value) {
    return value.isObject() || value.isArray() ? "" : value + ": ";
  }

  private static String typeOf(JsonNode value) {
    if (value == null || value.isNull()) {
      return "null";
    } else if (value.isObject()) {
      return "object";
    } else if (value.isArray()) {
      return "array";
    } else if (value.isTextual()) {
      return "string";
    } else if (value.isBoolean()) {
      return "boolean";
    } else if (value.isIntegralNumber()) {
      return "integer";
    }
    return "number";
  }

  // ---- CEL rules (cel-java)
  // -------------------------------------------------------------------------------------

  private void compileRules(JsonNode schema, String typeName, String schemaPath) {
    JsonNode validations = schema.path("x-kubernetes-validations");
    if (validations.isArray() && !validations.isEmpty()) {
      CelType selfType = celType(schema, typeName);
      Cel cel = celFor(selfType);
      List<Rule> here = new ArrayList<>();
      for (JsonNode v : validations) {
        String ruleText = v.path("rule").asText();
        String messageExpression = v.path("messageExpression").asText(null);
        CelValidationResult compiled = cel.compile(ruleText);
        CelRuntime.Program program = null;
        CelRuntime.Program messageProgram = null;
        String error = null;
        boolean transition = false;
        try {
          CelAbstractSyntaxTree ast = compiled.getAst();
          if (!ast.getResultType().equals(SimpleType.BOOL)) {
            error = "rule must evaluate to bool, not " + ast.getResultType().name();
          }
          transition = references(ast, "oldSelf");
          program = cel.createProgram(ast);
          if (messageExpression != null) {
            messageProgram = cel.createProgram(cel.compile(messageExpression).getAst());
          }
        } catch (CelValidationException e) {
          error = e.getMessage();
        } catch (CelEvaluationException e) {
          error = e.getMessage();
        }
        Rule rule =
            new Rule(
                schemaPath.isEmpty() ? "<root>" : schemaPath,
                ruleText,
                v.path("message").asText(null),
                messageExpression,
                v.path("fieldPath").asText(null),
                transition,
                program,
                messageProgram,
                error);
        here.add(rule);
        rules.add(rule);
      }
      rulesBySchema.put(schema, here);
    }
    JsonNode props = schema.path("properties");
    props
        .fields()
        .forEachRemaining(
            p ->
                compileRules(
                    p.getValue(), typeName + "." + p.getKey(), join(schemaPath, p.getKey())));
    if (schema.path("items").isObject()) {
      compileRules(schema.path("items"), typeName + ".@idx", schemaPath + "[*]");
    }
    if (schema.path("additionalProperties").isObject()) {
      compileRules(schema.path("additionalProperties"), typeName + ".@key", schemaPath + "[*]");
    }
  }

  private static boolean references(CelAbstractSyntaxTree ast, String variable) {
    return CelNavigableAst.fromAst(ast)
        .getRoot()
        .allNodes()
        .anyMatch(
            n ->
                n.getKind() == CelExpr.ExprKind.Kind.IDENT
                    && n.expr().ident().name().equals(variable));
  }

  private Cel celFor(CelType selfType) {
    CelOptions options = CelOptions.current().build();
    CelTypeProvider provider =
        new CelTypeProvider() {
          @Override
          public ImmutableCollection<CelType> types() {
            return ImmutableList.copyOf(types.values());
          }

          @Override
          public Optional<CelType> findType(String name) {
            return Optional.ofNullable(types.get(name));
          }
        };
    return CelFactory.standardCelBuilder()
        .setOptions(options)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .setTypeProvider(provider)
        .addCompilerLibraries(
            CelExtensions.strings(), CelExtensions.sets(options), CelExtensions.lists())
        .addRuntimeLibraries(
            CelExtensions.strings(), CelExtensions.sets(options), CelExtensions.lists())
        .addVar("self", selfType)
        .addVar("oldSelf", selfType)
        .build();
  }

  /**
   * The CEL type the API server gives a schema node: objects with properties are structs with
   * declared fields.
   */
  private CelType celType(JsonNode schema, String name) {
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)
        || (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
            && !schema.has("properties"))) {
      return SimpleType.DYN;
    }
    switch (schema.path("type").asText()) {
      case "string":
        return SimpleType.STRING;
      case "integer":
        return SimpleType.INT;
      case "number":
        return SimpleType.DOUBLE;
      case "boolean":
        return SimpleType.BOOL;
      case "array":
        return ListType.create(celType(schema.path("items"), name + ".@idx"));
      case "object":
        if (schema.has("properties")) {
          String typeName = name.replaceAll("[^A-Za-z0-9_.]", "_");
          Map<String, CelType> fields = new LinkedHashMap<>();
          schema
              .path("properties")
              .fields()
              .forEachRemaining(
                  p -> fields.put(p.getKey(), celType(p.getValue(), typeName + "." + p.getKey())));
          StructType struct =
              StructType.create(
                  typeName,
                  ImmutableSet.copyOf(fields.keySet()),
                  f -> Optional.ofNullable(fields.get(f)));
          types.put(typeName, struct);
          return struct;
        }
        if (schema.path("additionalProperties").isObject()) {
          return MapType.create(
              SimpleType.STRING, celType(schema.path("additionalProperties"), name + ".@key"));
        }
        return MapType.create(SimpleType.STRING, SimpleType.DYN);
      default:
        return SimpleType.DYN;
    }
  }

  private void evaluateRules(
      JsonNode schema, JsonNode value, JsonNode old, String path, List<String> messages) {
    if (value == null || value.isMissingNode() || value.isNull()) {
      return;
    }
    String type = schema.path("type").asText();
    if (!type.isEmpty()
        && !type.equals(typeOf(value))
        && !(type.equals("number") && value.isNumber())) {
      return; // the structural check already reported it
    }
    for (Rule rule : rulesBySchema.getOrDefault(schema, List.of())) {
      if (rule.transition() && (old == null || old.isMissingNode() || old.isNull())) {
        continue;
      }
      String at =
          rule.fieldPath() == null
              ? path
              : path + rule.fieldPath().replaceFirst("^(?!\\.|\\[)", ".");
      String shown = at.isEmpty() ? "" : at + ": ";
      if (rule.program() == null) {
        messages.add(shown + "Internal error: rule does not compile: " + rule.compileError());
        continue;
      }
      Map<String, Object> vars = new LinkedHashMap<>();
      vars.put("self", toCel(value));
      if (rule.transition()) {
        vars.put("oldSelf", toCel(old));
      }
      try {
        Object result = rule.program().eval(vars);
        if (!Boolean.TRUE.equals(result)) {
          String message = rule.message() == null ? "failed rule: " + rule.rule() : rule.message();
          if (rule.messageProgram() != null) {
            message = String.valueOf(rule.messageProgram().eval(vars));
          }
          messages.add(shown + "Invalid value: " + shownValue(value) + message);
        }
      } catch (CelEvaluationException e) {
        messages.add(
            shown
                + "Invalid value: "
                + shownValue(value)
                + "rule evaluation error: "
                + e.getMessage());
      }
    }
    if (value.isObject()) {
      JsonNode props = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      value
          .fields()
          .forEachRemaining(
              f -> {
                JsonNode child =
                    props.has(f.getKey())
                        ? props.get(f.getKey())
                        : additional.isObject() ? additional : null;
                if (child != null) {
                  String childPath =
                      props.has(f.getKey())
                          ? join(path, f.getKey())
                          : path + "[" + f.getKey() + "]";
                  JsonNode oldChild = old == null ? null : old.get(f.getKey());
                  evaluateRules(child, f.getValue(), oldChild, childPath, messages);
                }
              });
    } else if (value.isArray() && schema.path("items").isObject()) {
      // Items of a plain list have no identity across an update, so transition rules on them are
      // not evaluated.
      for (int i = 0; i < value.size(); i++) {
        evaluateRules(schema.path("items"), value.get(i), null, path + "[" + i + "]", messages);
      }
    }
  }

  private static Object toCel(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      node.fields().forEachRemaining(f -> map.put(f.getKey(), toCel(f.getValue())));
      return map;
    } else if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(n -> list.add(toCel(n)));
      return list;
    } else if (node.isTextual()) {
      return node.asText();
    } else if (node.isBoolean()) {
      return node.asBoolean();
    } else if (node.isIntegralNumber()) {
      return node.asLong();
    } else if (node.isNumber()) {
      return node.asDouble();
    }
    return NullValue.NULL_VALUE;
  }
}
