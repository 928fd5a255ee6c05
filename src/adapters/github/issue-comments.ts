import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from './github-client';
import { toGitHubApiError, type GitHubPermission } from './github-errors';

/** A repository on GitHub. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** An issue or pull request (every pull request is also an issue). */
export interface IssueRef extends RepoRef {
  number: number;
}

/** The fields of an issue comment that mr-drift uses. */
export interface IssueComment {
  id: number;
  body: string;
  html_url?: string;
  user?: { login: string; type?: string } | null;
}

/**
 * What the Action needs from GitHub: the comments of one pull request (or issue). A small
 * interface so the sync logic can be tested against anything that behaves like GitHub.
 */
export interface IssueCommentsApi {
  /** Every comment on the issue, oldest first (GitHub orders them by ascending id). */
  list(issue: IssueRef): Promise<IssueComment[]>;
  create(issue: IssueRef, body: string): Promise<IssueComment>;
  update(repo: RepoRef, id: number, body: string): Promise<IssueComment>;
  remove(repo: RepoRef, id: number): Promise<void>;
}

export interface IssueCommentsOptions extends GitHubClientOptions {
  /** The permission named in the hint when GitHub refuses a write; default pull requests'. */
  permission?: GitHubPermission;
}

/**
 * Issue comments over GitHub's REST API (`/repos/{owner}/{repo}/issues/...`) through
 * Octokit. Failures become GitHubApiError with a hint.
 */
export function createIssueCommentsApi(options: IssueCommentsOptions): IssueCommentsApi {
  return issueCommentsOver(
    createGitHubClient(options),
    options.permission ?? 'pull-requests: write',
  );
}

/** The same, over an existing client (the drift issue shares one with its comments). */
export function issueCommentsOver(
  octokit: GitHubClient,
  permission: GitHubPermission,
): IssueCommentsApi {
  const call = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (err) {
      throw toGitHubApiError(err, permission);
    }
  };
  const asComment = (c: {
    id: number;
    body?: string | null;
    html_url?: string;
    user?: { login: string; type?: string } | null;
  }): IssueComment => ({
    id: c.id,
    body: c.body ?? '',
    ...(c.html_url ? { html_url: c.html_url } : {}),
    ...(c.user !== undefined ? { user: c.user } : {}),
  });
  return {
    list: (issue) =>
      call(async () =>
        (
          await octokit.paginate(octokit.rest.issues.listComments, {
            owner: issue.owner,
            repo: issue.repo,
            issue_number: issue.number,
            per_page: 100,
          })
        ).map(asComment),
      ),
    create: (issue, body) =>
      call(async () =>
        asComment(
          (
            await octokit.rest.issues.createComment({
              owner: issue.owner,
              repo: issue.repo,
              issue_number: issue.number,
              body,
            })
          ).data,
        ),
      ),
    update: (repo, id, body) =>
      call(async () =>
        asComment(
          (
            await octokit.rest.issues.updateComment({
              owner: repo.owner,
              repo: repo.repo,
              comment_id: id,
              body,
            })
          ).data,
        ),
      ),
    remove: (repo, id) =>
      call(async () => {
        await octokit.rest.issues.deleteComment({
          owner: repo.owner,
          repo: repo.repo,
          comment_id: id,
        });
      }),
  };
}
