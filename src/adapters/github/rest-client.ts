import { GitHubApiError } from '../../core/errors';
import { VERSION } from '../../version';

/**
 * A small client for GitHub's REST API on top of fetch: bearer token, API version
 * header, JSON bodies, `Link`-header pagination, and retries for the failures GitHub
 * documents as temporary (5xx, 429, and secondary rate limits that send Retry-After).
 * Errors become GitHubApiError with a hint; the token never appears in any message.
 */
export interface RestClientOptions {
  /** Token sent as `Authorization: Bearer`; GitHub Actions' GITHUB_TOKEN or a PAT. */
  token: string;
  /** API root; GITHUB_API_URL on a runner (GitHub Enterprise Server differs). */
  apiUrl?: string;
  /** Attempts for one request, including the first; default 3. */
  attempts?: number;
  /** Base delay between attempts in milliseconds; doubled each time. Default 1,000. */
  retryDelayMs?: number;
  /** Longest Retry-After honoured, in seconds; longer waits fail instead. Default 60. */
  maxRetryAfterSeconds?: number;
  /** fetch implementation (tests may pass their own); default the global fetch. */
  fetch?: typeof fetch;
}

export interface RestResponse<T> {
  status: number;
  data: T;
  headers: Headers;
}

export class RestClient {
  private readonly apiUrl: string;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryAfter: number;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: RestClientOptions) {
    this.apiUrl = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.maxRetryAfter = options.maxRetryAfterSeconds ?? 60;
    this.doFetch = options.fetch ?? fetch;
  }

  /** Sends one request; `path` is relative to the API root or an absolute `Link` URL. */
  async request<T>(method: string, path: string, body?: unknown): Promise<RestResponse<T>> {
    const url = path.startsWith('http') ? path : `${this.apiUrl}${path}`;
    const shownPath = new URL(url).pathname;
    let lastError: GitHubApiError | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let res: Response;
      try {
        res = await this.doFetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            accept: 'application/vnd.github+json',
            'x-github-api-version': '2022-11-28',
            'user-agent': `mr-drift/${VERSION}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (err) {
        lastError = new GitHubApiError(
          0,
          `${method} ${shownPath} failed: ${(err as Error).message}`,
          'Check GITHUB_API_URL and the runner’s network access to GitHub.',
        );
        if (attempt < this.attempts) await sleep(this.retryDelayMs * 2 ** (attempt - 1));
        continue;
      }
      const text = await res.text();
      if (res.ok) {
        return {
          status: res.status,
          data: (text ? JSON.parse(text) : undefined) as T,
          headers: res.headers,
        };
      }
      const error = toApiError(method, shownPath, res.status, text, res.headers);
      const wait = this.retryWait(res, attempt);
      if (wait === undefined || attempt === this.attempts) throw error;
      lastError = error;
      await sleep(wait);
    }
    throw lastError!;
  }

  /** GETs every page of a list, following `Link: <…>; rel="next"`. */
  async paginate<T>(path: string, perPage = 100): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = `${path}${path.includes('?') ? '&' : '?'}per_page=${perPage}`;
    for (let page = 0; next !== undefined; page++) {
      if (page >= 1_000) throw new GitHubApiError(0, `GET ${path}: more than 1,000 pages`);
      const res: RestResponse<T[]> = await this.request<T[]>('GET', next);
      items.push(...res.data);
      next = nextLink(res.headers.get('link'));
    }
    return items;
  }

  /** Milliseconds to wait before retrying, or undefined when the failure is final. */
  private retryWait(res: Response, attempt: number): number | undefined {
    const retryAfter = Number(res.headers.get('retry-after'));
    const hasRetryAfter = res.headers.has('retry-after') && Number.isFinite(retryAfter);
    if (hasRetryAfter && (res.status === 403 || res.status === 429 || res.status >= 500)) {
      return retryAfter <= this.maxRetryAfter ? retryAfter * 1_000 : undefined;
    }
    if (res.status === 429 || res.status >= 500) return this.retryDelayMs * 2 ** (attempt - 1);
    return undefined;
  }
}

/** The URL of `rel="next"` in a Link header, if any. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m && m[2].split(/\s+/).includes('next')) return m[1];
  }
  return undefined;
}

function toApiError(
  method: string,
  path: string,
  status: number,
  text: string,
  headers: Headers,
): GitHubApiError {
  let message: string;
  let details = '';
  try {
    const body = JSON.parse(text) as {
      message?: string;
      errors?: Array<{ message?: string; field?: string; code?: string }>;
    };
    message = body.message ?? '';
    details = (body.errors ?? [])
      .map((e) => e.message ?? [e.field, e.code].filter(Boolean).join(' '))
      .filter(Boolean)
      .join('; ');
  } catch {
    message = text.slice(0, 200);
  }
  const what = `${method} ${path}: ${message || 'no message'}${details ? ` (${details})` : ''}`;
  return new GitHubApiError(status, what, hintFor(status, message, headers));
}

function hintFor(status: number, message: string, headers: Headers): string | undefined {
  if (status === 401) {
    return 'The token is missing, invalid or expired: pass `github-token: ${{ github.token }}` (the default) or a valid token.';
  }
  if (status === 403 && headers.get('x-ratelimit-remaining') === '0') {
    return 'GitHub’s API rate limit is used up for this token; re-run the job later.';
  }
  if (status === 403) {
    return 'The token may not write comments: give the job `permissions: pull-requests: write`. Pull requests from forks only get a read-only token.';
  }
  if (status === 404) {
    return 'The repository, pull request or comment was not found, or the token cannot see it.';
  }
  if (status === 422) return `GitHub rejected the request${message ? ` (${message})` : ''}.`;
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
