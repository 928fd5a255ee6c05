import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/api-client';
import {
  describeCluster,
  dropNamespace,
  freshNamespace,
  kubectl,
  uniqueName,
} from '../cluster/testing';
import {
  applyAsGitOps,
  check,
  completed,
  deleteObjects,
  gitIn,
  parseObjects,
  nonControllerWrites,
  runCli,
  tempDir,
} from './drift-helpers';
import type { ComparisonMode, DriftReport, Finding } from '../../src/core/report/model';

/**
 * "Changed by this PR" versus "already drifted", on the real clusters with a real Git
 * repository: the base commit is deployed the way Argo CD deploys (server-side apply as
 * argocd-controller), someone changes the cluster by hand, then a commit (the PR) changes
 * one untouched field and the hand-changed field too. `check --base <base commit>` must
 * give exactly one `pr`, one `drift` and one `both` field. The second PR commit adds and
 * removes objects: both are the PR's.
 */

const REGIONS = ['us-east', 'eu-west'];
const IMAGE = '/spec/template/spec/containers/name=app/image';

let ns: string;
let app: string;
let repo: { dir: string; dispose: () => void };
let baseCommit: string;
const applied = new Map<string, KubeObject[]>();

function git(...args: string[]): string {
  return gitIn(repo.dir, ...args);
}

function write(path: string, value: unknown): void {
  const full = join(repo.dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, stringify(value));
}

function deployment(replicas: number, image: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: { containers: [{ name: 'app', image }] },
      },
    },
  };
}

const configMap = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

/** The shared base, and one overlay per region that moves it into this test's namespace. */
function writeTree(objects: Record<string, Record<string, unknown>>): void {
  for (const f of readdirSync(join(repo.dir, 'overlays', 'base'), { withFileTypes: true })) {
    if (f.isFile()) execFileSync('rm', [join(repo.dir, 'overlays', 'base', f.name)]);
  }
  for (const [file, obj] of Object.entries(objects)) write(`overlays/base/${file}`, obj);
  write('overlays/base/kustomization.yaml', {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: Object.keys(objects).sort(),
  });
  for (const region of REGIONS) {
    write(`overlays/regions/${region}/kustomization.yaml`, {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: ns,
      resources: ['../../base'],
      labels: [{ pairs: { 'app.kubernetes.io/part-of': app }, includeSelectors: false }],
    });
  }
}

function commit(message: string): string {
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

/** Field path -> origin, per object; what the assertions compare. */
function origins(findings: Finding[]): Record<string, string | Record<string, string>> {
  const out: Record<string, string | Record<string, string>> = {};
  for (const f of findings) {
    const key = `${f.type} ${f.kind}/${f.name}`;
    out[key] =
      f.type === 'changed'
        ? Object.fromEntries(f.fields.map((d) => [d.path, d.origin ?? '(none)']))
        : (f.origin ?? '(none)');
  }
  return out;
}

function baseTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith('mr-drift-base-'));
}

