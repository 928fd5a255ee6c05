import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runStep, type StepResult } from '../support/actions-runner';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy';
import { pullRequestEvent } from '../support/events';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { changed, field, region, report } from '../support/reports';
import { makeTestCertificate } from '../support/test-certificate';

/**
 * The Action's GitHub traffic through a proxy, run as the runner runs it: `node
 * dist/index.js` in a child process whose environment has only what the step is given.
 * The stand-in for GitHub serves HTTPS under GitHub Enterprise Server's `/api/v3`, with a
 * certificate the child trusts through NODE_EXTRA_CA_CERTS (as a runner trusts a
 * company's CA). Aggregate mode, so no cluster is needed: report files in, one pull
 * request comment out.
 *
 * The API is addressed as `ghes.example.test`, a name that does not resolve: only the
 * proxy, which maps that name to the stand-in on 127.0.0.1, can reach it. (A loopback
 * address would not do: `@actions/http-client` never proxies `localhost`, `127.*` or
 * `[::1]`, whatever the variables say.)
 */

const root = new URL('../..', import.meta.url).pathname;
const REPO = 'alfred/gitops';
const TOKEN = `ghs_proxyTest${Math.random().toString(36).slice(2)}`;
const PROXY_USER = 'mrdrift';
const PROXY_PASSWORD = `pr0xy-${Math.random().toString(36).slice(2)}`;

let dir: string;
let gh: FakeGitHub;
let proxy: ConnectProxy;
let certFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mr-drift-proxy-'));
  const cert = makeTestCertificate(dir, {
    dns: ['ghes.example.test'],
    ip: ['127.0.0.1'],
  });
  certFile = cert.certFile;
  gh = await startFakeGitHub({
    tokens: { [TOKEN]: { access: 'write' } },
    repos: { [REPO]: [7] },
    pathPrefix: '/api/v3',
    tls: { key: cert.key, cert: cert.cert },
  });
  proxy = await startConnectProxy({
    routes: {
      'ghes.example.test:443': gh.port,
      [`ghes.example.test:${gh.port}`]: gh.port,
    },
    credentials: { user: PROXY_USER, password: PROXY_PASSWORD },
  });
  const reports = join(dir, 'workspace', 'reports');
  mkdirSync(join(reports, 'us-east'), { recursive: true });
  writeFileSync(
    join(reports, 'us-east', 'report.json'),
    JSON.stringify(report([region('us-east', [changed('api', [field('/spec/replicas', 3, 5)])])])),
  );
});

afterAll(async () => {
  await proxy?.close();
  await gh?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  gh.requests.length = 0;
  proxy.tunnels.length = 0;
});

/** Runs the Action in aggregate mode on a pull request event with these variables. */
function runAction(apiUrl: string, network: Record<string, string>): Promise<StepResult> {
  const runnerTemp = join(dir, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const eventPath = join(dir, 'event.json');
  writeFileSync(
    eventPath,
    JSON.stringify(pullRequestEvent({ repository: REPO, number: 7, headSha: '1'.repeat(40) })),
  );
  return runStep({
    entry: join(root, 'dist', 'index.js'),
    cwd: join(dir, 'workspace'),
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: REPO,
      GITHUB_SERVER_URL: 'https://ghes.example.test',
      GITHUB_API_URL: apiUrl,
      GITHUB_SHA: 'f'.repeat(40),
      RUNNER_TEMP: runnerTemp,
      NODE_EXTRA_CA_CERTS: certFile,
      ...network,
    },
    inputs: { aggregate: 'reports', 'github-token': TOKEN, 'fail-on-drift': 'false' },
    timeoutMs: 60_000,
  });
}

const proxyUrl = () => `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`;

