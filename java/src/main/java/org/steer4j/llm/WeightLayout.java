package org.steer4j.llm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors a checkpoint of a config must hold, by their Hugging Face names, with their shapes
 * (PyTorch's Linear layout: weight [out, in]). One list drives loading (what to look for, what
 * shape to expect), writing and random initialisation, so the three can't disagree.
 */
public final class WeightLayout {
  private WeightLayout() {}

  public static final String EMBED = "model.embed_tokens.weight", FINAL_NORM = "model.norm.weight", LM_HEAD = "lm_head.weight";

  /** Name prefix of layer {@code l}'s tensors. */
  public static String layer(int l) {
    return "model.layers." + l + ".";
  }

  /** Expected tensors in a canonical order (embeddings, layers in order, final norm, head). */
  public static Map<String, long[]> of(ModelConfig c) {
    Map<String, long[]> m = new LinkedHashMap<>();
    long h = c.hiddenSize(), i = c.intermediateSize(), q = (long) c.numHeads() * c.headDim(), kv = (long) c.numKvHeads() * c.headDim();
    m.put(EMBED, new long[] {c.vocabSize(), h});
    for (int l = 0; l < c.numLayers(); ++l) {
      String p = layer(l);
      m.put(p + "input_layernorm.weight", new long[] {h});
      m.put(p + "self_attn.q_proj.weight", new long[] {q, h});
      if (c.qkvBias()) m.put(p + "self_attn.q_proj.bias", new long[] {q});
      m.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
      if (c.qkvBias()) m.put(p + "self_attn.k_proj.bias", new long[] {kv});
      m.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
      if (c.qkvBias()) m.put(p + "self_attn.v_proj.bias", new long[] {kv});
      m.put(p + "self_attn.o_proj.weight", new long[] {h, q});
      if (c.attentionBias()) m.put(p + "self_attn.o_proj.bias", new long[] {h});
      m.put(p + "post_attention_layernorm.weight", new long[] {h});
      m.put(p + "mlp.gate_proj.weight", new long[] {i, h});
      if (c.mlpBias()) m.put(p + "mlp.gate_proj.bias", new long[] {i});
      m.put(p + "mlp.up_proj.weight", new long[] {i, h});
      if (c.mlpBias()) m.put(p + "mlp.up_proj.bias", new long[] {i});
      m.put(p + "mlp.down_proj.weight", new long[] {h, i});
      if (c.mlpBias()) m.put(p + "mlp.down_proj.bias", new long[] {h});
    }
    m.put(FINAL_NORM, new long[] {h});
    if (!c.tieWordEmbeddings()) m.put(LM_HEAD, new long[] {c.vocabSize(), h});
    return Collections.unmodifiableMap(m);
  }

  /** Total number of parameters of the layout. */
  public static long parameterCount(ModelConfig c) {
    long n = 0;
    for (long[] shape : of(c).values()) {
      long k = 1;
      for (long s : shape) k *= s;
      n += k;
    }
    return n;
  }
}
