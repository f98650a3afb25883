package org.steer4j.cli;

import picocli.CommandLine.IVersionProvider;

/** Version string from the jar manifest (or "dev" when run from classes). */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"steer4j " + Steer4j.version() + ", LibTorch 2.10.0 via JavaCPP presets 1.5.13"};
  }
}