describe('GitHub requests through a proxy (dist/index.js)', () => {
  it('reaches GitHub Enterprise Server only through HTTPS_PROXY, with the proxy credentials', async () => {
    const step = await runAction('https://ghes.example.test/api/v3', { HTTPS_PROXY: proxyUrl() });
    expect(step.exitCode, step.log).toBe(0);
    expect(step.stderr).toBe('');
    expect(step.log).toContain('pull request comment: 1 created');
    expect(gh.comments(REPO, 7)).toHaveLength(1);
    // Every request the stand-in saw came through a tunnel the proxy opened for that name.
    expect(gh.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v3/repos/alfred/gitops/issues/7/comments?per_page=100 200',
      'POST /api/v3/repos/alfred/gitops/issues/7/comments 201',
    ]);
    expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
    expect(
      proxy.tunnels.every((t) => t.target === 'ghes.example.test:443' && t.status === 200),
    ).toBe(true);
    expect(step.outputs['comment-url']).toContain('#issuecomment-');
    // The proxy password is not the Action's to print.
    expect(step.stdout + step.stderr + step.summary).not.toContain(PROXY_PASSWORD);
  });

  it('also reads the lower-case https_proxy', async () => {
    const step = await runAction('https://ghes.example.test/api/v3', { https_proxy: proxyUrl() });
    expect(step.exitCode, step.log).toBe(0);
    expect(proxy.tunnels.filter((t) => t.status === 200).length).toBeGreaterThanOrEqual(1);
    // Same report as before: the comment is found and left as it is.
    expect(gh.requests.map((r) => r.method)).toEqual(['GET']);
    expect(step.log).toContain('0 created, 0 updated, 1 unchanged');
  });

  // Octokit retries a request that got no answer (1 + 4 + 9 s), so this one takes ~15 s.
  it('wrong proxy credentials: a warning naming the proxy’s refusal, no crash', async () => {
    const bad = `http://${PROXY_USER}:wrong@127.0.0.1:${proxy.port}`;
    const step = await runAction('https://ghes.example.test/api/v3', { HTTPS_PROXY: bad });
    expect(step.exitCode, step.log).toBe(0);
    expect(proxy.tunnels.map((t) => t.status)).toContain(407);
    expect(gh.requests).toEqual([]);
    const warning = step.commands.find(
      (c) => c.name === 'warning' && c.data.includes('could not comment'),
    );
    expect(warning?.data).toContain('407');
    expect(warning?.data).toContain('HTTPS_PROXY');
    expect(step.stdout + step.stderr).not.toContain('wrong@');
  }, 45_000);

  it('goes direct for a host NO_PROXY lists, by name or by suffix, and through the proxy otherwise', async () => {
    // Here the name must also resolve without the proxy: a preload resolves it to
    // 127.0.0.1 in the child, as a company's DNS would (test/support/test-hosts.mjs).
    const apiUrl = `https://ghes.example.test:${gh.port}/api/v3`;
    const resolving = {
      NODE_OPTIONS: `--import=${pathToFileURL(join(root, 'test', 'support', 'test-hosts.mjs')).href}`,
      MR_DRIFT_TEST_HOSTS: JSON.stringify({ 'ghes.example.test': '127.0.0.1' }),
      HTTPS_PROXY: proxyUrl(),
    };
    const cases = [
      { noProxy: 'example.com,.internal', proxied: true },
      { noProxy: 'example.com, ghes.example.test', proxied: false },
      { noProxy: '.example.test', proxied: false },
      { noProxy: `ghes.example.test:${gh.port}`, proxied: false },
    ];
    for (const c of cases) {
      proxy.tunnels.length = 0;
      gh.requests.length = 0;
      const step = await runAction(apiUrl, { ...resolving, NO_PROXY: c.noProxy });
      expect(step.exitCode, step.log).toBe(0);
      expect(step.stderr).toBe('');
      expect(
        proxy.tunnels.map((t) => `${t.target} ${t.status}`),
        `NO_PROXY=${c.noProxy}`,
      ).toEqual(c.proxied ? [`ghes.example.test:${gh.port} 200`] : []);
      // Either way the stand-in answered: found the comment, nothing to change.
      expect(gh.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200']);
      expect(step.log).toContain('0 created, 0 updated, 1 unchanged');
    }
  });
});
