/**
 * The `dmasim` command line: commander wiring only. Each command's work is in `commands/`; this file maps options to
 * their arguments, turns commander's usage errors into the one-line exit-2 form, and turns any exception nothing
 * expected into one line and exit 70.
 */
import { builtinScenarios } from "@dmasim/kernel";
import { Command, CommanderError, Option } from "commander";
import { bootCommand } from "./commands/boot";
import { conformanceCommand } from "./commands/conformance";
import { defaultCommand } from "./commands/default";
import { exploreCommand } from "./commands/explore";
import { reportCommand } from "./commands/report";
import { runCommand, type OutputFormat } from "./commands/run";
import { EXIT_INTERNAL, EXIT_USAGE, formatInternalError } from "./errors";
import { sanitizeTerminal } from "./render/text/table";
import type { CliIo } from "./io/cli-io";
import { VERSION } from "./version";

const collect = (value: string, previous: readonly string[] | undefined): string[] => [...(previous ?? []), value];
const formatOption = (): Option => new Option("--format <format>", "output format").choices(["text", "json", "md"]).default("text");
const profileOption = (): Option => new Option("-p, --profile <profile>", "kernel profile (repeatable): v4.7, v4.8, v4.8-not-bound, v4.12, v6.1").argParser(collect);

/** The root help's epilogue: the built-in scenario ids (what SCENARIO may name besides a file) and the exit codes. */
function rootHelpEpilogue(): string {
  const all = builtinScenarios();
  const width = Math.max(...all.map((b) => b.id.length));
  const lines = all.map((b) => {
    const about = b.scenario.description ?? b.scenario.name;
    return `  ${b.id.padEnd(width)}  ${about.length > 90 ? `${about.slice(0, 87)}...` : about}`;
  });
  return [
    "",
    "Built-in scenarios (SCENARIO may also be a YAML or JSON scenario file):",
    ...lines,
    "",
    "Exit status: 0 nothing violated, 1 an invariant violated, 2 bad input or usage (one line naming the file and",
    "field or offset), 70 internal error, 74 stdout not writable.",
    "",
  ].join("\n");
}

