package org.steer4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import org.steer4j.runtime.Version;

/** The {@code steer4j} command: one entry point, one subcommand per job. */
@Command(
    name = "steer4j",
    mixinStandardHelpOptions = true,
    versionProvider = Steer4j.VersionProvider.class,
    description = "Few-shot steerable alignment on the JVM: reward models (BTL, DPL, NP-BTL) and policies (DPO, NP-DPO) that adapt to a user from a handful of their choices, with no gradient step.",
    subcommands = {ExperimentCommand.class, ElicitCommand.class, PrepareCommand.class, EmbedCommand.class, SmokeCommand.class, CommandLine.HelpCommand.class})
public final class Steer4j implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** picocli's {@code --version}: this build and the LibTorch it runs on. */
  public static final class VersionProvider implements picocli.CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"steer4j " + Version.get() + ", LibTorch 2.10.0 via JavaCPP presets 1.5.13"};
    }
  }

  public static void main(String[] args) {
    // JavaCPP refuses new native objects once the process's resident memory passes a bound tied
    // to -Xmx; an LLM's weights legitimately live outside the Java heap, so lift it unless set.
    if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null) System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (also used by the tests). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Steer4j());
    cli.setExecutionExceptionHandler(Steer4j::handle);
    return cli;
  }

  /**
   * A user's input that can't be used (a config, a data file, a checkpoint, a missing or
   * unreadable file, a native library that is not built) gets one line, {@code steer4j: error:
   * <file>: <cause>}, and exit status 2; anything else is a fault of steer4j: its stack trace,
   * then a line asking to report it, and exit status 70 (EX_SOFTWARE).
   */
  static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
    PrintWriter err = cli.getErr();
    if (e instanceof org.steer4j.dist.DistributedException) {  // a rank lost: nothing wrong with the input; resume the run
      err.println("steer4j: error: " + e.getMessage());
      err.flush();
      return org.steer4j.dist.DistributedException.EXIT_CODE;
    }
    if (isUserError(e)) {
      err.println("steer4j: error: " + e.getMessage());
      err.flush();
      return 2;
    }
    e.printStackTrace(err);
    err.println("steer4j: internal error: " + e + " (a bug in steer4j: please report it with the stack trace above)");
    err.flush();
    return 70;
  }

  static boolean isUserError(Throwable e) {
    return e instanceof IllegalArgumentException  // InputException and its kinds, bad values
        || e instanceof java.io.UncheckedIOException || e instanceof java.nio.file.NoSuchFileException
        || e instanceof org.steer4j.runtime.Native.NativeLoadException;
  }
}
