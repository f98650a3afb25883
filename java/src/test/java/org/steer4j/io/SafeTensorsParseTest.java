package org.steer4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SafeTensors#open} parses and validates the header in Java alone: LibTorch, JavaCPP and
 * {@code runtime.Native} are not loaded, so a fuzzer feeding it arbitrary bytes can't crash the
 * JVM in native code. Checked in a fresh class loader (the test JVM has long loaded them).
 */
class SafeTensorsParseTest {
  @TempDir Path dir;

  /** A class loader over the test class path that says which classes it has loaded. */
  static final class Isolated extends URLClassLoader {
    Isolated() {
      super(classPath(), ClassLoader.getPlatformClassLoader());
    }

    boolean loaded(String name) {
      return findLoadedClass(name) != null;
    }

    private static URL[] classPath() {
      List<URL> urls = new ArrayList<>();
      for (String p : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
        try {
          urls.add(Path.of(p).toUri().toURL());
        } catch (java.net.MalformedURLException e) {
          throw new IllegalStateException(e);
        }
      }
      return urls.toArray(URL[]::new);
    }
  }

  /**
   * Loading any of these means native code ran or was about to. (JavaCPP classes such as Pointer
   * and Tensor may be loaded to verify SafeTensors' bytecode, but initialising any of them calls
   * Loader.load, so Loader not being loaded proves none was initialised.)
   */
  static final Set<String> NATIVE = Set.of("org.steer4j.runtime.Native", "org.steer4j.runtime.NativeOps", "org.bytedeco.javacpp.Loader",
      "org.bytedeco.pytorch.global.torch");

  @Test
  void openingAndRefusingFilesNeverLoadsNativeCode() throws Exception {
    Path good = Path.of("../data/fixtures/safetensors/tiny.safetensors");
    assertTrue(Files.exists(good), good.toAbsolutePath().toString());
    Path bad = dir.resolve("bad.safetensors");
    Files.write(bad, SafeTensorsFuzzTest.framed("{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387905,4],\"data_offsets\":[0,16]}}".getBytes()));
    try (Isolated loader = new Isolated()) {
      Class<?> st = Class.forName(SafeTensors.class.getName(), true, loader);
      assertEquals(loader, st.getClassLoader());
      Method open = st.getMethod("open", Path.class);
      Object opened = open.invoke(null, good);
      ((AutoCloseable) opened).close();
      var e = org.junit.jupiter.api.Assertions.assertThrows(InvocationTargetException.class, () -> open.invoke(null, bad));
      assertEquals(SafeTensorsException.class.getName(), e.getCause().getClass().getName());
      for (String name : NATIVE) assertFalse(loader.loaded(name), name + " was loaded by parsing a header");
    }
  }
}
