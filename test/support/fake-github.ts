import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server standing in for the part of GitHub's REST API that mr-drift uses:
 * issue comments. It follows GitHub's documented behaviour for those endpoints:
 *
 *   GET    /repos/{owner}/{repo}/issues/{number}/comments   list, ascending id,
 *          `per_page` (default 30, at most 100) and `page`, with a `Link` header
 *   POST   /repos/{owner}/{repo}/issues/{number}/comments   201 + comment
 *   GET    /repos/{owner}/{repo}/issues/comments/{id}       200 + comment
 *   PATCH  /repos/{owner}/{repo}/issues/comments/{id}       200 + comment
 *   DELETE /repos/{owner}/{repo}/issues/comments/{id}       204
 *
 * with GitHub's error shapes: 401 `Bad credentials` / `Requires authentication`,
 * 403 `Resource not accessible by integration` for a token without write access,
 * 404 `Not Found`, and 422 `Validation Failed` with `body is too long (maximum is 65536
 * characters)`. Every request is recorded so tests can count API writes.
 */
export interface FakeGitHubOptions {
  /** token -> what it may do. Tokens not listed get 401. */
  tokens: Record<string, { access: 'read' | 'write'; login?: string }>;
  /** "owner/repo" -> issue (pull request) numbers that exist. */
  repos: Record<string, number[]>;
  /**
   * Path the API is served under: empty for api.github.com, `/api/v3` as on GitHub
   * Enterprise Server. Requests outside it get 404.
   */
  pathPrefix?: string;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP. */
  tls?: { key: string; cert: string };
}

export interface FakeComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: { login: string; id: number; type: 'Bot' | 'User' };
  created_at: string;
  updated_at: string;
  author_association: string;
  /** Not a GitHub field: which repository and issue the comment is on. */
  _repo: string;
  _issue: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** Length of the request's `body` field, for writes. */
  bodyLength?: number;
  authorization?: string;
  apiVersion?: string;
}

export interface FakeGitHub {
  /** Base URL to use as GITHUB_API_URL (with the path prefix, if any). */
  url: string;
  /** Port the server listens on (127.0.0.1). */
  port: number;
  requests: RecordedRequest[];
  /** Comments of one issue, ascending id. */
  comments(repo: string, issue: number): FakeComment[];
  /** Adds a comment as if someone else wrote it. */
  seedComment(repo: string, issue: number, body: string, login?: string): FakeComment;
  /**
   * Makes the next `count` requests answer with `status` before handling: 5xx a server
   * error; 403/429 the primary rate limit when the headers say `x-ratelimit-remaining: 0`,
   * else the secondary rate limit (GitHub's messages for each).
   */
  failNext(count: number, status: number, headers?: Record<string, string>): void;
  /** API writes recorded (POST, PATCH, DELETE) with a 2xx status. */
  writes(): RecordedRequest[];
  close(): Promise<void>;
}

