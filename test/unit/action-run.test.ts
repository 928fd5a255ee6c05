import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPost } from '../../src/action/cleanup';
import { runAction, type ActionDependencies } from '../../src/action/run';
import { KUBECONFIG_STATE } from '../../src/adapters/actions/kubeconfig-file';
import { createIssueCommentsApi } from '../../src/adapters/github/issue-comments';
import { createIssuesApi } from '../../src/adapters/github/issues-api';
import { Kubeconfig, readInto } from '../../src/adapters/kube/kubeconfig';
import { accessFailure } from '../../src/adapters/kube/access-errors';
import { resolveAccess } from '../../src/adapters/kube/cluster-access';
import { KubeApiError } from '../../src/adapters/kube/kube-client';
import { ClusterAccessError, RenderError } from '../../src/core/errors';
import type { CheckOptions } from '../../src/pipeline/check-options';
import { runCheck } from '../../src/pipeline/run-check';
import type { DriftReport } from '../../src/core/report/model';
import {
  pullRequestEvent,
  pushEvent,
  scheduleEvent,
  workflowDispatchEvent,
} from '../support/events';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { RecordingRuntime } from '../support/recording-runtime';
import { changed, field, region, report } from '../support/reports';

// The Action's orchestration, run in-process with a recording runtime and the fake GitHub.
// Aggregate mode runs the real code path end to end (files in, comment out); the cluster
// path is exercised by test/integration/action-e2e.test.ts against the real clusters.

const REPO = 'alfred/gitops';
const TOKEN = 'ghs_unit_write_token_abcdef';
const READ_TOKEN = 'ghs_unit_read_token_abcdef';
/** A token with `pull-requests: write` and no `issues: write`, like the PR workflow's. */
const PR_TOKEN = 'ghs_unit_pr_only_token_abcdef';
const SHA = '1'.repeat(40);