describeCluster('origin of each difference: this PR or drift already in the cluster', () => {
  beforeAll(async () => {
    ns = await freshNamespace('pr-origin', REGIONS);
    app = uniqueName('pr-origin-app');
    repo = tempDir('pr-origin-repo');
    git('init', '-q', '-b', 'main');
    mkdirSync(join(repo.dir, 'overlays', 'base'), { recursive: true });
    writeTree({
      'deployment.yaml': deployment(2, 'nginx:1.25'),
      'settings.yaml': configMap('settings', { LOG_LEVEL: 'info', MODE: 'a' }),
      'legacy.yaml': configMap('legacy', { OLD: 'yes' }),
    });
    baseCommit = commit('base: what the clusters run');

    // Deploy the base like Argo CD in both regions, then change us-east by hand.
    for (const region of REGIONS) {
      const objects = parseObjects(
        execFileSync('kubectl', ['kustomize', join(repo.dir, 'overlays', 'regions', region)], {
          encoding: 'utf8',
        }),
      );
      await applyAsGitOps(region, objects);
      applied.set(region, objects);
    }
    await kubectl('us-east', ['set', 'image', 'deployment/api', 'app=nginx:1.26'], {
      namespace: ns,
    });
    await kubectl(
      'us-east',
      ['patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"LOG_LEVEL":"debug"}}'],
      { namespace: ns },
    );

    // The pull request: one field nobody touched, and the field changed by hand.
    writeTree({
      'deployment.yaml': deployment(3, 'nginx:1.27'),
      'settings.yaml': configMap('settings', { LOG_LEVEL: 'info', MODE: 'a' }),
      'legacy.yaml': configMap('legacy', { OLD: 'yes' }),
    });
    commit('PR: three replicas, nginx 1.27');
  }, 600_000);

  afterAll(async () => {
    for (const [region, objects] of applied) await deleteObjects(region, objects);
    if (ns) await dropNamespace(ns, REGIONS);
    repo?.dispose();
  });

  const modes: ComparisonMode[] = ['server-side', 'read-only'];
  it.each(modes)('%s: exactly one pr, one drift and one both field', async (mode) => {
    const tempBefore = baseTempDirs();
    const head = git('rev-parse', 'HEAD');
    const versionsBefore = await nonControllerWrites('us-east', applied.get('us-east')!);

    const report = await check(join(repo.dir, 'overlays'), ['us-east'], mode, {
      base: baseCommit,
    });
    expect(report.source.base).toEqual({ ref: baseCommit, revision: baseCommit });
    const east = completed(report.regions[0]);
    expect(origins(east.findings)).toEqual({
      'changed Deployment/api': { '/spec/replicas': 'pr', [IMAGE]: 'both' },
      'changed ConfigMap/settings': { '/data/LOG_LEVEL': 'drift' },
    });
    const fields = east.findings.flatMap((f) => f.fields);
    expect(fields.map((d) => d.origin).sort()).toEqual(['both', 'drift', 'pr']);
    // The values say what the reviewer needs: what the PR sets, what the cluster holds, who.
    expect(fields.find((d) => d.path === IMAGE)).toMatchObject({
      desired: 'nginx:1.27',
      live: 'nginx:1.26',
      manager: 'kubectl-set',
      origin: 'both',
    });
    expect(fields.find((d) => d.path === '/spec/replicas')).toMatchObject({
      desired: 3,
      live: 2,
      origin: 'pr',
    });
    expect(east.findings.map((f) => [f.name, f.origin])).toEqual([
      ['settings', 'drift'],
      ['api', 'both'],
    ]);
    expect(east.status).toBe('drift');

    // Nothing written to the cluster or the repository; the base's temporary tree is gone.
    expect(await nonControllerWrites('us-east', applied.get('us-east')!)).toEqual(versionsBefore);
    expect(git('status', '--porcelain')).toBe('');
    expect(git('rev-parse', 'HEAD')).toBe(head);
    expect(git('worktree', 'list').split('\n')).toHaveLength(1);
    expect(baseTempDirs()).toEqual(tempBefore);
  });

  it('without --base the same differences are all drift, with no origin', async () => {
    const report = await check(join(repo.dir, 'overlays'), ['us-east'], 'server-side');
    const east = completed(report.regions[0]);
    expect(report.source.base).toBeUndefined();
    expect(origins(east.findings)).toEqual({
      'changed Deployment/api': { '/spec/replicas': '(none)', [IMAGE]: '(none)' },
      'changed ConfigMap/settings': { '/data/LOG_LEVEL': '(none)' },
    });
    expect(east.status).toBe('drift');
  });

  it('CLI: a region whose only differences are the PR’s is not drift (exit 0), and says so', async () => {
    const withBase = await runCli([
      'check',
      '--path',
      join(repo.dir, 'overlays'),
      '--regions',
      'eu-west',
      '--base',
      baseCommit,
      '--output',
      'json',
      '--no-progress',
    ]);
    expect(withBase.stderr).toBe('');
    expect(withBase.code).toBe(0);
    const report = JSON.parse(withBase.stdout) as {
      regions: Array<{ status: string; findings: Finding[] }>;
    };
    expect(report.regions[0].status).toBe('in-sync');
    expect(origins(report.regions[0].findings)).toEqual({
      'changed Deployment/api': { '/spec/replicas': 'pr', [IMAGE]: 'pr' },
    });

    const text = await runCli([
      'check',
      '--path',
      join(repo.dir, 'overlays'),
      '--regions',
      'eu-west',
      '--base',
      baseCommit,
      '--no-progress',
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('this PR will change');
    expect(text.stdout).toContain(`${IMAGE}: "nginx:1.25" -> "nginx:1.27"`);

    // --fail-on-pr-changes: the PR's own changes fail too.
    const strict = await runCli([
      'check',
      '--path',
      join(repo.dir, 'overlays'),
      '--regions',
      'eu-west',
      '--base',
      baseCommit,
      '--fail-on-pr-changes',
      '--output',
      'json',
      '--no-progress',
    ]);
    expect(strict.code).toBe(1);

    // Without a base, the PR's changes look like drift: exit 1.
    const without = await runCli([
      'check',
      '--path',
      join(repo.dir, 'overlays'),
      '--regions',
      'eu-west',
      '--output',
      'json',
      '--no-progress',
    ]);
    expect(without.code).toBe(1);
  });

  it('skew between regions leaves out what the PR itself explains, keeps drift', async () => {
    // us-east runs a hand-set image and log level; eu-west runs the base's image, which the
    // PR replaces in both regions. The log level is real skew; the image only differs
    // because the PR changes it (in us-east the PR also overwrites the hand change, shown
    // there as `both`).
    const skewOf = (report: DriftReport) =>
      (report.skew ?? []).map((e) => [
        `${e.kind}/${e.name} ${e.path}`,
        e.desired.value,
        e.live.map((g) => [g.value, g.regions]),
      ]);
    const logLevel = [
      'ConfigMap/settings /data/LOG_LEVEL',
      'info',
      [
        ['info', ['eu-west']],
        ['debug', ['us-east']],
      ],
    ];
    for (const mode of modes) {
      const withBase = await check(join(repo.dir, 'overlays'), REGIONS, mode, {
        base: baseCommit,
      });
      withBase.regions.forEach(completed);
      expect(skewOf(withBase)).toEqual([logLevel]);
      const without = await check(join(repo.dir, 'overlays'), REGIONS, mode);
      without.regions.forEach(completed);
      expect(skewOf(without)).toEqual([
        logLevel,
        [
          `Deployment/api ${IMAGE}`,
          'nginx:1.27',
          [
            ['nginx:1.26', ['us-east']],
            ['nginx:1.25', ['eu-west']],
          ],
        ],
      ]);
    }
  });

  it('a second PR commit adds an object and removes one: both are the PR’s', async () => {
    writeTree({
      'deployment.yaml': deployment(3, 'nginx:1.27'),
      'settings.yaml': configMap('settings', { LOG_LEVEL: 'info', MODE: 'a' }),
      'flags.yaml': configMap('feature-flags', { NEW_UI: 'on' }),
    });
    commit('PR: feature flags, drop the legacy ConfigMap');
    // The removed object loses the app's labels by hand first: it must still be seen.
    await kubectl('eu-west', ['label', 'configmap', 'legacy', 'app.kubernetes.io/part-of-'], {
      namespace: ns,
    });
    const report = await check(join(repo.dir, 'overlays'), REGIONS, 'server-side', {
      base: baseCommit,
    });
    const [east, west] = report.regions.map(completed);
    expect(origins(east.findings)).toEqual({
      'missing ConfigMap/feature-flags': 'pr',
      'extra ConfigMap/legacy': 'pr',
      'changed ConfigMap/settings': { '/data/LOG_LEVEL': 'drift' },
      'changed Deployment/api': { '/spec/replicas': 'pr', [IMAGE]: 'both' },
    });
    expect(origins(west.findings)).toEqual({
      'missing ConfigMap/feature-flags': 'pr',
      // legacy lost the app's label by hand here: found all the same, as Git had it at the base.
      'extra ConfigMap/legacy': 'pr',
      'changed Deployment/api': { '/spec/replicas': 'pr', [IMAGE]: 'pr' },
    });
    expect(east.status).toBe('drift');
    expect(west.status).toBe('in-sync');
  });

  it('a base whose overlay does not render: a warning for that region only', async () => {
    // The broken commit is made in a clone and fetched, so this repository's files stay.
    const side = tempDir('pr-origin-side');
    try {
      execFileSync('git', ['clone', '-q', repo.dir, side.dir]);
      writeFileSync(
        join(side.dir, 'overlays', 'regions', 'us-east', 'kustomization.yaml'),
        'resources: [../../no-such-folder]\n',
      );
      gitIn(side.dir, 'commit', '-q', '-am', 'a broken us-east overlay');
      const broken = gitIn(side.dir, 'rev-parse', 'HEAD');
      git('fetch', '-q', side.dir, 'HEAD');

      const report = await check(join(repo.dir, 'overlays'), REGIONS, 'server-side', {
        base: broken,
      });
      const [east, west] = report.regions.map(completed);
      const warning = east.warnings?.find((w) => w.includes('base revision could not be rendered'));
      // Named by commit and path, never by the temporary folder it was written to.
      expect(warning).toContain(`${broken.slice(0, 12)}:overlays/regions/us-east`);
      expect(warning).not.toContain('mr-drift-base-');
      expect(east.findings.every((f) => f.origin === undefined)).toBe(true);
      expect(east.status).toBe('drift');
      // eu-west renders at that base (the same as head there): every difference is drift.
      expect(west.warnings ?? []).toEqual([]);
      expect(west.findings.length).toBeGreaterThan(0);
      expect(west.findings.every((f) => f.origin === 'drift')).toBe(true);
    } finally {
      side.dispose();
    }
  });

  it('a base that is not in the checkout: exit 2 on the CLI, a warning in warn mode', async () => {
    const absent = 'f'.repeat(40);
    const cli = await runCli([
      'check',
      '--path',
      join(repo.dir, 'overlays'),
      '--regions',
      'us-east',
      '--base',
      absent,
      '--no-progress',
    ]);
    expect(cli.code).toBe(2);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toContain(`error: --base: base revision ${absent} is not in this checkout`);
    expect(cli.stderr).toContain('fetch-depth: 0');

    const report = await check(join(repo.dir, 'overlays'), ['us-east'], 'server-side', {
      base: absent,
      baseMissing: 'warn',
    });
    expect(report.source.base?.ref).toBe(absent);
    expect(report.source.base?.revision).toBeUndefined();
    expect(report.source.base?.warning).toContain('is not in this checkout');
    const east = completed(report.regions[0]);
    expect(east.findings.every((f) => f.origin === undefined)).toBe(true);
    expect(east.status).toBe('drift');
  });

  it('--base outside a Git repository: exit 2 naming the path', async () => {
    const plain = tempDir('pr-origin-plain');
    try {
      writeFileSync(join(plain.dir, 'cm.yaml'), stringify(configMap('x', { A: '1' })));
      const cli = await runCli([
        'check',
        '--path',
        plain.dir,
        '--regions',
        'us-east',
        '--base',
        'main',
        '--no-progress',
      ]);
      expect(cli.code).toBe(2);
      expect(cli.stderr).toContain('is not inside a Git repository');
    } finally {
      plain.dispose();
    }
  });
});
