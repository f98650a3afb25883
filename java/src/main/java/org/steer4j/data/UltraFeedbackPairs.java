package org.steer4j.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Turns UltraFeedback rows into the preference-pair tables of the paper's reward experiments
 * (docs/method.md section 5):
 *
 * <ol>
 *   <li>completions with a non-integer rating in any aspect are dropped;
 *   <li>completions are grouped by instruction text (rows repeating an instruction form one
 *       prompt, as the reference's groupby does) and every unordered pair (i < j, in file order)
 *       is a pair, a = the earlier completion;
 *   <li>per aspect, choice = 0 if rating_a > rating_b, 1 if rating_a < rating_b, tie otherwise;
 *   <li>a subset keeps some labels and pairs: {@link Subset#HH} drops ties in helpfulness or
 *       honesty and keeps pairs where the two disagree; {@link Subset#HHT} drops ties in any of
 *       helpfulness, honesty, truthfulness and keeps pairs where the three are not unanimous;
 *       {@link Subset#ALL} keeps every pair and all four labels, ties included;
 *   <li>the kept pairs are shuffled with the seed and split by exact fractions (default
 *       80/10/10; the reference drew each pair's split independently, so its proportions are
 *       only approximately 80/10/10).
 * </ol>
 */
public final class UltraFeedbackPairs {
  private UltraFeedbackPairs() {}

  /** Which pairs and labels to keep. */
  public enum Subset {
    ALL(UltraFeedback.ASPECTS),
    HH(List.of("helpfulness", "honesty")),
    HHT(List.of("helpfulness", "honesty", "truthfulness"));

    private final List<String> labels;

    Subset(List<String> labels) {
      this.labels = labels;
    }

    public List<String> labels() {
      return labels;
    }

    /** Whether a pair with these choices (over {@link #labels()}) belongs to the subset. */
    boolean keeps(byte[] choices) {
      if (this == ALL) return true;
      boolean anyZero = false, anyOne = false;
      for (byte c : choices) {
        if (c == PairsDataset.TIE) return false;
        if (c == 0) anyZero = true;
        else anyOne = true;
      }
      return anyZero && anyOne;  // objectives disagree (HH: the two differ; HHT: not unanimous)
    }
  }

  /** Counts of each step, for the log and the summary file. */
  public record Stats(int rows, int prompts, int completions, int droppedCompletions, int pairs, int kept, int train, int val, int test) {}

  public record Result(TextPairs pairs, Stats stats) {}

  /** Builds the pairs of {@code subset} and splits them. */
  public static Result build(List<UltraFeedback.Row> rows, Subset subset, long seed, double trainFraction, double valFraction) {
    if (!(trainFraction >= 0 && valFraction >= 0 && trainFraction + valFraction <= 1)) {
      throw new IllegalArgumentException("split fractions train " + trainFraction + " + val " + valFraction + " must lie in [0, 1]");
    }
    Map<String, List<UltraFeedback.Completion>> byPrompt = new LinkedHashMap<>();
    int completions = 0, dropped = 0;
    for (UltraFeedback.Row row : rows) {
      List<UltraFeedback.Completion> rated = byPrompt.computeIfAbsent(row.instruction(), k -> new ArrayList<>());
      for (UltraFeedback.Completion c : row.completions()) {
        ++completions;
        if (c.rated()) rated.add(c);
        else ++dropped;
      }
    }
    List<String> aspects = UltraFeedback.ASPECTS;
    int[] labelAspect = subset.labels().stream().mapToInt(aspects::indexOf).toArray();
    List<TextPairs.Pair> kept = new ArrayList<>();
    int idx = 0;
    for (var e : byPrompt.entrySet()) {
      List<UltraFeedback.Completion> cs = e.getValue();
      for (int i = 0; i < cs.size(); ++i) {
        for (int j = i + 1; j < cs.size(); ++j, ++idx) {
          UltraFeedback.Completion a = cs.get(i), b = cs.get(j);
          byte[] choices = new byte[labelAspect.length];
          for (int l = 0; l < choices.length; ++l) choices[l] = choice(a.ratings()[labelAspect[l]], b.ratings()[labelAspect[l]]);
          if (subset.keeps(choices)) {
            kept.add(new TextPairs.Pair(idx, null, e.getKey(), a.response(), b.response(), choices, a.ratings(), b.ratings()));
          }
        }
      }
    }
    int n = kept.size(), nTrain = (int) Math.floor(trainFraction * n), nVal = (int) Math.floor(valFraction * n);
    int[] order = shuffled(n, seed);
    Split[] splits = new Split[n];
    for (int k = 0; k < n; ++k) splits[order[k]] = k < nTrain ? Split.TRAIN : k < nTrain + nVal ? Split.VAL : Split.TEST;
    List<TextPairs.Pair> out = new ArrayList<>(n);
    for (int k = 0; k < n; ++k) {
      TextPairs.Pair p = kept.get(k);
      out.add(new TextPairs.Pair(p.idx(), splits[k], p.prompt(), p.responseA(), p.responseB(), p.choices(), p.ratingsA(), p.ratingsB()));
    }
    Stats stats = new Stats(rows.size(), byPrompt.size(), completions, dropped, idx, n, nTrain, nVal, n - nTrain - nVal);
    return new Result(new TextPairs(subset.labels(), out), stats);
  }

  /** 0 if a is rated higher, 1 if b is, a tie otherwise. */
  static byte choice(int a, int b) {
    return a > b ? 0 : a < b ? (byte) 1 : PairsDataset.TIE;
  }

  /** A Fisher-Yates permutation of 0..n-1 from {@link SplittableRandom} (specified, so the same on every JVM). */
  private static int[] shuffled(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; ++i) p[i] = i;
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; --i) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
