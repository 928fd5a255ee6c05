import { RestClient, type RestClientOptions } from './rest-client';

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
 * What the Action needs from GitHub: the comments of one pull request. A small interface
 * so the sync logic can be tested against anything that behaves like GitHub.
 */
export interface IssueCommentsApi {
  /** Every comment on the issue, oldest first (GitHub orders them by ascending id). */
  list(issue: IssueRef): Promise<IssueComment[]>;
  create(issue: IssueRef, body: string): Promise<IssueComment>;
  update(repo: RepoRef, id: number, body: string): Promise<IssueComment>;
  remove(repo: RepoRef, id: number): Promise<void>;
}

/** Issue comments over GitHub's REST API (`/repos/{owner}/{repo}/issues/...`). */
export function createIssueCommentsApi(options: RestClientOptions): IssueCommentsApi {
  const client = new RestClient(options);
  const base = (r: RepoRef) =>
    `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}`;
  return {
    list: (issue) =>
      client.paginate<IssueComment>(`${base(issue)}/issues/${issue.number}/comments`),
    create: async (issue, body) =>
      (
        await client.request<IssueComment>(
          'POST',
          `${base(issue)}/issues/${issue.number}/comments`,
          { body },
        )
      ).data,
    update: async (repo, id, body) =>
      (await client.request<IssueComment>('PATCH', `${base(repo)}/issues/comments/${id}`, { body }))
        .data,
    remove: async (repo, id) => {
      await client.request<undefined>('DELETE', `${base(repo)}/issues/comments/${id}`);
    },
  };
}
