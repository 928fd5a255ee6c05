import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server standing in for the part of GitHub's REST API that mr-drift uses:
 * issues and issue comments (every pull request is also an issue: same numbers, same
 * comment endpoints). It follows GitHub's documented behaviour for these endpoints
 * (docs.github.com/rest/issues, API version 2022-11-28):
 *
 *   GET    /repos/{o}/{r}/issues                  list, pull requests included (with a
 *          `pull_request` key); `state` (open|closed|all, default open), `labels` (names,
 *          comma-separated, all required), `creator`, `sort` (created|updated|comments),
 *          `direction` (default desc), `per_page` (default 30, at most 100), `page`, `Link`
 *   POST   /repos/{o}/{r}/issues                  201; creates labels that do not exist
 *   GET    /repos/{o}/{r}/issues/{n}              200 (with `closed_by`)
 *   PATCH  /repos/{o}/{r}/issues/{n}              200; title, body, state, state_reason,
 *          labels, assignees
 *   POST   /repos/{o}/{r}/issues/{n}/labels       200 + the issue's labels; creates missing
 *   POST   /repos/{o}/{r}/issues/{n}/assignees    201; logins that cannot be assigned are
 *          silently left out
 *   GET    /repos/{o}/{r}/issues/{n}/comments     list, ascending id, `per_page`, `page`
 *   POST   /repos/{o}/{r}/issues/{n}/comments     201 + comment
 *   GET    /repos/{o}/{r}/issues/comments/{id}    200 + comment
 *   PATCH  /repos/{o}/{r}/issues/comments/{id}    200 + comment
 *   DELETE /repos/{o}/{r}/issues/comments/{id}    204
 *
 * with GitHub's error shapes: 401 `Bad credentials` / `Requires authentication`; 403
 * `Resource not accessible by integration` for a token without the write permission
 * (GITHUB_TOKEN style: `issues` for issues, their labels and comments; `pull-requests` or
 * `issues` for comments on a pull request); 404 `Not Found`; 410 `Issues are disabled for
 * this repo`; 422 `Validation Failed` for a body over 65,536 characters, an assignee who
 * cannot be assigned, a bad `state`; 422 `Invalid request` for a missing title or body.
 * Every request is recorded so tests can count API writes.
 */
export type Access = 'read' | 'write';

export interface FakeToken {
  /** Both permissions at once (the default for the two below). */
  access?: Access;
  /** The `issues` permission. */
  issues?: Access;
  /** The `pull-requests` permission. */
  pullRequests?: Access;
  /** A user's token (a PAT) when set; else the token is `github-actions[bot]`'s. */
  login?: string;
}

export interface FakeGitHubOptions {
  /** token -> what it may do. Tokens not listed get 401. */
  tokens: Record<string, FakeToken>;
  /**
   * "owner/repo" -> pull request numbers that exist. Issues created through the API take
   * the numbers after the highest one, as on GitHub (one sequence for both).
   */
  repos: Record<string, number[]>;
  /** Repositories whose Issues feature is turned off: issue writes answer 410. */
  issuesDisabled?: string[];
  /** Logins that may be assigned (the repository's collaborators). */
  assignable?: string[];
  /**
   * Path the API is served under: empty for api.github.com, `/api/v3` as on GitHub
   * Enterprise Server. Requests outside it get 404.
   */
  pathPrefix?: string;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP. */
  tls?: { key: string; cert: string };
}

export interface FakeUser {
  login: string;
  id: number;
  type: 'Bot' | 'User';
}

export interface FakeComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: FakeUser;
  created_at: string;
  updated_at: string;
  author_association: string;
  /** Not a GitHub field: which repository and issue the comment is on. */
  _repo: string;
  _issue: number;
}

