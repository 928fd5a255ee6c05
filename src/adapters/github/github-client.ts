import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck/light.js';
import { VERSION } from '../../version';
import { githubFetch } from './proxy-fetch';

/** How to reach GitHub's REST API; only `token` and `apiUrl` are needed on a runner. */
export interface GitHubClientOptions {
  /** GitHub Actions' GITHUB_TOKEN, a GitHub App token or a PAT. */
  token: string;
  /** API root: GITHUB_API_URL on a runner (`https://HOST/api/v3` on GitHub Enterprise Server). */
  apiUrl: string;
  /** Retries of a request that failed with a server or network error; default 3. */
  retries?: number;
  /**
   * Milliseconds that waits are counted in: Retry-After seconds and the retry back-off
   * (1, 4, 9 ... units). Default 1,000; tests shrink it.
   */
  waitUnitMs?: number;
  /** Longest rate-limit wait honoured, in seconds; a longer one fails instead. Default 60. */
  maxRateLimitWaitSeconds?: number;
  /**
   * Smallest gap between two writes, in milliseconds. Default: Octokit's reading of
   * GitHub's advice (1 s between writes, 3 s between writes that notify people).
   */
  writeGapMs?: number;
  /** Bound on one attempt (connect, send, answer), in milliseconds; default 60,000. */
  timeoutMs?: number;
  /** Where to say that a request waits for a rate limit (the job log). */
  log?: (line: string) => void;
}

/** Octokit with the REST methods, pagination, retries and throttling. */
export type GitHubClient = ReturnType<typeof createGitHubClient>;

/**
 * Octokit as `@actions/github` builds it (REST methods, pagination), with the retry and
 * throttling plugins: server and network errors are retried with back-off, primary and
 * secondary rate limits wait for Retry-After / the reset time when that is short, and
 * writes are spaced out as GitHub asks. Requests go through `githubFetch` (proxy
 * variables, per-attempt timeout). Requests carry the REST API version they were written
 * against, so a later default version cannot change the answers' shape.
 */
export function createGitHubClient(options: GitHubClientOptions) {
  const unit = options.waitUnitMs ?? 1_000;
  const maxWait = options.maxRateLimitWaitSeconds ?? 60;
  const log = options.log ?? (() => {});
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _o: unknown, count: number) => {
      const what = `${request.method} ${request.url}`;
      if (retryAfter <= maxWait && count < 2) {
        log(`GitHub ${kind} reached (${what}); retrying in ${retryAfter} s.`);
        return true;
      }
      log(`GitHub ${kind} reached (${what}); not waiting ${retryAfter} s.`);
      return false;
    };
  const gap = options.writeGapMs;
  const octokit = getOctokit(
    options.token,
    {
      baseUrl: options.apiUrl.replace(/\/+$/, ''),
      userAgent: `mr-drift/${VERSION}`,
      request: { fetch: githubFetch(options.apiUrl, options.timeoutMs ?? 60_000) },
      retry: { retries: options.retries ?? 3, retryAfterBaseValue: unit },
      throttle: {
        retryAfterBaseValue: unit,
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
        ...(gap !== undefined
          ? {
              write: new Bottleneck.Group({ maxConcurrent: 1, minTime: gap }),
              notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: gap }),
            }
          : {}),
      },
      // Octokit's own messages (deprecations, plugin trouble) go to the job log, never
      // to stderr, where the runner would show them without context.
      log: { debug: () => {}, info: () => {}, warn: log, error: log },
    },
    retry,
    throttling,
  );
  octokit.hook.before('request', (request) => {
    request.headers['x-github-api-version'] = '2022-11-28';
  });
  return octokit;
}
