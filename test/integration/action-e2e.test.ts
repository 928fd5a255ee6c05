import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeCluster, kubectl, regions } from '../cluster/testing';
import { runStep, type StepResult } from '../support/actions-runner';
import { pullRequestEvent } from '../support/events';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import {
  assertNoLeak as assertNoLeakIn,
  deployActionWorkspace,
  e2eContexts,
  repoRoot as root,
  type ActionWorkspace,
} from './action-workspace';

/**
 * The Action end to end, run as the GitHub Actions runner runs it: `node dist/index.js`
 * with INPUT_* variables, a pull_request event file, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY /
 * GITHUB_STATE files, against the three real clusters, with the fake GitHub server in
 * place of api.github.com. The overlays are the generated ones (overlays/regions/*),
 * wrapped to put them in a fresh namespace with a Secret whose value we can look for
 * (see action-workspace.ts).
 *
 * The Action authenticates with a ServiceAccount token per region, bound to the
 * mr-drift-checker ClusterRole from deploy/rbac/: least privilege, and a real bearer token
 * whose absence from every output is asserted.
 *
 * The workspace is a Git repository whose first commit is what the clusters run; the
 * event's base SHA is that commit. Until the last test the head is the same, so every
 * difference is drift; the last test commits a change (the pull request) and the comment
 * must show what the PR changes apart from the drift.
 */

const REPO = 'alfred/gitops';
const PR = 42;
const WRITE_TOKEN = `ghs_e2eWrite${Math.random().toString(36).slice(2)}`;
const READ_TOKEN = `ghs_e2eRead${Math.random().toString(36).slice(2)}`;
const HEAD_SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
// A value that must never show up anywhere: the hand-made one (the Secret's value in Git
// is the workspace's `secretValue`).
const HAND_SECRET = `hand-${Math.random().toString(36).slice(2)}-password`;

let ws: ActionWorkspace;
let SEEDED_SECRET: string;
let ns: string;
let partOf: string;
let work: string;
let workspace: string;
let gh: FakeGitHub;
let kubeconfigText: string;
/** The workspace's first commit: the pull request's base. */
let baseSha: string;
let saTokens: string[] = [];