/** An issue or pull request as the stand-in keeps it (labels and assignees by name). */
export interface FakeIssue {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'reopened' | null;
  labels: string[];
  assignees: string[];
  locked: boolean;
  user: FakeUser;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  closed_by: FakeUser | null;
  /** Not a GitHub field: true for a pull request. */
  _pull: boolean;
  _repo: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** Length of the request's `body` field, for writes. */
  bodyLength?: number;
  /** The JSON the request sent, for writes. */
  json?: Record<string, unknown>;
  authorization?: string | undefined;
  apiVersion?: string | undefined;
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
  /** The repository's issues (not pull requests), ascending number. */
  issues(repo: string): FakeIssue[];
  /** Opens an issue as if a person did. */
  seedIssue(
    repo: string,
    issue: { title: string; body?: string; labels?: string[]; login?: string },
  ): FakeIssue;
  /** Changes an issue as a person would in the web UI (close, lock, edit, unlabel ...). */
  editIssue(
    repo: string,
    number: number,
    change: Partial<Pick<FakeIssue, 'title' | 'body' | 'state' | 'labels' | 'locked'>> & {
      state_reason?: FakeIssue['state_reason'];
    },
    login?: string,
  ): FakeIssue;
  /** Names of the repository's labels, in creation order. */
  labels(repo: string): string[];
  /**
   * Makes the next `count` requests answer with `status` before handling: 5xx a server
   * error; 403/429 the primary rate limit when the headers say `x-ratelimit-remaining: 0`,
   * else the secondary rate limit (GitHub's messages for each).
   */
  failNext(count: number, status: number, headers?: Record<string, string>): void;
  /** API writes recorded (POST, PATCH, PUT, DELETE) with a 2xx status. */
  writes(): RecordedRequest[];
  close(): Promise<void>;
}

