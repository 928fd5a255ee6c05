import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KUBECONFIG_STATE,
  removeKubeconfigFile,
  writeKubeconfigFile,
} from '../adapters/actions/kubeconfig-file';
import { decodeKubeconfigInput } from '../adapters/actions/kubeconfig-input';
import { readRunContext, type RunContext } from '../adapters/actions/github-context';
import { readReportFiles } from '../adapters/actions/report-files';
import { writeReportFile } from '../adapters/fs/write-report';
import type { ActionsRuntime } from '../adapters/actions/toolkit';
import type { GitHubClientOptions } from '../adapters/github/github-client';
import type { IssueCommentsApi } from '../adapters/github/issue-comments';
import type { IssuesApi } from '../adapters/github/issues-api';
import { syncReportComments } from '../adapters/github/sync-comments';
import { GitHubApiError, MrDriftError, UsageError } from '../core/errors';
import { aggregateReports } from '../core/report/aggregate';
import { planAnnotations } from '../core/report/annotations';
import { codeBlock } from '../core/report/markdown-escape';
import { renderMarkdownReport, verdictLine } from '../core/report/markdown';
import { renderCommentParts, renderFailureComment } from '../core/report/markdown-comment';
import type { DriftReport } from '../core/report/model';
import { checkOutcome } from '../core/report/outcome';
import { regionsChangedByPr } from '../core/report/origin';
import type { RunCheck } from '../pipeline/check-options';
import { ACTION_WORDING } from './input-wording';
import { keepDriftIssues, keepsDriftIssue } from './drift-issue';
import { readInputs, type ActionInputs } from './inputs';
import { scrubSecrets } from './scrub-secrets';
import { count } from '../core/text/plural';

