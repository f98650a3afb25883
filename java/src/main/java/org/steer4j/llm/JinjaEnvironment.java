package org.steer4j.llm;

// Over 350 lines on purpose: this is one adapter of Jinjava's extension points (parser, EL
// resolver, type converter, filters, tests, tags), whose pieces share the allowlists and the
// per-thread failure slot below and are checked together against Jinja's behaviour by
// ChatTemplateTest's goldens; split apart they would each need that shared state made public.

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.AstRangeBracket;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.IfTag;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ForLoop;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.misc.NumberOperations;
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.Scanner.ScanException;
import jinjava.de.odysseus.el.tree.impl.Parser.ParseException;
import jinjava.de.odysseus.el.tree.impl.Parser.ExtensionHandler;
import jinjava.de.odysseus.el.tree.impl.Parser.ExtensionPoint;
import jinjava.de.odysseus.el.tree.impl.ast.AstBracket;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;
import jinjava.de.odysseus.el.tree.impl.ast.AstMethod;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstProperty;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.ExpressionFactory;

/**
 * Jinjava set up as transformers' chat-template environment ({@code ImmutableSandboxedEnvironment
 * (trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols, generation])} with {@code
 * tojson}, {@code raise_exception}, {@code strftime_now}), with Python's semantics where Jinjava
 * has Java's or HubSpot's: truthiness ("False" is a true string), {@code +} (no "null" text, no
 * str + int), printing values as {@code str()} does, the str / dict methods templates call, and
 * the filters and tests they use. Tags, filters, tests and functions that Jinja does not have, or
 * whose Jinjava version was not checked against Jinja, are disabled, so a template using them
 * fails with one error instead of rendering something else.
 */
final class JinjaEnvironment {
  private JinjaEnvironment() {}

  /** Filters kept: ours (Python semantics) or Jinjava's, checked against Jinja in ChatTemplateTest's goldens. */
  private static final Set<String> FILTERS = Set.of("trim", "tojson", "string", "upper", "lower", "title", "capitalize", "length", "count",
      "join", "first", "last", "list", "default", "d", "replace", "items", "safe", "map", "select", "reject", "selectattr", "rejectattr",
      "reverse", "int");
  private static final Set<String> TESTS = Set.of("defined", "undefined", "none", "string", "mapping", "iterable", "sequence", "number",
      "integer", "float", "boolean", "true", "false", "truthy", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=",
      "gt", "greaterthan", ">", "ge", ">=", "odd", "even", "lower", "upper", "sameas", "in");
  private static final Set<String> TAGS = Set.of("if", "elif", "else", "for", "set", "macro", "call", "raw", "break", "continue", "generation");
  private static final Set<String> FUNCTIONS = Set.of("range", "namespace", "raise_exception", "strftime_now");

  private static final ThreadLocal<String> FAILURE = new ThreadLocal<>();

  /** The global functions as values too, so that {@code strftime_now is defined} holds as in Jinja (Llama 3.2's template asks). */
  private static final Map<String, Object> GLOBALS = Map.of("raise_exception", new Function("raise_exception"), "strftime_now",
      new Function("strftime_now"), "range", new Function("range"), "namespace", new Function("namespace"), "none", Py.NONE, "None", Py.NONE,
      "True", Boolean.TRUE, "False", Boolean.FALSE, "tools", Py.NONE, "documents", Py.NONE);

  private record Function(String name) {
    @Override
    public String toString() {
      return "<function " + name + ">";
    }
  }
  private static final PyJinjava JINJAVA = build();

  /** A parsed template, rendered with fresh variables each time (thread-safe). */
  record Compiled(String source, Node root, String origin) {
    String render(Map<String, Object> variables) {
      JinjavaConfig config = JINJAVA.getGlobalConfig();
      Map<String, Object> all = new HashMap<>(GLOBALS);
      all.putAll(variables);
      JinjavaInterpreter interpreter = new PyInterpreter(JINJAVA, new Context(JINJAVA.getGlobalContext(), all, config.getDisabled()), config);
      FAILURE.remove();
      String out;
      try (var current = JinjavaInterpreter.closeablePushCurrent(interpreter).get()) {
        out = interpreter.render(root);
      } catch (RuntimeException e) {
        throw new ChatTemplate.ChatTemplateException(origin + ": " + message(e), e);
      }
      String failure = FAILURE.get();
      FAILURE.remove();
      if (failure != null) throw new ChatTemplate.ChatTemplateException(origin + ": " + failure);
      check(interpreter.getErrors(), origin);
      return out;
    }
  }

  /**
   * Parses {@code source} after Jinja's lexer rules (line endings normalised to \n, one trailing
   * newline dropped) and checks it for unsupported tags.
   */
  static Compiled compile(String source, String origin) {
    String normalised = String.join("\n", source.split("\r\n|\r|\n", -1));
    if (normalised.endsWith("\n")) normalised = normalised.substring(0, normalised.length() - 1);
    normalised = lstripBlocks(normalised);
    JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
    Node root;
    try (var current = JinjavaInterpreter.closeablePushCurrent(interpreter).get()) {
      root = interpreter.parse(normalised);
    } catch (RuntimeException e) {
      throw new ChatTemplate.ChatTemplateException(origin + ": the chat template does not parse: " + message(e), e);
    }
    check(interpreter.getErrors(), origin);
    checkTags(root, origin);
    return new Compiled(normalised, root, origin);
  }