/** GitHub's limit on an issue or comment body, in characters. */
export const BODY_LIMIT = 65_536;
const DOCS = 'https://docs.github.com/rest/issues';
const BOT: FakeUser = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const comments = new Map<number, FakeComment>();
  const issues = new Map<string, FakeIssue>();
  const labels = new Map<string, Array<{ id: number; name: string; color: string }>>();
  const requests: RecordedRequest[] = [];
  let nextId = 1_000_000_001;
  let clock = Date.parse('2026-11-26T10:00:00Z');
  let failures: Array<{ status: number; headers: Record<string, string> }> = [];
  let baseUrl = '';
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');

  const now = () => new Date((clock += 1_000)).toISOString().replace(/\.\d+Z$/, 'Z');
  const person = (login: string): FakeUser => ({ login, id: 1000 + login.length, type: 'User' });
  const issueKey = (repo: string, n: number) => `${repo}#${n}`;
  const issueOf = (repo: string, n: number) => issues.get(issueKey(repo, n));
  const repoIssues = (repo: string) =>
    [...issues.values()].filter((i) => i._repo === repo).sort((a, b) => a.number - b.number);
  const webUrl = (repo: string, i: FakeIssue) =>
    `https://github.com/${repo}/${i._pull ? 'pull' : 'issues'}/${i.number}`;

  for (const [repo, numbers] of Object.entries(options.repos)) {
    labels.set(repo, []);
    for (const n of numbers) {
      const t = now();
      issues.set(issueKey(repo, n), {
        number: n,
        title: `Pull request ${n}`,
        body: 'A change to the overlays.',
        state: 'open',
        state_reason: null,
        labels: [],
        assignees: [],
        locked: false,
        user: person('dev-ada'),
        created_at: t,
        updated_at: t,
        closed_at: null,
        closed_by: null,
        _pull: true,
        _repo: repo,
      });
    }
  }

  /** Labels by name, creating those the repository lacks (as GitHub does on write). */
  const ensureLabels = (repo: string, names: string[]): string[] => {
    const list = labels.get(repo)!;
    return names.map((name) => {
      const have = list.find((l) => l.name.toLowerCase() === name.toLowerCase());
      if (have) return have.name;
      list.push({ id: nextId++, name, color: 'ededed' });
      return name;
    });
  };
  const labelView = (repo: string, name: string) => {
    const l = labels.get(repo)!.find((x) => x.name === name)!;
    return {
      id: l.id,
      node_id: `LA_kwDO${l.id.toString(36)}`,
      url: `${baseUrl}${prefix}/repos/${repo}/labels/${encodeURIComponent(l.name)}`,
      name: l.name,
      color: l.color,
      default: false,
      description: null,
    };
  };

  const issueView = (i: FakeIssue, detail = false) => {
    const repo = i._repo;
    const api = `${baseUrl}${prefix}/repos/${repo}/issues/${i.number}`;
    return {
      url: api,
      repository_url: `${baseUrl}${prefix}/repos/${repo}`,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      html_url: webUrl(repo, i),
      id: 3_000_000_000 + i.number,
      node_id: `I_kwDO${i.number.toString(36)}`,
      number: i.number,
      title: i.title,
      user: i.user,
      labels: i.labels.map((n) => labelView(repo, n)),
      state: i.state,
      locked: i.locked,
      active_lock_reason: i.locked ? 'resolved' : null,
      assignee: i.assignees[0] ? person(i.assignees[0]) : null,
      assignees: i.assignees.map(person),
      milestone: null,
      comments: [...comments.values()].filter((c) => c._repo === repo && c._issue === i.number)
        .length,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      author_association: i.user.type === 'Bot' ? 'NONE' : 'MEMBER',
      body: i.body,
      state_reason: i.state_reason,
      ...(i._pull
        ? {
            pull_request: {
              url: `${baseUrl}${prefix}/repos/${repo}/pulls/${i.number}`,
              html_url: webUrl(repo, i),
              diff_url: `${webUrl(repo, i)}.diff`,
              patch_url: `${webUrl(repo, i)}.patch`,
              merged_at: null,
            },
          }
        : {}),
      ...(detail ? { closed_by: i.closed_by } : {}),
    };
  };

  const makeComment = (repo: string, issue: number, body: string, user: FakeUser) => {
    const id = nextId++;
    const t = now();
    const target = issueOf(repo, issue)!;
    const c: FakeComment = {
      id,
      node_id: `IC_kwDO${id.toString(36)}`,
      url: `${baseUrl}${prefix}/repos/${repo}/issues/comments/${id}`,
      html_url: `${webUrl(repo, target)}#issuecomment-${id}`,
      issue_url: `${baseUrl}${prefix}/repos/${repo}/issues/${issue}`,
      body,
      user,
      created_at: t,
      updated_at: t,
      author_association: user.type === 'Bot' ? 'NONE' : 'MEMBER',
      _repo: repo,
      _issue: issue,
    };
    comments.set(id, c);
    target.updated_at = t;
    return c;
  };

  const commentView = (c: FakeComment) => {
    const { _repo, _issue, ...rest } = c;
    void _repo;
    void _issue;
    return rest;
  };

  const createIssue = (
    repo: string,
    fields: { title: string; body: string | null; labels: string[]; assignees: string[] },
    user: FakeUser,
  ): FakeIssue => {
    const number = Math.max(0, ...repoIssues(repo).map((i) => i.number)) + 1;
    const t = now();
    const issue: FakeIssue = {
      number,
      title: fields.title,
      body: fields.body,
      state: 'open',
      state_reason: null,
      labels: ensureLabels(repo, fields.labels),
      assignees: fields.assignees,
      locked: false,
      user,
      created_at: t,
      updated_at: t,
      closed_at: null,
      closed_by: null,
      _pull: false,
      _repo: repo,
    };
    issues.set(issueKey(repo, number), issue);
    return issue;
  };

  const setState = (
    issue: FakeIssue,
    state: 'open' | 'closed',
    reason: FakeIssue['state_reason'] | undefined,
    by: FakeUser,
  ) => {
    if (state === 'closed') {
      if (issue.state !== 'closed') {
        issue.closed_at = now();
        issue.closed_by = by;
      }
      issue.state_reason = reason ?? 'completed';
    } else {
      if (issue.state === 'closed') issue.state_reason = reason ?? 'reopened';
      issue.closed_at = null;
    }
    issue.state = state;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  };
  const server = options.tls ? createTlsServer(options.tls, onRequest) : createServer(onRequest);

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
    const forbidden = (docs: string) => error(403, 'Resource not accessible by integration', docs);
    const validation = (docs: string, errors: object[]) =>
      error(422, 'Validation Failed', docs, { errors });
    const tooLong = (docs: string, resource: string) =>
      validation(docs, [
        {
          resource,
          code: 'custom',
          field: 'body',
          message: `body is too long (maximum is ${BODY_LIMIT} characters)`,
        },
      ]);
    const gone = (docs: string) => error(410, 'Issues are disabled for this repo', docs);
    // Links to the host the client asked for, like GitHub (a proxy may stand between).
    const paged = <T>(all: T[]) => {
      const perPage = Math.min(
        100,
        Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30),
      );
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const link = (p: number, rel: string) => {
        const scheme = options.tls ? 'https' : 'http';
        const u = new URL(
          url.pathname,
          req.headers.host ? `${scheme}://${req.headers.host}` : baseUrl,
        );
        for (const [k, v] of url.searchParams) if (k !== 'page') u.searchParams.set(k, v);
        u.searchParams.set('page', String(p));
        return `<${u.toString()}>; rel="${rel}"`;
      };
      const links: string[] = [];
      if (page > 1) links.push(link(page - 1, 'prev'));
      if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
      if (page > 1) links.push(link(1, 'first'));
      return {
        items: all.slice((page - 1) * perPage, page * perPage),
        headers: (links.length > 0 ? { link: links.join(', ') } : {}) as Record<string, string>,
      };
    };

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
    const actor = who.login ? person(who.login) : BOT;
    const mayWriteIssues = (who.issues ?? who.access ?? 'read') === 'write';
    const mayWritePulls = (who.pullRequests ?? who.access ?? 'read') === 'write';
    const json = parseJson(raw);
    if (method !== 'GET' && json) record.json = json;
    if (typeof json?.body === 'string') record.bodyLength = json.body.length;

    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(route);
    if (!repoMatch) return error(404, 'Not Found', 'https://docs.github.com/rest');
    const repo = `${decodeURIComponent(repoMatch[1])}/${decodeURIComponent(repoMatch[2])}`;
    const rest = repoMatch[3];
    if (!(repo in options.repos)) return error(404, 'Not Found', 'https://docs.github.com/rest');
    const disabled = (options.issuesDisabled ?? []).includes(repo);

    // /issues
    if (rest === '/issues') {
      if (method === 'GET') {
        const state = url.searchParams.get('state') ?? 'open';
        if (!['open', 'closed', 'all'].includes(state)) {
          return validation(`${DOCS}/issues#list-repository-issues`, [
            { resource: 'Issue', field: 'state', code: 'invalid' },
          ]);
        }
        const wanted = (url.searchParams.get('labels') ?? '')
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean);
        const creator = url.searchParams.get('creator');
        const sort = url.searchParams.get('sort') ?? 'created';
        const direction = url.searchParams.get('direction') ?? 'desc';
        let list = repoIssues(repo).filter(
          (i) =>
            (state === 'all' || i.state === state) &&
            (!disabled || i._pull) &&
            wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)) &&
            (!creator || i.user.login === creator),
        );
        const key = (i: FakeIssue) =>
          sort === 'updated' ? i.updated_at : sort === 'comments' ? String(0) : i.created_at;
        list = list.sort((a, b) => key(a).localeCompare(key(b)) || a.number - b.number);
        if (direction !== 'asc') list.reverse();
        const { items, headers } = paged(list);
        return send(
          200,
          items.map((i) => issueView(i)),
          headers,
        );
      }
      if (method === 'POST') {
        const docs = `${DOCS}/issues#create-an-issue`;
        if (!mayWriteIssues) return forbidden(docs);
        if (disabled) return gone(docs);
        const title = json?.title;
        if (typeof title !== 'string' && typeof title !== 'number') {
          return error(422, 'Invalid request.\n\n"title" wasn\'t supplied.', docs);
        }
        const body = typeof json?.body === 'string' ? json.body : null;
        if (body !== null && [...body].length > BODY_LIMIT) return tooLong(docs, 'Issue');
        const wantLabels = labelNames(json?.labels);
        const assignees = stringList(json?.assignees);
        const bad = assignees.filter((a) => !(options.assignable ?? []).includes(a));
        if (bad.length > 0) {
          return validation(
            docs,
            bad.map((value) => ({ value, resource: 'Issue', field: 'assignees', code: 'invalid' })),
          );
        }
        const issue = createIssue(
          repo,
          { title: String(title), body, labels: wantLabels, assignees },
          actor,
        );
        return send(201, issueView(issue), {
          location: `${baseUrl}${prefix}/repos/${repo}/issues/${issue.number}`,
        });
      }
      return error(404, 'Not Found');
    }

    let m = /^\/issues\/(\d+)$/.exec(rest);
    if (m) {
      const issue = issueOf(repo, Number(m[1]));
      const docs = `${DOCS}/issues#${method === 'PATCH' ? 'update-an-issue' : 'get-an-issue'}`;
      if (!issue) return error(404, 'Not Found', docs);
      if (disabled && !issue._pull) return gone(docs);
      if (method === 'GET') return send(200, issueView(issue, true));
      if (method !== 'PATCH') return error(404, 'Not Found');
      if (!(mayWriteIssues || (issue._pull && mayWritePulls))) return forbidden(docs);
      const change = json ?? {};
      if (change.state !== undefined && change.state !== 'open' && change.state !== 'closed') {
        return validation(docs, [{ resource: 'Issue', field: 'state', code: 'invalid' }]);
      }
      if (
        change.state_reason !== undefined &&
        change.state_reason !== null &&
        !['completed', 'not_planned', 'reopened'].includes(change.state_reason as string)
      ) {
        return validation(docs, [{ resource: 'Issue', field: 'state_reason', code: 'invalid' }]);
      }
      if (typeof change.body === 'string' && [...change.body].length > BODY_LIMIT) {
        return tooLong(docs, 'Issue');
      }
      if (change.assignees !== undefined) {
        const bad = stringList(change.assignees).filter(
          (a) => !(options.assignable ?? []).includes(a),
        );
        if (bad.length > 0) {
          return validation(
            docs,
            bad.map((value) => ({ value, resource: 'Issue', field: 'assignees', code: 'invalid' })),
          );
        }
        issue.assignees = stringList(change.assignees);
      }
      if (typeof change.title === 'string') issue.title = change.title;
      if (typeof change.body === 'string' || change.body === null) {
        issue.body = change.body;
      }
      if (change.labels !== undefined) issue.labels = ensureLabels(repo, labelNames(change.labels));
      if (change.state === 'open' || change.state === 'closed') {
        setState(
          issue,
          change.state,
          change.state_reason as FakeIssue['state_reason'] | undefined,
          actor,
        );
      }
      issue.updated_at = now();
      return send(200, issueView(issue, true));
    }

    m = /^\/issues\/(\d+)\/labels$/.exec(rest);
    if (m) {
      const issue = issueOf(repo, Number(m[1]));
      const docs = `${DOCS}/labels#add-labels-to-an-issue`;
      if (!issue) return error(404, 'Not Found', docs);
      if (method === 'GET')
        return send(
          200,
          issue.labels.map((n) => labelView(repo, n)),
        );
      if (method !== 'POST') return error(404, 'Not Found');
      if (!(mayWriteIssues || (issue._pull && mayWritePulls))) return forbidden(docs);
      if (disabled && !issue._pull) return gone(docs);
      const names = Array.isArray(json) ? labelNames(json) : labelNames(json?.labels);
      for (const name of ensureLabels(repo, names)) {
        if (!issue.labels.includes(name)) issue.labels.push(name);
      }
      issue.updated_at = now();
      return send(
        200,
        issue.labels.map((n) => labelView(repo, n)),
      );
    }

    m = /^\/issues\/(\d+)\/assignees$/.exec(rest);
    if (m) {
      const issue = issueOf(repo, Number(m[1]));
      const docs = `${DOCS}/assignees#add-assignees-to-an-issue`;
      if (!issue) return error(404, 'Not Found', docs);
      if (method !== 'POST') return error(404, 'Not Found');
      if (!(mayWriteIssues || (issue._pull && mayWritePulls))) return forbidden(docs);
      for (const a of stringList(json?.assignees)) {
        if ((options.assignable ?? []).includes(a) && !issue.assignees.includes(a)) {
          issue.assignees.push(a);
        }
      }
      issue.updated_at = now();
      return send(201, issueView(issue));
    }

    m = /^\/issues\/(\d+)\/comments$/.exec(rest);
    if (m) {
      const number = Number(m[1]);
      const issue = issueOf(repo, number);
      if (!issue) return error(404, 'Not Found', `${DOCS}/comments`);
      if (disabled && !issue._pull) return gone(`${DOCS}/comments`);
      if (method === 'GET') {
        const all = [...comments.values()].filter((c) => c._repo === repo && c._issue === number);
        const { items, headers } = paged(all);
        return send(200, items.map(commentView), headers);
      }
      if (method === 'POST') {
        const docs = `${DOCS}/comments#create-an-issue-comment`;
        if (!(mayWriteIssues || (issue._pull && mayWritePulls))) return forbidden(docs);
        const body = json?.body;
        if (typeof body !== 'string') {
          return error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', docs);
        }
        if ([...body].length > BODY_LIMIT) return tooLong(docs, 'IssueComment');
        const c = makeComment(repo, number, body, actor);
        return send(201, commentView(c), { location: c.url });
      }
      return error(404, 'Not Found');
    }

    m = /^\/issues\/comments\/(\d+)$/.exec(rest);
    if (m) {
      const c = comments.get(Number(m[1]));
      if (!c || c._repo !== repo) return error(404, 'Not Found', `${DOCS}/comments`);
      const issue = issueOf(repo, c._issue)!;
      if (method === 'GET') return send(200, commentView(c));
      if (method !== 'PATCH' && method !== 'DELETE') return error(404, 'Not Found');
      const docs = `${DOCS}/comments#${method === 'PATCH' ? 'update-an-issue-comment' : 'delete-an-issue-comment'}`;
      if (!(mayWriteIssues || (issue._pull && mayWritePulls))) return forbidden(docs);
      if (method === 'DELETE') {
        comments.delete(c.id);
        return send(204);
      }
      const body = json?.body;
      if (typeof body !== 'string') {
        return error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', docs);
      }
      if ([...body].length > BODY_LIMIT) return tooLong(docs, 'IssueComment');
      c.body = body;
      c.updated_at = now();
      return send(200, commentView(c));
    }
    return error(404, 'Not Found', 'https://docs.github.com/rest');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    url: `${baseUrl}${prefix}`,
    port,
    requests,
    comments: (repo, issue) =>
      [...comments.values()].filter((c) => c._repo === repo && c._issue === issue),
    seedComment: (repo, issue, body, login = 'octocat') =>
      makeComment(repo, issue, body, person(login)),
    issues: (repo) => repoIssues(repo).filter((i) => !i._pull),
    seedIssue: (repo, issue) =>
      createIssue(
        repo,
        {
          title: issue.title,
          body: issue.body ?? null,
          labels: issue.labels ?? [],
          assignees: [],
        },
        person(issue.login ?? 'octocat'),
      ),
    editIssue: (repo, number, change, login = 'octocat') => {
      const issue = issueOf(repo, number);
      if (!issue) throw new Error(`no issue ${repo}#${number}`);
      if (change.title !== undefined) issue.title = change.title;
      if (change.body !== undefined) issue.body = change.body;
      if (change.labels !== undefined) issue.labels = ensureLabels(repo, change.labels);
      if (change.locked !== undefined) issue.locked = change.locked;
      if (change.state !== undefined) {
        setState(issue, change.state, change.state_reason, person(login));
      }
      issue.updated_at = now();
      return issue;
    },
    labels: (repo) => (labels.get(repo) ?? []).map((l) => l.name),
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

function parseJson(raw: string): Record<string, unknown> | undefined {
  if (!raw) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Labels as GitHub takes them: names, or objects with a `name`. */
function labelNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((v) =>
      typeof v === 'string'
        ? v
        : typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string'
          ? (v as { name: string }).name
          : undefined,
    )
    .filter((v): v is string => v !== undefined && v.trim() !== '');
}
