import { GitHubApiError } from '../../core/errors';
import type { IssueContent } from '../../core/issue/issue-body';
import type { NoteContext } from '../../core/issue/issue-notes';
import { parseIssueMarker, sameScope, type IssueScope } from '../../core/issue/issue-state';
import {
  planIssueSync,
  type IssueOutcome,
  type IssueSettings,
} from '../../core/issue/plan-issue-sync';
import type { RepoRef } from './issue-comments';
import type { IssueSummary, IssuesApi } from './issues-api';
import { syncReportComments } from './sync-comments';

/** What happened to one scope's drift issue, for the log and the Action's outputs. */
export interface DriftIssueResult {
  scope: IssueScope;
  outcome: IssueOutcome;
  /** The issue, when there is one (also after closing it). */
  number?: number;
  url?: string;
  /** API writes made for it. */
  writes: number;
  /** Anything the log should say about it (a lock, a duplicate, an assignee refused). */
  notes: string[];
}

/**
 * Keeps each scope's drift issue in step with its content (see planIssueSync for what
 * happens when). Issues are found by their hidden marker: first among the issues that
 * carry the first label (one request in the usual case), then, for any scope still not
 * found, among all issues (all states when the scope has drift, so a closed issue is
 * reopened rather than duplicated; open ones only when it is in sync, to close one whose
 * label someone removed).
 */
export async function syncDriftIssues(
  api: IssuesApi,
  repo: RepoRef,
  contents: IssueContent[],
  settingsFor: (scope: IssueScope) => IssueSettings,
  ctx: NoteContext = {},
): Promise<DriftIssueResult[]> {
  const matches = new Map<IssueContent, IssueSummary[]>();
  const collect = (issues: IssueSummary[]) => {
    for (const issue of issues) {
      const scope = parseIssueMarker(issue.body);
      if (!scope) continue;
      for (const c of contents) {
        if (!sameScope(scope, c.scope)) continue;
        const list = matches.get(c) ?? [];
        if (!list.some((i) => i.number === issue.number)) list.push(issue);
        matches.set(c, list);
      }
    }
  };
  const label = contents.length > 0 ? settingsFor(contents[0].scope).labels[0] : undefined;
  if (label) collect(await api.list(repo, { label }));
  const missing = contents.filter((c) => !matches.has(c));
  if (missing.some((c) => c.status !== 'in-sync')) collect(await api.list(repo, { state: 'all' }));
  else if (missing.length > 0) collect(await api.list(repo, { state: 'open' }));

  const results: DriftIssueResult[] = [];
  for (const content of contents) {
    const { issue: existing, notes } = choose(matches.get(content) ?? []);
    const settings = settingsFor(content.scope);
    const plan = planIssueSync(existing, content, settings, ctx);
    const result: DriftIssueResult = {
      scope: content.scope,
      outcome: plan.outcome,
      writes: 0,
      notes: [...notes, ...plan.notes],
      ...(existing ? { number: existing.number, url: existing.htmlUrl } : {}),
    };
    for (const action of plan.actions) {
      const ref = () => ({ ...repo, number: result.number! });
      switch (action.kind) {
        case 'create': {
          const issue = await createIssue(api, repo, action, result.notes);
          result.number = issue.number;
          result.url = issue.htmlUrl;
          result.writes++;
          break;
        }
        case 'edit':
          await api.edit(repo, result.number!, action);
          result.writes++;
          break;
        case 'add-labels':
          await api.addLabels(repo, result.number!, action.labels);
          result.writes++;
          break;
        case 'continuations': {
          const r = await syncReportComments(api.comments, ref(), content.scope.key, action.parts, {
            firstPart: 2,
          });
          result.writes += r.created + r.updated + r.deleted;
          break;
        }
        case 'comment':
          await api.comments.create(ref(), action.body);
          result.writes++;
          break;
      }
    }
    // Continuation comments already right: the plan listed them, nothing was written.
    if (result.outcome === 'updated' && result.writes === 0) result.outcome = 'unchanged';
    results.push(result);
  }
  return results;
}

/**
 * The issue to keep up to date among those with the scope's marker: the oldest open one,
 * else the newest closed one. Two open ones happen when two runs raced; the others are
 * named in the log, not touched.
 */
function choose(found: IssueSummary[]): { issue?: IssueSummary; notes: string[] } {
  const open = found.filter((i) => i.state === 'open').sort((a, b) => a.number - b.number);
  const closed = found.filter((i) => i.state === 'closed').sort((a, b) => b.number - a.number);
  const issue = open[0] ?? closed[0];
  const notes =
    open.length > 1
      ? [
          `issues ${open.map((i) => `#${i.number}`).join(', ')} carry the same marker; #${open[0].number} is kept up to date, close the others`,
        ]
      : [];
  return { ...(issue ? { issue } : {}), notes };
}

/**
 * Creates the issue. GitHub refuses the whole issue (422) when one assignee cannot be
 * assigned (a typo, someone without access): the drift must still be reported, so it is
 * created again without assignees and the log says why.
 */
async function createIssue(
  api: IssuesApi,
  repo: RepoRef,
  issue: { title: string; body: string; labels: string[]; assignees: string[] },
  notes: string[],
): Promise<IssueSummary> {
  try {
    return await api.create(repo, issue);
  } catch (err) {
    if (
      !(err instanceof GitHubApiError) ||
      err.status !== 422 ||
      issue.assignees.length === 0 ||
      !/\bassignees?\b/.test(err.message)
    ) {
      throw err;
    }
    notes.push(
      `GitHub refused the assignees ${issue.assignees.join(', ')} (${err.message}); the issue was opened without them. Check issue-assignees: each must be able to access the repository.`,
    );
    return api.create(repo, { ...issue, assignees: [] });
  }
}