let gh: FakeGitHub;
let dir: string;
beforeEach(async () => {
  gh = await startFakeGitHub({
    tokens: {
      [TOKEN]: { access: 'write' },
      [READ_TOKEN]: { access: 'read' },
      [PR_TOKEN]: { pullRequests: 'write', issues: 'read' },
    },
    repos: { [REPO]: [7] },
  });
  dir = mkdtempSync(join(tmpdir(), 'mr-drift-action-unit-'));
  mkdirSync(join(dir, 'runner-temp'));
});
afterEach(async () => {
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

function env(event: Record<string, unknown>, name = 'pull_request'): NodeJS.ProcessEnv {
  const eventPath = join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(event));
  return {
    GITHUB_EVENT_NAME: name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: REPO,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: gh.url,
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_RUN_ID: '123456',
    RUNNER_TEMP: join(dir, 'runner-temp'),
  };
}

const prEvent = (extra: Partial<Parameters<typeof pullRequestEvent>[0]> = {}) =>
  pullRequestEvent({ repository: REPO, number: 7, headSha: SHA, ...extra });

function writeReports() {
  const reports = join(dir, 'reports');
  const east = report([region('us-east', [changed('api', [field('/spec/replicas', 3, 5)])])]);
  const west = report([region('eu-west')]);
  for (const [name, r] of [
    ['drift-us-east', east],
    ['drift-eu-west', west],
  ] as const) {
    mkdirSync(join(reports, name), { recursive: true });
    writeFileSync(join(reports, name, 'report.json'), JSON.stringify(r));
  }
  return reports;
}

function deps(
  runtime: RecordingRuntime,
  e: NodeJS.ProcessEnv,
  runCheck?: ActionDependencies['runCheck'],
): ActionDependencies {
  return {
    runtime,
    env: e,
    cwd: dir,
    runCheck: runCheck ?? (() => Promise.reject(new Error('runCheck must not be called'))),
    commentsApi: (o) => createIssueCommentsApi({ ...o, waitUnitMs: 1, writeGapMs: 0 }),
    issuesApi: (o) => createIssuesApi({ ...o, waitUnitMs: 1, writeGapMs: 0 }),
  };
}

describe('runAction in aggregate mode', () => {
  it('combines the reports, sets outputs, writes summary and annotations, and comments once', async () => {
    writeReports();
    const runtime = new RecordingRuntime({ aggregate: 'reports', 'github-token': TOKEN });
    const code = await runAction(deps(runtime, env(prEvent())));
    expect(code).toBe(1);
    expect(runtime.outputs).toMatchObject({
      drift: 'true',
      'regions-with-drift': 'us-east',
      'regions-with-errors': '',
    });
    const saved = JSON.parse(readFileSync(runtime.outputs.report, 'utf8')) as {
      regions: Array<{ name: string }>;
    };
    expect(saved.regions.map((r) => r.name)).toEqual(['eu-west', 'us-east']);
    expect(runtime.summary).toContain('drift in 1 of 2 regions');
    expect(runtime.summary).toContain(
      `https://github.com/${REPO}/blob/${SHA}/overlays/regions/us-east/kustomization.yaml`,
    );
    expect(runtime.summary).toContain('https://github.com/alfred/gitops/actions/runs/123456');
    expect(runtime.annotations.map((a) => [a.level, a.file])).toEqual([
      ['warning', 'overlays/regions/us-east/kustomization.yaml'],
    ]);
    expect(runtime.failures).toEqual([expect.stringContaining('drift in us-east')]);
    const comments = gh.comments(REPO, 7);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain('drift in 1 of 2 regions');
    expect(comments[0].body).toContain(`https://github.com/${REPO}/pull/7/checks`);
    expect(runtime.outputs['comment-url']).toBe(comments[0].html_url);
  }, 30_000);

  it('does not write again when nothing changed, and edits in place when it did', async () => {
    writeReports();
    await runAction(
      deps(new RecordingRuntime({ aggregate: 'reports', 'github-token': TOKEN }), env(prEvent())),
    );
    const writes = gh.writes().length;
    // A re-run with the same result: byte-identical body, no API write.
    await runAction(
      deps(new RecordingRuntime({ aggregate: 'reports', 'github-token': TOKEN }), env(prEvent())),
    );
    expect(gh.writes()).toHaveLength(writes);
    // Different drift: the one comment is edited.
    writeFileSync(
      join(dir, 'reports', 'drift-eu-west', 'report.json'),
      JSON.stringify(
        report([region('eu-west', [changed('api', [field('/spec/replicas', 3, 9)])])]),
      ),
    );
    await runAction(
      deps(new RecordingRuntime({ aggregate: 'reports', 'github-token': TOKEN }), env(prEvent())),
    );
    expect(gh.writes().map((w) => w.method)).toEqual(['POST', 'PATCH']);
    expect(gh.comments(REPO, 7)).toHaveLength(1);
    expect(gh.comments(REPO, 7)[0].body).toContain('drift in 2 of 2 regions');
  });

  it('warns instead of failing when the token cannot comment (fork pull request)', async () => {
    writeReports();
    const runtime = new RecordingRuntime({
      aggregate: 'reports',
      'github-token': READ_TOKEN,
      'fail-on-drift': 'false',
    });
    const code = await runAction(deps(runtime, env(prEvent({ headRepository: 'someone/gitops' }))));
    expect(code).toBe(0);
    expect(runtime.failures).toEqual([]);
    expect(runtime.warnings).toEqual([
      expect.stringContaining('Resource not accessible by integration'),
    ]);
    expect(runtime.warnings[0]).toContain('from a fork');
    expect(runtime.summary).toContain('drift in 1 of 2 regions');
    expect(runtime.everything()).not.toContain(READ_TOKEN);
    expect(runtime.secrets).toContain(READ_TOKEN);
  });

  it('writes only the summary on a push event', async () => {
    writeReports();
    const runtime = new RecordingRuntime({ aggregate: 'reports', 'github-token': TOKEN });
    await runAction(deps(runtime, env(pushEvent(REPO, SHA), 'push')));
    expect(gh.requests).toHaveLength(0);
    expect(runtime.summary).toContain('drift in 1 of 2 regions');
    expect(runtime.logs.join('\n')).toContain('push event is not a pull request');
  });

  it('fails with exit code 2 and a clear message for conflicting reports', async () => {
    const reports = writeReports();
    writeFileSync(join(reports, 'dup.json'), JSON.stringify(report([region('us-east')])));
    const runtime = new RecordingRuntime({ aggregate: 'reports', 'github-token': TOKEN });
    expect(await runAction(deps(runtime, env(prEvent())))).toBe(2);
    expect(runtime.failures[0]).toContain('region us-east is also in');
    expect(runtime.summary).toContain('the drift check could not run');
    // The PR shows that the check failed rather than an old report.
    expect(gh.comments(REPO, 7)[0].body).toContain('the drift check could not run');
  });
});

describe('runAction with the cluster check', () => {
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
    'users: [{name: u, user: {token: "kc-token-0123456789abcdef"}}]',
    'contexts: [{name: us-east-drift-checker, context: {cluster: c, user: u}}]',
    'current-context: us-east-drift-checker',
  ].join('\n');

  it('passes a private kubeconfig file to the check, masks its token and removes the file', async () => {
    let seen: CheckOptions | undefined;
    let mode = 0;
    const runtime = new RecordingRuntime({
      kubeconfig: Buffer.from(kubeconfig).toString('base64'),
      contexts: 'us-east=us-east-drift-checker',
      regions: 'us-east',
      mode: 'read-only',
      comment: 'false',
    });
    const code = await runAction(
      deps(runtime, env(prEvent()), (options) => {
        seen = options;
        mode = statSync(options.kubeconfig!).mode & 0o777;
        expect(readFileSync(options.kubeconfig!, 'utf8')).toBe(kubeconfig);
        return Promise.resolve(report([region('us-east')], { mode: 'read-only' }));
      }),
    );
    expect(code).toBe(0);
    expect(mode).toBe(0o600);
    expect(seen).toMatchObject({
      path: 'overlays',
      regions: ['us-east'],
      mode: 'read-only',
      contexts: { 'us-east': 'us-east-drift-checker' },
    });
    expect(seen!.kubeconfig!.startsWith(join(dir, 'runner-temp'))).toBe(true);
    expect(existsSync(seen!.kubeconfig!)).toBe(false);
    expect(runtime.secrets).toContain('kc-token-0123456789abcdef');
    expect(runtime.state[KUBECONFIG_STATE]).toBe(seen!.kubeconfig);
    expect(runtime.outputs.drift).toBe('false');
    // The post step finds nothing left to remove and does not fail.
    expect(runPost(runtime, { RUNNER_TEMP: join(dir, 'runner-temp') })).toBe(0);
  });

  it('reports a failed check on the PR and exits 2, still removing the kubeconfig', async () => {
    let file = '';
    const runtime = new RecordingRuntime({ kubeconfig, 'github-token': TOKEN });
    const code = await runAction(
      deps(runtime, env(prEvent()), (options) => {
        file = options.kubeconfig!;
        return Promise.reject(
          new RenderError(
            'region us-east: kustomize build failed: accumulating resources',
            'Run kustomize build locally.',
          ),
        );
      }),
    );
    expect(code).toBe(2);
    expect(existsSync(file)).toBe(false);
    expect(runtime.failures[0]).toContain('kustomize build failed');
    expect(gh.comments(REPO, 7)[0].body).toContain('kustomize build failed');
  });

  it('rejects bad inputs all at once with exit code 2, before touching anything', async () => {
    const runtime = new RecordingRuntime({
      mode: 'sideways',
      'fail-on-drift': 'maybe',
      contexts: 'us-east',
      kubeconfig: 'not: [a kubeconfig',
    });
    expect(await runAction(deps(runtime, env(prEvent())))).toBe(2);
    expect(runtime.failures[0]).toContain('3 problems');
    expect(runtime.failures[0]).toContain('input mode');
    expect(runtime.failures[0]).toContain('input fail-on-drift');
    expect(runtime.failures[0]).toContain('input contexts');
    expect(gh.requests).toHaveLength(0);
  });

  it('rejects contexts that the kubeconfig input does not define', async () => {
    const runtime = new RecordingRuntime({ kubeconfig, contexts: 'us-east=us-east-admin' });
    expect(await runAction(deps(runtime, env(prEvent())))).toBe(2);
    expect(runtime.failures[0]).toContain(
      'input contexts: us-east-admin is not in the kubeconfig input (it has: us-east-drift-checker)',
    );
  });

  it('keeps credentials out of the comment, summary and report even if an error quotes them', async () => {
    const runtime = new RecordingRuntime({ kubeconfig, 'github-token': TOKEN });
    const code = await runAction(
      deps(runtime, env(prEvent()), () =>
        Promise.resolve(
          report([
            region('us-east', [], {
              status: 'error',
              error: 'Unauthorized: token kc-token-0123456789abcdef was rejected',
              warnings: [`a library said ${TOKEN}`],
            }),
          ]),
        ),
      ),
    );
    expect(code).toBe(2);
    const saved = readFileSync(runtime.outputs.report, 'utf8');
    for (const text of [
      saved,
      runtime.summary,
      gh.comments(REPO, 7)[0].body,
      runtime.everything(),
    ]) {
      expect(text).not.toContain('kc-token-0123456789abcdef');
      expect(text).not.toContain(TOKEN);
    }
    expect(runtime.summary).toContain('Unauthorized: token *** was rejected');

    const failing = new RecordingRuntime({ kubeconfig, 'github-token': TOKEN });
    await runAction(
      deps(failing, env(prEvent()), () =>
        Promise.reject(new RenderError('could not use kc-token-0123456789abcdef')),
      ),
    );
    expect(failing.failures[0]).toBe('could not use ***');
    expect(gh.comments(REPO, 7)[0].body).toContain('could not use ***');
  });

  it('names its inputs, not the CLI flags, when the check stops on bad input', async () => {
    const runtime = new RecordingRuntime({ path: 'no/such/overlays', 'github-token': TOKEN });
    const code = await runAction(deps(runtime, env(prEvent()), runCheck));
    expect(code).toBe(2);
    expect(runtime.failures[0]).toBe(
      'input path: no/such/overlays: no such file or folder\n' +
        'Point the `path` input at the overlays folder (default: overlays), a folder of manifests or a YAML file.',
    );
    expect(runtime.everything()).not.toMatch(/--path/);
    expect(gh.comments(REPO, 7)[0].body).toContain('input path: no/such/overlays');
  });

  it('has the pipeline word a region’s error in its inputs, for the comment and summary', async () => {
    const runtime = new RecordingRuntime({ 'github-token': TOKEN });
    // The errors the adapters raise for these regions, worded as the Action asks.
    const kc = new Kubeconfig(['test']);
    readInto(
      kc,
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: prod, context: {cluster: c}}]\n',
      join(dir, 'kubeconfig'),
    );
    const noContext = await resolveAccess(kc, 'eu-west').then(
      () => expect.unreachable('the context is not in the kubeconfig'),
      (e: ClusterAccessError) => e,
    );
    const forbidden = accessFailure(
      new KubeApiError(403, 'Forbidden', 'deployments.apps "api" is forbidden'),
      'run the server-side apply dry-run',
      { user: 'ci' },
      true,
    );
    await runAction(
      deps(runtime, env(prEvent()), (options: CheckOptions) =>
        Promise.resolve(
          report([
            region('us-east', [], { status: 'error', error: forbidden.describe(options.wording) }),
            region('eu-west', [], { status: 'error', error: noContext.describe(options.wording) }),
          ]),
        ),
      ),
    );
    const saved = readFileSync(runtime.outputs.report, 'utf8');
    for (const text of [saved, runtime.summary, gh.comments(REPO, 7)[0].body]) {
      expect(text).toContain('run with `mode: read-only`');
      expect(text).toContain('Pass a `contexts` pair region=context');
      expect(text).not.toMatch(/--mode|--context/);
    }
    // The step's failure says where to look; each region's annotation carries its hint.
    expect(runtime.failures[0]).toBe(
      'mr-drift: 2 regions could not be checked: us-east, eu-west (why, and what to do: the error annotations and the job summary)',
    );
    expect(runtime.annotations.map((a) => a.message)).toContain(
      'permission denied (403 Forbidden) to run the server-side apply dry-run: deployments.apps "api" is forbidden\n' +
        'hint: Server-side mode needs the `patch` verb on every kind in Git (the dry-run never writes, but RBAC cannot tell). Grant it, or run with `mode: read-only`, which needs only get/list.',
    );
  });

  it('never echoes an invalid kubeconfig', async () => {
    const runtime = new RecordingRuntime({ kubeconfig: 'token: super-secret-value-123' });
    expect(await runAction(deps(runtime, env(prEvent())))).toBe(2);
    expect(runtime.failures[0]).toContain('input kubeconfig: not a kubeconfig');
    expect(runtime.everything()).not.toContain('super-secret-value-123');
  });
});