  /**
   * Jinja's {@code lstrip_blocks}: the spaces and tabs between a line's start and a block or
   * comment tag on it are dropped ({@code {%+} keeps them). Done here on the source because
   * Jinjava's version strips them before any tag, mid-line too. Text inside tags, comments and
   * {% raw %} blocks is left alone.
   */
  static String lstripBlocks(String src) {
    StringBuilder out = new StringBuilder(src.length());
    int i = 0, n = src.length();
    while (i < n) {
      int open = src.indexOf('{', i);
      if (open < 0 || open + 1 >= n) {
        out.append(src, i, n);
        break;
      }
      char kind = src.charAt(open + 1);
      if (kind != '%' && kind != '#' && kind != '{') {
        out.append(src, i, open + 1);
        i = open + 1;
        continue;
      }
      out.append(src, i, open);
      if (kind != '{') {
        char after = open + 2 < n ? src.charAt(open + 2) : ' ';
        if (after != '-' && after != '+') {
          int lineStart = out.lastIndexOf("\n") + 1;
          boolean blank = true;
          for (int k = lineStart; k < out.length() && blank; ++k) blank = out.charAt(k) == ' ' || out.charAt(k) == '\t';
          if (blank) out.setLength(lineStart);
        }
      }
      int end = tagEnd(src, open, kind);
      String tag = src.substring(open, end);
      if (kind == '%' && tag.length() > 2 && tag.charAt(2) == '+') tag = "{%" + tag.substring(3);  // {%+ : no lstrip, otherwise a plain {%
      out.append(tag);
      i = end;
      if (kind == '%' && tag.replaceAll("[{%+\\-}\\s]", "").equals("raw")) {
        java.util.regex.Matcher m = Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%\\}").matcher(src);
        int stop = m.find(i) ? m.end() : n;
        out.append(src, i, stop);
        i = stop;
      }
    }
    return out.toString();
  }

  /** Where the tag opened at {@code open} ends (after its closing delimiter), skipping quoted strings in {{ }} and {% %}. */
  private static int tagEnd(String src, int open, char kind) {
    String close = kind == '#' ? "#}" : kind == '%' ? "%}" : "}}";
    int i = open + 2, n = src.length();
    char quote = 0;
    while (i < n) {
      char c = src.charAt(i);
      if (kind != '#') {
        if (quote != 0) {
          if (c == '\\') {
            i += 2;
            continue;
          }
          if (c == quote) quote = 0;
          ++i;
          continue;
        }
        if (c == '\'' || c == '"') {
          quote = c;
          ++i;
          continue;
        }
      }
      if (src.startsWith(close, i)) return i + 2;
      ++i;
    }
    return n;
  }

  private static void checkTags(Node node, String origin) {
    for (Node child : node.getChildren()) {
      if (child instanceof TagNode tag) {
        String name = tag.getName();
        if (name.equals("for") && tag.getHelpers().replaceAll("'[^']*'|\"[^\"]*\"", "''").matches(".*\\sin\\s.*\\sif\\s.*")) {
          throw new ChatTemplate.ChatTemplateException(origin + ": line " + tag.getLineNumber() + ": {% for ... if ... %} (a filtered loop) is not supported in chat templates");
        }
        if (name.equals("for") && tag.getChildren().stream().anyMatch(c -> c instanceof TagNode t && t.getName().equals("else"))) {
          throw new ChatTemplate.ChatTemplateException(origin + ": line " + tag.getLineNumber() + ": {% for %} ... {% else %} is not supported in chat templates");
        }
        if (!TAGS.contains(name) && !name.startsWith("end")) {
          throw new ChatTemplate.ChatTemplateException(origin + ": line " + tag.getLineNumber() + ": the tag {% " + name
              + " %} is not supported in chat templates (supported: if/elif/else, for with break/continue, set, macro, call, raw, generation)");
        }
      }
      checkTags(child, origin);
    }
  }

  private static void check(List<TemplateError> errors, String origin) {
    for (TemplateError e : errors) {
      if (e.getSeverity() == TemplateError.ErrorType.WARNING && e.getReason() != TemplateError.ErrorReason.UNKNOWN) continue;
      String construct = switch (e.getItem()) {
        case FILTER -> "the filter '" + e.getFieldName().replaceFirst("^filter:", "") + "' ";
        case EXPRESSION_TEST -> "the test '" + e.getFieldName() + "' ";
        case FUNCTION -> "a function ";
        case TAG -> "the tag '" + e.getFieldName() + "' ";
        default -> "";
      };
      String detail = e.getReason() == TemplateError.ErrorReason.DISABLED || e.getReason() == TemplateError.ErrorReason.UNKNOWN
          ? (construct.isEmpty() ? e.getMessage() + " (not supported in chat templates)" : construct + "is not supported in chat templates (" + e.getMessage() + ")")
          : e.getMessage();
      throw new ChatTemplate.ChatTemplateException(origin + ": " + (e.getLineno() > 0 ? "line " + e.getLineno() + ": " : "") + detail);
    }
  }

  private static String message(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    return m.replace('\n', ' ');
  }

  /** Records the first failure of a rendering (the engine goes on after errors; the render then fails with this). */
  static RuntimeException fail(String message) {
    if (FAILURE.get() == null) FAILURE.set(message);
    return new ChatTemplate.TemplateFailure(message);
  }

  // ---- the environment ----

  private static PyJinjava build() {
    LegacyOverrides overrides = LegacyOverrides.newBuilder()
        .withEvaluateMapKeys(true)
        .withIterateOverMapKeys(true)
        .withUsePyishObjectMapper(true)
        .withUseNaturalOperatorPrecedence(true)
        .withParseWhitespaceControlStrictly(true)
        .withAllowAdjacentTextNodes(true)
        .withUseTrimmingForNotesAndExpressions(true)
        .withKeepNullableLoopValues(true)
        .withHandleBackslashInQuotesOnly(true)
        .build();
    JinjavaConfig.Builder config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(false)  // done on the source by lstripBlocks(): Jinjava's also strips before mid-line tags
        .withKeepTrailingNewline(true)  // Jinja drops the template source's trailing newline, not the output's: compile() does
        .withNestedInterpretationEnabled(false)
        .withFailOnUnknownTokens(false)
        .withLegacyOverrides(overrides)
        .withElResolver(resolver())
        .withInterperterFactory(new PyInterpreterFactory())
        .withMaxOutputSize(256L << 20);
    // what Jinjava has beyond the allowlists: disabled
    Jinjava probe = new Jinjava();
    Map<Context.Library, Set<String>> disabled = new HashMap<>();
    disabled.put(Context.Library.FILTER, names(probe.getGlobalContext().getAllFilters(), Filter::getName, Filter::getName, FILTERS));
    disabled.put(Context.Library.EXP_TEST, names(probe.getGlobalContext().getAllExpTests(), ExpTest::getName, ExpTest::getName, TESTS));
    disabled.put(Context.Library.FUNCTION,
        names(probe.getGlobalContext().getAllFunctions(), ELFunctionDefinition::getName, f -> f.getNamespace().isEmpty() ? f.getLocalName() : f.getName(), FUNCTIONS));
    config.withDisabled(disabled);
    PyJinjava jinjava = new PyJinjava(config.build());
    Context global = jinjava.getGlobalContext();
    Filters.register(global);
    Tests.register(global);
    global.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaEnvironment.class, "raiseException", Object.class));
    global.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaEnvironment.class, "strftimeNow", Object.class));
    global.registerTag(new GenerationTag());
    global.registerTag(new PyIfTag());
    return jinjava;
  }

  /** The names (as Jinjava keys them) of what is not kept (as templates name it). */
  private static <T> Set<String> names(Collection<T> all, java.util.function.Function<T, String> key, java.util.function.Function<T, String> name,
      Set<String> keep) {
    Set<String> out = new HashSet<>();
    for (T t : all) if (!keep.contains(name.apply(t))) out.add(key.apply(t));
    return out;
  }

  /** {@code raise_exception(message)}: transformers raises a TemplateError with the message. */
  public static Object raiseException(Object message) {
    throw fail("the chat template raised an exception: " + Py.str(message));
  }

  /** {@code strftime_now(format)}: the local time formatted as Python's strftime does. */
  public static String strftimeNow(Object format) {
    return Py.strftime(LocalDateTime.now(), Py.str(format));
  }

  /** Expressions parsed with Python's {@code +} and evaluated with Python's truthiness. */
  private static final class PyJinjava extends Jinjava {
    private final ExpressionFactory factory;

    PyJinjava(JinjavaConfig config) {
      super(config);
      Properties properties = new Properties();
      properties.setProperty(TreeBuilder.class.getName(), PyTreeBuilder.class.getName());
      properties.setProperty("jinjava.javax.el.methodInvocations", "true");
      properties.setProperty("jinjava.javax.el.nullProperties", "false");  // undefined.attr is an error, as in Jinja
      factory = new ExpressionFactoryImpl(properties, new PyTypeConverter());
    }

    @Override
    public ExpressionFactory getExpressionFactory() {
      return factory;
    }

    @Override
    public ExpressionFactory getEagerExpressionFactory() {
      return factory;
    }
  }

  /** The tree builder ExpressionFactoryImpl instantiates (public, no-argument constructor). */
  public static final class PyTreeBuilder extends ExtendedSyntaxBuilder {
    private static final long serialVersionUID = 1L;

    public PyTreeBuilder() {
      super();
    }

    public PyTreeBuilder(Builder.Feature... features) {
      super(features);
    }

    @Override
    protected Parser createParser(String expression) {
      return new PyParser(this, expression);
    }
  }

  /**
   * Jinjava's parser with Python's {@code +}, keyword arguments whose value is a whole expression
   * ({@code f(n=items|length - 1)}; Jinjava binds only a product there) and slices with a step
   * ({@code items[::-1]}).
   */
  private static final class PyParser extends ExtendedParser {
    PyParser(Builder builder, String input) {
      super(builder, input);
      putExtensionHandler(NamedParameterOperator.TOKEN, new ExtensionHandler(ExtensionPoint.OR) {
        @Override
        public AstNode createAstNode(AstNode... children) {
          if (!(children[0] instanceof AstIdentifier name)) throw new ELException("Expected IDENTIFIER, found " + children[0]);
          return new AstNamedParameter(name, children[1]);
        }
      });
    }

    @Override
    protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
      AstBinary.Operator op = operator == AdditionOperator.OP ? PY_ADD : operator == AstBinary.EQ ? PY_EQ : operator == AstBinary.NE ? PY_NE
          : operator == AstBinary.AND ? PY_AND : operator;
      return super.createAstBinary(left, right, op);
    }

    @Override
    protected AstDot createAstDot(AstNode prefix, String property, boolean lvalue) {
      return new AstDot(prefix, property, lvalue, context.isEnabled(Builder.Feature.IGNORE_RETURN_TYPE)) {
        private static final long serialVersionUID = 1L;

        @Override
        public Object eval(Bindings bindings, ELContext context) {
          return read(this, prefix.eval(bindings, context), getProperty(bindings, context), context);
        }
      };
    }

    @Override
    protected AstBracket createAstBracket(AstNode base, AstNode property, boolean lvalue, boolean strict) {
      return new AstBracket(base, property, lvalue, strict, context.isEnabled(Builder.Feature.IGNORE_RETURN_TYPE)) {
        private static final long serialVersionUID = 1L;

        @Override
        public Object eval(Bindings bindings, ELContext context) {
          Object b = prefix.eval(bindings, context);
          Object p = getProperty(bindings, context);
          if (p == null) throw JinjaEnvironment.fail("an index of None or of an undefined value in " + this);
          return read(this, b, p, context);
        }
      };
    }

    /** Method calls (and Jinjava's filter / test calls) on None or an undefined value fail, as in Jinja. */
    @Override
    protected AstMethod createAstMethod(AstProperty property, AstParameters params) {
      return new AstMethod(property, params) {
        private static final long serialVersionUID = 1L;

        @Override
        public Object eval(Bindings bindings, ELContext context) {
          if (property.getChild(0) instanceof AstIdentifier id && id.getName().contains(":") && id.eval(bindings, context) == null) {
            String kind = id.getName().startsWith(ExtendedParser.FILTER_PREFIX) ? "filter" : "test";
            throw JinjaEnvironment.fail("the " + kind + " '" + id.getName().substring(id.getName().indexOf(':') + 1) + "' is not supported in chat templates");
          }
          return eval(bindings, context, false);
        }
      };
    }

    /** ExtendedParser.value() (natural operator precedence), with [start:stop:step] slices. */
    @Override
    protected AstNode value() throws ScanException, ParseException {
      boolean lvalue = true;
      AstNode v = nonliteral();
      if (v == null) {
        v = literal();
        if (v == null) return null;
        lvalue = false;
      }
      while (true) {
        switch (getToken().getSymbol()) {
          case DOT -> {
            consumeToken();
            String name = consumeToken(Scanner.Symbol.IDENTIFIER).getImage();
            AstDot dot = createAstDot(v, name, lvalue);
            v = getToken().getSymbol() == Scanner.Symbol.LPAREN && context.isEnabled(Builder.Feature.METHOD_INVOCATIONS)
                ? createAstMethod(dot, params()) : dot;
          }
          case LBRACK -> {
            consumeToken();
            boolean strict = !context.isEnabled(Builder.Feature.NULL_PROPERTIES);
            AstNode index = getToken().getSymbol() == Scanner.Symbol.COLON ? null : expr(true);
            if (getToken().getSymbol() == Scanner.Symbol.RBRACK) {
              consumeToken();
              AstBracket bracket = createAstBracket(v, index, lvalue, strict);
              v = getToken().getSymbol() == Scanner.Symbol.LPAREN && context.isEnabled(Builder.Feature.METHOD_INVOCATIONS)
                  ? createAstMethod(bracket, params()) : bracket;
            } else {
              consumeToken(Scanner.Symbol.COLON);
              AstNode stop = null, step = null;
              if (getToken().getSymbol() != Scanner.Symbol.COLON && getToken().getSymbol() != Scanner.Symbol.RBRACK) stop = expr(true);
              if (getToken().getSymbol() == Scanner.Symbol.COLON) {
                consumeToken();
                if (getToken().getSymbol() != Scanner.Symbol.RBRACK) step = expr(true);
              }
              consumeToken(Scanner.Symbol.RBRACK);
              v = new PySlice(v, index, stop, step, lvalue, strict, context.isEnabled(Builder.Feature.IGNORE_RETURN_TYPE));
            }
          }
          default -> {
            return v;
          }
        }
      }
    }
  }

  /** {@code value[start:stop:step]} as Python slices a list or a str (by code points). */
  private static final class PySlice extends AstRangeBracket {
    private static final long serialVersionUID = 1L;
    private final AstNode step;

    PySlice(AstNode base, AstNode start, AstNode stop, AstNode step, boolean lvalue, boolean strict, boolean ignoreReturnType) {
      super(base, start, stop, lvalue, strict, ignoreReturnType);
      this.step = step;
    }

    @Override
    public Object eval(Bindings bindings, ELContext context) {
      Object base = prefix.eval(bindings, context);
      List<Object> items;
      boolean string = base instanceof CharSequence;
      if (string) {
        items = new ArrayList<>();
        base.toString().codePoints().forEach(c -> items.add(c));
      } else if (base instanceof List<?> l) {
        items = new ArrayList<>(l);
      } else {
        throw fail("slicing a " + Py.typeName(base) + " is not supported");
      }
      int n = items.size();
      Long stepValue = bound(step, bindings, context);
      long by = stepValue == null ? 1 : stepValue;
      if (by == 0) throw fail("slice step cannot be zero");
      Long a = bound(property, bindings, context), b = bound(rangeMax, bindings, context);
      long from, to;
      if (by > 0) {
        from = a == null ? 0 : clamp(a < 0 ? a + n : a, 0, n);
        to = b == null ? n : clamp(b < 0 ? b + n : b, 0, n);
      } else {
        from = a == null ? n - 1 : clamp(a < 0 ? a + n : a, -1, n - 1);
        to = b == null ? -1 : clamp(b < 0 ? b + n : b, -1, n - 1);
      }
      List<Object> out = new ArrayList<>();
      for (long i = from; by > 0 ? i < to : i > to; i += by) out.add(items.get((int) i));
      if (!string) return out;
      StringBuilder s = new StringBuilder();
      for (Object c : out) s.appendCodePoint((Integer) c);
      return s.toString();
    }

    private static long clamp(long v, long lo, long hi) {
      return Math.max(lo, Math.min(hi, v));
    }

    private static Long bound(AstNode node, Bindings bindings, ELContext context) {
      if (node == null) return null;
      Object v = node.eval(bindings, context);
      if (v == null) return null;
      if (v instanceof Number x && !(v instanceof Double) && !(v instanceof Float)) return x.longValue();
      throw fail("slice indices must be integers or None, not " + Py.typeName(v));
    }
  }

  /** {@code base.name} / {@code base[key]}: an error on None or undefined, None for a missing key (Jinja's undefined). */
  private static Object read(AstNode node, Object base, Object property, ELContext context) {
    if (base == null) throw fail("reading " + Py.repr(property) + " of an undefined value (Jinja raises an UndefinedError)");
    if (base == Py.NONE) return null;  // None.attr is undefined in Jinja
    if (base instanceof CharSequence s && property instanceof Number n && !(property instanceof Double)) {
      int[] cps = s.toString().codePoints().toArray();
      long i = n.longValue() < 0 ? n.longValue() + cps.length : n.longValue();
      return i < 0 || i >= cps.length ? null : new String(cps, (int) i, 1);
    }
    context.setPropertyResolved(false);
    Object value = context.getELResolver().getValue(context, base, property);
    if (!context.isPropertyResolved()) throw fail("a " + Py.typeName(base) + " has no attribute or item " + Py.repr(property));
    return value;
  }

  /** A binary operator with the given Python semantics, printed as {@code symbol} in errors. */
  private static AstBinary.Operator pyOperator(String symbol, PyOperation operation) {
    return new AstBinary.SimpleOperator() {
      @Override
      protected Object apply(TypeConverter converter, Object a, Object b) {
        return operation.apply(converter, a, b);
      }

      @Override
      public String toString() {
        return symbol;
      }
    };
  }

  @FunctionalInterface
  private interface PyOperation {
    Object apply(TypeConverter converter, Object a, Object b);
  }

  /** Python's {@code +}: str + str, list + list, number + number; anything else is Python's TypeError. */
  private static final AstBinary.Operator PY_ADD = pyOperator("+", (converter, a, b) -> {
    if (a instanceof CharSequence && b instanceof CharSequence) return a.toString() + b;
    if (a instanceof List<?> x && b instanceof List<?> y) {
      List<Object> out = new ArrayList<>(x);
      out.addAll(y);
      return out;
    }
    if (a instanceof Number && b instanceof Number) return NumberOperations.add(converter, a, b);
    throw fail("'+' of " + Py.typeName(a) + " and " + Py.typeName(b) + (a == null || b == null ? " (Jinja raises an UndefinedError)" : " (Python raises a TypeError)"));
  });

  /** Python's {@code ==} / {@code !=}: no coercion between str and numbers ({@code 1 == '1'} is false). */
  private static final AstBinary.Operator PY_EQ = pyOperator("==", (converter, a, b) -> Py.equal(a, b));

  private static final AstBinary.Operator PY_NE = pyOperator("!=", (converter, a, b) -> !Py.equal(a, b));

  private static final AstBinary.Operator PY_AND = new AstBinary.Operator() {
    @Override
    public Object eval(Bindings bindings, ELContext context, AstNode left, AstNode right) {
      Object a = left.eval(bindings, context);
      return Py.truth(a) ? right.eval(bindings, context) : a;
    }

    @Override
    public String toString() {
      return "&&";
    }
  };

  private static final class PyTypeConverter extends TruthyTypeConverter {
    private static final long serialVersionUID = 1L;

    @Override
    protected Boolean coerceToBoolean(Object value) {
      return Py.truth(value);
    }

    @Override
    protected String coerceToString(Object value) {
      return Py.str(value);
    }
  }

  private static final class PyInterpreterFactory implements InterpreterFactory {
    @Override
    public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
      return new PyInterpreter(orig);
    }

    @Override
    public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
      return new PyInterpreter(application, context, config);
    }
  }

  /** Prints values as Python's {@code str()}. */
  private static final class PyInterpreter extends JinjavaInterpreter {
    PyInterpreter(JinjavaInterpreter orig) {
      super(orig);
    }

    PyInterpreter(Jinjava application, Context context, JinjavaConfig config) {
      super(application, context, config);
    }

    @Override
    public String getAsString(Object object) {
      return object instanceof SafeString s ? s.toString() : Py.str(object);
    }
  }

  // ---- methods on values ----

  private static ELResolver resolver() {
    CompositeELResolver composite = new CompositeELResolver();
    composite.add(new PyMethods());
    composite.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
    return composite;
  }

  /** The str and dict methods of Python that templates call; any other method on a value is an error. */
  private static final class PyMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
      if (base == null || method == null || base instanceof Filter || base instanceof ExpTest || base instanceof ForLoop) return null;
      String name = method.toString();
      Object[] args = params == null ? new Object[0] : params;
      Object result;
      if (base instanceof CharSequence s) result = strMethod(s.toString(), name, args);
      else if (base instanceof Map<?, ?> m) result = mapMethod(m, name, args);
      else throw fail(Py.typeName(base) + "." + name + "() is not supported in chat templates");
      context.setPropertyResolved(true);
      return result;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
      return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
      return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
      return false;
    }

    @Override
    public Iterator<java.beans.FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
      return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
      return null;
    }
  }

  private static Object strMethod(String s, String name, Object[] a) {
    return switch (name) {
      case "strip" -> Py.strip(s, chars(name, a), true, true);
      case "lstrip" -> Py.strip(s, chars(name, a), true, false);
      case "rstrip" -> Py.strip(s, chars(name, a), false, true);
      case "startswith", "endswith" -> {
        arity(name, a, 1, 1);
        List<String> affixes = new ArrayList<>();
        if (a[0] instanceof CharSequence c) affixes.add(c.toString());
        else if (a[0] instanceof Collection<?> c) for (Object x : c) affixes.add(string(name, x));
        else throw fail("str." + name + "() takes a str or a tuple of str, not " + Py.typeName(a[0]));
        boolean start = name.equals("startswith");
        yield affixes.stream().anyMatch(x -> start ? s.startsWith(x) : s.endsWith(x));
      }
      case "split" -> {
        arity(name, a, 0, 2);
        String sep = a.length > 0 && a[0] != Py.NONE ? string(name, a[0]) : null;
        int max = a.length > 1 ? integer(name, a[1]) : -1;
        yield Py.split(s, sep, max);
      }
      case "upper" -> noArgs(name, a, s.toUpperCase(java.util.Locale.ROOT));
      case "lower" -> noArgs(name, a, s.toLowerCase(java.util.Locale.ROOT));
      case "title" -> noArgs(name, a, Py.title(s));
      case "capitalize" -> noArgs(name, a, Py.capitalize(s));
      case "replace" -> {
        arity(name, a, 2, 3);
        yield Py.replace(s, string(name, a[0]), string(name, a[1]), a.length > 2 ? integer(name, a[2]) : -1);
      }
      case "join" -> {
        arity(name, a, 1, 1);
        List<String> parts = new ArrayList<>();
        if (!(a[0] instanceof Iterable<?> it)) throw fail("str.join() takes a list of str, not " + Py.typeName(a[0]));
        for (Object x : it) parts.add(string(name, x));
        yield String.join(s, parts);
      }
      default -> throw fail("str." + name + "() is not supported in chat templates (supported: strip, lstrip, rstrip, startswith, endswith, split,"
          + " upper, lower, title, capitalize, replace, join)");
    };
  }

  private static Object mapMethod(Map<?, ?> m, String name, Object[] a) {
    return switch (name) {
      case "items" -> {
        arity(name, a, 0, 0);
        List<Object> items = new ArrayList<>();
        for (var e : m.entrySet()) items.add(new Py.Tuple(e.getKey(), e.getValue()));
        yield items;
      }
      case "keys" -> noArgs(name, a, new ArrayList<>(m.keySet()));
      case "values" -> noArgs(name, a, new ArrayList<>(m.values()));
      case "get" -> {
        arity(name, a, 1, 2);
        yield m.containsKey(a[0]) ? m.get(a[0]) : a.length > 1 ? a[1] : Py.NONE;
      }
      default -> throw fail("dict." + name + "() is not supported in chat templates (supported: items, keys, values, get)");
    };
  }

  private static String chars(String name, Object[] a) {
    arity(name, a, 0, 1);
    return a.length == 0 || a[0] == Py.NONE ? null : string(name, a[0]);
  }

  private static Object noArgs(String name, Object[] a, Object result) {
    arity(name, a, 0, 0);
    return result;
  }

  private static void arity(String name, Object[] a, int min, int max) {
    if (a.length < min || a.length > max) {
      throw fail(name + "() takes " + (min == max ? String.valueOf(min) : min + " to " + max) + " arguments, " + a.length + " given");
    }
  }

  private static String string(String name, Object x) {
    if (x instanceof CharSequence c) return c.toString();
    throw fail(name + "(): expected a str, got " + Py.typeName(x));
  }

  private static int integer(String name, Object x) {
    if (x instanceof Number n && !(x instanceof Double) && !(x instanceof Float) && !(x instanceof BigDecimal)) return n.intValue();
    throw fail(name + "(): expected an int, got " + Py.typeName(x));
  }

  // ---- filters ----

  private static final class Filters {
    static void register(Context global) {
      global.registerFilter(filter("trim", (v, a, k) -> Py.strip(Py.str(v), a.length > 0 && a[0] != null ? Py.str(a[0]) : null, true, true)));
      global.registerFilter(filter("tojson", Filters::tojson));
      global.registerFilter(filter("string", (v, a, k) -> Py.str(v)));
      global.registerFilter(filter("upper", (v, a, k) -> Py.str(v).toUpperCase(java.util.Locale.ROOT)));
      global.registerFilter(filter("lower", (v, a, k) -> Py.str(v).toLowerCase(java.util.Locale.ROOT)));
      global.registerFilter(filter("capitalize", (v, a, k) -> Py.capitalize(Py.str(v))));
      global.registerFilter(filter("title", (v, a, k) -> jinjaTitle(Py.str(v))));
      global.registerFilter(filter("length", (v, a, k) -> (long) Py.length(v)));
      global.registerFilter(filter("count", (v, a, k) -> (long) Py.length(v)));
      global.registerFilter(filter("first", (v, a, k) -> {
        Iterator<?> it = iterate(v).iterator();
        return it.hasNext() ? it.next() : null;
      }));
      global.registerFilter(filter("last", (v, a, k) -> {
        List<Object> items = iterate(v);
        return items.isEmpty() ? null : items.get(items.size() - 1);
      }));
      global.registerFilter(filter("list", (v, a, k) -> iterate(v)));
      global.registerFilter(filter("join", (v, a, k) -> {
        String separator = a.length > 0 ? Py.str(a[0]) : k.containsKey("d") ? Py.str(k.get("d")) : "";
        Object attribute = a.length > 1 ? a[1] : k.get("attribute");
        List<String> parts = new ArrayList<>();
        for (Object x : iterate(v)) parts.add(Py.str(attribute == null ? x : attribute(x, Py.str(attribute))));
        return String.join(separator, parts);
      }));
      Filter dflt = filter("default", (v, a, k) -> {
        Object fallback = a.length > 0 ? a[0] : k.getOrDefault("default_value", "");
        boolean bool = a.length > 1 ? Py.truth(a[1]) : Py.truth(k.get("boolean"));
        return (v == null || (bool && !Py.truth(v))) ? fallback : v;
      });
      global.registerFilter(dflt);
      global.registerFilter(alias("d", dflt));
      global.registerFilter(filter("replace", (v, a, k) -> {
        if (a.length < 2) throw fail("replace filter: takes old and new");
        return Py.replace(Py.str(v), Py.str(a[0]), Py.str(a[1]), a.length > 2 && a[2] != null ? integer("replace", a[2]) : -1);
      }));
      global.registerFilter(filter("items", (v, a, k) -> {
        if (v == null) return new ArrayList<>();
        if (!(v instanceof Map<?, ?> m)) throw fail("items filter: expected a dict, got " + Py.typeName(v));
        return mapMethod(m, "items", new Object[0]);
      }));
      global.registerFilter(filter("int", (v, a, k) -> {
        if (v instanceof Number n) return n.longValue();
        try {
          return Long.parseLong(Py.strip(Py.str(v), null, true, true).replace("_", ""));
        } catch (NumberFormatException e) {
          return a.length > 0 ? a[0] : 0L;
        }
      }));
    }

    private static Object tojson(Object v, Object[] a, Map<String, Object> k) {
      boolean ensureAscii = Py.truth(k.getOrDefault("ensure_ascii", a.length > 0 ? a[0] : false));
      Object indent = k.containsKey("indent") ? k.get("indent") : a.length > 1 ? a[1] : null;
      Object separators = k.containsKey("separators") ? k.get("separators") : a.length > 2 ? a[2] : null;
      boolean sortKeys = Py.truth(k.getOrDefault("sort_keys", a.length > 3 ? a[3] : false));
      String indentText = null;
      if (indent instanceof CharSequence c) indentText = c.toString();
      else if (indent instanceof Number n) indentText = " ".repeat(Math.max(0, n.intValue()));
      else if (indent != null) throw fail("tojson: indent must be an int or a str");
      String item = null, key = null;
      if (separators != null) {
        List<Object> pair = iterate(separators);
        if (pair.size() != 2) throw fail("tojson: separators must be a pair (item, key)");
        item = Py.str(pair.get(0));
        key = Py.str(pair.get(1));
      }
      return Py.json(v, ensureAscii, indentText, item, key, sortKeys);
    }

    /** Jinja's title filter: each word (split before runs of space, '-', '(', '{', '[' or '<') upper-cased first, rest lowered. */
    private static final Pattern WORD_BEGINNING = Pattern.compile("([-\\s({\\[<]+)", Pattern.UNICODE_CHARACTER_CLASS);

    private static String jinjaTitle(String s) {
      StringBuilder b = new StringBuilder();
      Matcher m = WORD_BEGINNING.matcher(s);
      int at = 0;
      List<String> items = new ArrayList<>();
      while (m.find()) {
        items.add(s.substring(at, m.start()));
        items.add(m.group());
        at = m.end();
      }
      items.add(s.substring(at));
      for (String item : items) {
        if (item.isEmpty()) continue;
        int first = item.codePointAt(0);
        b.append(new String(Character.toChars(first)).toUpperCase(java.util.Locale.ROOT))
            .append(item.substring(Character.charCount(first)).toLowerCase(java.util.Locale.ROOT));
      }
      return b.toString();
    }
  }

  static List<Object> iterate(Object v) {
    List<Object> out = new ArrayList<>();
    if (v == null) throw fail("iterating an undefined value");
    if (v == Py.NONE) throw fail("'NoneType' object is not iterable");
    if (v instanceof CharSequence s) s.toString().codePoints().forEach(c -> out.add(new String(Character.toChars(c))));
    else if (v instanceof Map<?, ?> m) out.addAll(m.keySet());
    else if (v instanceof Iterable<?> it) for (Object x : it) out.add(x);
    else if (v instanceof Iterator<?> it) it.forEachRemaining(out::add);
    else if (v.getClass().isArray()) for (int i = 0; i < java.lang.reflect.Array.getLength(v); ++i) out.add(java.lang.reflect.Array.get(v, i));
    else throw fail("'" + Py.typeName(v) + "' object is not iterable");
    return out;
  }

  private static Object attribute(Object x, String name) {
    if (x instanceof Map<?, ?> m) return m.get(name);
    throw fail("attribute '" + name + "' of a " + Py.typeName(x) + " is not supported");
  }

  @FunctionalInterface
  private interface Body {
    Object apply(Object value, Object[] args, Map<String, Object> kwargs);
  }

  private static Filter filter(String name, Body body) {
    return new Filter() {
      @Override
      public String getName() {
        return name;
      }

      @Override
      public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return body.apply(unsafe(var), args, Map.of());
      }

      @Override
      public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        return body.apply(unsafe(var), args == null ? new Object[0] : args, kwargs == null ? Map.of() : kwargs);
      }
    };
  }

  private static Filter alias(String name, Filter f) {
    return new Filter() {
      @Override
      public String getName() {
        return name;
      }

      @Override
      public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return f.filter(var, interpreter, args);
      }

      @Override
      public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        return f.filter(var, interpreter, args, kwargs);
      }
    };
  }

  private static Object unsafe(Object v) {
    return v instanceof SafeString s ? s.toString() : v;
  }

  // ---- tests ----

  private static final class Tests {
    static void register(Context global) {
      global.registerExpTest(test("defined", v -> v != null));
      global.registerExpTest(test("undefined", v -> v == null));
      global.registerExpTest(test("none", v -> v == Py.NONE));
      global.registerExpTest(test("string", v -> v instanceof CharSequence || v instanceof SafeString));
      global.registerExpTest(test("mapping", v -> v instanceof Map));
      global.registerExpTest(test("iterable", v -> v != Py.NONE && (v instanceof CharSequence || v instanceof Map || v instanceof Iterable || (v != null && v.getClass().isArray()))));
      global.registerExpTest(test("sequence", v -> v instanceof CharSequence || v instanceof Map || v instanceof List || (v != null && v.getClass().isArray())));
      global.registerExpTest(test("number", v -> v instanceof Number || v instanceof Boolean));
      global.registerExpTest(test("integer", v -> v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof java.math.BigInteger));
      global.registerExpTest(test("float", v -> v instanceof Double || v instanceof Float || v instanceof BigDecimal));
      global.registerExpTest(test("boolean", v -> v instanceof Boolean));
      global.registerExpTest(test("true", v -> Boolean.TRUE.equals(v)));
      global.registerExpTest(test("false", v -> Boolean.FALSE.equals(v)));
      global.registerExpTest(test("truthy", Py::truth));  // not Jinja's, but Jinjava's select / selectattr call it
    }

    private static ExpTest test(String name, java.util.function.Predicate<Object> p) {
      return new ExpTest() {
        @Override
        public String getName() {
          return name;
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
          return p.test(var);
        }
      };
    }
  }

  /** {% if %} / {% elif %} with Python's truthiness (Jinjava's holds the string "false" false). */
  private static final class PyIfTag extends IfTag {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isPositiveIfElseNode(TagNode tagNode, JinjavaInterpreter interpreter) {
      return Py.truth(interpreter.resolveELExpression(tagNode.getHelpers(), tagNode.getLineNumber(), tagNode.getStartPosition()));
    }
  }

  /** transformers' {% generation %} ... {% endgeneration %}: renders its body. */
  private static final class GenerationTag implements Tag {
    private static final long serialVersionUID = 1L;

    @Override
    public String getName() {
      return "generation";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      StringBuilder out = new StringBuilder();
      try (var scope = interpreter.enterScope()) {
        for (Node child : tagNode.getChildren()) out.append(child.render(interpreter).getValue());
      }
      return out.toString();
    }
  }
}
