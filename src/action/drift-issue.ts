import type { RunContext } from '../adapters/actions/github-context';
import type { ActionsRuntime } from '../adapters/actions/toolkit';
import type { GitHubClientOptions } from '../adapters/github/github-client';
import type { IssuesApi } from '../adapters/github/issues-api';
import { syncDriftIssues, type DriftIssueResult } from '../adapters/github/sync-drift-issues';
import { GitHubApiError } from '../core/errors';
import { renderIssueContent } from '../core/issue/issue-body';
import type { IssueScope } from '../core/issue/issue-state';
import type { IssueSettings } from '../core/issue/plan-issue-sync';
import { DEFAULT_COMMENT_KEY } from '../core/report/markdown-comment';
import type { DriftReport } from '../core/report/model';
import type { ActionInputs } from './inputs';

/** Events on which `issue: auto` keeps the drift issue: runs no pull request waits on. */
const AUTO_EVENTS = new Set(['schedule', 'workflow_dispatch']);

/** Whether this run keeps the drift issue (never on a pull request: the comment is there). */
export function keepsDriftIssue(inputs: ActionInputs, ctx: RunContext): boolean {
  if (ctx.pullRequest || inputs.issue === 'false') return false;
  return inputs.issue === 'true' || AUTO_EVENTS.has(ctx.eventName);
}

/** The title of a new issue for this scope. */
export function issueTitle(inputs: ActionInputs, scope: IssueScope): string {
  const key = scope.key === DEFAULT_COMMENT_KEY ? '' : ` (${scope.key})`;
  if (inputs.issueTitle)
    return scope.region ? `${inputs.issueTitle} (${scope.region})` : inputs.issueTitle;
  return scope.region
    ? `mr-drift: drift in ${scope.region}${key}`
    : `mr-drift: drift between Git and the clusters${key}`;
}

/**
 * Keeps the drift issue(s) in step with the report, on the runs that do (see
 * keepsDriftIssue): one issue per comment key, or per region with `issue-per: region`.
 * Sets the `issue-number` and `issue-url` outputs. When GitHub refuses, returns the
 * message to fail the step with if the workflow asked for the issue (`issue: true`);
 * with `issue: auto` it is a warning, so a workflow that predates the issue (no
 * `issues: write`) keeps working.
 */
export async function keepDriftIssues(
  report: DriftReport,
  inputs: ActionInputs,
  ctx: RunContext,
  deps: {
    runtime: ActionsRuntime;
    issuesApi: (options: GitHubClientOptions) => IssuesApi;
  },
): Promise<string | undefined> {
  const { runtime } = deps;
  if (inputs.issue === 'true' && ctx.pullRequest) {
    runtime.info('mr-drift: no drift issue on pull request events; the comment is the report.');
  }
  if (!keepsDriftIssue(inputs, ctx)) return undefined;
  const refuse = (why: string) => {
    if (inputs.issue === 'true') return `mr-drift could not keep the drift issue: ${why}`;
    runtime.warning(`mr-drift: no drift issue: ${why}`);
    return undefined;
  };
  if (!ctx.repository) return refuse('GITHUB_REPOSITORY is not set to owner/repo.');
  if (!inputs.githubToken) return refuse('no github-token (it needs `issues: write`).');

  const scopes: IssueScope[] =
    inputs.issuePer === 'region'
      ? report.regions.map((r) => ({ key: inputs.commentKey, region: r.name }))
      : [{ key: inputs.commentKey }];
  // Links that stay the same from run to run, so an unchanged state writes nothing: the
  // branch rather than the commit, the workflow's runs rather than this run.
  const fileUrlBase = ctx.branch
    ? `${ctx.serverUrl}/${ctx.repository}/blob/${ctx.branch.split('/').map(encodeURIComponent).join('/')}/`
    : ctx.sha
      ? `${ctx.serverUrl}/${ctx.repository}/blob/${ctx.sha}/`
      : undefined;
  const runs = ctx.workflowUrl ?? `${ctx.serverUrl}/${ctx.repository}/actions`;
  const contents = scopes.map((scope) =>
    renderIssueContent(report, scope, {
      fileUrlBase,
      fullReportNote: `Every field is in the job summary of the [mr-drift runs](${runs}).`,
    }),
  );
  const settingsFor = (scope: IssueScope): IssueSettings => ({
    title: issueTitle(inputs, scope),
    labels: inputs.issueLabels,
    assignees: inputs.issueAssignees,
  });

  const [owner, repo] = ctx.repository.split('/') as [string, string];
  let results: DriftIssueResult[];
  try {
    const api = deps.issuesApi({
      token: inputs.githubToken,
      apiUrl: ctx.apiUrl,
      log: (line) => runtime.info(`mr-drift: ${line}`),
    });
    results = await syncDriftIssues(api, { owner, repo }, contents, settingsFor, {
      ...(ctx.runUrl ? { runUrl: ctx.runUrl } : {}),
    });
  } catch (err) {
    if (!(err instanceof GitHubApiError)) throw err;
    return refuse(`${err.message}.${err.hint ? ` ${err.hint}` : ''}`);
  }

  for (const r of results) {
    const which = r.scope.region ? ` for ${r.scope.region}` : '';
    const what =
      r.number === undefined
        ? 'none (every region is in sync)'
        : `#${r.number} ${r.outcome}, ${r.writes} write${r.writes === 1 ? '' : 's'}`;
    runtime.info(`mr-drift: drift issue${which}: ${what}`);
    for (const note of r.notes) {
      if (note.includes('locked')) runtime.info(`mr-drift: ${note}`);
      else runtime.warning(`mr-drift: ${note}`);
    }
  }
  const tracked = results.filter((r) => r.number !== undefined);
  runtime.setOutput('issue-number', tracked.map((r) => String(r.number)).join(','));
  runtime.setOutput('issue-url', tracked.map((r) => r.url ?? '').join(','));
  return undefined;
}
