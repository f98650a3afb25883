package org.steer4j.data;
import org.steer4j.runtime.Rng;

/** Who the tasks' users are and how they choose between the two options of a pair. */
public interface Users {
  /** Draws the user of a new task. */
  User draw(Rng rng);

  /** Rows of {@code split} on which {@code user} has a strict preference. */
  int[] rows(Split split, User user);

  /** The user's choice on {@code row}: 0 = a preferred, 1 = b preferred. */
  byte choice(User user, int row, Rng rng);

  /** A name for reports ("label users 0, 1", "mixtures of 3 objectives"). */
  String describe();
}
