import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { UsageError } from '../core/errors';
import type { ComparisonMode, DriftReport } from '../core/report/model';
import { checkOutcome } from '../core/report/outcome';
import { renderText, PLAIN_STYLE, type TextStyle } from '../core/report/text';
import { renderMarkdownReport } from '../core/report/markdown';
import { writeReportFile } from '../adapters/fs/write-report';
import { runCheck } from '../pipeline/run-check';
import { CLI_WORDING } from './cli-wording';
import { RENDER_TIMEOUT_MS } from '../adapters/kustomize';
import {
  COUNT_EXPECTED,
  readCount,
  readSeconds,
  SECONDS_EXPECTED,
} from '../core/text/option-number';
import { DEFAULT_PARALLEL_REGIONS, type CheckProgress } from '../pipeline/check-options';

interface CheckFlags {
  path: string;
  regions?: string;
  kubeconfig?: string;
  context?: string[];
  mode: ComparisonMode;
  ignoreFile?: string;
  fieldManager?: string;
  output: 'text' | 'json' | 'markdown';
  reportFile?: string;
  fullDryRun?: boolean;
  base?: string;
  failOnPrChanges?: boolean;
  requestTimeout: number;
  renderTimeout: number;
  parallelRegions: number;
  progress: boolean;
}

/**
 * `mr-drift check`: renders each region's overlay, compares it with the region's cluster
 * and prints the report. Exit codes as `kubectl diff`: 0 in sync, 1 drift, 2 error (a
 * region that could not be checked counts as an error, never as in sync). With --base,
 * a pull request's own changes are not drift (exit 0) unless --fail-on-pr-changes.
 */
export function checkCommand(): Command {
  return new Command('check')
    .description(
      "Report every difference between Git and each region's cluster, per object and field.",
    )
    .option('--path <path>', 'overlays folder, a folder of manifests, or one YAML file', 'overlays')
    .option('--regions <list>', 'comma-separated regions to check (default: every overlay)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)')
    .option(
      '--context <region=context>',
      'kubeconfig context of a region (repeatable; default: the context named like the region)',
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .addOption(
      new Option(
        '--mode <mode>',
        'server-side: dry-run apply on the server; read-only: no write verb at all',
      )
        .choices(['server-side', 'read-only'])
        .default('server-side'),
    )
    .option('--ignore-file <file>', 'ignore rules (default: .mr-drift-ignore.yaml when present)')
    .option(
      '--field-manager <name>',
      'field manager of the GitOps engine (default: detected, else argocd-controller)',
    )
    .addOption(
      new Option('--output <format>', 'report format on stdout')
        .choices(['text', 'json', 'markdown'])
        .default('text'),
    )
    .option(
      '--full-dry-run',
      'server-side mode: dry-run every object, also those whose managedFields prove the apply a no-op',
    )
    .option(
      '--base <ref>',
      "pull request's base revision: tell the PR's own changes apart from drift already in the cluster",
    )
    .option('--fail-on-pr-changes', "with --base: exit 1 for the PR's own changes too")
    .option('--report-file <file>', 'also write the JSON report to this file')
    .option(
      '--request-timeout <seconds>',
      'give up on a cluster that does not answer a request (or connect) within this time',
      parseSeconds,
      30,
    )
    .option(
      '--render-timeout <seconds>',
      'give up on a region whose kustomize build takes longer (raise it for overlays of thousands of objects)',
      parseSeconds,
      RENDER_TIMEOUT_MS / 1000,
    )
    .option(
      '--parallel-regions <n>',
      'regions checked at once (memory grows with this many regions, not with all)',
      parseCount,
      DEFAULT_PARALLEL_REGIONS,
    )
    .option('--no-progress', 'do not show progress on stderr')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  mr-drift check                                  every overlay under overlays/regions/',
        '  mr-drift check --regions us-east --mode read-only',
        '  mr-drift check --context us-east=prod-use1 --output json --report-file drift.json',
        "  mr-drift check --base origin/main                tell a PR's own changes apart from drift",
        '',
        'Exit codes: 0 every region in sync, 1 drift in at least one region, 2 an error',
        '(bad input, or a region that could not be checked: never reported as in sync).',
      ].join('\n'),
    )
    .action(async (flags: CheckFlags) => {
      if (flags.failOnPrChanges && flags.base === undefined) {
        throw new UsageError(
          '--fail-on-pr-changes needs --base',
          "Without a base revision every difference already counts as drift; add --base <the PR's base branch or commit>.",
        );
      }
      // Before any cluster is contacted: a report that cannot be written is a usage error.
      if (flags.reportFile) checkReportFolder(flags.reportFile);
      const report = await runCheck({
        path: flags.path,
        ...(flags.regions !== undefined ? { regions: parseRegions(flags.regions) } : {}),
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        contexts: parseContexts(flags.context ?? []),
        mode: flags.mode,
        wording: CLI_WORDING,
        ...(flags.ignoreFile ? { ignoreFile: flags.ignoreFile } : {}),
        ...(flags.fieldManager ? { fieldManager: flags.fieldManager } : {}),
        ...(flags.fullDryRun ? { fullDryRun: true } : {}),
        ...(flags.base !== undefined ? { base: flags.base } : {}),
        timeoutMs: flags.requestTimeout * 1000,
        renderTimeoutMs: flags.renderTimeout * 1000,
        parallelRegions: flags.parallelRegions,
        ...(flags.progress ? { onProgress: progressPrinter() } : {}),
      });
      if (flags.reportFile) writeReport(report, flags.reportFile);
      process.stdout.write(render(report, flags.output));
      process.exitCode = checkOutcome(report, {
        failOnDrift: true,
        failOnPrChanges: flags.failOnPrChanges ?? false,
      }).code;
    });
}

