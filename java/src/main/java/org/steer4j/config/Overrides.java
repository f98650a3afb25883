package org.steer4j.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/** Hydra-style {@code a.b.c=value} overrides applied to a YAML tree ({@code models.1.lr=...} indexes lists). */
final class Overrides {
  private Overrides() {}

  static void apply(ObjectNode tree, String override, String source) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new ConfigException(
          "override '" + override + "': expected key=value, e.g. train.lr=3e-4");
    }
    String[] keys = override.substring(0, eq).trim().split("\\.");
    JsonNode value = parseValue(override.substring(eq + 1));
    JsonNode node = tree;
    for (int i = 0; i < keys.length; ++i) {
      String key = keys[i];
      boolean last = i == keys.length - 1;
      if (key.isEmpty()) throw new ConfigException("override '" + override + "': empty key");
      if (node instanceof ArrayNode array) {
        int index = parseIndex(key, array.size(), override);
        if (last) array.set(index, value);
        else node = array.get(index);
      } else if (node instanceof ObjectNode object) {
        if (last) {
          object.set(key, value);
        } else {
          JsonNode child = object.get(key);
          if (child == null || !(child.isContainerNode())) {
            child = JsonNodeFactory.instance.objectNode();
            object.set(key, child);
          }
          node = child;
        }
      } else {
        throw new ConfigException("override '" + override + "': '" + key + "' is below a scalar");
      }
    }
  }

  private static int parseIndex(String key, int size, String override) {
    try {
      int index = Integer.parseInt(key);
      if (index < 0 || index >= size) throw new NumberFormatException();
      return index;
    } catch (NumberFormatException e) {
      throw new ConfigException(
          "override '" + override + "': '" + key + "' is not an index of a list of " + size);
    }
  }

  private static JsonNode parseValue(String text) {
    try {
      JsonNode node = Configs.yaml().readTree(text);
      return node == null || node.isMissingNode() ? TextNode.valueOf(text) : node;
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(text);  // not YAML: keep it as a string
    }
  }
}
