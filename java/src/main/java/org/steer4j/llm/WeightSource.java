package org.steer4j.llm;

import org.bytedeco.pytorch.Tensor;

/** Where a model's weights come from: a checkpoint on disk, or a random initialisation. */
@FunctionalInterface
public interface WeightSource {
  /** The tensor {@code name} (Hugging Face naming), of shape {@code shape}, as a CPU or device tensor of any float dtype. */
  Tensor get(String name, long[] shape);
}
