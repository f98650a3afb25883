package org.steer4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Walks a user's YAML tree along the config record types: fills missing keys from the defaults
 * (the enclosing record's defaults, else the record type's own {@code defaults()}), and refuses
 * unknown keys and enum values with a message that names the path and lists what is valid.
 */
final class DefaultsMerger {
  private static final PropertyNamingStrategies.NamingBase SNAKE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

  private final ObjectMapper mapper;
  private final String source;

  DefaultsMerger(ObjectMapper mapper, String source) {
    this.mapper = mapper;
    this.source = source;
  }

  /** The merged tree for {@code user} of declared {@code type}; {@code base} holds defaults or null. */
  JsonNode merge(JsonNode user, Type type, JsonNode base, String path) {
    Class<?> raw = raw(type);
    if (raw.isRecord()) return mergeRecord(user, raw, base, path);
    if (user == null) return base;
    if (List.class.isAssignableFrom(raw) && type instanceof ParameterizedType p) {
      // null ("key:" with nothing after it) is the empty list, as the records' constructors read a
      // missing list; a null element is never meant (the constructors' List.copyOf would fail on it)
      if (user.isNull()) return JsonNodeFactory.instance.arrayNode();
      if (!user.isArray()) throw error(path, "expected a list, got " + describe(user));
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      for (int i = 0; i < user.size(); ++i) {
        if (user.get(i).isNull()) throw error(path + "[" + i + "]", "a list element can't be null");
        out.add(merge(user.get(i), p.getActualTypeArguments()[0], null, path + "[" + i + "]"));
      }
      return out;
    }
    if (Map.class.isAssignableFrom(raw) && type instanceof ParameterizedType p) {
      if (user.isNull()) return user;
      if (!user.isObject()) throw error(path, "expected a mapping, got " + describe(user));
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = user.properties().iterator(); it.hasNext(); ) {
        var e = it.next();
        JsonNode b = base != null ? base.get(e.getKey()) : null;
        out.set(e.getKey(), merge(e.getValue(), p.getActualTypeArguments()[1], b, join(path, e.getKey())));
      }
      return out;
    }
    if (raw.isEnum() && !user.isNull()) {
      String value = user.asText();
      boolean known = Arrays.stream(raw.getEnumConstants())
          .anyMatch(c -> ((Enum<?>) c).name().equalsIgnoreCase(value));
      if (!known) {
        throw error(path, "unknown value '" + value + "'; valid values: " + enumValues(raw));
      }
    }
    return user;
  }

  private JsonNode mergeRecord(JsonNode user, Class<?> type, JsonNode base, String path) {
    if (user != null && user.isNull()) {
      // a section may only be null where its default is (an optional section that is off)
      if (base != null && base.isNull()) return user;
      throw error(path, "expected a mapping of keys, got null (leave the key out for its defaults)");
    }
    if (user != null && !user.isObject()) {
      throw error(path, "expected a mapping of keys, got " + describe(user));
    }
    JsonNode defaults = base != null && base.isObject() ? base : defaultsOf(type);
    ObjectNode out = defaults != null ? ((ObjectNode) defaults).deepCopy() : JsonNodeFactory.instance.objectNode();
    Map<String, RecordComponent> components = new LinkedHashMap<>();
    for (RecordComponent c : type.getRecordComponents()) components.put(SNAKE.translate(c.getName()), c);
    if (user != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = user.properties().iterator(); it.hasNext(); ) {
        var e = it.next();
        RecordComponent c = components.get(e.getKey());
        if (c == null) {
          throw error(join(path, e.getKey()),
              "unknown key" + suggestion(e.getKey(), components.keySet())
                  + "; valid keys" + (path.isEmpty() ? "" : " in " + path) + ": "
                  + String.join(", ", components.keySet()));
        }
        out.set(e.getKey(), merge(e.getValue(), c.getGenericType(), out.get(e.getKey()), join(path, e.getKey())));
      }
    }
    // Nested records the user did not mention still get their own defaults.
    for (var e : components.entrySet()) {
      if (!out.has(e.getKey()) && raw(e.getValue().getGenericType()).isRecord()) {
        JsonNode nested = defaultsOf(raw(e.getValue().getGenericType()));
        if (nested != null) out.set(e.getKey(), nested);
      }
    }
    for (String key : components.keySet()) {
      if (!out.has(key)) throw error(join(path, key), "missing required key");
    }
    return out;
  }

  /** The tree of {@code type.defaults()}, or null when the record has none. */
  private JsonNode defaultsOf(Class<?> type) {
    try {
      Method m = type.getDeclaredMethod("defaults");
      if (!Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0) return null;
      m.setAccessible(true);
      return mapper.valueToTree(m.invoke(null));
    } catch (NoSuchMethodException e) {
      return null;
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("defaults() of " + type.getName() + " failed", e);
    }
  }

  private ConfigException error(String path, String message) {
    return new ConfigException(source + ": " + (path.isEmpty() ? "" : "'" + path + "': ") + message);
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) return c;
    if (type instanceof ParameterizedType p) return (Class<?>) p.getRawType();
    return Object.class;
  }

  private static String describe(JsonNode node) {
    String text = node.toString();
    return node.getNodeType().toString().toLowerCase(Locale.ROOT) + " " + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
  }

  private static String enumValues(Class<?> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
  }

  /** " (did you mean 'x'?)" for the closest valid key within edit distance 2. */
  private static String suggestion(String key, Iterable<String> valid) {
    String best = null;
    int bestDistance = 3;
    for (String candidate : valid) {
      int d = distance(key, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1], current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); ++j) previous[j] = j;
    for (int i = 1; i <= a.length(); ++i) {
      current[0] = i;
      for (int j = 1; j <= b.length(); ++j) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