function parseRegions(list: string): string[] {
  const regions = list
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (regions.length === 0)
    throw new UsageError(
      '--regions is empty',
      'Pass a comma-separated list, e.g. --regions us-east,eu-west.',
    );
  return regions;
}

function parseContexts(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) {
      throw new UsageError(
        `--context ${pair}: expected REGION=CONTEXT`,
        'For example --context us-east=prod-us-east-admin.',
      );
    }
    const region = pair.slice(0, eq);
    if (out[region] !== undefined) throw new UsageError(`--context gives region ${region} twice`);
    out[region] = pair.slice(eq + 1);
  }
  return out;
}

function render(report: DriftReport, output: CheckFlags['output']): string {
  if (output === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (output === 'markdown') {
    const md = renderMarkdownReport(report);
    return md.endsWith('\n') ? md : `${md}\n`;
  }
  return renderText(report, textStyle());
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
function textStyle(): TextStyle {
  if (!process.stdout.isTTY || (process.env.NO_COLOR ?? '') !== '') return PLAIN_STYLE;
  const c = pc.createColors(true);
  return { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
}

/** The folder of --report-file must exist: the report is written only after the check. */
function checkReportFolder(file: string): void {
  const folder = dirname(file);
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    // reported below
  }
  if (!isFolder) {
    throw new UsageError(
      `--report-file ${file}: the folder ${folder} does not exist`,
      'Create the folder first, or pass a path in an existing folder.',
    );
  }
}

/** The report into --report-file, whole or not at all; a failure is a usage error. */
function writeReport(report: DriftReport, file: string): void {
  try {
    writeReportFile(report, file);
  } catch (e) {
    throw new UsageError(
      `--report-file ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/**
 * Progress on stderr. On a terminal: one line, redrawn at most every 100 ms, with each
 * region's current step; elsewhere (CI logs): one line per region step, without counts.
 */
function progressPrinter(): (e: CheckProgress) => void {
  const tty = Boolean(process.stderr.isTTY);
  const state = new Map<string, string>();
  let last = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    const line = [...state.entries()].map(([r, s]) => `${r}: ${s}`).join(' | ');
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
  };
  return (e) => {
    if (e.kind === 'region-start') state.set(e.region, 'starting');
    else if (e.kind === 'region-step') {
      const counts = e.total !== undefined ? ` ${e.done ?? 0}/${e.total}` : '';
      if (!tty && (e.done === undefined || e.done === 0))
        process.stderr.write(`[${e.region}] ${e.step}\n`);
      state.set(e.region, `${e.step}${counts}`);
    } else {
      state.set(e.region, e.status);
      if (!tty) process.stderr.write(`[${e.region}] ${e.status}\n`);
    }
    if (!tty) return;
    const finished = [...state.values()].every(
      (s) => s === 'in-sync' || s === 'drift' || s === 'error',
    );
    if (finished) process.stderr.write('\r\x1b[2K');
    else draw(e.kind !== 'region-step');
  };
}

/** `--parallel-regions`: a whole number of at least 1. */
function parseCount(value: string): number {
  const n = readCount(value);
  if (n === undefined) throw new InvalidArgumentError(`${COUNT_EXPECTED}, e.g. 8`);
  return n;
}

/** `--request-timeout`, `--render-timeout`: seconds, a positive number (fractions allowed). */
function parseSeconds(value: string): number {
  const n = readSeconds(value);
  if (n === undefined) throw new InvalidArgumentError(`${SECONDS_EXPECTED}, e.g. 30 or 2.5`);
  return n;
}
