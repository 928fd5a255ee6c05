import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeCluster, kubectl, regions } from '../cluster/testing';
import type { StepResult } from '../support/actions-runner';
import { scheduleEvent } from '../support/events';
import { startFakeGitHub, type FakeGitHub, type RecordedRequest } from '../support/fake-github';
import {
  assertNoLeak,
  deployActionWorkspace,
  e2eContexts,
  repoRoot,
  runActionStep,
  type ActionWorkspace,
} from './action-workspace';

/**
 * The drift issue end to end: `node dist/index.js` run as the runner runs it on a
 * `schedule` event (the nightly check), against the three real clusters and the local
 * GitHub stand-in with its issues API. One issue follows the drift through its life:
 *
 *   appear -> update -> no-op rerun -> new drift -> a region unreachable -> cleared ->
 *   no-op while in sync -> back -> closed by a person while drift remains
 *
 * and each step's GitHub writes are counted: watchers are notified (a new issue or a
 * comment) only when drift appears, goes, comes back, or its set of objects changes.
 */

const REPO = 'alfred/gitops';
const TOKEN = `ghs_issueE2e${Math.random().toString(36).slice(2)}`;
/** `pull-requests: write` only, as in a workflow written before the drift issue. */
const PR_ONLY_TOKEN = `ghs_issueE2ePr${Math.random().toString(36).slice(2)}`;
const HAND_SECRET = `hand-${Math.random().toString(36).slice(2)}-password`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

let ws: ActionWorkspace;
let gh: FakeGitHub;
let runId = 5_000_000_000;
/** Writes per step, for the record (.tmp/action-e2e/issue-sequence.txt). */
const sequence: string[] = [];