/** GitHub's limit on an issue comment body, in characters. */
export const BODY_LIMIT = 65_536;
const DOCS = 'https://docs.github.com/rest/issues/comments';

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const comments = new Map<number, FakeComment>();
  const requests: RecordedRequest[] = [];
  let nextId = 1_000_000_001;
  let clock = Date.parse('2026-11-26T10:00:00Z');
  let failures: Array<{ status: number; headers: Record<string, string> }> = [];
  let baseUrl = '';

  const now = () => new Date((clock += 1_000)).toISOString().replace(/\.\d+Z$/, 'Z');

  const makeComment = (
    repo: string,
    issue: number,
    body: string,
    login: string,
    type: 'Bot' | 'User',
  ) => {
    const id = nextId++;
    const t = now();
    const c: FakeComment = {
      id,
      node_id: `IC_kwDO${id.toString(36)}`,
      url: `${baseUrl}${prefix}/repos/${repo}/issues/comments/${id}`,
      html_url: `https://github.com/${repo}/pull/${issue}#issuecomment-${id}`,
      issue_url: `${baseUrl}${prefix}/repos/${repo}/issues/${issue}`,
      body,
      user: { login, id: type === 'Bot' ? 41898282 : 1000 + login.length, type },
      created_at: t,
      updated_at: t,
      author_association: type === 'Bot' ? 'NONE' : 'MEMBER',
      _repo: repo,
      _issue: issue,
    };
    comments.set(id, c);
    return c;
  };

  const publicView = (c: FakeComment) => {
    const { _repo, _issue, ...rest } = c;
    void _repo;
    void _issue;
    return rest;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  };
  const server = options.tls ? createTlsServer(options.tls, onRequest) : createServer(onRequest);

  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    // The route, below the API's path prefix (GitHub Enterprise Server's /api/v3).
    const route = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : '';
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const record: RecordedRequest = {
      method,
      path: url.pathname + url.search,
      status: 0,
      authorization: req.headers.authorization,
      apiVersion: req.headers['x-github-api-version'] as string | undefined,
    };
    requests.push(record);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, {
        ...(body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        'x-github-media-type': 'github.v3; format=json',
        ...headers,
      });
      res.end(body !== undefined ? JSON.stringify(body) : undefined);
    };
    const error = (status: number, message: string, docs = DOCS, extra: object = {}) =>
      send(status, { message, documentation_url: docs, status: String(status), ...extra });

    const failure = failures.shift();
    if (failure) {
      const message =
        failure.status >= 500
          ? 'Server Error'
          : failure.headers['x-ratelimit-remaining'] === '0'
            ? 'API rate limit exceeded for installation ID 40000001.'
            : 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
      return send(
        failure.status,
        {
          message,
          documentation_url: 'https://docs.github.com/rest',
          status: String(failure.status),
        },
        failure.headers,
      );
    }

    // Authentication first, as GitHub does.
    const auth = req.headers.authorization ?? '';
    const token = /^(?:Bearer|token) (.+)$/i.exec(auth)?.[1];
    if (!token) return error(401, 'Requires authentication', 'https://docs.github.com/rest');
    const who = options.tokens[token];
    if (!who) return error(401, 'Bad credentials', 'https://docs.github.com/rest');

    let m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(route);
    if (m) {
      const repo = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
      const issue = Number(m[3]);
      if (!(options.repos[repo] ?? []).includes(issue)) return error(404, 'Not Found');
      if (method === 'GET') {
        const perPage = Math.min(
          100,
          Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30),
        );
        const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
        const all = [...comments.values()].filter((c) => c._repo === repo && c._issue === issue);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const slice = all.slice((page - 1) * perPage, page * perPage).map(publicView);
        const link = (p: number, rel: string) => {
          // Like GitHub, link to the host the client asked for (a proxy may stand between).
          const scheme = options.tls ? 'https' : 'http';
          const u = new URL(
            url.pathname,
            req.headers.host ? `${scheme}://${req.headers.host}` : baseUrl,
          );
          u.searchParams.set('per_page', String(perPage));
          u.searchParams.set('page', String(p));
          return `<${u.toString()}>; rel="${rel}"`;
        };
        const links: string[] = [];
        if (page > 1) links.push(link(page - 1, 'prev'));
        if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
        if (page > 1) links.push(link(1, 'first'));
        return send(200, slice, links.length > 0 ? { link: links.join(', ') } : {});
      }
      if (method === 'POST') {
        if (who.access !== 'write') {
          return error(
            403,
            'Resource not accessible by integration',
            `${DOCS}#create-an-issue-comment`,
          );
        }
        const body = parseBody(raw);
        if (typeof body !== 'string') return invalid(`${DOCS}#create-an-issue-comment`);
        record.bodyLength = body.length;
        if ([...body].length > BODY_LIMIT) return tooLong(`${DOCS}#create-an-issue-comment`);
        const c = makeComment(
          repo,
          issue,
          body,
          who.login ?? 'github-actions[bot]',
          who.login ? 'User' : 'Bot',
        );
        return send(201, publicView(c), { location: c.url });
      }
      return error(404, 'Not Found');
    }

    m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(route);
    if (m) {
      const repo = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
      const c = comments.get(Number(m[3]));
      if (!(repo in options.repos) || !c || c._repo !== repo) return error(404, 'Not Found');
      if (method === 'GET') return send(200, publicView(c));
      if (method !== 'PATCH' && method !== 'DELETE') return error(404, 'Not Found');
      if (who.access !== 'write') {
        const anchor = method === 'PATCH' ? 'update-an-issue-comment' : 'delete-an-issue-comment';
        return error(403, 'Resource not accessible by integration', `${DOCS}#${anchor}`);
      }
      if (method === 'DELETE') {
        comments.delete(c.id);
        return send(204);
      }
      const body = parseBody(raw);
      if (typeof body !== 'string') return invalid(`${DOCS}#update-an-issue-comment`);
      record.bodyLength = body.length;
      if ([...body].length > BODY_LIMIT) return tooLong(`${DOCS}#update-an-issue-comment`);
      c.body = body;
      c.updated_at = now();
      return send(200, publicView(c));
    }
    return error(404, 'Not Found', 'https://docs.github.com/rest');

    function invalid(docs: string) {
      error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', docs);
    }
    function tooLong(docs: string) {
      error(422, 'Validation Failed', docs, {
        errors: [
          {
            resource: 'IssueComment',
            code: 'custom',
            field: 'body',
            message: `body is too long (maximum is ${BODY_LIMIT} characters)`,
          },
        ],
      });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${baseUrl}${prefix}`,
    port: (server.address() as AddressInfo).port,
    requests,
    comments: (repo, issue) =>
      [...comments.values()].filter((c) => c._repo === repo && c._issue === issue),
    seedComment: (repo, issue, body, login = 'octocat') =>
      makeComment(repo, issue, body, login, 'User'),
    failNext: (count, status, headers = {}) => {
      failures = Array.from({ length: count }, () => ({ status, headers }));
    },
    writes: () => requests.filter((r) => r.method !== 'GET' && r.status >= 200 && r.status < 300),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): unknown {
  try {
    return (JSON.parse(raw) as { body?: unknown }).body;
  } catch {
    return undefined;
  }
}
