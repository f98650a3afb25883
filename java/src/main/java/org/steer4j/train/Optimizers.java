package org.steer4j.train;

import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.TensorVector;
import org.steer4j.config.TrainConfig;

/** The recipes' optimisers: Adam or AdamW with the configured learning rate, eps and weight decay. */
public final class Optimizers {
  private Optimizers() {}

  public static Optimizer of(TensorVector parameters, TrainConfig t) {
    if (t.optimizer() == TrainConfig.Optimizer.ADAMW) {
      AdamWOptions o = new AdamWOptions(t.lr());
      o.eps().put(t.eps());
      o.weight_decay().put(t.weightDecay());
      return new AdamW(parameters, o);
    }
    AdamOptions o = new AdamOptions(t.lr());
    o.eps().put(t.eps());
    o.weight_decay().put(t.weightDecay());
    return new Adam(parameters, o);
  }

  /** Sets the learning rate of every parameter group (schedules). */
  public static void setLearningRate(Optimizer optimizer, double lr) {
    var groups = optimizer.param_groups();
    for (long i = 0; i < groups.size(); ++i) groups.get(i).options().set_lr(lr);
  }
}
