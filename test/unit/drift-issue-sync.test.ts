import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIssuesApi } from '../../src/adapters/github/issues-api';
import { syncDriftIssues } from '../../src/adapters/github/sync-drift-issues';
import { GitHubApiError } from '../../src/core/errors';
import { renderIssueContent } from '../../src/core/issue/issue-body';
import { issueMarker, type IssueScope } from '../../src/core/issue/issue-state';
import type { IssueSettings } from '../../src/core/issue/plan-issue-sync';
import type { DriftReport } from '../../src/core/report/model';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { bigRegion, changed, field, region, report } from '../support/reports';

// The drift issue against the local GitHub stand-in: finding it, creating, editing,
// closing, reopening, labels, continuation comments, and GitHub's refusals.

const REPO = 'alfred/gitops';
const REF = { owner: 'alfred', repo: 'gitops' };
const WRITE = 'ghs_issues_write_0123456789';
const PR_ONLY = 'ghs_pull_requests_only_012345';

const SETTINGS: IssueSettings = {
  title: 'mr-drift: drift between Git and the clusters',
  labels: ['mr-drift'],
  assignees: [],
};

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await startFakeGitHub({
    tokens: {
      [WRITE]: { access: 'write' },
      [PR_ONLY]: { pullRequests: 'write', issues: 'read' },
    },
    repos: { [REPO]: [1, 2, 3], 'alfred/no-issues': [1] },
    issuesDisabled: ['alfred/no-issues'],
    assignable: ['octocat'],
  });
});
afterEach(async () => {
  await gh.close();
});

const api = (token = WRITE) =>
  createIssuesApi({ token, apiUrl: gh.url, waitUnitMs: 1, writeGapMs: 0 });
const drift = (value = 5) =>
  report([region('us-east', [changed('api', [field('/spec/replicas', 3, value)])])]);
const inSync = report([region('us-east')]);

async function sync(
  r: DriftReport,
  options: { scopes?: IssueScope[]; settings?: Partial<IssueSettings>; token?: string } = {},
) {
  const scopes = options.scopes ?? [{ key: 'default' }];
  return syncDriftIssues(
    api(options.token),
    REF,
    scopes.map((s) => renderIssueContent(r, s)),
    () => ({ ...SETTINGS, ...options.settings }),
  );
}

const writes = () => gh.writes().map((w) => `${w.method} ${w.path.replace(/\?.*/, '')}`);

