import { createGitHubClient, type GitHubClientOptions } from './github-client';
import { toGitHubApiError } from './github-errors';
import { issueCommentsOver, type IssueCommentsApi, type RepoRef } from './issue-comments';

/** The fields of an issue that the drift issue needs. */
export interface IssueSummary {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  locked: boolean;
  labels: string[];
  htmlUrl: string;
}

export interface NewIssue {
  title: string;
  body: string;
  labels: string[];
  assignees: string[];
}

export interface IssueEdit {
  body?: string;
  state?: 'open' | 'closed';
  stateReason?: 'completed' | 'reopened';
}

/**
 * What the drift issue needs from GitHub: find, create, edit and label issues, and their
 * comments. A small interface so the sync can run against anything that behaves like
 * GitHub (the tests use a local stand-in).
 */
export interface IssuesApi {
  /**
   * Issues of the repository (never pull requests), open and closed unless `state` says
   * otherwise, optionally only those with `label`; every page.
   */
  list(repo: RepoRef, filter?: { label?: string; state?: 'open' | 'all' }): Promise<IssueSummary[]>;
  create(repo: RepoRef, issue: NewIssue): Promise<IssueSummary>;
  edit(repo: RepoRef, number: number, edit: IssueEdit): Promise<IssueSummary>;
  addLabels(repo: RepoRef, number: number, labels: string[]): Promise<void>;
  comments: IssueCommentsApi;
}

interface RawIssue {
  number: number;
  title: string;
  body?: string | null;
  state: string;
  locked?: boolean;
  labels?: Array<string | { name?: string }>;
  html_url: string;
  pull_request?: unknown;
}

function summary(i: RawIssue): IssueSummary {
  return {
    number: i.number,
    title: i.title,
    body: i.body ?? '',
    state: i.state === 'closed' ? 'closed' : 'open',
    locked: i.locked === true,
    labels: (i.labels ?? [])
      .map((l) => (typeof l === 'string' ? l : (l.name ?? '')))
      .filter(Boolean),
    htmlUrl: i.html_url,
  };
}

/** Issues over GitHub's REST API through Octokit; failures become GitHubApiError with a hint. */
export function createIssuesApi(options: GitHubClientOptions): IssuesApi {
  const octokit = createGitHubClient(options);
  const call = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (err) {
      throw toGitHubApiError(err, 'issues: write');
    }
  };
  return {
    list: (repo, filter = {}) =>
      call(async () => {
        const issues = (await octokit.paginate(octokit.rest.issues.listForRepo, {
          owner: repo.owner,
          repo: repo.repo,
          state: filter.state ?? 'all',
          ...(filter.label ? { labels: filter.label } : {}),
          sort: 'created',
          direction: 'asc',
          per_page: 100,
        })) as RawIssue[];
        return issues.filter((i) => i.pull_request === undefined).map(summary);
      }),
    create: (repo, issue) =>
      call(async () =>
        summary(
          (
            await octokit.rest.issues.create({
              owner: repo.owner,
              repo: repo.repo,
              title: issue.title,
              body: issue.body,
              ...(issue.labels.length > 0 ? { labels: issue.labels } : {}),
              ...(issue.assignees.length > 0 ? { assignees: issue.assignees } : {}),
            })
          ).data as RawIssue,
        ),
      ),
    edit: (repo, number, edit) =>
      call(async () =>
        summary(
          (
            await octokit.rest.issues.update({
              owner: repo.owner,
              repo: repo.repo,
              issue_number: number,
              ...(edit.body !== undefined ? { body: edit.body } : {}),
              ...(edit.state ? { state: edit.state } : {}),
              ...(edit.stateReason ? { state_reason: edit.stateReason } : {}),
            })
          ).data as RawIssue,
        ),
      ),
    addLabels: (repo, number, labels) =>
      call(async () => {
        await octokit.rest.issues.addLabels({
          owner: repo.owner,
          repo: repo.repo,
          issue_number: number,
          labels,
        });
      }),
    comments: issueCommentsOver(octokit, 'issues: write'),
  };
}