function actionEnv(): Record<string, string> {
  const runnerTemp = join(work, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const eventPath = join(work, 'event.json');
  writeFileSync(
    eventPath,
    JSON.stringify(pullRequestEvent({ repository: REPO, number: PR, headSha: HEAD_SHA, baseSha })),
  );
  return {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: REPO,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: gh.url,
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_RUN_ID: '9876543210',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
  };
}

function runAction(inputs: Record<string, string>): Promise<StepResult> {
  return runStep({
    entry: join(root, 'dist', 'index.js'),
    cwd: workspace,
    env: actionEnv(),
    inputs: {
      path: 'overlays',
      contexts: e2eContexts(),
      mode: 'server-side',
      'fail-on-drift': 'true',
      comment: 'true',
      'github-token': WRITE_TOKEN,
      ...inputs,
    },
  });
}

/** Every place a value could leak to: log, raw stderr, summary, comments, outputs, report. */
function assertNoLeak(step: StepResult, values: string[]): void {
  assertNoLeakIn(
    step,
    values,
    gh.comments(REPO, PR).map((c) => c.body),
  );
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** git in the workspace, with a fixed author. */
function git(...args: string[]): string {
  return ws.git(...args);
}

describeCluster('the GitHub Action, end to end against the real clusters', () => {
  beforeAll(async () => {
    expect(existsSync(join(root, 'dist', 'index.js')), 'run `npm run build` first').toBe(true);
    ws = await deployActionWorkspace('action-e2e');
    ({ ns, partOf, work, workspace, baseSha, saTokens } = ws);
    SEEDED_SECRET = ws.secretValue;
    kubeconfigText = ws.kubeconfig;
    gh = await startFakeGitHub({
      tokens: { [WRITE_TOKEN]: { access: 'write' }, [READ_TOKEN]: { access: 'read' } },
      repos: { [REPO]: [PR] },
    });
    gh.seedComment(REPO, PR, 'Looks good; waiting for the drift report.', 'reviewer');
  }, 600_000);

  afterAll(async () => {
    await gh?.close();
    await ws?.dispose();
  });

  let firstCommentId = 0;

  it('first run: reports the hand changes in us-east and creates one comment', async () => {
    await kubectl('us-east', ['label', 'configmap', 'alfred-config', 'team=payments'], {
      namespace: ns,
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
      { namespace: ns },
    );

    const step = await runAction({ kubeconfig: b64(kubeconfigText) });
    expect(step.stderr).toBe('');
    expect(step.exitCode, step.log).toBe(1); // drift, and fail-on-drift is true

    expect(step.outputs.drift).toBe('true');
    expect(step.outputs['regions-with-drift']).toBe('us-east');
    expect(step.outputs['regions-with-errors']).toBe('');
    const report = JSON.parse(readFileSync(step.outputs.report, 'utf8')) as {
      regions: Array<{
        name: string;
        status: string;
        findings: Array<{
          kind: string;
          name: string;
          fields: Array<{ path: string; manager?: string; redacted?: boolean }>;
        }>;
      }>;
    };
    expect(report.regions.map((r) => [r.name, r.status]).sort()).toEqual(
      regions()
        .map((r) => [r, r === 'us-east' ? 'drift' : 'in-sync'])
        .sort(),
    );
    const east = report.regions.find((r) => r.name === 'us-east')!;
    expect(east.findings.map((f) => `${f.kind}/${f.name}`).sort()).toEqual([
      'ConfigMap/alfred-config',
      'Secret/alfred-db-credentials',
    ]);
    const label = east.findings.find((f) => f.kind === 'ConfigMap')!.fields[0];
    expect(label).toMatchObject({ path: '/metadata/labels/team', manager: 'kubectl-label' });
    const secretField = east.findings.find((f) => f.kind === 'Secret')!.fields[0];
    expect(secretField).toMatchObject({
      path: '/data/password',
      manager: 'kubectl-patch',
      redacted: true,
    });

    // One comment, found again later by its marker; the reviewer's comment untouched.
    const comments = gh.comments(REPO, PR);
    expect(comments).toHaveLength(2);
    const ours = comments[1];
    firstCommentId = ours.id;
    expect(ours.body.startsWith('<!-- mr-drift:comment key=default part=1 -->')).toBe(true);
    expect(ours.body).toContain('drift in 1 of 3 regions');
    expect(ours.body).toContain('| us-east | ⚠️ drift |');
    expect(ours.body).toContain('| eu-west | ✅ in sync |');
    expect(ours.body).toContain(
      '@@ /metadata/labels/team @@ added in the cluster by kubectl-label',
    );
    expect(ours.body).toContain(
      `https://github.com/${REPO}/blob/${HEAD_SHA}/overlays/regions/us-east/kustomization.yaml`,
    );
    expect(step.outputs['comment-url']).toBe(ours.html_url);
    expect(gh.writes().map((w) => w.method)).toEqual(['POST']);

    // Summary: the full report; annotations on the overlay file; the failure message.
    expect(step.summary).toContain('drift in 1 of 3 regions');
    expect(step.summary).toContain('kubectl-patch');
    const warnings = step.commands.filter((c) => c.name === 'warning');
    expect(warnings.map((c) => c.properties.file)).toEqual([
      'overlays/regions/us-east/kustomization.yaml',
    ]);
    expect(
      step.commands.some((c) => c.name === 'error' && c.data.includes('drift in us-east')),
    ).toBe(true);

    // The kubeconfig was masked, written privately and removed before the step ended.
    for (const t of saTokens) expect(step.masks).toContain(t);
    expect(step.state['kubeconfig-path']).toMatch(/mr-drift-kubeconfig-/);
    expect(existsSync(step.state['kubeconfig-path'])).toBe(false);
    expect(
      readdirSync(join(work, 'runner-temp')).filter((d) => d.startsWith('mr-drift-kubeconfig-')),
    ).toEqual([]);

    assertNoLeak(step, [
      SEEDED_SECRET,
      HAND_SECRET,
      b64(SEEDED_SECRET),
      b64(HAND_SECRET),
      ...saTokens,
      WRITE_TOKEN,
      b64(kubeconfigText),
    ]);

    // The post step finds the file already gone and succeeds.
    const post = await runStep({
      entry: join(root, 'dist', 'post.js'),
      cwd: workspace,
      env: actionEnv(),
      state: step.state,
    });
    expect(post.exitCode).toBe(0);
    mkdirSync(join(root, '.tmp', 'action-e2e'), { recursive: true });
    writeFileSync(join(root, '.tmp', 'action-e2e', 'comment-run-1.md'), ours.body);
  });

  it('second run after another hand change: the same comment is edited in place', async () => {
    await kubectl(
      'eu-west',
      [
        'patch',
        'configmap',
        'alfred-config',
        '--type=merge',
        '-p',
        JSON.stringify({ data: { CACHE_MODE: 'local' } }),
      ],
      { namespace: ns },
    );
    // Plain YAML this time (the first run passed base64).
    const step = await runAction({ kubeconfig: kubeconfigText });
    expect(step.exitCode, step.log).toBe(1);
    expect(step.outputs.drift).toBe('true');
    expect(step.outputs['regions-with-drift'].split(',').sort()).toEqual(['eu-west', 'us-east']);

    const ours = gh.comments(REPO, PR).filter((c) => c.body.startsWith('<!-- mr-drift'));
    expect(ours).toHaveLength(1);
    expect(ours[0].id).toBe(firstCommentId);
    expect(ours[0].body).toContain('drift in 2 of 3 regions');
    expect(ours[0].body).toContain('@@ /data/CACHE_MODE @@ by kubectl-patch');
    expect(ours[0].body).toContain('- redis-cluster\n+ local');
    expect(gh.writes().map((w) => w.method)).toEqual(['POST', 'PATCH']);
    expect(step.summary).toContain('drift in 2 of 3 regions');
    assertNoLeak(step, [
      SEEDED_SECRET,
      HAND_SECRET,
      b64(SEEDED_SECRET),
      b64(HAND_SECRET),
      ...saTokens,
      WRITE_TOKEN,
    ]);
    writeFileSync(join(root, '.tmp', 'action-e2e', 'comment-run-2.md'), ours[0].body);
  });

  it('third run with nothing new: no API write at all', async () => {
    const step = await runAction({ kubeconfig: kubeconfigText });
    expect(step.exitCode, step.log).toBe(1);
    expect(gh.writes().map((w) => w.method)).toEqual(['POST', 'PATCH']);
    expect(step.log).toContain('0 created, 0 updated, 1 unchanged');
  });

  it('a read-only token (pull request from a fork): a warning and the summary, no crash', async () => {
    // New drift, so the comment would need an edit that the token may not make.
    await kubectl('ap-southeast', ['label', 'service', 'alfred-api', 'owner=someone'], {
      namespace: ns,
    });
    const before = gh.comments(REPO, PR).map((c) => c.body);
    const step = await runAction({
      kubeconfig: kubeconfigText,
      'github-token': READ_TOKEN,
      'fail-on-drift': 'false',
    });
    expect(step.exitCode, step.log).toBe(0);
    const warning = step.commands.find(
      (c) => c.name === 'warning' && c.data.includes('could not comment'),
    );
    expect(warning?.data).toContain('Resource not accessible by integration');
    expect(warning?.data).toContain('pull-requests: write');
    expect(step.summary).toContain('drift in 3 of 3 regions');
    expect(step.outputs.drift).toBe('true');
    expect(gh.writes()).toHaveLength(2);
    expect(gh.comments(REPO, PR).map((c) => c.body)).toEqual(before);
    assertNoLeak(step, [READ_TOKEN, ...saTokens, SEEDED_SECRET, HAND_SECRET]);
  });
  it('matrix: one job per region writes its report, the aggregate job posts one comment', async () => {
    const reports = join(work, 'artifacts');
    const jobs = await Promise.all(
      regions().map(async (region) => {
        const step = await runAction({
          kubeconfig: kubeconfigText,
          regions: region,
          contexts: `${region}=${region}-e2e`,
          comment: 'false',
          'fail-on-drift': 'false',
          'report-file': join(reports, `mr-drift-${region}`, 'report.json'),
        });
        return { region, step };
      }),
    );
    for (const { region, step } of jobs) {
      expect(step.exitCode, step.log).toBe(0);
      const r = JSON.parse(readFileSync(step.outputs.report, 'utf8')) as {
        regions: Array<{ name: string }>;
      };
      expect(r.regions.map((x) => x.name)).toEqual([region]);
    }
    const writesBefore = gh.writes().length;
    const aggregate = await runStep({
      entry: join(root, 'dist', 'index.js'),
      cwd: work,
      env: actionEnv(),
      inputs: {
        aggregate: reports,
        regions: [...regions(), 'sa-east'].join(','),
        'comment-key': 'matrix',
        'github-token': WRITE_TOKEN,
      },
    });
    expect(aggregate.exitCode, aggregate.log).toBe(2); // sa-east has no report: an error
    expect(aggregate.outputs['regions-with-drift'].split(',').sort()).toEqual(
      regions().slice().sort(),
    );
    expect(aggregate.outputs['regions-with-errors']).toBe('sa-east');
    const matrix = gh
      .comments(REPO, PR)
      .filter((c) => c.body.startsWith('<!-- mr-drift:comment key=matrix'));
    expect(matrix).toHaveLength(1);
    expect(matrix[0].body).toContain('1 region could not be checked, drift in 3 of 4 regions');
    expect(matrix[0].body).toContain('no report was found for this region');
    // The same findings as the single-job run: each region's section is identical.
    const single = gh
      .comments(REPO, PR)
      .find((c) => c.body.startsWith('<!-- mr-drift:comment key=default'))!;
    for (const region of ['us-east', 'eu-west']) {
      const section = (body: string) =>
        body.slice(body.indexOf(`<b>${region}</b>`)).split('</details>')[0];
      expect(section(matrix[0].body)).toBe(section(single.body));
    }
    // Skew between regions is computed in the aggregate job from each region's report:
    // the same table as the single job's (eu-west's cache mode, which Git sets as us-east's).
    const skewTable = (body: string) => {
      const at = body.indexOf('**Skew between regions:**');
      expect(at).toBeGreaterThan(0);
      return body.slice(at).split('\n\n').slice(0, 2).join('\n\n');
    };
    expect(skewTable(matrix[0].body)).toBe(skewTable(single.body));
    expect(skewTable(single.body)).toContain(
      '<code>/data/CACHE&#95;MODE</code> | <code>redis-cluster</code> | <code>redis-cluster</code> in us-east<br><code>local</code> in eu-west |',
    );
    expect(gh.writes()).toHaveLength(writesBefore + 1);
    assertNoLeak(aggregate, [READ_TOKEN, WRITE_TOKEN, ...saTokens, SEEDED_SECRET, HAND_SECRET]);
  });
  it('a pull request that changes the overlays: its changes apart from the drift', async () => {
    // The PR, on top of the base commit: us-east's ConfigMap gets the `team` label that
    // someone already set by hand (to another value), and the Service a new annotation.
    const file = join(workspace, 'overlays', 'regions', 'us-east', 'kustomization.yaml');
    const kustomization = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    kustomization.patches = [
      {
        target: { kind: 'ConfigMap', name: 'alfred-config' },
        patch: JSON.stringify([{ op: 'add', path: '/metadata/labels/team', value: 'checkout' }]),
      },
      {
        target: { kind: 'Service', name: 'alfred-api' },
        patch: JSON.stringify([
          { op: 'add', path: '/metadata/annotations', value: { 'example.com/owner': 'platform' } },
        ]),
      },
    ];
    writeFileSync(file, stringify(kustomization));
    git('commit', '-q', '-am', 'us-east: team label and owner annotation');

    const step = await runAction({ kubeconfig: kubeconfigText });
    expect(step.stderr).toBe('');
    // Real drift remains (hand changes in every region), so the step still fails.
    expect(step.exitCode, step.log).toBe(1);
    expect(step.outputs['pr-changes']).toBe('true');
    expect(step.outputs['regions-with-pr-changes']).toBe('us-east');
    expect(step.outputs['regions-with-drift'].split(',').sort()).toEqual(regions().slice().sort());

    const report = JSON.parse(readFileSync(step.outputs.report, 'utf8')) as {
      source: { base?: { ref: string; revision?: string } };
      regions: Array<{
        name: string;
        findings: Array<{
          kind: string;
          origin?: string;
          fields: Array<{ path: string; origin?: string }>;
        }>;
      }>;
    };
    expect(report.source.base).toEqual({ ref: baseSha, revision: baseSha });
    const east = report.regions.find((r) => r.name === 'us-east')!;
    const byPath = Object.fromEntries(
      east.findings.flatMap((f) => f.fields.map((d) => [`${f.kind} ${d.path}`, d.origin])),
    );
    expect(byPath).toEqual({
      'ConfigMap /metadata/labels/team': 'both',
      'Secret /data/password': 'drift',
      // The Service had no annotations at all: the whole map is what the PR adds.
      'Service /metadata/annotations': 'pr',
    });

    const ours = gh
      .comments(REPO, PR)
      .filter((c) => c.body.startsWith('<!-- mr-drift:comment key=default'));
    expect(ours).toHaveLength(1);
    expect(ours[0].id).toBe(firstCommentId);
    const body = ours[0].body;
    expect(body).toContain('this PR changes 1 of 3 regions, drift in 3 of 3 regions');
    expect(body).toContain(
      '| Region | Status | Objects | This PR changes | Drift | PR overwrites drift |',
    );
    const section = body.slice(body.indexOf('<b>us-east</b>')).split('</details>')[0];
    const prAt = section.indexOf('**This PR will change** (2 objects)');
    const driftAt = section.indexOf('**Drift already in the cluster** (2 objects)');
    expect(prAt).toBeGreaterThan(0);
    expect(driftAt).toBeGreaterThan(prAt);
    expect(section.slice(prAt, driftAt)).toContain(
      '⚠️ **Merging overwrites a change made in the cluster:** <code>/metadata/labels/team</code> (changed in the cluster by <code>kubectl-label</code>',
    );
    expect(section.slice(prAt, driftAt)).toContain(
      '@@ /metadata/labels/team @@ (overwrites a change made in the cluster)\n- payments\n+ checkout',
    );
    expect(section.slice(prAt, driftAt)).toContain(
      '@@ /metadata/annotations @@ added by this PR\n+ example.com/owner: platform',
    );
    expect(section.slice(driftAt)).toContain('@@ /data/password @@ by kubectl-patch');
    // Regions the PR does not touch show their drift only.
    const west = body.slice(body.indexOf('<b>eu-west</b>')).split('</details>')[0];
    expect(west).toContain('**This PR will change**: nothing in this region.');
    expect(west).toContain('@@ /data/CACHE_MODE @@ by kubectl-patch');
    assertNoLeak(step, [
      SEEDED_SECRET,
      HAND_SECRET,
      b64(SEEDED_SECRET),
      b64(HAND_SECRET),
      ...saTokens,
      WRITE_TOKEN,
    ]);
    writeFileSync(join(root, '.tmp', 'action-e2e', 'comment-run-pr.md'), body);
    // Nothing in the repository changed, and the base's temporary tree is gone.
    expect(git('status', '--porcelain')).toBe('');
    expect(git('worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('a base commit missing from the checkout (shallow clone): a warning, not a failure', async () => {
    const absent = 'c'.repeat(40);
    const saved = baseSha;
    baseSha = absent;
    try {
      const step = await runAction({ kubeconfig: kubeconfigText, 'comment-key': 'shallow' });
      expect(step.exitCode, step.log).toBe(1); // every difference now counts as drift
      const warning = step.commands.find(
        (c) => c.name === 'warning' && c.data.includes('is not in this checkout'),
      );
      expect(warning?.data).toContain('fetch-depth: 0');
      expect(step.outputs['pr-changes']).toBe('false');
      const shallow = gh
        .comments(REPO, PR)
        .find((c) => c.body.startsWith('<!-- mr-drift:comment key=shallow'))!;
      expect(shallow.body).toContain(`> ⚠️ base revision ${absent} is not in this checkout`);
      expect(shallow.body).toContain('| Region | Status | Objects | Missing | Changed | Extra |');
    } finally {
      baseSha = saved;
    }
  });
  it("a report too large for one comment: parts under GitHub's limit, then back to one", async () => {
    // 600 hand-made ConfigMaps with the app's labels: each is drift (an extra object).
    const extras = Array.from({ length: 600 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `hand-made-${String(i).padStart(3, '0')}`,
        labels: { 'app.kubernetes.io/part-of': partOf, 'e2e-batch': 'large' },
      },
      data: { note: `created by hand during an incident, number ${i}` },
    }));
    const list = stringify({ apiVersion: 'v1', kind: 'List', items: extras });
    await kubectl('eu-west', ['apply', '-f', '-'], { namespace: ns, input: list });
    const key = 'large';
    const ours = () =>
      gh.comments(REPO, PR).filter((c) => c.body.startsWith(`<!-- mr-drift:comment key=${key}`));
    try {
      const step = await runAction({ kubeconfig: kubeconfigText, 'comment-key': key });
      expect(step.exitCode, step.log).toBe(1);
      const parts = ours();
      expect(parts.length).toBeGreaterThan(1);
      // The fake server answers 422 above 65,536 characters, so each part was accepted.
      for (const [i, c] of parts.entries()) {
        expect(c.body.length).toBeLessThanOrEqual(65_536);
        expect(c.body).toMatch(new RegExp(`[Pp]art ${i + 1} of ${parts.length}\\b`));
      }
      // Every hand-made object is in one of the parts.
      const all = parts.map((c) => c.body).join('\n');
      const shown = extras.filter((o) => all.includes(o.metadata.name)).length;
      writeFileSync(
        join(root, '.tmp', 'action-e2e', 'large-report-parts.txt'),
        `${parts.length} parts of ${parts.map((c) => c.body.length).join(', ')} characters; ${shown} of ${extras.length} hand-made objects shown\n`,
      );
      // Split, not cut: 600 objects fit in far fewer than the 10 parts allowed, so every
      // one is shown and nothing is summarised away.
      expect(shown).toBe(extras.length);
      expect(all).not.toContain('not shown here');
      const report = JSON.parse(readFileSync(step.outputs.report, 'utf8')) as {
        regions: Array<{ name: string; findings: Array<{ type: string; name: string }> }>;
      };
      const west = report.regions.find((r) => r.name === 'eu-west')!;
      expect(west.findings.filter((f) => f.name.startsWith('hand-made-'))).toHaveLength(600);
    } finally {
      // ConfigMaps have no finalizers: gone when DELETE answers, no need to wait (2 min for 600).
      await kubectl('eu-west', ['delete', 'configmap', '-l', 'e2e-batch=large', '--wait=false'], {
        namespace: ns,
      });
    }
    // Fixed by hand: the surplus parts are deleted and part 1 is edited, never duplicated.
    const step = await runAction({ kubeconfig: kubeconfigText, 'comment-key': key });
    expect(step.exitCode, step.log).toBe(1);
    const after = ours();
    expect(after).toHaveLength(1);
    expect(after[0].body).not.toContain('hand-made-');
    expect(after[0].body).not.toMatch(/[Pp]art \d+ of \d+/);
  });
});
