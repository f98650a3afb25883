package org.steer4j.runtime;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The process environment as native code sees it ({@code setenv}), for settings that native
 * libraries read once when they load: Java's own environment is read-only. Its library
 * (libjniProcessEnv) depends on nothing but libc, so it can load before LibTorch does.
 */
@Platform(include = "<stdlib.h>")
final class ProcessEnv {
  static {
    Loader.load();
  }

  private ProcessEnv() {}

  static native int setenv(String name, String value, int overwrite);

  static native String getenv(String name);
}