describe('runAction on a pull request: its own changes apart from drift', () => {
  const BASE_SHA = '2'.repeat(40);
  const prOnly = (base: DriftReport['source']['base'] = { ref: BASE_SHA, revision: BASE_SHA }) =>
    report(
      [
        region(
          'us-east',
          [
            changed('api', [field('/spec/replicas', 3, 2, { origin: 'pr' })], {
              origin: 'pr',
            }),
          ],
          { status: 'in-sync' },
        ),
      ],
      { source: { path: 'overlays', base } },
    );

  it('compares with the event’s base SHA, and a missing base is only a warning', async () => {
    const seen: CheckOptions[] = [];
    const check = (options: CheckOptions) => {
      seen.push(options);
      return Promise.resolve(prOnly());
    };
    const runtime = new RecordingRuntime({ 'github-token': TOKEN });
    expect(await runAction(deps(runtime, env(prEvent({ baseSha: BASE_SHA })), check))).toBe(0);
    expect(seen[0]).toMatchObject({ base: BASE_SHA, baseMissing: 'warn' });
    // An explicit base-ref wins over the event's.
    await runAction(
      deps(
        new RecordingRuntime({ 'base-ref': 'origin/main', comment: 'false' }),
        env(prEvent()),
        check,
      ),
    );
    expect(seen[1]).toMatchObject({ base: 'origin/main', baseMissing: 'warn' });
    // Outside pull requests there is no base unless asked for.
    await runAction(deps(new RecordingRuntime({}), env(pushEvent(REPO, SHA), 'push'), check));
    expect(seen[2].base).toBeUndefined();
  });

  it('only the PR’s changes: no failure, pr-changes outputs; fail-on-pr-changes fails', async () => {
    const runtime = new RecordingRuntime({ 'github-token': TOKEN });
    const code = await runAction(deps(runtime, env(prEvent()), () => Promise.resolve(prOnly())));
    expect(code).toBe(0);
    expect(runtime.failures).toEqual([]);
    expect(runtime.outputs).toMatchObject({
      drift: 'false',
      'regions-with-drift': '',
      'pr-changes': 'true',
      'regions-with-pr-changes': 'us-east',
    });
    // The PR's own change is the PR's diff: no annotation for it.
    expect(runtime.annotations).toEqual([]);
    const body = gh.comments(REPO, 7)[0].body;
    expect(body).toContain('this PR changes 1 of 1 region, no drift');
    expect(body).toContain('**This PR will change** (1 object)');

    const strict = new RecordingRuntime({ 'fail-on-pr-changes': 'true', comment: 'false' });
    expect(await runAction(deps(strict, env(prEvent()), () => Promise.resolve(prOnly())))).toBe(1);
    expect(strict.failures).toEqual([
      'mr-drift: this pull request changes us-east (fail-on-pr-changes is true)',
    ]);
  });

  it('a base missing from the checkout: a warning in the log and the comment, no failure', async () => {
    const warning = `base revision ${BASE_SHA} is not in this checkout; fetch it`;
    const unclassified = report([region('us-east')], {
      source: { path: 'overlays', base: { ref: BASE_SHA, warning } },
    });
    const runtime = new RecordingRuntime({ 'github-token': TOKEN });
    const code = await runAction(
      deps(runtime, env(prEvent()), () => Promise.resolve(unclassified)),
    );
    expect(code).toBe(0);
    expect(runtime.warnings).toEqual([`mr-drift: ${warning}`]);
    expect(runtime.outputs['pr-changes']).toBe('false');
    expect(gh.comments(REPO, 7)[0].body).toContain(`> ⚠️ ${warning}`);
  });
});

