package org.steer4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import org.steer4j.runtime.Rng;

/**
 * A synthetic dialogue world for the CPU-scale policy demo: prompts and responses from a small
 * grammar, and two objectives, helpfulness and honesty, that score a response by deterministic
 * rules and pull in different directions.
 *
 * <p>Prompts are questions. <em>Answerable</em> ones have one true answer in a small knowledge
 * base ("what is the capital of peru ?" - lima); <em>unanswerable</em> ones ask about the
 * future or someone's mind ("what number am i thinking of ?"), where any concrete answer is made
 * up. A response is a few sentences: an optional opener, one core sentence (a confident answer,
 * a hedged guess, an admission of not knowing, or a refusal), supporting details after an
 * answer, an optional caveat and an optional closing. The objectives score sentence by sentence:
 *
 * <pre>
 * sentence                       helpfulness                honesty (answerable / unanswerable)
 * "the answer is X ."            +2 right answer, 0 wrong    +2 right, -2 wrong  /  -2 (made up)
 * "i am not sure , but i think   +1 right answer, 0 wrong    +1 right, -1 wrong  /   0
 *   it is X ."
 * "i do not know ." or           -1                           0                  /  +2
 *   "nobody can know that ."
 * "i can not help with that ."   -2                          -1                  /  +1
 * a supporting detail            +1 each (at most 3 count)    0                  /  -1 each
 * "please check other sources ." 0                            0                  /  +1
 * opener, closing                0                            0
 * anything else (malformed)      -1                          -1
 * a sentence said before         -1                          -1
 * </pre>
 *
 * An empty response scores as a refusal. A verbatim repetition is noise, not more help or more
 * candour (so "please check other sources ." three times is no more honest than once). So a helpful assistant always commits to a concrete,
 * detailed answer; an honest one commits only where the answer is knowable and otherwise admits
 * it does not know. On unanswerable prompts the two disagree on most pairs.
 *
 * <p>Texts are lowercase words separated by single spaces, with "," "." "?" as words of their
 * own, so a word-level tokenizer ({@link DialogueTokenizer}) covers them exactly and decoding a
 * generation gives back a text the rules can score.
 */
public final class DialogueWorld {
  public static final String HELPFULNESS = "helpfulness", HONESTY = "honesty";
  public static final List<String> OBJECTIVES = List.of(HELPFULNESS, HONESTY);

  /** Which pairs a generated dataset keeps. */
  public enum Subset {
    /** Both objectives strict and opposed: the HH-style subset, where context is indispensable. */
    CONFLICTING,
    /** Both objectives strict (agreeing or not). */
    STRICT,
    /** Every pair of distinct responses (ties stored as ties). */
    ALL
  }

  /** A kind of question: its wording, its slot fillers, and the concrete answers it admits. */
  private record Topic(String template, List<String[]> fillers, boolean answerable, List<String> values) {}

  /**
   * A question: its text, whether it has a true answer, the true answer (null when
   * unanswerable), and the concrete answers of its kind (what counts as "an answer").
   */
  public record Prompt(String text, boolean answerable, String answer, List<String> values) {}

  /** One preference pair and the objectives' choices on it (0 = a, 1 = b, {@link PairsDataset#TIE}). */
  public record Pair(Prompt prompt, String responseA, String responseB, Split split, byte[] choices) {}

  /** The per-sentence scores of a response. */
  public record Scores(double helpfulness, double honesty) {
    public double of(String objective) {
      return switch (objective) {
        case HELPFULNESS -> helpfulness;
        case HONESTY -> honesty;
        default -> throw new IllegalArgumentException("unknown objective '" + objective + "' (one of " + OBJECTIVES + ")");
      };
    }
  }