/** What the Action runs with; the entry point passes the real ones, tests may not. */
export interface ActionDependencies {
  runtime: ActionsRuntime;
  runCheck: RunCheck;
  commentsApi: (options: { token: string; apiUrl: string }) => IssueCommentsApi;
  /** GitHub's issues, for the drift issue outside pull requests (drift-issue.ts). */
  issuesApi: (options: GitHubClientOptions) => IssuesApi;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** GitHub refuses job summaries over 1 MiB per step; stay under with room to spare. */
const SUMMARY_BUDGET_BYTES = 1_000_000;

/**
 * The Action: check the regions (or combine per-region reports in aggregate mode),
 * then present the one report everywhere a reviewer looks: outputs, job summary,
 * annotations, and the pull request comment. Returns the exit code: 0 in sync (or drift
 * with fail-on-drift false), 1 drift, 2 error. Never throws.
 */
export async function runAction(deps: ActionDependencies): Promise<number> {
  const { runtime } = deps;
  const env = deps.env ?? process.env;
  const cwd = deps.cwd ?? process.cwd();
  const ctx = readRunContext(env);
  let kubeconfigFile: string | undefined;
  const tempRoot = ctx.tempDir ?? tmpdir();
  // Credentials of this run, kept out of everything the runner does not mask.
  const secrets: string[] = [];
  try {
    const inputs = readInputs((name) => runtime.getInput(name));
    if (inputs.githubToken) {
      runtime.setSecret(inputs.githubToken);
      secrets.push(inputs.githubToken);
    }
    if (inputs.kubeconfig !== undefined) {
      // Mask before anything else can print: every credential, and the input itself.
      const decoded = decodeKubeconfigInput(inputs.kubeconfig);
      for (const s of decoded.secrets) runtime.setSecret(s);
      secrets.push(...decoded.secrets);
      const unknown = Object.values(inputs.contexts ?? {}).filter(
        (c) => !decoded.contexts.includes(c),
      );
      if (unknown.length > 0) {
        throw new UsageError(
          `input contexts: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the kubeconfig input (it has: ${decoded.contexts.join(', ')})`,
          'Name contexts that the kubeconfig defines, as region=context pairs.',
        );
      }
      kubeconfigFile = writeKubeconfigFile(decoded.text, tempRoot);
      runtime.saveState(KUBECONFIG_STATE, kubeconfigFile);
    }

    let report: DriftReport;
    try {
      report = scrubSecrets(
        inputs.aggregate
          ? combine(inputs, cwd, runtime)
          : await check(inputs, kubeconfigFile, deps, ctx.baseSha),
        secrets,
      );
    } catch (err) {
      // No report at all: say so where the report would have been, then fail.
      if (err instanceof MrDriftError) {
        await presentFailure(scrubSecrets(errorText(err), secrets), inputs, ctx, deps);
      }
      throw err;
    }
    const reportPath = writeReportFile(
      report,
      inputs.reportFile ?? join(tempRoot, 'mr-drift', 'report.json'),
      { createFolder: true },
    );
    runtime.info(`mr-drift: ${verdictLine(report)}. JSON report: ${reportPath}`);
    if (report.source.base?.warning) runtime.warning(`mr-drift: ${report.source.base.warning}`);

    const drifted = report.regions.filter((r) => r.status === 'drift').map((r) => r.name);
    const failed = report.regions.filter((r) => r.status === 'error').map((r) => r.name);
    runtime.setOutput('drift', String(drifted.length > 0));
    runtime.setOutput('regions-with-drift', drifted.join(','));
    runtime.setOutput('regions-with-errors', failed.join(','));
    const changedByPr = regionsChangedByPr(report);
    runtime.setOutput('pr-changes', String(changedByPr.length > 0));
    runtime.setOutput('regions-with-pr-changes', changedByPr.join(','));
    runtime.setOutput('report', reportPath);

    const fileUrlBase =
      ctx.repository && ctx.sha ? `${ctx.serverUrl}/${ctx.repository}/blob/${ctx.sha}/` : undefined;
    await runtime.appendSummary(
      renderMarkdownReport(report, {
        fileUrlBase,
        maxSize: SUMMARY_BUDGET_BYTES,
        sizeUnit: 'utf8-bytes',
        fullReportNote:
          'The complete report is the JSON file of the step’s `report` output; upload it as an artifact to keep it.',
      }) + runFooter(ctx),
    );
    for (const a of planAnnotations(report)) runtime.annotate(a);

    await comment(report, inputs, ctx, fileUrlBase, deps);
    const issueFailure = await keepDriftIssues(report, inputs, ctx, deps);

    const outcome = checkOutcome(report, inputs);
    if (outcome.code === 2) {
      runtime.fail(
        `mr-drift: ${count(failed.length, 'region')} could not be checked: ${failed.join(', ')} (why, and what to do: the error annotations and the job summary)`,
      );
      return 2;
    }
    if (issueFailure) {
      runtime.fail(scrubSecrets(issueFailure, secrets));
      return 2;
    }
    if (outcome.code === 0) return 0;
    runtime.fail(
      outcome.because === 'drift'
        ? `mr-drift: drift in ${drifted.join(', ')} (set fail-on-drift: false to report without failing)`
        : `mr-drift: this pull request changes ${changedByPr.join(', ')} (fail-on-pr-changes is true)`,
    );
    return outcome.code;
  } catch (err) {
    return reportFailure(err, runtime, secrets);
  } finally {
    if (kubeconfigFile) removeKubeconfigFile(kubeconfigFile, tempRoot);
  }
}

async function check(
  inputs: ActionInputs,
  kubeconfigFile: string | undefined,
  deps: ActionDependencies,
  eventBaseSha: string | undefined,
): Promise<DriftReport> {
  const { runtime } = deps;
  // On a pull request, compare with its base so the PR's own changes are not called drift.
  // A base missing from a shallow checkout is a warning in the report, never a failure.
  const base = inputs.baseRef ?? eventBaseSha;
  return deps.runCheck({
    path: inputs.path,
    mode: inputs.mode,
    wording: ACTION_WORDING,
    ...(base ? { base, baseMissing: 'warn' as const } : {}),
    ...(inputs.regions ? { regions: inputs.regions } : {}),
    ...(kubeconfigFile ? { kubeconfig: kubeconfigFile } : {}),
    ...(inputs.contexts ? { contexts: inputs.contexts } : {}),
    ...(inputs.ignoreFile ? { ignoreFile: inputs.ignoreFile } : {}),
    ...(inputs.fieldManager ? { fieldManager: inputs.fieldManager } : {}),
    timeoutMs: inputs.requestTimeout * 1000,
    renderTimeoutMs: inputs.renderTimeout * 1000,
    parallelRegions: inputs.parallelRegions,
    onProgress: (e) => {
      if (e.kind === 'region-start') runtime.info(`${e.region}: checking`);
      else if (e.kind === 'region-done') runtime.info(`${e.region}: ${e.status}`);
    },
  });
}

function combine(inputs: ActionInputs, cwd: string, runtime: ActionsRuntime): DriftReport {
  const files = readReportFiles(inputs.aggregate!, cwd);
  runtime.info(
    `mr-drift: combining ${count(files.length, 'report')}: ${files.map((f) => f.file).join(', ')}`,
  );
  return aggregateReports(files, { ...(inputs.regions ? { expectRegions: inputs.regions } : {}) });
}

/** Posts or updates the pull request comment; a refusal is a warning, not a failure. */
async function comment(
  report: DriftReport,
  inputs: ActionInputs,
  ctx: RunContext,
  fileUrlBase: string | undefined,
  deps: ActionDependencies,
): Promise<void> {
  const { runtime } = deps;
  if (!inputs.comment) return;
  const pr = ctx.pullRequest;
  if (!pr) {
    runtime.info(
      `mr-drift: ${ctx.eventName || 'this'} event is not a pull request; the report is in the job summary${keepsDriftIssue(inputs, ctx) ? ' and the drift issue' : ' only'}.`,
    );
    return;
  }
  if (!inputs.githubToken) {
    runtime.warning(
      'mr-drift: no github-token, so no pull request comment; the report is in the job summary.',
    );
    return;
  }
  const parts = renderCommentParts(report, {
    key: inputs.commentKey,
    fileUrlBase,
    fullReportNote: `Every field is in the job summary of the mr-drift run in [Checks](${checksUrl(ctx, pr)}).`,
  });
  await postComment(parts, inputs, ctx, deps);
}

/** The pull request's Checks tab: stable across runs, so the comment body stays stable too. */
function checksUrl(ctx: RunContext, pr: NonNullable<RunContext['pullRequest']>): string {
  return `${ctx.serverUrl}/${pr.owner}/${pr.repo}/pull/${pr.number}/checks`;
}

async function postComment(
  parts: string[],
  inputs: ActionInputs,
  ctx: RunContext,
  deps: ActionDependencies,
): Promise<void> {
  const { runtime } = deps;
  const pr = ctx.pullRequest!;
  try {
    const api = deps.commentsApi({ token: inputs.githubToken!, apiUrl: ctx.apiUrl });
    const result = await syncReportComments(api, pr, inputs.commentKey, parts);
    runtime.info(
      `mr-drift: pull request comment: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ${result.deleted} removed.`,
    );
    const url = result.comments[0]?.url;
    if (url) runtime.setOutput('comment-url', url);
  } catch (err) {
    if (!(err instanceof GitHubApiError)) throw err;
    const fork = pr.fromFork
      ? ' This pull request comes from a fork, whose token is read-only.'
      : '';
    runtime.warning(
      `mr-drift could not comment on the pull request: ${err.message}.${fork} ${err.hint ?? ''} The report is in the job summary.`.trim(),
    );
  }
}

/** Summary and (on a pull request) comment saying that the check could not run. */
async function presentFailure(
  text: string,
  inputs: ActionInputs,
  ctx: RunContext,
  deps: ActionDependencies,
): Promise<void> {
  const { runtime } = deps;
  await runtime.appendSummary(
    `### mr-drift: the drift check could not run\n\n${codeBlock(text.split('\n'), 'text')}\n${runFooter(ctx)}`,
  );
  const pr = ctx.pullRequest;
  if (!inputs.comment || !pr || !inputs.githubToken) return;
  const body = renderFailureComment(text, {
    key: inputs.commentKey,
    fullReportNote: `See the mr-drift run in [Checks](${checksUrl(ctx, pr)}).`,
  });
  await postComment([body], inputs, ctx, deps);
}

function runFooter(ctx: RunContext): string {
  return ctx.runUrl ? `\n[Workflow run](${ctx.runUrl})\n` : '';
}

/** An error's message and hint, in the Action's terms (inputs, not CLI flags). */
function errorText(err: MrDriftError): string {
  const { message, hint } = err.worded(ACTION_WORDING);
  return hint ? `${message}\n${hint}` : message;
}

function reportFailure(err: unknown, runtime: ActionsRuntime, secrets: string[]): number {
  if (err instanceof MrDriftError) {
    runtime.fail(scrubSecrets(errorText(err), secrets));
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  runtime.fail(
    scrubSecrets(
      `mr-drift failed unexpectedly: ${message}. This is a bug in mr-drift; please report it.`,
      secrets,
    ),
  );
  return 2;
}
