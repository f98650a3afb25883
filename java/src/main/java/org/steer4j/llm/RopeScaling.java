package org.steer4j.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rescaling of rotary position frequencies from {@code rope_scaling} (or transformers 5.x
 * {@code rope_parameters}). Supported: {@code linear} (positions divided by {@code factor}) and
 * {@code llama3} (Llama 3.1+: long wavelengths divided by {@code factor}, short ones kept, the band
 * between interpolated). Types that depend on the sequence length at run time (dynamic, yarn,
 * longrope) are rejected at load rather than silently ignored.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

  static RopeScaling parse(JsonNode node, String where) {
    if (node == null || node.isNull() || node.isMissingNode() || !node.isObject()) return null;
    String type = node.hasNonNull("rope_type") ? node.get("rope_type").asText() : node.path("type").asText("default");
    switch (type) {
      case "default":
        return null;
      case "linear":
        return new RopeScaling(type, factor(node, where), 0, 0, 0);
      case "llama3":
        for (String key : new String[] {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
          if (!node.hasNonNull(key)) throw new CheckpointException(where + ": rope_scaling of type llama3 needs '" + key + "'");
        }
        double low = node.get("low_freq_factor").asDouble(), high = node.get("high_freq_factor").asDouble();
        if (!(Double.isFinite(low) && Double.isFinite(high))) throw new CheckpointException(where + ": rope_scaling low_freq_factor and high_freq_factor must be finite, got " + low + " and " + high);
        if (!(high > low)) throw new CheckpointException(where + ": rope_scaling high_freq_factor " + high + " must exceed low_freq_factor " + low);
        return new RopeScaling(type, factor(node, where), low, high, node.get("original_max_position_embeddings").asInt());
      default:
        throw new CheckpointException(where + ": rope_scaling type '" + type + "' is not supported (supported: default, linear, llama3)");
    }
  }

  private static double factor(JsonNode node, String where) {
    double f = node.path("factor").asDouble(0);
    if (!(f > 0 && f < Double.POSITIVE_INFINITY)) throw new CheckpointException(where + ": rope_scaling needs a finite factor > 0");
    return f;
  }

  /** Inverse frequencies, one per pair of dimensions: theta^(-2i/d), rescaled by this scaling (if any). */
  static double[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
    double[] f = new double[headDim / 2];
    for (int i = 0; i < f.length; ++i) f[i] = 1.0 / Math.pow(theta, 2.0 * i / headDim);
    if (scaling == null) return f;
    if (scaling.type.equals("linear")) {
      for (int i = 0; i < f.length; ++i) f[i] /= scaling.factor;
      return f;
    }
    double lowWavelength = scaling.originalMaxPositionEmbeddings / scaling.lowFreqFactor;
    double highWavelength = scaling.originalMaxPositionEmbeddings / scaling.highFreqFactor;
    for (int i = 0; i < f.length; ++i) {
      double wavelength = 2 * Math.PI / f[i];
      if (wavelength < highWavelength) continue;
      if (wavelength > lowWavelength) {
        f[i] /= scaling.factor;
      } else {
        double smooth = (scaling.originalMaxPositionEmbeddings / wavelength - scaling.lowFreqFactor)
            / (scaling.highFreqFactor - scaling.lowFreqFactor);
        f[i] = (1 - smooth) * f[i] / scaling.factor + smooth * f[i];
      }
    }
    return f;
  }
}
