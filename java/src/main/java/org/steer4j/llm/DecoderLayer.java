package org.steer4j.llm;

import static org.bytedeco.pytorch.global.torch.cat;
import static org.bytedeco.pytorch.global.torch.scaled_dot_product_attention;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.steer4j.kernels.DecodeAttentionOp;

/**
 * One pre-norm decoder block: {@code x + attn(norm(x))}, then {@code x + mlp(norm(x))}, where the
 * attention is rotary, causal and grouped (each KV head serves {@code heads / kv_heads} query heads)
 * and the MLP is gated: {@code down(act(gate(x)) * up(x))}.
 */
final class DecoderLayer extends Module {
  private final ModelConfig config;
  private final int index;
  private final Tensor inputNorm, postNorm;
  final Projection q, k, v, o, gate, up, down;
  private final Activation activation;
  private final double scale;
  /** Container modules, held so their Java peers outlive GC (see DecoderLm's containers). */
  private final Module attentionModule, mlpModule, inputNormModule, postNormModule;

  DecoderLayer(ModelConfig config, int index, WeightLoader w) {
    super("DecoderLayer");
    this.config = config;
    this.index = index;
    String p = WeightLayout.layer(index);
    Module attention = attentionModule = register_module("self_attn", new Module("Attention"));
    Module mlp = mlpModule = register_module("mlp", new Module("Mlp"));
    q = attention.register_module("q_proj", new Projection(w.get(p + "self_attn.q_proj.weight"), w.optional(p + "self_attn.q_proj.bias")));
    k = attention.register_module("k_proj", new Projection(w.get(p + "self_attn.k_proj.weight"), w.optional(p + "self_attn.k_proj.bias")));
    v = attention.register_module("v_proj", new Projection(w.get(p + "self_attn.v_proj.weight"), w.optional(p + "self_attn.v_proj.bias")));
    o = attention.register_module("o_proj", new Projection(w.get(p + "self_attn.o_proj.weight"), w.optional(p + "self_attn.o_proj.bias")));
    gate = mlp.register_module("gate_proj", new Projection(w.get(p + "mlp.gate_proj.weight"), w.optional(p + "mlp.gate_proj.bias")));
    up = mlp.register_module("up_proj", new Projection(w.get(p + "mlp.up_proj.weight"), w.optional(p + "mlp.up_proj.bias")));
    down = mlp.register_module("down_proj", new Projection(w.get(p + "mlp.down_proj.weight"), w.optional(p + "mlp.down_proj.bias")));
    inputNorm = w.get(p + "input_layernorm.weight");
    postNorm = w.get(p + "post_attention_layernorm.weight");
    inputNormModule = register_module("input_layernorm", new Module("RMSNorm"));
    inputNormModule.register_parameter("weight", inputNorm, false);
    postNormModule = register_module("post_attention_layernorm", new Module("RMSNorm"));
    postNormModule.register_parameter("weight", postNorm, false);
    activation = Activation.of(config.activation(), "config.json");
    scale = 1.0 / Math.sqrt(config.headDim());
  }

  Map<String, Projection> projections() {
    Map<String, Projection> m = new LinkedHashMap<>();
    m.put("q_proj", q);
    m.put("k_proj", k);
    m.put("v_proj", v);
    m.put("o_proj", o);
    m.put("gate_proj", gate);
    m.put("up_proj", up);
    m.put("down_proj", down);
    return m;
  }

  Tensor forward(Tensor x, Pass pass) {
    boolean unit = config.family().unitOffsetNorm();
    Tensor h = x.add(attention(RmsNorm.apply(x, inputNorm, config.rmsNormEps(), unit), pass));
    Tensor m = RmsNorm.apply(h, postNorm, config.rmsNormEps(), unit);
    boolean a = pass.adapters(), t = pass.training();
    Tensor mlp = down.forward(activation.apply(gate.forward(m, a, t)).mul(up.forward(m, a, t)), a, t);
    return h.add(mlp);
  }

  private Tensor attention(Tensor x, Pass pass) {
    long n = x.size(0), s = x.size(1), d = config.headDim();
    boolean a = pass.adapters(), t = pass.training();
    Tensor queries = heads(q.forward(x, a, t), n, s, config.numHeads());
    Tensor keys = heads(k.forward(x, a, t), n, s, config.numKvHeads());
    Tensor values = heads(v.forward(x, a, t), n, s, config.numKvHeads());
    queries = rotate(queries, pass);
    keys = rotate(keys, pass);
    KvCache cache = pass.cache();
    if (cache != null) {
      cache.write(index, keys, values, pass.slots());
      if (s == 1 && nativeDecode(pass, queries)) {
        // One new token per sequence: sequence n's keys are slots 0..past[n] (its new token
        // included), so the kernel reads past[n] + 1 of them, GQA without repeating the cache.
        Tensor lengths = pass.slots().select(1, 0).add(new Scalar(1));
        Tensor out = DecodeAttentionOp.forward(queries.select(2, 0), cache.keys(index), cache.values(index), lengths, scale);
        return o.forward(out.reshape(n, 1, (long) config.numHeads() * d), a, t);
      }
      long used = pass.mask().size(3);  // the slots up to the longest sequence after this step
      keys = cache.keys(index).narrow(2, 0, used);
      values = cache.values(index).narrow(2, 0, used);
    }
    int groups = config.queriesPerKvHead();
    if (groups > 1) {  // query head i reads KV head i / groups, as Hugging Face's repeat_kv
      keys = keys.repeat_interleave(groups, new LongOptional(1), new LongOptional());
      values = values.repeat_interleave(groups, new LongOptional(1), new LongOptional());
    }
    Tensor out = scaled_dot_product_attention(queries, keys, values, new TensorOptional(pass.mask()), 0.0, false, new DoubleOptional(scale), false);
    return o.forward(out.transpose(1, 2).reshape(n, s, (long) config.numHeads() * d), a, t);
  }

  /** Whether this decode step may run the native kernel: asked for, no autograd, a dtype it has. */
  private static boolean nativeDecode(Pass pass, Tensor queries) {
    if (!pass.options().nativeDecodeAttention() || GradMode.is_enabled()) return false;
    int type = queries.scalar_type().value;
    return type == ScalarType.Float.value || (type == ScalarType.Double.value && !queries.is_cuda());
  }

  private Tensor heads(Tensor projected, long n, long s, long count) {
    return projected.view(n, s, count, config.headDim()).transpose(1, 2);
  }

  /** Rotary embedding in the half-split convention of Hugging Face checkpoints. */
  private static Tensor rotate(Tensor x, Pass pass) {
    long half = x.size(3) / 2;
    Tensor x1 = x.narrow(3, 0, half), x2 = x.narrow(3, half, half);
    Tensor rotated = cat(new TensorVector(x2.neg(), x1), 3);
    return x.mul(pass.cos()).add(rotated.mul(pass.sin()));
  }
}