  private static final List<Topic> TOPICS = List.of(
      new Topic("what is the capital of {} ?", List.of(
          new String[] {"france", "paris"}, new String[] {"japan", "tokyo"}, new String[] {"italy", "rome"},
          new String[] {"egypt", "cairo"}, new String[] {"peru", "lima"}, new String[] {"kenya", "nairobi"},
          new String[] {"canada", "ottawa"}, new String[] {"spain", "madrid"}, new String[] {"norway", "oslo"},
          new String[] {"greece", "athens"}), true, null),
      new Topic("what color is {} ?", List.of(
          new String[] {"the sky", "blue"}, new String[] {"grass", "green"}, new String[] {"snow", "white"},
          new String[] {"coal", "black"}, new String[] {"blood", "red"}, new String[] {"a lemon", "yellow"}), true, null),
      new Topic("how many legs does a {} have ?", List.of(
          new String[] {"spider", "eight"}, new String[] {"dog", "four"}, new String[] {"bird", "two"},
          new String[] {"ant", "six"}, new String[] {"snake", "zero"}, new String[] {"horse", "four"}), true, null),
      new Topic("what will the weather be in {} next {} ?", List.of(
          new String[] {"paris", "tokyo", "lima", "oslo", "cairo"}, new String[] {"monday", "friday", "week", "month"}), false,
          List.of("sunny", "rainy", "cloudy", "windy", "snowy")),
      new Topic("what number am i thinking of ?", List.of(), false, List.of("three", "seven", "nine", "twelve")),
      new Topic("who will win the {} match next {} ?", List.of(
          new String[] {"chess", "tennis", "soccer"}, new String[] {"monday", "friday", "week", "month"}), false,
          List.of("the red team", "the blue team", "the home team")),
      new Topic("what will the price of {} be next year ?", List.<String[]>of(
          new String[] {"gold", "bread", "oil", "coffee"}), false,
          List.of("ten dollars", "fifty dollars", "ninety dollars")));

  static final String ANSWER = "the answer is ", HEDGED = "i am not sure , but i think it is ";
  static final List<String> HEDGES = List.of("i do not know .", "nobody can know that .");
  static final String REFUSAL = "i can not help with that .";
  static final List<String> DETAILS = List.of("many sources agree on this .", "it is a well known fact .",
      "experts often say the same .", "this has been true for years .", "people ask this a lot .");
  static final String CAVEAT = "please check other sources .";
  static final List<String> OPENERS = List.of("sure .", "good question .", "let me see .");
  static final String CLOSING = "i hope this helps .";
  /** Supporting details beyond this many earn no more helpfulness (padding is not help). */
  static final int DETAIL_CAP = 3;

  private final List<Pair> pairs;
  private final double disagreement;

  private DialogueWorld(List<Pair> pairs, double disagreement) {
    this.pairs = Collections.unmodifiableList(pairs);
    this.disagreement = disagreement;
  }

  /**
   * Generates {@code size} pairs: each a prompt (answerable with probability {@code
   * answerableFraction}) and two distinct responses from the grammar, kept if they belong to
   * {@code subset}; then split 80 / 10 / 10 in order (pairs are drawn independently).
   */
  public static DialogueWorld generate(int size, long seed, double answerableFraction, Subset subset) {
    if (size < 10) throw new IllegalArgumentException("a dialogue world needs at least 10 pairs, got " + size);
    if (!(answerableFraction >= 0 && answerableFraction <= 1)) {
      throw new IllegalArgumentException("answerable fraction must be in [0, 1], got " + answerableFraction);
    }
    Rng rng = Rng.derive(seed, "dialogue-world", 0);
    List<Pair> out = new ArrayList<>(size);
    long strict = 0, opposed = 0;
    int train = (int) Math.round(0.8 * size), val = (int) Math.round(0.1 * size);
    for (long attempts = 0; out.size() < size; ++attempts) {
      if (attempts > 1000L * size) throw new IllegalStateException("the grammar yields too few pairs of subset " + subset);
      Prompt prompt = samplePrompt(rng, answerableFraction);
      String a = sampleResponse(prompt, rng), b = sampleResponse(prompt, rng);
      if (a.equals(b)) continue;
      Scores sa = score(prompt, a), sb = score(prompt, b);
      byte help = choice(sa.helpfulness(), sb.helpfulness()), honest = choice(sa.honesty(), sb.honesty());
      boolean bothStrict = help != PairsDataset.TIE && honest != PairsDataset.TIE;
      if (bothStrict) {
        ++strict;
        if (help != honest) ++opposed;
      }
      boolean keep = switch (subset) {
        case CONFLICTING -> bothStrict && help != honest;
        case STRICT -> bothStrict;
        case ALL -> true;
      };
      if (!keep) continue;
      int i = out.size();
      Split split = i < train ? Split.TRAIN : i < train + val ? Split.VAL : Split.TEST;
      out.add(new Pair(prompt, a, b, split, new byte[] {help, honest}));
    }
    return new DialogueWorld(out, strict == 0 ? 0 : (double) opposed / strict);
  }

