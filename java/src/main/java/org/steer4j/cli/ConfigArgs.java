package org.steer4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.steer4j.config.Configs;

/** CONFIG [KEY=VALUE...] as subcommands take them: the config file is optional, overrides may come alone. */
final class ConfigArgs {
  private ConfigArgs() {}

  static <T> T load(Class<T> type, Path config, List<String> overrides) {
    List<String> all = new ArrayList<>(overrides);
    if (config != null && config.toString().contains("=") && !config.toFile().exists()) {
      all.add(0, config.toString());  // only overrides were given
      config = null;
    }
    return config == null ? Configs.defaults(type, all) : Configs.load(type, config, all);
  }

  /**
   * Refuses to run as one rank of a data-parallel job (WORLD_SIZE > 1): every rank would do the
   * whole job and write the same files. Only experiments and embed run data parallel so far.
   */
  static void requireOneProcess(String command) {
    int world = org.steer4j.dist.TorchRunEnv.fromEnvironment().worldSize();
    if (world > 1) {
      throw new org.steer4j.config.ConfigException(command + " runs as one process, but WORLD_SIZE = " + world
          + " (a launcher started it as a rank): only experiment and embed run data parallel so far; start it alone");
    }
  }
}
