package org.steer4j.llm;

// Over 350 lines on purpose: Python's value semantics (str, repr, truthiness, the str methods,
// json.dumps, strftime) for chat templates, one small function each, kept together so that the
// rules they share (code points, None vs undefined) are read in one place.

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python's semantics for what Hugging Face chat templates do with values, for {@link ChatTemplate}:
 * {@code str()} and {@code repr()}, truthiness, the {@code str} methods the templates call,
 * {@code json.dumps}, {@code strftime}. Strings are handled as sequences of code points, as
 * Python does.
 */
final class Py {
  private Py() {}

  /**
   * Python's None, apart from Java's null, which stands for Jinja's undefined (a missing variable,
   * key or index): {@code x is none}, {@code x is defined}, printing and attribute access tell
   * them apart as Jinja does. Iterating None fails as in Python.
   */
  static final Object NONE = new NoneType();

  private static final class NoneType implements Iterable<Object> {
    @Override
    public Iterator<Object> iterator() {
      throw JinjaEnvironment.fail("'NoneType' object is not iterable");
    }

    @Override
    public String toString() {
      return "None";
    }
  }

  /** A Python tuple (what dict.items() yields): a list that prints with parentheses. */
  static final class Tuple extends ArrayList<Object> {
    private static final long serialVersionUID = 1L;

    Tuple(Object... items) {
      super(java.util.Arrays.asList(items));
    }
  }

  /** {@code str.isspace()} of one code point (Unicode White_Space minus nothing: Zs, bidi WS/B/S, and the C0 separators). */
  static boolean isSpace(int c) {
    return switch (c) {
      case '\t', '\n', 0x0B, '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
      default -> c >= 0x2000 && c <= 0x200A;
    };
  }

  /** Python truthiness: None, False, 0, "" and empty collections are false; everything else true. */
  static boolean truth(Object o) {
    if (o == null || o == NONE) return false;
    if (o instanceof Boolean b) return b;
    if (o instanceof BigDecimal d) return d.signum() != 0;
    if (o instanceof BigInteger i) return i.signum() != 0;
    if (o instanceof Double || o instanceof Float) return ((Number) o).doubleValue() != 0;
    if (o instanceof Number n) return n.longValue() != 0;
    if (o instanceof CharSequence s) return s.length() > 0;
    if (o instanceof Collection<?> c) return !c.isEmpty();
    if (o instanceof Map<?, ?> m) return !m.isEmpty();
    if (o.getClass().isArray()) return java.lang.reflect.Array.getLength(o) > 0;
    return true;
  }

  /** {@code str(value)}; null (None or undefined: Jinja prints undefined as nothing) is "". */
  static String str(Object o) {
    if (o == null) return "";
    if (o instanceof CharSequence s) return s.toString();
    return repr(o);
  }

  /** {@code repr(value)} of the JSON-like values templates handle. */
  static String repr(Object o) {
    if (o == null || o == NONE) return "None";
    if (o instanceof Boolean b) return b ? "True" : "False";
    if (o instanceof Double || o instanceof Float || o instanceof BigDecimal) return floatRepr(((Number) o).doubleValue());
    if (o instanceof Number n) return n.toString();
    if (o instanceof CharSequence s) return quote(s.toString());
    if (o instanceof Map.Entry<?, ?> e) return "(" + repr(e.getKey()) + ", " + repr(e.getValue()) + ")";
    if (o instanceof Tuple t) {
      StringBuilder b = new StringBuilder("(");
      for (Object x : t) {
        if (b.length() > 1) b.append(", ");
        b.append(repr(x));
      }
      return b.append(t.size() == 1 ? ",)" : ")").toString();
    }
    if (o instanceof Map<?, ?> m) {
      StringBuilder b = new StringBuilder("{");
      for (var e : m.entrySet()) {
        if (b.length() > 1) b.append(", ");
        b.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
      }
      return b.append('}').toString();
    }
    if (o instanceof Iterable<?> it) {
      StringBuilder b = new StringBuilder("[");
      for (Object x : it) {
        if (b.length() > 1) b.append(", ");
        b.append(repr(x));
      }
      return b.append(']').toString();
    }
    return o.toString();
  }

