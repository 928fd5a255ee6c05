import { HttpClient } from '@actions/http-client';
import { fetch as undiciFetch } from 'undici';

/**
 * The fetch that Octokit sends mr-drift's GitHub requests with: undici's fetch through the
 * dispatcher that `@actions/http-client` picks for the API URL, which is how
 * `@actions/github` itself reaches GitHub from a runner. So the runner's conventions apply:
 * `HTTPS_PROXY` / `https_proxy` for an https API URL (`HTTP_PROXY` for http), skipped for
 * hosts listed in `NO_PROXY` / `no_proxy` and always for loopback addresses, with proxy
 * credentials taken from the proxy URL (`http://user:password@proxy:3128`).
 *
 * `@actions/github` decides this once, for GITHUB_API_URL as read when it is first
 * imported; here it is decided for the URL the Action actually calls, when the client is
 * made. Each attempt is also bounded by `timeoutMs`, so a GitHub (or proxy) that accepts
 * the connection and never answers fails the attempt instead of hanging the job.
 */
export function githubFetch(apiUrl: string, timeoutMs: number): typeof fetch {
  const dispatcher = new HttpClient('mr-drift').getAgentDispatcher(apiUrl);
  const send = async (input: unknown, init?: RequestInit) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(init as Parameters<typeof undiciFetch>[1]),
        signal,
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (err) {
      throw withRootCause(err);
    }
  };
  return send as unknown as typeof fetch;
}

/**
 * undici reports a failed request as `TypeError: fetch failed` whose cause may itself
 * wrap the real reason (`Request was cancelled.` around `Proxy response (407) !== 200
 * when HTTP Tunneling`). Octokit quotes only the first cause, so hand it the deepest one.
 */
function withRootCause(err: unknown): unknown {
  if (!(err instanceof TypeError) || !(err.cause instanceof Error)) return err;
  let root: Error = err.cause;
  while (root.cause instanceof Error) root = root.cause;
  if (root === err.cause) return err;
  const code = (root as { code?: unknown }).code;
  const message = `${root.message}${typeof code === 'string' && !root.message.includes(code) ? ` (${code})` : ''}`;
  return new TypeError(err.message, { cause: new Error(message, { cause: err.cause }) });
}
