package org.steer4j.kernels;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Joins native ops to LibTorch's autograd. A native op runs on detached data; its output enters
 * the graph as a fresh leaf that requires grad. {@link #backward} then runs in phases: LibTorch
 * backpropagates the loss down to those leaves, each recorded op (latest first) turns its
 * output's gradient into gradients of its inputs with its native backward kernel, and LibTorch
 * carries those on through the inputs' own graphs (encoders) and into parameters' {@code .grad}
 * with one {@code torch::autograd::backward(inputs, gradients)} call per op.
 *
 * <p>One tape per training step and thread; not thread-safe.
 */
public final class Tape {
  /** A native op recorded on the tape. */
  public interface Node {
    /** Gradients for {@code inputs} (same order; null where none is needed) given dL/d(output). */
    List<Tensor> backward(Tensor outputGradient);
  }

  private record Entry(Node node, Tensor output, List<Tensor> inputs) {}

  private final List<Entry> entries = new ArrayList<>();

  /**
   * Records {@code node}, whose result {@code value} was computed from {@code inputs} outside
   * autograd, and returns the leaf that stands for it in the graph.
   */
  public Tensor record(Node node, Tensor value, List<Tensor> inputs) {
    Tensor output = value.detach().requires_grad_(true);
    entries.add(new Entry(node, output, Collections.unmodifiableList(new ArrayList<>(inputs))));
    return output;
  }

  /** Whether any input of an op needs a gradient, i.e. whether recording it is worthwhile. */
  public static boolean anyRequiresGrad(List<Tensor> inputs) {
    for (Tensor t : inputs) if (t != null && t.requires_grad()) return true;
    return false;
  }

  /** Backpropagates a scalar loss through LibTorch ops and recorded native ops alike. */
  public void backward(Tensor loss) {
    // Keep the graph while native ops remain: their inputs' graphs may share parts with the
    // loss's own graph (e.g. a KL term over the same encoder outputs).
    loss.backward(new Tensor(), new BoolOptional(!entries.isEmpty()), false, new org.bytedeco.pytorch.TensorArrayRefOptional());
    for (int k = entries.size() - 1; k >= 0; --k) {
      Entry entry = entries.get(k);
      Tensor gradient = entry.output().grad();
      if (!gradient.defined()) continue;  // output did not reach the loss
      List<Tensor> grads = entry.node().backward(gradient);
      TensorVector tensors = new TensorVector();
      TensorVector gradients = new TensorVector();
      for (int i = 0; i < entry.inputs().size(); ++i) {
        Tensor input = entry.inputs().get(i);
        Tensor grad = grads.get(i);
        if (input != null && grad != null && input.requires_grad()) {
          tensors.push_back(input);
          gradients.push_back(grad);
        }
      }
      if (tensors.size() > 0) {
        // Earlier native ops may share graph parts with this one: keep the graph until the last.
        torch.backward(tensors, gradients, new BoolOptional(k > 0), false, new TensorVector());
      }
    }
    entries.clear();
  }
}
