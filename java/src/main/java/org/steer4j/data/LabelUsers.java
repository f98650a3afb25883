package org.steer4j.data;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.steer4j.runtime.Rng;

/**
 * Users that are the dataset's labels (the reference's tasks): a task's label is drawn
 * uniformly, its choices are that label's column, its rows those without a tie for it.
 */
public final class LabelUsers implements Users {
  private final PairsDataset data;
  private final List<String> names;
  private final int[] labels;
  private final Map<Split, int[][]> rows = new EnumMap<>(Split.class);

  public LabelUsers(PairsDataset data, List<String> names) {
    this.data = data;
    this.names = names.isEmpty() ? data.labels() : List.copyOf(names);
    this.labels = this.names.stream().mapToInt(data::labelIndex).toArray();
    for (Split s : Split.values()) {
      int[][] perLabel = new int[data.labels().size()][];
      for (int l : labels) perLabel[l] = data.rows(s, l);
      rows.put(s, perLabel);
    }
  }

  public List<String> names() {
    return names;
  }

  /** The user of a given label. */
  public User user(String name) {
    return User.label(name, data.labelIndex(name));
  }

  @Override
  public User draw(Rng rng) {
    int i = rng.nextInt(labels.length);
    return User.label(names.get(i), labels[i]);
  }

  @Override
  public int[] rows(Split split, User user) {
    return rows.get(split)[user.label()];
  }

  @Override
  public byte choice(User user, int row, Rng rng) {
    return data.choice(user.label(), row);
  }

  @Override
  public String describe() {
    return "label users " + names;
  }
}
