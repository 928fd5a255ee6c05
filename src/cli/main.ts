import { Command } from 'commander';
import { exitOnSignals } from '../adapters/interrupt';
import { MrDriftError } from '../core/errors';
import { VERSION } from '../version';
import { CLI_WORDING } from './cli-wording';

/**
 * `mr-drift` command line: `generate` writes the GitOps tree, `check` reports drift.
 * Exit codes: 0 success / in sync, 1 drift (check) or differences (generate --check),
 * 2 error. Errors print their message and hint; the stack only with --debug.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('mr-drift')
    .description('Multi-region GitOps: generate the tree, detect drift between Git and clusters.')
    .version(VERSION)
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  mr-drift generate                    write overlays/ from mr-drift.yaml',
        '  mr-drift generate --check            exit 1 when overlays/ is out of date',
        "  mr-drift check                       compare every region's overlay with its cluster",
        '  mr-drift check --mode read-only --regions us-east',
        '',
        'Exit codes: 0 success (in sync, up to date), 1 drift (check) or differences',
        '(generate --check), 2 error. Run `mr-drift <command> --help` for its options.',
      ].join('\n'),
    )
    .exitOverride();
  // Each command's modules are loaded only when the command line may need them (the
  // bundle puts each in a chunk of its own): `generate` never loads the drift check's
  // (the Kubernetes client, YAML and comparison code), `check` never the generator's
  // (Handlebars, the JSON Schema validator), which took a tenth of a check's start-up.
  // Help and anything else load both, so help and suggestions list both commands.
  const sub = subcommand(argv);
  const commands: Command[] = [];
  if (sub !== 'check') commands.push((await import('./generate-command')).generateCommand());
  if (sub !== 'generate') commands.push((await import('./check-command')).checkCommand());
  for (const command of commands) {
    // Subcommands must also throw instead of exiting, so usage errors exit 2.
    command.copyInheritedSettings(program);
    program.addCommand(command);
  }

  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, argv.includes('--debug'));
  }
}

/** The first word after the program that is not an option (top-level options take no value). */
function subcommand(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

function reportError(err: unknown, debug: boolean): number {
  const e = err as { code?: string; exitCode?: number };
  // commander signals --help / --version / usage errors by throwing after printing.
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    // --help, --version and `help [command]` end with exitCode 0; help shown because no
    // command was given, and every usage error, with a non-zero one: exit 2 for those.
    return e.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof MrDriftError) {
    const { message, hint } = err.worded(CLI_WORDING);
    process.stderr.write(`error: ${message}\n`);
    if (hint) process.stderr.write(`hint: ${hint}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  process.stderr.write(`unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
  process.stderr.write(
    debug && (err as Error)?.stack
      ? `${(err as Error).stack}\n`
      : 'This is a bug in mr-drift; re-run with --debug and report the stack trace.\n',
  );
  return 2;
}

// Run when executed directly (tsx src/cli/main.ts, node dist/cli.js, the npm bin link).
const invokedDirectly =
  import.meta.url === `file://${process.argv[1]}` ||
  /(?:^|[/\\])(?:main\.ts|cli\.js|mr-drift)$/.test(process.argv[1] ?? '');
if (invokedDirectly) {
  exitOnSignals();
  main(process.argv).then(
    (code) => exitAfterOutput(code),
    (err: unknown) => {
      process.stderr.write(`unexpected error: ${String(err)}\n`);
      exitAfterOutput(2);
    },
  );
}

/**
 * Exits once everything written to stdout and stderr has reached them. Writes to a pipe
 * are asynchronous in Node on Linux: `process.exit` right away would cut a large report
 * (`check --output json`, `generate --dry-run`) after the first 64 KiB when the reader is
 * slower than the writer. A write's callback runs after every earlier write is flushed.
 */
function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