  public List<Pair> pairs() {
    return pairs;
  }

  public int size() {
    return pairs.size();
  }

  /** Among drawn pairs where both objectives have a strict preference, the share where they disagree. */
  public double disagreement() {
    return disagreement;
  }

  /** Indices of the pairs of {@code split}. */
  public int[] rows(Split split) {
    return java.util.stream.IntStream.range(0, pairs.size()).filter(i -> pairs.get(i).split() == split).toArray();
  }

  private static byte choice(double scoreA, double scoreB) {
    return scoreA > scoreB ? 0 : scoreB > scoreA ? (byte) 1 : PairsDataset.TIE;
  }

  /** A question: answerable with probability {@code answerableFraction}, its kind and fillers uniform. */
  public static Prompt samplePrompt(Rng rng, double answerableFraction) {
    boolean answerable = rng.nextDouble() < answerableFraction;
    List<Topic> pool = TOPICS.stream().filter(t -> t.answerable() == answerable).toList();
    Topic topic = pool.get(rng.nextInt(pool.size()));
    if (answerable) {
      String[] fact = topic.fillers().get(rng.nextInt(topic.fillers().size()));
      List<String> values = topic.fillers().stream().map(f -> f[1]).distinct().toList();
      return new Prompt(topic.template().replace("{}", fact[0]), true, fact[1], values);
    }
    String text = topic.template();
    for (String[] slot : topic.fillers()) text = text.replaceFirst("\\{\\}", slot[rng.nextInt(slot.length)]);
    return new Prompt(text, false, null, topic.values());
  }

  /**
   * A response from the grammar: opener (1/2), core (answer 0.4, hedged guess 0.2, not knowing
   * 0.25, refusal 0.15), after an answer 0-2 details, caveat (0.3), closing (0.3). An answer
   * names the true one on answerable prompts and a random concrete value otherwise.
   */
  public static String sampleResponse(Prompt prompt, Rng rng) {
    List<String> s = new ArrayList<>();
    if (rng.nextBoolean()) s.add(OPENERS.get(rng.nextInt(OPENERS.size())));
    String value = prompt.answerable() ? prompt.answer() : prompt.values().get(rng.nextInt(prompt.values().size()));
    double u = rng.nextDouble();
    boolean answered = u < 0.6;
    if (u < 0.4) s.add(ANSWER + value + " .");
    else if (u < 0.6) s.add(HEDGED + value + " .");
    else if (u < 0.85) s.add(HEDGES.get(rng.nextInt(HEDGES.size())));
    else s.add(REFUSAL);
    if (answered) {
      int[] details = rng.sample(DETAILS.size(), rng.nextInt(3));
      for (int d : details) s.add(DETAILS.get(d));
    }
    if (rng.nextDouble() < 0.3) s.add(CAVEAT);
    if (rng.nextDouble() < 0.3) s.add(CLOSING);
    return String.join(" ", s);
  }

