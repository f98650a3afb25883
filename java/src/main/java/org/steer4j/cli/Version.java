package org.steer4j.cli;

import picocli.CommandLine.IVersionProvider;

/** Version string from the jar manifest (or "dev" when run from classes). */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Steer4j.class.getPackage().getImplementationVersion();
    return new String[] {"steer4j " + (v == null ? "dev" : v) + ", LibTorch 2.10.0 via JavaCPP presets 1.5.13"};
  }
}