describe('syncDriftIssues', () => {
  it('creates the issue with GitHub creating the missing label, then finds it by that label', async () => {
    const [created] = await sync(drift());
    expect(created).toMatchObject({ outcome: 'created', number: 4, writes: 1 });
    expect(created.url).toBe('https://github.com/alfred/gitops/issues/4');
    expect(gh.labels(REPO)).toEqual(['mr-drift']);
    const [issue] = gh.issues(REPO);
    expect(issue).toMatchObject({ title: SETTINGS.title, labels: ['mr-drift'], state: 'open' });
    expect(issue.user.login).toBe('github-actions[bot]');

    gh.requests.length = 0;
    const [again] = await sync(drift());
    expect(again).toMatchObject({ outcome: 'unchanged', number: 4, writes: 0 });
    // One request: the list filtered by the label; pull requests never match.
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/alfred/gitops/issues?state=all&labels=mr-drift&sort=created&direction=asc&per_page=100',
    ]);
  });

  it('finds the issue by its marker when someone removed the label, and does not duplicate it', async () => {
    await sync(drift());
    gh.editIssue(REPO, 4, { labels: [] });
    for (let i = 0; i < 120; i++) gh.seedIssue(REPO, { title: `unrelated ${i}` });
    gh.requests.length = 0;
    const [r] = await sync(drift(9));
    expect(r).toMatchObject({ outcome: 'updated', number: 4 });
    expect(gh.issues(REPO).filter((i) => i.body?.startsWith('<!-- mr-drift:issue'))).toHaveLength(
      1,
    );
    // The labelled search found nothing, so every issue was read, two pages of them.
    expect(gh.requests.filter((q) => q.method === 'GET').map((q) => q.path)).toEqual([
      '/repos/alfred/gitops/issues?state=all&labels=mr-drift&sort=created&direction=asc&per_page=100',
      '/repos/alfred/gitops/issues?state=all&sort=created&direction=asc&per_page=100',
      '/repos/alfred/gitops/issues?state=all&sort=created&direction=asc&per_page=100&page=2',
    ]);
  });

  it('in sync with no issue: reads open issues only, writes nothing', async () => {
    const [r] = await sync(inSync);
    expect(r).toMatchObject({ outcome: 'none', writes: 0 });
    expect(r.number).toBeUndefined();
    expect(gh.requests.map((q) => q.path)).toEqual([
      '/repos/alfred/gitops/issues?state=all&labels=mr-drift&sort=created&direction=asc&per_page=100',
      '/repos/alfred/gitops/issues?state=open&sort=created&direction=asc&per_page=100',
    ]);
    expect(gh.writes()).toEqual([]);
  });

  it('closes and reopens the same issue, never opening a second one', async () => {
    await sync(drift());
    gh.requests.length = 0;
    const [closed] = await sync(inSync);
    expect(closed).toMatchObject({ outcome: 'closed', number: 4, writes: 2 });
    expect(writes()).toEqual([
      'POST /repos/alfred/gitops/issues/4/comments',
      'PATCH /repos/alfred/gitops/issues/4',
    ]);
    expect(gh.issues(REPO)[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    gh.requests.length = 0;
    const [reopened] = await sync(drift());
    expect(reopened).toMatchObject({ outcome: 'reopened', number: 4 });
    expect(gh.issues(REPO)).toHaveLength(1);
    expect(gh.issues(REPO)[0]).toMatchObject({ state: 'open', state_reason: 'reopened' });
    expect(gh.comments(REPO, 4).map((c) => c.body.split('\n')[0])).toEqual([
      '### ✅ mr-drift: every region is in sync again',
      '### ⚠️ mr-drift: drift is back',
    ]);
  });

  it('one issue per region: each opened and closed on its own', async () => {
    const scopes = [
      { key: 'default', region: 'us-east' },
      { key: 'default', region: 'eu-west' },
    ];
    const both = report([
      region('us-east', [changed('api', [field('/spec/replicas', 3, 5)])]),
      region('eu-west'),
    ]);
    const results = await sync(both, { scopes });
    expect(results.map((r) => [r.scope.region, r.outcome])).toEqual([
      ['us-east', 'created'],
      ['eu-west', 'none'],
    ]);
    const flipped = report([
      region('us-east'),
      region('eu-west', [changed('api', [field('/spec/replicas', 3, 5)])]),
    ]);
    const next = await sync(flipped, { scopes });
    expect(next.map((r) => [r.scope.region, r.outcome, r.number])).toEqual([
      ['us-east', 'closed', 4],
      ['eu-west', 'created', 5],
    ]);
    expect(gh.issues(REPO).map((i) => [i.number, i.state, i.body?.split('\n')[0]])).toEqual([
      [4, 'closed', issueMarker({ key: 'default', region: 'us-east' })],
      [5, 'open', issueMarker({ key: 'default', region: 'eu-west' })],
    ]);
  });

  it('a long report: the body plus continuation comments, edited in place, removed when short again', async () => {
    const big = report([bigRegion('us-east', 300, 400)]);
    const [created] = await sync(big);
    const parts = gh.comments(REPO, created.number!);
    expect(parts.length).toBeGreaterThan(0);
    expect(created.writes).toBe(1 + parts.length);
    for (const c of parts) expect(c.body.length).toBeLessThanOrEqual(65_536);
    expect(gh.issues(REPO)[0].body!.length).toBeLessThanOrEqual(65_536);

    gh.requests.length = 0;
    const [same] = await sync(big);
    expect(same).toMatchObject({ outcome: 'unchanged', writes: 0 });

    const [short] = await sync(drift());
    expect(short.outcome).toBe('updated');
    expect(
      gh.comments(REPO, created.number!).filter((c) => c.body.startsWith('<!-- mr-drift:comment')),
    ).toEqual([]);
  });

  it('an assignee GitHub refuses: the issue is opened without assignees, and the log says why', async () => {
    const [r] = await sync(drift(), { settings: { assignees: ['octocat', 'nobody-here'] } });
    expect(r.outcome).toBe('created');
    expect(gh.issues(REPO)[0].assignees).toEqual([]);
    expect(r.notes.join('\n')).toContain('GitHub refused the assignees octocat, nobody-here');
    expect(gh.requests.filter((q) => q.method === 'POST').map((q) => q.status)).toEqual([422, 201]);
    // Assignable logins are kept.
    await gh.close();
    gh = await startFakeGitHub({
      tokens: { [WRITE]: { access: 'write' } },
      repos: { [REPO]: [1] },
      assignable: ['octocat'],
    });
    await sync(drift(), { settings: { assignees: ['octocat'] } });
    expect(gh.issues(REPO)[0].assignees).toEqual(['octocat']);
  });

  it('a token without issues: write gets 403 with the permission to add, and writes nothing', async () => {
    let error: unknown;
    try {
      await sync(drift(), { token: PR_ONLY });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GitHubApiError);
    const e = error as GitHubApiError;
    expect(e.status).toBe(403);
    expect(e.message).toContain(
      'POST /repos/alfred/gitops/issues: Resource not accessible by integration',
    );
    expect(e.hint).toContain('permissions: issues: write');
    expect(gh.issues(REPO)).toEqual([]);
  });

  it('Issues turned off in the repository: 410 with a hint', async () => {
    let error: unknown;
    try {
      await syncDriftIssues(
        api(),
        { owner: 'alfred', repo: 'no-issues' },
        [renderIssueContent(drift(), { key: 'default' })],
        () => SETTINGS,
      );
    } catch (err) {
      error = err;
    }
    expect((error as GitHubApiError).status).toBe(410);
    expect((error as GitHubApiError).hint).toContain('Issues are turned off');
  });

  it('a body over 65,536 characters is refused by GitHub with 422 (the renderer never sends one)', async () => {
    let error: unknown;
    try {
      await api().create(REF, { title: 't', body: 'x'.repeat(65_537), labels: [], assignees: [] });
    } catch (err) {
      error = err;
    }
    expect((error as GitHubApiError).status).toBe(422);
    expect((error as GitHubApiError).message).toContain(
      'body is too long (maximum is 65536 characters)',
    );
    const ok = await api().create(REF, {
      title: 't',
      body: 'x'.repeat(65_536),
      labels: [],
      assignees: [],
    });
    expect(ok.body).toHaveLength(65_536);
  });

  it('an issue number that does not exist is a 404', async () => {
    let error: unknown;
    try {
      await api().edit(REF, 99, { body: 'x' });
    } catch (err) {
      error = err;
    }
    expect((error as GitHubApiError).status).toBe(404);
  });

  it('two open issues with the same marker (runs that raced): the oldest is kept, the log names the other', async () => {
    const c = renderIssueContent(drift(), { key: 'default' });
    gh.seedIssue(REPO, { title: 'first', body: c.parts[0], labels: ['mr-drift'] });
    gh.seedIssue(REPO, { title: 'second', body: c.parts[0], labels: ['mr-drift'] });
    const [r] = await sync(drift());
    expect(r).toMatchObject({ number: 4, outcome: 'unchanged' });
    expect(r.notes).toEqual([
      'issues #4, #5 carry the same marker; #4 is kept up to date, close the others',
    ]);
  });

  it('ignores issues and pull requests without the marker, or with another key', async () => {
    gh.seedIssue(REPO, {
      title: 'quoting the marker',
      body: `As you see, ${issueMarker({ key: 'default' })} is in this text`,
      labels: ['mr-drift'],
    });
    gh.seedIssue(REPO, {
      title: 'staging',
      body: renderIssueContent(drift(), { key: 'staging' }).parts[0],
      labels: ['mr-drift'],
    });
    const [r] = await sync(drift());
    expect(r).toMatchObject({ outcome: 'created', number: 6 });
    expect(gh.issues(REPO).find((i) => i.number === 5)!.state).toBe('open');
  });
});
