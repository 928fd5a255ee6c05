#!/usr/bin/env node
import { createRequire as __mrDriftCreateRequire } from 'node:module';
const require = __mrDriftCreateRequire(import.meta.url);
import {
  CLI_WORDING,
  VERSION,
  exitOnSignals
} from "./chunks/chunk-GMIWI22N.js";
import {
  Command,
  MrDriftError
} from "./chunks/chunk-GHUGT5YQ.js";
import "./chunks/chunk-6WB2FJIM.js";

// src/cli/main.ts
async function main(argv) {
  const program = new Command("mr-drift").description("Multi-region GitOps: generate the tree, detect drift between Git and clusters.").version(VERSION).option("--debug", "print stack traces of errors").showHelpAfterError("(run with --help for usage)").addHelpText(
    "after",
    [
      "",
      "Examples:",
      "  mr-drift generate                    write overlays/ from mr-drift.yaml",
      "  mr-drift generate --check            exit 1 when overlays/ is out of date",
      "  mr-drift check                       compare every region's overlay with its cluster",
      "  mr-drift check --mode read-only --regions us-east",
      "",
      "Exit codes: 0 success (in sync, up to date), 1 drift (check) or differences",
      "(generate --check), 2 error. Run `mr-drift <command> --help` for its options."
    ].join("\n")
  ).exitOverride();
  const sub = subcommand(argv);
  const commands = [];
  if (sub !== "check") commands.push((await import("./chunks/generate-command-OMTI36SO.js")).generateCommand());
  if (sub !== "generate") commands.push((await import("./chunks/check-command-WYNNVV5Y.js")).checkCommand());
  for (const command of commands) {
    command.copyInheritedSettings(program);
    program.addCommand(command);
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, argv.includes("--debug"));
  }
}
function subcommand(argv) {
  return argv.slice(2).find((a) => !a.startsWith("-"));
}
function reportError(err, debug) {
  const e = err;
  if (typeof e.code === "string" && e.code.startsWith("commander.")) {
    return e.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof MrDriftError) {
    const { message, hint } = err.worded(CLI_WORDING);
    process.stderr.write(`error: ${message}
`);
    if (hint) process.stderr.write(`hint: ${hint}
`);
    if (debug && err.stack) process.stderr.write(`${err.stack}
`);
    return err.exitCode;
  }
  process.stderr.write(`unexpected error: ${err?.message ?? String(err)}
`);
  process.stderr.write(
    debug && err?.stack ? `${err.stack}
` : "This is a bug in mr-drift; re-run with --debug and report the stack trace.\n"
  );
  return 2;
}
var invokedDirectly = import.meta.url === `file://${process.argv[1]}` || /(?:^|[/\\])(?:main\.ts|cli\.js|mr-drift)$/.test(process.argv[1] ?? "");
if (invokedDirectly) {
  exitOnSignals();
  main(process.argv).then(
    (code) => exitAfterOutput(code),
    (err) => {
      process.stderr.write(`unexpected error: ${String(err)}
`);
      exitAfterOutput(2);
    }
  );
}
function exitAfterOutput(code) {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
export {
  main
};
