package org.steer4j.cli;

import java.io.PrintWriter;
import org.steer4j.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import org.steer4j.runtime.Version;

/** The {@code steer4j} command: one entry point, one subcommand per job. */
@Command(
    name = "steer4j",
    mixinStandardHelpOptions = true,
    versionProvider = Steer4j.VersionProvider.class,
    description = {
      "Few-shot steerable alignment on the JVM: reward models (BTL, DPL, NP-BTL) and policies",
      "(DPO, NP-DPO) that adapt to a user from a handful of their choices, with no gradient step."
    },
    subcommands = {ExperimentCommand.class, PrepareCommand.class, EmbedCommand.class, SmokeCommand.class, CommandLine.HelpCommand.class})
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

  /** User errors (bad config, bad data) get one clear line and exit code 2, not a stack trace. */
  private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
    PrintWriter err = cli.getErr();
    if (e instanceof ConfigException || e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException
        || e instanceof org.steer4j.llm.CheckpointException || e instanceof org.steer4j.llm.TokenizerException) {
      err.println("steer4j: error: " + e.getMessage());
      err.flush();
      return 2;
    }
    throw new RuntimeException(e);
  }
}
