import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIssueCommentsApi, type IssueRef } from '../../src/adapters/github/issue-comments';
import { createServer, type Server } from 'node:net';
import { syncReportComments } from '../../src/adapters/github/sync-comments';
import { GitHubApiError } from '../../src/core/errors';
import { commentMarker } from '../../src/core/report/markdown-comment';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';

const REPO = 'alfred/gitops';
const PR: IssueRef = { owner: 'alfred', repo: 'gitops', number: 42 };
const WRITE = 'ghs_write_token_0123456789';
const READ = 'ghs_read_token_9876543210';

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await startFakeGitHub({
    tokens: { [WRITE]: { access: 'write' }, [READ]: { access: 'read' } },
    repos: { [REPO]: [42, 43] },
  });
});
afterEach(async () => {
  await gh.close();
});

// Waits counted in milliseconds instead of seconds, and no spacing between writes, so
// the retry and rate-limit paths run in a blink; everything else is as on a runner.
const fast = { waitUnitMs: 1, writeGapMs: 0 };
const api = (token = WRITE, apiUrl = gh.url) => createIssueCommentsApi({ token, apiUrl, ...fast });
const body = (part: number, text: string, key = 'default') =>
  `${commentMarker(key, part)}\n${text}\n`;

async function rejection(p: Promise<unknown>): Promise<GitHubApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(GitHubApiError);
    return err as GitHubApiError;
  }
  throw new Error('expected the request to fail');
}

describe('issue comments client against the fake GitHub', () => {
  it('lists every comment across pages, following the Link header', async () => {
    for (let i = 0; i < 250; i++) gh.seedComment(REPO, 42, `comment ${i}`);
    const list = await api().list(PR);
    expect(list.map((c) => c.body)).toEqual(Array.from({ length: 250 }, (_, i) => `comment ${i}`));
    const gets = gh.requests.filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.path)).toEqual([
      '/repos/alfred/gitops/issues/42/comments?per_page=100',
      '/repos/alfred/gitops/issues/42/comments?per_page=100&page=2',
      '/repos/alfred/gitops/issues/42/comments?per_page=100&page=3',
    ]);
  });

  it('sends the token as Octokit does, with the API version header', async () => {
    await api().list(PR);
    expect(gh.requests[0].authorization).toBe(`token ${WRITE}`);
    expect(gh.requests[0].apiVersion).toBe('2022-11-28');
  });

  it('talks to GitHub Enterprise Server under its /api/v3 prefix, pages included', async () => {
    const ghes = await startFakeGitHub({
      tokens: { [WRITE]: { access: 'write' } },
      repos: { [REPO]: [42] },
      pathPrefix: '/api/v3',
    });
    try {
      expect(ghes.url).toMatch(/\/api\/v3$/);
      for (let i = 0; i < 150; i++) ghes.seedComment(REPO, 42, `c${i}`);
      const client = api(WRITE, ghes.url);
      expect(await client.list(PR)).toHaveLength(150);
      await client.create(PR, 'hello from GHES');
      expect(ghes.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'GET /api/v3/repos/alfred/gitops/issues/42/comments?per_page=100 200',
        'GET /api/v3/repos/alfred/gitops/issues/42/comments?per_page=100&page=2 200',
        'POST /api/v3/repos/alfred/gitops/issues/42/comments 201',
      ]);
      // Without the prefix the same server answers 404, so the prefix was really used.
      const wrong = await rejection(api(WRITE, ghes.url.replace('/api/v3', '')).list(PR));
      expect(wrong.status).toBe(404);
    } finally {
      await ghes.close();
    }
  });

  it('turns a read-only token into a 403 with a permissions hint, never quoting the token', async () => {
    const err = await rejection(api(READ).create(PR, 'hello'));
    expect(err.status).toBe(403);
    expect(err.message).toContain('Resource not accessible by integration');
    expect(err.hint).toContain('pull-requests: write');
    expect(`${err.message} ${err.hint}`).not.toContain(READ);
    expect(gh.comments(REPO, 42)).toHaveLength(0);
  });

  it('turns a bad token into a 401 and an unknown pull request into a 404', async () => {
    const bad = await rejection(api('nope').list(PR));
    expect(bad.status).toBe(401);
    expect(bad.message).toContain('Bad credentials');
    expect(bad.message).not.toContain('nope');
    const missing = await rejection(api().list({ ...PR, number: 7 }));
    expect(missing.status).toBe(404);
    const otherRepo = await rejection(api().list({ ...PR, repo: 'other' }));
    expect(otherRepo.status).toBe(404);
  });

  it('gets GitHub’s 422 for a body over 65,536 characters, with the reason', async () => {
    const err = await rejection(api().create(PR, 'x'.repeat(65_537)));
    expect(err.status).toBe(422);
    expect(err.message).toContain('body is too long (maximum is 65536 characters)');
    const ok = await api().create(PR, 'x'.repeat(65_536));
    expect(ok.body).toHaveLength(65_536);
  });

  it('retries server errors and secondary rate limits, then gives up', async () => {
    gh.failNext(2, 502);
    expect(await api().list(PR)).toEqual([]);
    expect(gh.requests.map((r) => r.status)).toEqual([502, 502, 200]);
    gh.failNext(1, 403, { 'retry-after': '1' });
    expect(await api().create(PR, 'after the secondary limit')).toMatchObject({
      body: 'after the secondary limit',
    });
    expect(gh.requests.slice(3).map((r) => `${r.method} ${r.status}`)).toEqual([
      'POST 403',
      'POST 201',
    ]);
    // Three retries after the first attempt, then the error with GitHub's status.
    gh.failNext(4, 503);
    const before = gh.requests.length;
    expect((await rejection(api().list(PR))).status).toBe(503);
    expect(gh.requests.length - before).toBe(4);
  });

  it('does not wait out a long rate limit: fails at once with a hint', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    gh.failNext(1, 403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    const lines: string[] = [];
    const err = await rejection(
      createIssueCommentsApi({
        token: WRITE,
        apiUrl: gh.url,
        ...fast,
        log: (l) => lines.push(l),
      }).list(PR),
    );
    expect(err.status).toBe(403);
    expect(err.hint).toContain('rate limit is used up');
    expect(gh.requests).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/rate limit reached .*not waiting 36\d\d s/);
  });

  it('a GitHub that cannot be reached, or never answers, is status 0 with a network hint', async () => {
    const closed = await rejection(
      createIssueCommentsApi({
        token: WRITE,
        apiUrl: 'http://127.0.0.1:9',
        ...fast,
        retries: 1,
      }).list(PR),
    );
    expect(closed.status).toBe(0);
    expect(closed.message).toContain('GET /repos/alfred/gitops/issues/42/comments failed');
    expect(closed.hint).toContain('HTTPS_PROXY');

    // Accepts the connection, never answers: each attempt ends at the timeout.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const hung = await rejection(
        createIssueCommentsApi({
          token: WRITE,
          apiUrl: `http://127.0.0.1:${port}`,
          ...fast,
          retries: 1,
          timeoutMs: 300,
        }).list(PR),
      );
      expect(hung.status).toBe(0);
      expect(hung.message).toMatch(/timeout/i);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  });
});