function nightlyEnv(): Record<string, string> {
  const runnerTemp = join(ws.work, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const eventPath = join(ws.work, 'schedule-event.json');
  writeFileSync(eventPath, JSON.stringify(scheduleEvent(REPO)));
  return {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_NAME: 'schedule',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: REPO,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: gh.url,
    GITHUB_SHA: ws.baseSha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_WORKFLOW_REF: `${REPO}/.github/workflows/drift-nightly.yml@refs/heads/main`,
    // A new run id each time: nothing run-specific may reach the issue body.
    GITHUB_RUN_ID: String(runId++),
    GITHUB_WORKSPACE: ws.workspace,
    RUNNER_TEMP: runnerTemp,
  };
}

/** One nightly run; returns the step and the GitHub writes it made. */
async function nightly(
  label: string,
  inputs: Record<string, string> = {},
): Promise<{ step: StepResult; writes: RecordedRequest[] }> {
  const before = gh.writes().length;
  const requestsBefore = gh.requests.length;
  const step = await runActionStep(ws, nightlyEnv(), {
    path: 'overlays',
    kubeconfig: ws.kubeconfig,
    contexts: e2eContexts(),
    'github-token': TOKEN,
    'fail-on-drift': 'false',
    'issue-labels': 'drift, ops',
    'issue-assignees': 'octocat',
    ...inputs,
  });
  const writes = gh.writes().slice(before);
  const reads = gh.requests.slice(requestsBefore).filter((r) => r.method === 'GET').length;
  sequence.push(
    `${label}: exit ${step.exitCode}, ${reads} read${reads === 1 ? '' : 's'}, ${writes.length} write${writes.length === 1 ? '' : 's'}${
      writes.length ? ` (${writes.map((w) => `${w.method} ${w.path}`).join(', ')})` : ''
    }`,
  );
  return { step, writes };
}

const issues = () => gh.issues(REPO);
const theIssue = () => {
  const all = issues();
  expect(all).toHaveLength(1);
  return all[0];
};
/** Comments on the issue other than report parts, oldest first. */
const news = () =>
  gh.comments(REPO, theIssue().number).filter((c) => !c.body.startsWith('<!-- mr-drift'));
const methods = (writes: RecordedRequest[]) =>
  writes.map((w) => `${w.method} ${w.path.replace(/\/\d+(\/|$)/, '/N$1')}`);

function noLeak(step: StepResult): void {
  const texts = issues().flatMap((i) => [
    i.body ?? '',
    ...gh.comments(REPO, i.number).map((c) => c.body),
  ]);
  assertNoLeak(
    step,
    [ws.secretValue, b64(ws.secretValue), HAND_SECRET, b64(HAND_SECRET), TOKEN, ...ws.saTokens],
    texts,
  );
}

describeCluster('the drift issue, end to end on a schedule event', () => {
  beforeAll(async () => {
    expect(existsSync(join(repoRoot, 'dist', 'index.js')), 'run `npm run build` first').toBe(true);
    ws = await deployActionWorkspace('issue-e2e');
    gh = await startFakeGitHub({
      tokens: {
        [TOKEN]: { issues: 'write', pullRequests: 'read' },
        [PR_ONLY_TOKEN]: { pullRequests: 'write', issues: 'read' },
      },
      // Pull requests 1-3 exist: the issue takes number 4, and they never match its marker.
      repos: { [REPO]: [1, 2, 3] },
      assignable: ['octocat'],
    });
  }, 600_000);

  afterAll(async () => {
    mkdirSync(join(repoRoot, '.tmp', 'action-e2e'), { recursive: true });
    writeFileSync(
      join(repoRoot, '.tmp', 'action-e2e', 'issue-sequence.txt'),
      `${sequence.join('\n')}\n`,
    );
    await gh?.close();
    await ws?.dispose();
  });

  it('in sync: no issue, no write', async () => {
    const { step, writes } = await nightly('in sync, no issue');
    expect(step.exitCode, step.log).toBe(0);
    expect(writes).toEqual([]);
    expect(issues()).toEqual([]);
    expect(step.outputs['issue-number']).toBe('');
    expect(step.log).toContain('drift issue: none (every region is in sync)');
  });

  it('appear: hand changes in us-east open one issue (labels created, assignee set)', async () => {
    await kubectl('us-east', ['label', 'configmap', 'alfred-config', 'team=payments'], {
      namespace: ws.ns,
    });
    await kubectl(
      'us-east',
      [
        'patch',
        'secret',
        'alfred-db-credentials',
        '-p',
        JSON.stringify({ data: { password: b64(HAND_SECRET) } }),
      ],
      { namespace: ws.ns },
    );
    const { step, writes } = await nightly('appear');
    expect(step.stderr).toBe('');
    expect(step.exitCode, step.log).toBe(0);
    expect(methods(writes)).toEqual(['POST /repos/alfred/gitops/issues']);
    const issue = theIssue();
    expect(issue).toMatchObject({
      number: 4,
      title: 'mr-drift: drift between Git and the clusters',
      state: 'open',
      labels: ['drift', 'ops'],
      assignees: ['octocat'],
    });
    expect(gh.labels(REPO)).toEqual(['drift', 'ops']);
    const body = issue.body!;
    expect(body.startsWith('<!-- mr-drift:issue key=default -->\n')).toBe(true);
    expect(body).toContain('drift in 1 of 3 regions');
    expect(body).toContain('@@ /metadata/labels/team @@ added in the cluster by kubectl-label');
    expect(body).toContain('@@ /data/password @@ by kubectl-patch');
    expect(body).toContain(
      `https://github.com/${REPO}/blob/main/overlays/regions/us-east/kustomization.yaml`,
    );
    expect(step.outputs['issue-number']).toBe('4');
    expect(step.outputs['issue-url']).toBe(`https://github.com/${REPO}/issues/4`);
    expect(step.outputs.drift).toBe('true');
    expect(step.log).toContain('drift issue: #4 created, 1 write');
    expect(step.log).toContain('the report is in the job summary and the drift issue');
    noLeak(step);
    mkdirSync(join(repoRoot, '.tmp', 'action-e2e'), { recursive: true });
    writeFileSync(join(repoRoot, '.tmp', 'action-e2e', 'issue-body-appear.md'), body);
  });

  it('update: the same objects with other values edit the body, and notify nobody', async () => {
    await kubectl(
      'us-east',
      ['label', '--overwrite', 'configmap', 'alfred-config', 'team=checkout'],
      { namespace: ws.ns },
    );
    const { step, writes } = await nightly('update (same objects)');
    expect(step.exitCode, step.log).toBe(0);
    expect(methods(writes)).toEqual(['PATCH /repos/alfred/gitops/issues/N']);
    expect(theIssue().body).toContain('+ checkout');
    expect(news()).toEqual([]);
  });

  it('no-op rerun: nothing changed, nothing written', async () => {
    const { step, writes } = await nightly('no-op rerun');
    expect(step.exitCode, step.log).toBe(0);
    expect(writes).toEqual([]);
    expect(step.log).toContain('drift issue: #4 unchanged, 0 writes');
  });

  it('new drift: a hand-made object in eu-west edits the body and adds one comment', async () => {
    await kubectl(
      'eu-west',
      ['create', 'configmap', 'hand-made-flags', '--from-literal=FEATURE_X=on'],
      { namespace: ws.ns },
    );
    await kubectl(
      'eu-west',
      ['label', 'configmap', 'hand-made-flags', `app.kubernetes.io/part-of=${ws.partOf}`],
      { namespace: ws.ns },
    );
    const { step, writes } = await nightly('new drift');
    expect(step.exitCode, step.log).toBe(0);
    expect(methods(writes)).toEqual([
      'PATCH /repos/alfred/gitops/issues/N',
      'POST /repos/alfred/gitops/issues/N/comments',
    ]);
    expect(theIssue().body).toContain('drift in 2 of 3 regions');
    const comments = news();
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain('the drift changed');
    expect(comments[0].body).toContain(
      `<code>eu-west</code>: <code>ConfigMap ${ws.ns}/hand-made-flags</code> (not in Git)`,
    );
    expect(comments[0].body).not.toContain('us-east');
    noLeak(step);
  });

  it('a region that cannot be checked: the issue stays open and says so', async () => {
    // Every hand change undone, but ap-southeast's server cannot be reached.
    await undoHandChanges();
    const config = parse(ws.kubeconfig) as {
      clusters: Array<{ name: string; cluster: { server: string } }>;
    };
    config.clusters.find((c) => c.name === 'ap-southeast-e2e')!.cluster.server =
      'https://127.0.0.1:1';
    const { step, writes } = await nightly('cleared but ap-southeast unreachable', {
      kubeconfig: stringify(config),
    });
    expect(step.exitCode, step.log).toBe(2);
    expect(methods(writes)).toEqual([
      'PATCH /repos/alfred/gitops/issues/N',
      'POST /repos/alfred/gitops/issues/N/comments',
    ]);
    const issue = theIssue();
    expect(issue.state).toBe('open');
    expect(issue.body).toContain('1 region could not be checked');
    const last = news().at(-1)!.body;
    expect(last).toContain('<code>ap-southeast</code>: could not be checked');
    expect(last).toContain('**Gone** (3):');
  });

  it('cleared: every region in sync closes the issue with a short comment', async () => {
    const { step, writes } = await nightly('cleared');
    expect(step.exitCode, step.log).toBe(0);
    expect(methods(writes)).toEqual([
      'POST /repos/alfred/gitops/issues/N/comments',
      'PATCH /repos/alfred/gitops/issues/N',
    ]);
    expect(theIssue()).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(news().at(-1)!.body).toContain('every region is in sync again');
    expect(step.outputs['issue-number']).toBe('4');
  });

  it('no-op while in sync: the closed issue is left alone', async () => {
    const { writes } = await nightly('no-op while in sync');
    expect(writes).toEqual([]);
  });

  it('back: drift returns and the same issue is reopened, not duplicated', async () => {
    await kubectl('us-east', ['label', 'configmap', 'alfred-config', 'team=payments'], {
      namespace: ws.ns,
    });
    const { step, writes } = await nightly('back');
    expect(step.exitCode, step.log).toBe(0);
    expect(methods(writes)).toEqual([
      'PATCH /repos/alfred/gitops/issues/N',
      'POST /repos/alfred/gitops/issues/N/comments',
    ]);
    expect(theIssue()).toMatchObject({ number: 4, state: 'open', state_reason: 'reopened' });
    expect(news().at(-1)!.body).toContain('drift is back');
  });

  it('closed by a person while drift remains: reopened, saying so', async () => {
    gh.editIssue(REPO, 4, { state: 'closed', state_reason: 'not_planned' }, 'dev-ada');
    const { writes } = await nightly('closed by a person, drift remains');
    expect(methods(writes)).toEqual([
      'PATCH /repos/alfred/gitops/issues/N',
      'POST /repos/alfred/gitops/issues/N/comments',
    ]);
    expect(theIssue().state).toBe('open');
    const note = news().at(-1)!.body;
    expect(note).toContain('closed while the clusters still differed from Git');
    expect(note).toContain(
      `**Now** (1):\n\n- <code>us-east</code>: <code>ConfigMap ${ws.ns}/alfred-config</code> (changed)`,
    );
    writeFileSync(
      join(repoRoot, '.tmp', 'action-e2e', 'issue-comments.md'),
      news()
        .map((c) => c.body)
        .join('\n---\n'),
    );
  });

  it('a token without issues: write: 403, a warning with issue: auto, a failure with issue: true', async () => {
    await kubectl('us-east', ['label', '--overwrite', 'configmap', 'alfred-config', 'team=x'], {
      namespace: ws.ns,
    });
    const auto = await nightly('403, issue: auto', { 'github-token': PR_ONLY_TOKEN });
    expect(auto.step.exitCode, auto.step.log).toBe(0);
    expect(auto.writes).toEqual([]);
    const warning = auto.step.commands.find(
      (c) => c.name === 'warning' && c.data.includes('no drift issue'),
    );
    expect(warning?.data).toContain('Resource not accessible by integration');
    expect(warning?.data).toContain('permissions: issues: write');

    const explicit = await nightly('403, issue: true', {
      'github-token': PR_ONLY_TOKEN,
      issue: 'true',
    });
    expect(explicit.step.exitCode, explicit.step.log).toBe(2);
    expect(explicit.writes).toEqual([]);
    const error = explicit.step.commands.find((c) => c.name === 'error');
    expect(error?.data).toContain('could not keep the drift issue');
    expect(error?.data).toContain('permissions: issues: write');
    expect(explicit.step.summary).toContain('drift in 1 of 3 regions');
    noLeak(explicit.step);
  });
});

/** Puts every region back to what Git says: as a sync would, and removing hand additions. */
async function undoHandChanges(): Promise<void> {
  await kubectl('us-east', ['label', 'configmap', 'alfred-config', 'team-'], {
    namespace: ws.ns,
  });
  await kubectl('eu-west', ['delete', 'configmap', 'hand-made-flags'], { namespace: ws.ns });
  for (const region of regions()) {
    await kubectl(
      region,
      [
        'apply',
        '--server-side',
        '--field-manager=argocd-controller',
        '--force-conflicts',
        '-f',
        '-',
      ],
      { input: ws.render(region) },
    );
  }
}