describe('runAction: the drift issue outside pull requests', () => {
  const nightly = () => ({
    ...env(scheduleEvent(REPO), 'schedule'),
    GITHUB_WORKFLOW_REF: `${REPO}/.github/workflows/drift-nightly.yml@refs/heads/main`,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
  });
  const run = (inputs: Record<string, string>, e: NodeJS.ProcessEnv = nightly()) => {
    const runtime = new RecordingRuntime({
      aggregate: 'reports',
      'github-token': TOKEN,
      'fail-on-drift': 'false',
      ...inputs,
    });
    return runAction(deps(runtime, e)).then((code) => ({ code, runtime }));
  };

  it('on a schedule: opens one issue with the report, links to the branch and the workflow', async () => {
    writeReports();
    const { code, runtime } = await run({ 'issue-labels': 'drift, ops' });
    expect(code).toBe(0);
    const [issue] = gh.issues(REPO);
    expect(issue).toMatchObject({
      number: 8,
      title: 'mr-drift: drift between Git and the clusters',
      labels: ['drift', 'ops'],
      state: 'open',
    });
    expect(issue.body).toContain('drift in 1 of 2 regions');
    expect(issue.body).toContain(
      `https://github.com/${REPO}/blob/main/overlays/regions/us-east/kustomization.yaml`,
    );
    expect(issue.body).toContain(
      `[mr-drift runs](https://github.com/${REPO}/actions/workflows/drift-nightly.yml)`,
    );
    expect(issue.body).not.toContain('123456'); // nothing run-specific in the body
    expect(runtime.outputs['issue-number']).toBe('8');
    expect(runtime.outputs['issue-url']).toBe(`https://github.com/${REPO}/issues/8`);
    expect(runtime.logs.join('\n')).toContain('drift issue: #8 created, 1 write');
    expect(runtime.logs.join('\n')).toContain(
      'schedule event is not a pull request; the report is in the job summary and the drift issue.',
    );
    expect(gh.comments(REPO, 7)).toEqual([]);
  });

  it('workflow_dispatch counts too; pull_request and push do not, unless issue: true (never on a PR)', async () => {
    writeReports();
    await run({}, env(workflowDispatchEvent(REPO), 'workflow_dispatch'));
    expect(gh.issues(REPO)).toHaveLength(1);
    gh.requests.length = 0;
    await run({}, env(prEvent()));
    await run({}, env(pushEvent(REPO, SHA), 'push'));
    expect(gh.requests.filter((r) => r.path.includes('/issues?'))).toEqual([]);
    const onPr = await run({ issue: 'true' }, env(prEvent()));
    expect(onPr.runtime.logs.join('\n')).toContain('no drift issue on pull request events');
    expect(gh.requests.filter((r) => r.path.includes('/issues?'))).toEqual([]);
    const onPush = await run({ issue: 'true' }, env(pushEvent(REPO, SHA), 'push'));
    expect(onPush.runtime.outputs['issue-number']).toBe('8');
    const off = await run({ issue: 'false' });
    expect(off.runtime.outputs['issue-number']).toBeUndefined();
  });

  it('one issue per region with issue-per: region', async () => {
    writeReports();
    const { runtime } = await run({ 'issue-per': 'region' });
    // eu-west is in sync: no issue for it; us-east has drift: its own issue.
    expect(gh.issues(REPO).map((i) => i.title)).toEqual(['mr-drift: drift in us-east']);
    expect(runtime.outputs['issue-number']).toBe('8');
    expect(runtime.logs.join('\n')).toContain('drift issue for eu-west: none');
  });

  it('without issues: write: a warning with issue: auto, a failure (exit 2) with issue: true', async () => {
    writeReports();
    const auto = await run({ 'github-token': PR_TOKEN });
    expect(auto.code).toBe(0);
    expect(auto.runtime.warnings.join('\n')).toContain(
      'no drift issue: GitHub API answered 403: POST /repos/alfred/gitops/issues: Resource not accessible by integration',
    );
    expect(auto.runtime.warnings.join('\n')).toContain('permissions: issues: write');
    expect(auto.runtime.failures).toEqual([]);

    const explicit = await run({ 'github-token': PR_TOKEN, issue: 'true' });
    expect(explicit.code).toBe(2);
    expect(explicit.runtime.failures.join('\n')).toContain('could not keep the drift issue');
    expect(explicit.runtime.failures.join('\n')).toContain('permissions: issues: write');
    expect(explicit.runtime.everything()).not.toContain(PR_TOKEN);
    // The report is still in the summary and the outputs.
    expect(explicit.runtime.summary).toContain('drift in 1 of 2 regions');
    expect(gh.issues(REPO)).toEqual([]);
  });
});
