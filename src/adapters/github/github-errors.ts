import { GitHubApiError } from '../../core/errors';

/** The permission a call needs, named as a workflow's `permissions:` block names it. */
export type GitHubPermission = 'pull-requests: write' | 'issues: write';

/** What an Octokit RequestError carries that mr-drift reads (duck-typed: no extra dependency). */
interface OctokitRequestError {
  name: string;
  status: number;
  message: string;
  request: { method: string; url: string };
  response?: {
    status: number;
    headers: Record<string, string | undefined>;
    data?: unknown;
  };
}

function isRequestError(err: unknown): err is OctokitRequestError {
  const e = err as Partial<OctokitRequestError> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.status === 'number' &&
    typeof e.request === 'object' &&
    e.request !== null &&
    typeof e.request.url === 'string'
  );
}

/**
 * Turns a failed Octokit request into GitHubApiError: method, path and GitHub's own
 * message (with its validation details), plus a hint saying what to do. A request that
 * got no answer at all (DNS, connection refused, proxy, timeout) is status 0. The token
 * never appears: only the method, the path and GitHub's answer are quoted. Anything
 * that is not a request error is returned unchanged.
 */
export function toGitHubApiError(err: unknown, permission: GitHubPermission): unknown {
  if (err instanceof GitHubApiError || !isRequestError(err)) return err;
  const method = err.request.method;
  const path = pathOf(err.request.url);
  if (!err.response) {
    return new GitHubApiError(
      0,
      `${method} ${path} failed: ${err.message.replace(/\.+$/, '')}`,
      'Check GITHUB_API_URL, the proxy variables (HTTPS_PROXY, NO_PROXY) and the runner’s network access to GitHub.',
    );
  }
  const { status, headers, data } = err.response;
  const body = (typeof data === 'object' && data !== null ? data : {}) as {
    message?: unknown;
    errors?: Array<{ message?: string; field?: string; code?: string } | string>;
  };
  const message =
    typeof body.message === 'string'
      ? body.message
      : typeof data === 'string'
        ? data.slice(0, 200)
        : '';
  const details = (Array.isArray(body.errors) ? body.errors : [])
    .map((e) =>
      typeof e === 'string' ? e : (e.message ?? [e.field, e.code].filter(Boolean).join(' ')),
    )
    .filter(Boolean)
    .join('; ');
  const what = `${method} ${path}: ${message || 'no message'}${details ? ` (${details})` : ''}`;
  return new GitHubApiError(status, what, hintFor(status, message, headers, permission));
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0];
  }
}

function hintFor(
  status: number,
  message: string,
  headers: Record<string, string | undefined>,
  permission: GitHubPermission,
): string | undefined {
  if (status === 401) {
    return 'The token is missing, invalid or expired: pass `github-token: ${{ github.token }}` (the default) or a valid token.';
  }
  if ((status === 403 || status === 429) && headers['x-ratelimit-remaining'] === '0') {
    return 'GitHub’s API rate limit is used up for this token; re-run the job later.';
  }
  if (status === 403 && /secondary rate limit/i.test(message)) {
    return 'GitHub’s secondary rate limit stopped the writes; re-run the job in a few minutes.';
  }
  if (status === 403) {
    return permission === 'issues: write'
      ? 'The token may not write issues: give the job `permissions: issues: write`.'
      : 'The token may not write comments: give the job `permissions: pull-requests: write`. Pull requests from forks only get a read-only token.';
  }
  if (status === 404) {
    return permission === 'issues: write'
      ? 'The repository or issue was not found, or the token cannot see it.'
      : 'The repository, pull request or comment was not found, or the token cannot see it.';
  }
  if (status === 410) {
    return 'Issues are turned off for this repository: turn them on (Settings, General, Features), or set `issue: false`.';
  }
  if (status === 422) return `GitHub rejected the request${message ? ` (${message})` : ''}.`;
  return undefined;
}