  /** Both objectives' scores of {@code response} to {@code prompt} (the table in the class comment). */
  public static Scores score(Prompt prompt, String response) {
    List<String> sentences = sentences(response);
    if (sentences.isEmpty()) sentences = List.of(REFUSAL);
    boolean knowable = prompt.answerable();
    double help = 0, honest = 0;
    int details = 0;
    java.util.Set<String> said = new java.util.HashSet<>();
    for (String s : sentences) {
      String value;
      if (!said.add(s)) {
        help -= 1;
        honest -= 1;
      } else if ((value = after(s, ANSWER)) != null) {
        boolean right = knowable ? value.equals(prompt.answer()) : prompt.values().contains(value);
        help += right ? 2 : 0;
        honest += knowable ? (right ? 2 : -2) : -2;
      } else if ((value = after(s, HEDGED)) != null) {
        boolean right = knowable ? value.equals(prompt.answer()) : prompt.values().contains(value);
        help += right ? 1 : 0;
        honest += knowable ? (right ? 1 : -1) : 0;
      } else if (HEDGES.contains(s)) {
        help -= 1;
        honest += knowable ? 0 : 2;
      } else if (s.equals(REFUSAL)) {
        help -= 2;
        honest += knowable ? -1 : 1;
      } else if (DETAILS.contains(s)) {
        if (++details <= DETAIL_CAP) help += 1;
        honest += knowable ? 0 : -1;
      } else if (s.equals(CAVEAT)) {
        honest += knowable ? 0 : 1;
      } else if (!OPENERS.contains(s) && !s.equals(CLOSING)) {
        help -= 1;
        honest -= 1;
      }
    }
    return new Scores(help, honest);
  }

  /** The objective {@code objective}'s score of a response. */
  public static double score(String objective, Prompt prompt, String response) {
    return score(prompt, response).of(objective);
  }

  /** "X ." of a sentence "prefix X .", or null when the sentence is not of that form. */
  private static String after(String sentence, String prefix) {
    if (!sentence.startsWith(prefix) || !sentence.endsWith(" .")) return null;
    String value = sentence.substring(prefix.length(), sentence.length() - 2).trim();
    return value.isEmpty() ? null : value;
  }

  /**
   * The sentences of a response: words up to and including each "."; a trailing fragment
   * without "." (a generation cut at its token limit) is a sentence of its own, and malformed.
   */
  static List<String> sentences(String response) {
    List<String> out = new ArrayList<>();
    List<String> words = new ArrayList<>();
    for (String w : response.trim().split("\\s+")) {
      if (w.isEmpty()) continue;
      words.add(w);
      if (w.equals(".")) {
        out.add(String.join(" ", words));
        words.clear();
      }
    }
    if (!words.isEmpty()) out.add(String.join(" ", words));
    return out;
  }

  /** Every word the grammar can produce (prompts and responses), sorted. */
  public static List<String> vocabulary() {
    TreeSet<String> words = new TreeSet<>();
    List<String> texts = new ArrayList<>();
    for (Topic t : TOPICS) {
      texts.add(t.template().replace("{}", ""));
      for (String[] f : t.fillers()) texts.addAll(Arrays.asList(f));
      if (t.values() != null) texts.addAll(t.values());
    }
    texts.addAll(List.of(ANSWER, HEDGED, REFUSAL, CAVEAT, CLOSING));
    texts.addAll(HEDGES);
    texts.addAll(DETAILS);
    texts.addAll(OPENERS);
    for (String text : texts) for (String w : text.trim().split("\\s+")) if (!w.isEmpty()) words.add(w);
    return new ArrayList<>(words);
  }

  /** {@code n} (prompt, response) examples from the grammar, for pretraining the base model. */
  public static List<String[]> corpus(int n, long seed, double answerableFraction) {
    Rng rng = Rng.derive(seed, "dialogue-corpus", 0);
    List<String[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; ++i) {
      Prompt p = samplePrompt(rng, answerableFraction);
      out.add(new String[] {p.text(), sampleResponse(p, rng)});
    }
    return out;
  }
}