describe('syncReportComments', () => {
  it('creates the comment once, then edits it in place, and skips unchanged bodies', async () => {
    gh.seedComment(REPO, 42, 'LGTM, but check the drift report');
    const first = await syncReportComments(api(), PR, 'default', [body(1, 'drift in 1 region')]);
    expect(first).toMatchObject({ created: 1, updated: 0, unchanged: 0, deleted: 0 });
    const id = first.comments[0].id;

    const writesBefore = gh.writes().length;
    const same = await syncReportComments(api(), PR, 'default', [body(1, 'drift in 1 region')]);
    expect(same).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(gh.writes()).toHaveLength(writesBefore);

    const changed = await syncReportComments(api(), PR, 'default', [body(1, 'drift in 2 regions')]);
    expect(changed).toMatchObject({ created: 0, updated: 1 });
    expect(changed.comments[0].id).toBe(id);

    const ours = gh.comments(REPO, 42).filter((c) => c.body.startsWith('<!-- mr-drift'));
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toContain('drift in 2 regions');
    expect(gh.comments(REPO, 42)[0].body).toBe('LGTM, but check the drift report');
  });

  it('grows to several parts and shrinks back, deleting parts no longer needed', async () => {
    const three = [body(1, 'a'), body(2, 'b'), body(3, 'c')];
    expect(await syncReportComments(api(), PR, 'default', three)).toMatchObject({ created: 3 });
    const one = await syncReportComments(api(), PR, 'default', [body(1, 'a only')]);
    expect(one).toMatchObject({ updated: 1, deleted: 2 });
    expect(gh.comments(REPO, 42).map((c) => c.body)).toEqual([body(1, 'a only')]);
  });

  it('removes duplicates left by racing runs, keeping the oldest', async () => {
    const a = gh.seedComment(REPO, 42, body(1, 'run A'), 'github-actions[bot]');
    gh.seedComment(REPO, 42, body(1, 'run B'), 'github-actions[bot]');
    const res = await syncReportComments(api(), PR, 'default', [body(1, 'run C')]);
    expect(res).toMatchObject({ updated: 1, deleted: 1 });
    expect(gh.comments(REPO, 42).map((c) => [c.id, c.body])).toEqual([[a.id, body(1, 'run C')]]);
  });

  it('leaves comments of other keys and other pull requests alone', async () => {
    gh.seedComment(REPO, 42, body(1, 'staging report', 'staging'));
    gh.seedComment(REPO, 43, body(1, 'other PR'));
    await syncReportComments(api(), PR, 'default', [body(1, 'prod report')]);
    expect(gh.comments(REPO, 42).map((c) => c.body)).toEqual([
      body(1, 'staging report', 'staging'),
      body(1, 'prod report'),
    ]);
    expect(gh.comments(REPO, 43).map((c) => c.body)).toEqual([body(1, 'other PR')]);
  });

  it('fails with 403 on a read-only token after reading, writing nothing', async () => {
    const err = await rejection(syncReportComments(api(READ), PR, 'default', [body(1, 'x')]));
    expect(err.status).toBe(403);
    expect(gh.writes()).toHaveLength(0);
  });
});