/** Builds the program; `exit` receives each command's exit status. */
export function buildProgram(io: CliIo, exit: (code: number) => void): Command {
  const program = new Command("dmasim");
  program
    .description("Boot arm64 platforms under Linux kernel generations, check the DMA/IOMMU invariants, explore probe orderings and write reports.")
    .version(VERSION, "-V, --version")
    .addHelpText("after", rootHelpEpilogue)
    .option("-o, --out <dir>", "directory for report.html, report.md, report.json", "out")
    .addOption(profileOption())
    .showHelpAfterError(false)
    .enablePositionalOptions()
    .allowExcessArguments(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`dmasim: ${s.replace(/^error: /, "").trim().replace(/\s*\n\s*/g, "; ")} (see dmasim --help)\n`),
    })
    .action(async (opts: { out: string; profile?: string[] }, cmd: Command) => {
      const word = cmd.args[0];
      if (word !== undefined) {
        const names = program.commands.map((c) => c.name());
        io.stderr.write(`dmasim: unknown command '${sanitizeTerminal(word)}' (commands: ${names.join(", ")}; see dmasim --help)\n`);
        exit(EXIT_USAGE);
        return;
      }
      exit(await defaultCommand({ out: opts.out, ...(opts.profile === undefined ? {} : { profiles: opts.profile }) }, io));
    });

  program
    .command("run")
    .description("boot SCENARIO (a file or a built-in id such as seed, s1..s7) under each profile")
    .argument("<scenario>", "scenario file (YAML/JSON) or built-in scenario id")
    .addOption(profileOption())
    .addOption(formatOption())
    .option("--choices <list>", "replay an explorer choice sequence, e.g. 0,2,1")
    .option("--cmdline <cmdline>", "kernel command line (replaces the scenario's)")
    .option("--inject <budget>", "the fault budget an explorer counterexample was found with, e.g. enomem=1")
    .option("--trace", "print each profile's whole trace (notifier calls, probes, STE writes, commands, DMA) first")
    .option("--dmesg", "print each profile's kernel log (printk lines as dmesg shows them) first")
    .action(async (scenario: string, opts: { profile?: string[]; format: OutputFormat; choices?: string; cmdline?: string; inject?: string; trace?: boolean; dmesg?: boolean }) => {
      exit(
        await runCommand(
          {
            scenario,
            format: opts.format,
            ...(opts.profile === undefined ? {} : { profiles: opts.profile }),
            ...(opts.choices === undefined ? {} : { choices: opts.choices }),
            ...(opts.cmdline === undefined ? {} : { cmdline: opts.cmdline }),
            ...(opts.inject === undefined ? {} : { inject: opts.inject }),
            ...(opts.trace === true ? { trace: true } : {}),
            ...(opts.dmesg === true ? { dmesg: true } : {}),
          },
          io,
        ),
      );
    });

  program
    .command("explore")
    .description("explore the probe orderings of SCENARIO (exhaustive, or random with --seed)")
    .argument("<scenario>", "scenario file (YAML/JSON) or built-in scenario id")
    .addOption(profileOption())
    .option("--max-states <n>", "state budget")
    .option("--seed <s>", "random exploration with this seed")
    .option("--workers <n>", "worker threads (results are the same for any number)")
    .option("--inject <budget>", "fail probes on purpose, at most this many per run: enomem=N,defer=N")
    .addOption(formatOption())
    .option("-o, --out <dir>", "also write report.html, report.md, report.json here")
    .action(async (scenario: string, opts: { profile?: string[]; maxStates?: string; seed?: string; workers?: string; format: OutputFormat; out?: string; inject?: string }) => {
      exit(
        await exploreCommand(
          {
            scenario,
            format: opts.format,
            ...(opts.workers === undefined ? {} : { workers: opts.workers }),
            ...(opts.profile === undefined ? {} : { profiles: opts.profile }),
            ...(opts.maxStates === undefined ? {} : { maxStates: opts.maxStates }),
            ...(opts.seed === undefined ? {} : { seed: opts.seed }),
            ...(opts.out === undefined ? {} : { out: opts.out }),
            ...(opts.inject === undefined ? {} : { inject: opts.inject }),
          },
          io,
        ),
      );
    });

  program
    .command("boot")
    .description("what a platform gives each device under the profile's default driver set")
    .option("--qemu <args>", 'QEMU virt arguments, e.g. "-M virt,iommu=smmuv3 -device e1000e"')
    .option("--dtb <file>", "a flattened device tree")
    .option("--iort <file>", "an ACPI IORT table")
    .option("--pci <file>", "PCI topology beside --dtb/--iort: YAML/JSON { devices: [QEMU -device arguments] }")
    .addOption(new Option("--firmware <kind>", "dt or acpi (QEMU boards)"))
    .addOption(profileOption())
    .option("--cmdline <cmdline>", "kernel command line")
    .addOption(formatOption())
    .action(async (opts: { qemu?: string; dtb?: string; iort?: string; pci?: string; firmware?: string; profile?: string[]; cmdline?: string; format: OutputFormat }) => {
      const { profile, ...rest } = opts;
      exit(await bootCommand({ ...rest, ...(profile === undefined ? {} : { profiles: profile }) }, io));
    });

  program
    .command("report")
    .description("write report.html, report.md and report.json from a saved RESULT.json or a scenario")
    .argument("<input>", "a result JSON written by dmasim, or a scenario file / built-in id")
    .requiredOption("-o, --out <dir>", "output directory")
    .addOption(profileOption())
    .action(async (input: string, opts: { out: string; profile?: string[] }) => {
      exit(await reportCommand({ input, out: opts.out, ...(opts.profile === undefined ? {} : { profiles: opts.profile }) }, io));
    });

  program
    .command("conformance")
    .description("compare the v6.1 prediction with the real kernel: live under QEMU, or a recorded boot")
    .option("--qemu <args>", "boot Debian's 6.1 arm64 kernel under QEMU with these arguments")
    .option("--firmware <kind>", "dt or acpi (live boots)")
    .option("--cmdline <cmdline>", "extra kernel command line (live boots)")
    .option("--timeout <seconds>", "time limit of the live boot")
    .option("--no-dyndbg", "boot without the dynamic-debug selection")
    .option("--log <file>", "a recorded console log")
    .option("--cmd <file>", "the recorded boot's QEMU command line")
    .option("--timeline", "also print the two boots side by side")
    .addOption(formatOption())
    .action(async (opts: { qemu?: string; firmware?: string; cmdline?: string; timeout?: string; dyndbg: boolean; log?: string; cmd?: string; timeline?: boolean; format: OutputFormat }) => {
      exit(await conformanceCommand(opts, io));
    });

  for (const c of program.commands) {
    c.exitOverride().configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`dmasim ${c.name()}: ${s.replace(/^error: /, "").trim().replace(/\s*\n\s*/g, "; ")} (see dmasim ${c.name()} --help)\n`),
    });
  }
  return program;
}

/** Runs the CLI on `argv` (without the node and script words); resolves to the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  try {
    const program = buildProgram(io, (c) => {
      code = c;
    });
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      return EXIT_USAGE;
    }
    io.stderr.write(`${formatInternalError(err)}\n`);
    return EXIT_INTERNAL;
  }
}
