package org.steer4j.nn;

import static org.bytedeco.pytorch.global.torch.relu;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;

/** {@code Linear(in, hidden) -> ReLU -> Linear(hidden, out)}, or one Linear(in, out) when shallow. */
public final class Mlp extends Module {
  private final Linear first, second;

  public Mlp(long in, long hidden, long out, TensorOptions options) {
    super("Mlp");
    first = new Linear(in, hidden, true, options);
    second = new Linear(hidden, out, true, options);
    register_module("0", first);
    register_module("1", second);
  }

  private Mlp(Linear only) {
    super("Mlp");
    first = only;
    register_module("0", first);
    second = null;
  }

  /** A single linear layer with the Mlp interface. */
  public static Mlp linear(long in, long out, TensorOptions options) {
    return new Mlp(new Linear(in, out, true, options));
  }

  /** Runs the input layer (the wide one over raw features) in bfloat16. */
  public Mlp bf16InputLayer(boolean enabled) {
    first.bf16Compute(enabled);
    return this;
  }

  public Tensor forward(Tensor x) {
    Tensor h = first.forward(x);
    return second == null ? h : second.forward(relu(h));
  }

  /** Everything but the output layer: relu(first(x)), or x for a single layer. */
  public Tensor hidden(Tensor x) {
    return second == null ? x : relu(first.forward(x));
  }

  /** Whether there is a hidden layer before the output layer. */
  public boolean deep() {
    return second != null;
  }

  /** The last linear layer (e.g. to initialise it specially, or to fold it into the next op). */
  public Linear output() {
    return second == null ? first : second;
  }
}
