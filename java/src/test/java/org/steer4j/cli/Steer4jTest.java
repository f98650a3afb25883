package org.steer4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The steer4j command line: help, subcommands, and clear errors for bad input. */
class Steer4jTest {
  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    CommandLine cli = Steer4j.commandLine();
    StringWriter out = new StringWriter(), err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void helpListsTheSubcommands() {
    Result r = run("--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("Usage: steer4j"), r.out());
    assertTrue(r.out().contains("smoke"), r.out());
  }

  @Test
  void subcommandHelpDescribesItsArguments() {
    Result r = run("smoke", "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("KEY=VALUE"), r.out());
  }

  @Test
  void badConfigGivesOneLineAndExitCode2(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "taks: 3\n");
    Result r = run("smoke", file.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("steer4j: error: " + file), r.err());
    assertTrue(r.err().contains("did you mean 'tasks'"), r.err());
  }

  @Test
  void unknownSubcommandIsAUsageError() {
    Result r = run("trian");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Unmatched argument"), r.err());
  }
}
