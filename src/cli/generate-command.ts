import { Command, Option } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { displayPath } from '../adapters/fs/display-path';
import { runGenerate, type GenerateResult } from '../pipeline/run-generate';
import { DEFAULT_CONFIG_FILE } from '../adapters/fs/read-config';
import type { ChangeKind, TreeChange } from '../adapters/fs/tree-diff';
import { count } from '../core/text/plural';
import { failoverReadiness } from '../core/readiness/failover-readiness';
import { readinessText } from '../core/readiness/readiness-text';

interface GenerateFlags {
  config: string;
  templates?: string;
  out?: string;
  check?: boolean;
  dryRun?: boolean;
  force?: boolean;
  output: 'text' | 'json';
}

/**
 * `mr-drift generate`: write the GitOps tree from the config. Exit 0 when written or up
 * to date, 1 with --check when the committed tree differs, 2 on any error (bad config,
 * template, hand-edited files without --force); errors are printed by main.
 */
export function generateCommand(): Command {
  return new Command('generate')
    .description(
      'Write the GitOps tree (Kustomize base, one overlay per region, Argo CD or Flux objects) from the config.',
    )
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_FILE)
    .option(
      '-t, --templates <dir>',
      'folder of .hbs files that replace bundled templates of the same name',
    )
    .option(
      '-o, --out <dir>',
      "output folder (default: the config's gitops.path, next to the config)",
    )
    .option(
      '--check',
      'write nothing; exit 1 and list the files that differ from what would be generated',
    )
    .option('--dry-run', 'write nothing; print what would change as a unified diff')
    .option('--force', 'overwrite generated files that were edited by hand')
    .addOption(
      new Option(
        '--output <format>',
        'what to print: the summary and failover readiness as text, or both as JSON',
      )
        .choices(['text', 'json'])
        .default('text'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  mr-drift generate                           write overlays/ from mr-drift.yaml',
        '  mr-drift generate --check                   in CI: fail when overlays/ is out of date',
        '  mr-drift generate --dry-run                 show the change as a unified diff',
        '  mr-drift generate -c other.yaml -t my-templates -o /tmp/tree',
        '  mr-drift generate --check --output json  the summary and what losing each region would do',
        '',
        'Exit codes: 0 written or up to date, 1 differences found (--check), 2 error.',
        'Files the generator did not write are never touched.',
      ].join('\n'),
    )
    .action((flags: GenerateFlags) => {
      const result = runGenerate({
        configPath: flags.config,
        templatesDir: flags.templates,
        outDir: flags.out,
        check: flags.check,
        dryRun: flags.dryRun,
        force: flags.force,
      });
      const out = process.stdout;
      const readiness = failoverReadiness(result.config);
      if (flags.output === 'json') {
        out.write(`${JSON.stringify(jsonSummary(result, readiness), null, 2)}\n`);
      } else {
        if (flags.dryRun) out.write(unifiedDiff(result.diff.changes));
        out.write(summary(result, flags));
        out.write(readinessText(readiness));
      }
      if (flags.check && (result.diff.changes.length > 0 || result.diff.foreign.length > 0)) {
        process.exitCode = 1;
      }
    });
}

/**
 * `--output json`: what was (or would be) written, and the failover readiness. File
 * contents are left out; `--dry-run` as text shows them as a diff.
 */
export function jsonSummary(
  result: GenerateResult,
  readiness: ReturnType<typeof failoverReadiness>,
): object {
  const { config, diff } = result;
  return {
    outDir: displayPath(result.outDir),
    engine: config.gitops.engine,
    regions: config.regions.map((r) => r.name),
    shards: config.database.shards,
    files: result.plan.length,
    written: result.written,
    upToDate: diff.changes.length === 0 && diff.foreign.length === 0,
    changes: diff.changes.map((c) => ({ kind: c.kind, path: c.path })),
    foreign: diff.foreign,
    failoverReadiness: readiness,
  };
}

/** Unified diff of every change, paths relative to the output folder. */
export function unifiedDiff(changes: readonly TreeChange[]): string {
  return changes
    .map((c) =>
      createTwoFilesPatch(
        c.kind === 'added' ? '/dev/null' : `a/${c.path}`,
        c.kind === 'removed' ? '/dev/null' : `b/${c.path}`,
        c.before ?? '',
        c.after ?? '',
        undefined,
        undefined,
        { context: 3 },
      ).replace(/^=+\n/, ''),
    )
    .join('');
}

function summary(result: GenerateResult, flags: GenerateFlags): string {
  const { diff, plan, config } = result;
  const where = `${displayPath(result.outDir)}/`;
  const what = `${config.gitops.engine}${config.gitops.engine === 'flux' ? ` (${config.gitops.flux.layout} layout)` : ''}, ${count(config.regions.length, 'region')}, ${count(config.database.shards, 'shard')}`;
  if (diff.changes.length === 0 && diff.foreign.length === 0) {
    return `${where} is up to date (${plan.length} files; ${what}).\n`;
  }
  const lines: string[] = [];
  if (flags.check) {
    lines.push(
      `${where} is out of date: ${diff.changes.length + diff.foreign.length} file(s) differ from what the config and templates produce:`,
    );
    for (const c of diff.changes) lines.push(`  ${c.kind.padEnd(8)} ${where}${c.path}`);
    for (const f of diff.foreign) lines.push(`  conflict ${where}${f} (not written by mr-drift)`);
    lines.push('Run `npm run generate` and commit the result.');
    return `${lines.join('\n')}\n`;
  }
  const verb = flags.dryRun ? 'would change' : 'wrote';
  lines.push(`${verb} ${where} (${what}):`);
  const groups = new Map<string, Record<ChangeKind, number>>();
  for (const c of diff.changes) {
    if (c.group === 'record') continue;
    const g = groups.get(c.group) ?? { added: 0, changed: 0, removed: 0 };
    g[c.kind]++;
    groups.set(c.group, g);
  }
  const order = (g: string): string => (g === 'base' ? '0' : g === 'gitops' ? '2' : `1${g}`);
  const width = Math.max(8, ...[...groups.keys()].map((g) => g.length + 2));
  for (const [group, n] of [...groups].sort((a, b) => (order(a[0]) < order(b[0]) ? -1 : 1))) {
    const label = order(group).startsWith('1') ? `region ${group}` : group;
    lines.push(
      `  ${label.padEnd(width + 7)} ${n.added} added, ${n.changed} changed, ${n.removed} removed`,
    );
  }
  const total = { added: 0, changed: 0, removed: 0 };
  for (const c of diff.changes) total[c.kind]++;
  lines.push(
    `${total.added} added, ${total.changed} changed, ${total.removed} removed; ${diff.unchanged} unchanged.`,
  );
  if (diff.handEdited.length > 0 && flags.force) {
    lines.push(`--force: discarded hand edits in ${diff.handEdited.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
