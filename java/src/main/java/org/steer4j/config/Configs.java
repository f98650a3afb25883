package org.steer4j.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.steer4j.io.TextFiles;
import org.steer4j.runtime.AtomicFiles;

/**
 * Loads YAML configuration into typed, validated records.
 *
 * <ul>
 *   <li>Keys are snake_case versions of the record components ({@code weightDecay} is {@code
 *       weight_decay}).
 *   <li>Defaults live in one place: a record's static {@code defaults()} method. Missing keys
 *       take its values; a record without one makes all its keys required.
 *   <li>An unknown or misspelt key is an error that names it, with its path, and lists the valid
 *       keys; an enum value not in the enum lists the valid values.
 *   <li>Command-line overrides {@code section.key=value} (as in Hydra) are applied before
 *       validation; values are parsed as YAML ({@code 1e-4}, {@code true}, {@code [1, 3]}).
 *   <li>Validation is the records' own compact constructors; their messages are reported with
 *       the file.
 * </ul>
 */
public final class Configs {
  private static final ObjectMapper YAML = mapper();

  private Configs() {}

  private static ObjectMapper mapper() {
    YAMLFactory factory =
        YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build();
    return JsonMapper.builder(factory)
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
        .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
        .addModule(lowercaseEnums())
        .build();
  }

  /** Enum constants are written as lowercase keys (self_attention), read case-insensitively. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  private static SimpleModule lowercaseEnums() {
    SimpleModule module = new SimpleModule("lowercase-enums");
    module.addSerializer(
        Enum.class,
        new StdSerializer<Enum>(Enum.class) {
          private static final long serialVersionUID = 1L;

          @Override
          public void serialize(Enum value, JsonGenerator gen, SerializerProvider provider)
              throws IOException {
            gen.writeString(value.name().toLowerCase(Locale.ROOT));
          }
        });
    return module;
  }

  /** The mapper for YAML with the conventions above (shared, thread-safe). */
  public static ObjectMapper yaml() {
    return YAML;
  }

  /** Loads {@code file} into {@code type}, applying {@code overrides} ("a.b=value"). */
  public static <T> T load(Class<T> type, Path file, List<String> overrides) {
    return fromTree(type, readMapping(file), overrides, file.toString());
  }

  /**
   * Loads {@code file} into {@code type} after {@code upgrade} has rewritten, in place, a tree
   * saved in an older shape (a saved model's card; the upgrade leaves a current one unchanged).
   */
  public static <T> T loadUpgraded(Class<T> type, Path file, java.util.function.Consumer<ObjectNode> upgrade) {
    ObjectNode tree = readMapping(file);
    upgrade.accept(tree);
    return fromTree(type, tree, List.of(), file.toString());
  }

  /** The YAML mapping of {@code file} (an empty file is an empty mapping). */
  private static ObjectNode readMapping(Path file) {
    String source = file.toString();
    if (!Files.exists(file)) throw new ConfigException(source + ": no such file");
    JsonNode tree;
    try {
      tree = YAML.readTree(TextFiles.read(file));  // UTF-8 with or without BOM, LF or CRLF
    } catch (JsonProcessingException e) {
      throw malformed(source, e);
    }
    // An empty file is a mistake (a wrong path, a file not saved), not a request for every default.
    if (tree == null || tree.isMissingNode() || tree.isNull()) throw new ConfigException(source + ": the file is empty (no keys)");
    if (!tree.isObject()) throw new ConfigException(source + ": expected a mapping of keys at the top level");
    return (ObjectNode) tree;
  }

  /** Builds {@code type} from a YAML string (tests, embedded use); {@code source} names it in errors. */
  public static <T> T parse(Class<T> type, String yaml, List<String> overrides, String source) {
    try {
      JsonNode tree = YAML.readTree(yaml);
      if (tree == null || tree.isNull() || tree.isMissingNode()) tree = JsonNodeFactory.instance.objectNode();
      if (!tree.isObject()) throw new ConfigException(source + ": expected a mapping of keys at the top level");
      return fromTree(type, (ObjectNode) tree, overrides, source);
    } catch (JsonProcessingException e) {
      throw malformed(source, e);
    }
  }

  /** The defaults of {@code type} with overrides applied. */
  public static <T> T defaults(Class<T> type, List<String> overrides) {
    return fromTree(type, JsonNodeFactory.instance.objectNode(), overrides, "defaults");
  }

  private static <T> T fromTree(Class<T> type, ObjectNode tree, List<String> overrides, String source) {
    for (String override : overrides) Overrides.apply(tree, override, source);
    JsonNode merged = new DefaultsMerger(YAML, source).merge(tree, type, null, "");
    try {
      return YAML.treeToValue(merged, type);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new ConfigException(source + ": " + path(e) + cause.getMessage(), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": " + path(e) + e.getOriginalMessage(), e);
    }
  }

  /** Writes the effective configuration as YAML, atomically. */
  public static void save(Object config, Path file) throws IOException {
    AtomicFiles.writeString(file, toYaml(config));
  }

  public static String toYaml(Object config) {
    try {
      return YAML.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("config not serialisable: " + e.getMessage(), e);
    }
  }

  /** A deep copy of the tree of a config, e.g. to write parts of it elsewhere. */
  public static ObjectNode toTree(Object config) {
    return YAML.valueToTree(config);
  }

  /**
   * "file:line:column: malformed YAML: what", in one line: SnakeYAML's message quotes the offending
   * line with a caret below it; its context ("while scanning a simple key"), problem and the
   * problem's position say it without.
   */
  private static ConfigException malformed(String source, JsonProcessingException e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblem() != null) {
        var mark = m.getProblemMark();
        String at = mark == null ? location(e) : (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
        return new ConfigException(source + ":" + at + ": malformed YAML: " + (m.getContext() == null ? "" : m.getContext() + ": ") + m.getProblem());
      }
    }
    return new ConfigException(source + ":" + location(e) + ": malformed YAML: " + e.getOriginalMessage());
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null ? "" : e.getLocation().getLineNr() + ":" + e.getLocation().getColumnNr();
  }

  private static String path(JsonProcessingException e) {
    if (!(e instanceof com.fasterxml.jackson.databind.JsonMappingException m) || m.getPath().isEmpty()) return "";
    StringBuilder sb = new StringBuilder();
    for (var ref : m.getPath()) {
      if (ref.getFieldName() != null) sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
      else if (ref.getIndex() >= 0) sb.append('[').append(ref.getIndex()).append(']');
    }
    return sb.length() == 0 ? "" : sb + ": ";
  }

  /**
   * Where two configs differ, as {@code key.path: a -> b} lines (keys in snake_case, as in YAML),
   * in key order.
   */
  public static List<String> differences(Object a, Object b) {
    List<String> out = new java.util.ArrayList<>();
    diff("", toTree(a), toTree(b), out);
    return out;
  }

  private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
    if (a != null && b != null && a.isObject() && b.isObject()) {
      java.util.Set<String> keys = new java.util.TreeSet<>();
      a.fieldNames().forEachRemaining(keys::add);
      b.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) diff(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
    } else if (!java.util.Objects.equals(a, b)) {
      out.add(path + ": " + a + " -> " + b);
    }
  }
}