  /** Python's {@code repr(float)}: shortest round-trip digits, ".0" for integral values, exponent outside [1e-4, 1e16). */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
    BigDecimal v = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    double a = Math.abs(d);
    if (a >= 1e-4 && a < 1e16) {
      String s = v.toPlainString();
      return s.contains(".") ? s : s + ".0";
    }
    String digits = v.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - v.scale();
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
  }

  /** {@code repr(str)}: single quotes unless the text has one and no double quote. */
  static String quote(String s) {
    char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder b = new StringBuilder().append(q);
    s.codePoints().forEach(c -> {
      if (c == q || c == '\\') b.append('\\').appendCodePoint(c);
      else if (c == '\n') b.append("\\n");
      else if (c == '\r') b.append("\\r");
      else if (c == '\t') b.append("\\t");
      else if (c < 0x20 || c == 0x7F) b.append(String.format(Locale.ROOT, "\\x%02x", c));
      else b.appendCodePoint(c);
    });
    return b.append(q).toString();
  }

  /** Python's {@code ==} on JSON-like values: numbers by value (True == 1), str by content, lists and dicts by items. */
  static boolean equal(Object a, Object b) {
    if (a == null || b == null || a == NONE || b == NONE) return a == b;
    if ((a instanceof Number || a instanceof Boolean) && (b instanceof Number || b instanceof Boolean)) {
      return number(a).compareTo(number(b)) == 0;
    }
    if (a instanceof CharSequence x && b instanceof CharSequence y) return x.toString().equals(y.toString());
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) return false;
      for (int i = 0; i < x.size(); ++i) if (!equal(x.get(i), y.get(i))) return false;
      return true;
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      if (x.size() != y.size()) return false;
      for (var e : x.entrySet()) if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()))) return false;
      return true;
    }
    return a.equals(b);
  }

  private static BigDecimal number(Object o) {
    if (o instanceof Boolean b) return b ? BigDecimal.ONE : BigDecimal.ZERO;
    if (o instanceof BigDecimal d) return d;
    if (o instanceof BigInteger i) return new BigDecimal(i);
    if (o instanceof Double || o instanceof Float) {
      double d = ((Number) o).doubleValue();
      return Double.isFinite(d) ? new BigDecimal(d) : BigDecimal.valueOf(Double.isNaN(d) ? Double.MAX_VALUE : Math.signum(d) * Double.MAX_VALUE);
    }
    return BigDecimal.valueOf(((Number) o).longValue());
  }

  // ---- str methods ----

  static String strip(String s, String chars, boolean left, boolean right) {
    int[] cps = s.codePoints().toArray();
    int from = 0, to = cps.length;
    if (left) while (from < to && strippable(cps[from], chars)) ++from;
    if (right) while (to > from && strippable(cps[to - 1], chars)) --to;
    return new String(cps, from, to - from);
  }

  private static boolean strippable(int c, String chars) {
    return chars == null ? isSpace(c) : chars.codePoints().anyMatch(x -> x == c);
  }

  /** {@code str.split(sep, maxsplit)}; sep null splits on runs of whitespace. */
  static List<String> split(String s, String sep, int maxsplit) {
    List<String> out = new ArrayList<>();
    if (sep == null) {
      int[] cps = s.codePoints().toArray();
      int i = 0, n = cps.length;
      while (true) {
        while (i < n && isSpace(cps[i])) ++i;
        if (i == n) break;
        if (maxsplit >= 0 && out.size() == maxsplit) {
          int end = n;
          while (end > i && isSpace(cps[end - 1])) --end;
          out.add(new String(cps, i, end - i));
          break;
        }
        int j = i;
        while (j < n && !isSpace(cps[j])) ++j;
        out.add(new String(cps, i, j - i));
        i = j;
      }
      return out;
    }
    if (sep.isEmpty()) throw JinjaEnvironment.fail("str.split(): empty separator");
    int start = 0;
    while (maxsplit < 0 || out.size() < maxsplit) {
      int at = s.indexOf(sep, start);
      if (at < 0) break;
      out.add(s.substring(start, at));
      start = at + sep.length();
    }
    out.add(s.substring(start));
    return out;
  }

  /** {@code str.title()}: a cased character after a cased one is lowered, any other is title-cased. */
  static String title(String s) {
    StringBuilder b = new StringBuilder();
    boolean previousCased = false;
    for (int c : s.codePoints().toArray()) {
      if (previousCased) b.append(new String(Character.toChars(c)).toLowerCase(Locale.ROOT));
      else b.appendCodePoint(Character.toTitleCase(c));
      previousCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
    }
    return b.toString();
  }

  /** {@code str.capitalize()}: first character title-cased (Python 3.8+), the rest lowered. */
  static String capitalize(String s) {
    if (s.isEmpty()) return s;
    int first = s.codePointAt(0);
    return new String(Character.toChars(Character.toTitleCase(first))) + s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT);
  }

  static String replace(String s, String old, String replacement, int count) {
    if (count < 0) return s.replace(old, replacement);
    StringBuilder b = new StringBuilder();
    int start = 0, done = 0;
    if (old.isEmpty()) {
      int[] cps = s.codePoints().toArray();
      for (int i = 0; i <= cps.length; ++i) {
        if (done < count) {
          b.append(replacement);
          ++done;
        }
        if (i < cps.length) b.appendCodePoint(cps[i]);
      }
      return b.toString();
    }
    while (done < count) {
      int at = s.indexOf(old, start);
      if (at < 0) break;
      b.append(s, start, at).append(replacement);
      start = at + old.length();
      ++done;
    }
    return b.append(s.substring(start)).toString();
  }

  static int length(Object o) {
    if (o == null || o == NONE) throw JinjaEnvironment.fail("object of type '" + typeName(o) + "' has no len()");
    if (o instanceof CharSequence s) return s.toString().codePointCount(0, s.length());
    if (o instanceof Collection<?> c) return c.size();
    if (o instanceof Map<?, ?> m) return m.size();
    if (o != null && o.getClass().isArray()) return java.lang.reflect.Array.getLength(o);
    if (o instanceof Iterable<?> it) {
      int n = 0;
      for (Iterator<?> i = it.iterator(); i.hasNext(); i.next()) ++n;
      return n;
    }
    throw JinjaEnvironment.fail("object of type '" + typeName(o) + "' has no len()");
  }

  static String typeName(Object o) {
    if (o == null) return "Undefined";
    if (o == NONE) return "NoneType";
    if (o instanceof CharSequence) return "str";
    if (o instanceof Boolean) return "bool";
    if (o instanceof Double || o instanceof Float || o instanceof BigDecimal) return "float";
    if (o instanceof Number) return "int";
    if (o instanceof Map) return "dict";
    if (o instanceof Iterable) return "list";
    return o.getClass().getSimpleName();
  }

  // ---- json.dumps ----

  /** {@code json.dumps(value, ensure_ascii, indent, separators, sort_keys)}; indent null = one line. */
  static String json(Object value, boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
    if (itemSeparator == null) itemSeparator = indent == null ? ", " : ",";
    if (keySeparator == null) keySeparator = ": ";
    StringBuilder b = new StringBuilder();
    json(b, value, ensureAscii, indent, itemSeparator, keySeparator, sortKeys, 0);
    return b.toString();
  }

  private static void json(StringBuilder b, Object v, boolean ascii, String indent, String itemSep, String keySep, boolean sort, int level) {
    if (v == null) throw JinjaEnvironment.fail("tojson of an undefined value");
    if (v == NONE) b.append("null");
    else if (v instanceof Boolean x) b.append(x ? "true" : "false");
    else if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      double d = ((Number) v).doubleValue();
      b.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : floatRepr(d));
    } else if (v instanceof Number n) b.append(n);
    else if (v instanceof CharSequence s) jsonString(b, s.toString(), ascii);
    else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        b.append("{}");
        return;
      }
      List<Map.Entry<String, Object>> entries = new ArrayList<>();
      for (var e : m.entrySet()) entries.add(Map.entry(jsonKey(e.getKey()), e.getValue() == null ? NONE : e.getValue()));
      if (sort) entries.sort(Map.Entry.comparingByKey());
      b.append('{');
      boolean first = true;
      for (var e : entries) {
        if (!first) b.append(itemSep);
        first = false;
        newline(b, indent, level + 1);
        jsonString(b, e.getKey(), ascii);
        b.append(keySep);
        json(b, e.getValue(), ascii, indent, itemSep, keySep, sort, level + 1);
      }
      newline(b, indent, level);
      b.append('}');
    } else if (v instanceof Map.Entry<?, ?> e) {
      json(b, java.util.Arrays.asList(e.getKey(), e.getValue()), ascii, indent, itemSep, keySep, sort, level);
    } else if (v instanceof Iterable<?> || v.getClass().isArray()) {
      List<Object> items = new ArrayList<>();
      if (v instanceof Iterable<?> it) for (Object x : it) items.add(x == null ? NONE : x);
      else for (int i = 0; i < java.lang.reflect.Array.getLength(v); ++i) items.add(java.lang.reflect.Array.get(v, i));
      if (items.isEmpty()) {
        b.append("[]");
        return;
      }
      b.append('[');
      for (int i = 0; i < items.size(); ++i) {
        if (i > 0) b.append(itemSep);
        newline(b, indent, level + 1);
        json(b, items.get(i), ascii, indent, itemSep, keySep, sort, level + 1);
      }
      newline(b, indent, level);
      b.append(']');
    } else throw JinjaEnvironment.fail("tojson: object of type " + v.getClass().getSimpleName() + " is not JSON serializable");
  }

  private static String jsonKey(Object k) {
    if (k instanceof CharSequence s) return s.toString();
    if (k == null || k == NONE) return "null";
    if (k instanceof Boolean x) return x ? "true" : "false";
    if (k instanceof Double || k instanceof Float) return floatRepr(((Number) k).doubleValue());
    if (k instanceof Number n) return n.toString();
    throw JinjaEnvironment.fail("tojson: keys must be str, int, float, bool or None, not " + k.getClass().getSimpleName());
  }

  private static void newline(StringBuilder b, String indent, int level) {
    if (indent == null) return;
    b.append('\n');
    for (int i = 0; i < level; ++i) b.append(indent);
  }

  private static void jsonString(StringBuilder b, String s, boolean ascii) {
    b.append('"');
    for (int i = 0; i < s.length(); ++i) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20 || (ascii && c > 0x7E)) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }

  // ---- strftime ----

  /** {@code datetime.now().strftime(format)} for the C-locale directives templates use. */
  static String strftime(LocalDateTime t, String format) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < format.length(); ++i) {
      char c = format.charAt(i);
      if (c != '%' || i + 1 == format.length()) {
        b.append(c);
        continue;
      }
      char d = format.charAt(++i);
      switch (d) {
        case 'd' -> b.append(two(t.getDayOfMonth()));
        case 'm' -> b.append(two(t.getMonthValue()));
        case 'Y' -> b.append(t.getYear());
        case 'y' -> b.append(two(t.getYear() % 100));
        case 'H' -> b.append(two(t.getHour()));
        case 'I' -> b.append(two((t.getHour() + 11) % 12 + 1));
        case 'M' -> b.append(two(t.getMinute()));
        case 'S' -> b.append(two(t.getSecond()));
        case 'p' -> b.append(t.getHour() < 12 ? "AM" : "PM");
        case 'b' -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
        case 'B' -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.US));
        case 'a' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US));
        case 'A' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
        case 'j' -> b.append(String.format(Locale.ROOT, "%03d", t.getDayOfYear()));
        case '%' -> b.append('%');
        default -> throw JinjaEnvironment.fail("strftime_now: the directive %" + d + " is not supported");
      }
    }
    return b.toString();
  }

  private static String two(int v) {
    return String.format(Locale.ROOT, "%02d", v);
  }
}
