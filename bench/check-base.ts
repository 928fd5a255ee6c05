/**
 * What `--base` costs: the drift check with and without rendering the pull request's base
 * revision, on 3 regions x 1,000 objects of the harness's real clusters.
 *
 * A Git repository holds the app as one multi-document file. Its first commit is applied
 * in every region the way Argo CD applies (server-side, as argocd-controller); then, per
 * region, 12 hand changes; then a second commit (the pull request) changes 10 images (5 of
 * them images someone also changed by hand) and 5 ConfigMap values. The script times
 * `mr-drift check` with and without `--base <first commit>` in both modes, prints medians
 * and the ratio, and fails unless every `--base` run classifies exactly 10 `pr` fields
 * (5 images, 5 ConfigMap values), 5 `both` (the images also changed by hand) and 7 `drift`
 * (the other hand changes) per region, and every run without it 22 fields with no origin.
 *
 *   npm run cluster -- up
 *   npx tsx bench/check-base.ts [--runs 5] [--objects 1000] [--keep]
 *
 * mr-drift runs as the CLI bundled from the current source (esbuild, like dist/cli.js).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultKubeconfig, kubectl } from '../test/cluster/kubectl';
import { DEFAULT_REGIONS } from '../test/cluster/paths';
import type { DriftReport } from '../src/core/report/model';
import { bundleLikeDist, median, numberArg } from './support';

const RUNS = numberArg('--runs', 5);
const OBJECTS = numberArg('--objects', 1000);
const KEEP = process.argv.includes('--keep');

type Obj = { apiVersion: string; kind: string; metadata: Record<string, unknown> } & Record<
  string,
  unknown
>;

/** About `total` objects: Deployments with a Service each, ConfigMaps, Secrets, ServiceAccounts. */
function manifests(namespace: string, app: string, total: number, image: (i: number) => string) {
  const labels = { 'app.kubernetes.io/part-of': app };
  const meta = (name: string) => ({ name, namespace, labels: { ...labels, app: name } });
  const share = (pct: number) => Math.floor(((total - 1) * pct) / 100);
  const out: Obj[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } },
  ];
  for (let i = 0; i < share(25); i++) {
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(`svc-${i}`),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: `svc-${i}` } },
        template: {
          metadata: { labels: { app: `svc-${i}` } },
          spec: {
            containers: [
              {
                name: 'app',
                image: image(i),
                ports: [{ containerPort: 8080 }],
                env: [{ name: 'INDEX', value: String(i) }],
                resources: { limits: { cpu: 1, memory: '512Mi' }, requests: { cpu: '100m' } },
              },
            ],
          },
        },
      },
    });
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(`svc-${i}`),
      spec: { clusterIP: 'None', selector: { app: `svc-${i}` }, ports: [{ port: 80 }] },
    });
  }
  for (let i = 0; i < share(25); i++)
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`config-${i}`),
      data: { LOG_LEVEL: 'info', INDEX: String(i) },
    });
  for (let i = 0; i < share(15); i++)
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(`secret-${i}`),
      stringData: { password: `bench-password-${i}` },
    });
  while (out.length < total)
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(`sa-${out.length}`) });
  return out;
}

/** Hand changes in every region: 5 images, 5 ConfigMap values, 2 replicas. */
function handChanges(namespace: string): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < 5; i++)
    out.push(['set', 'image', `deployment/svc-${i}`, `app=example/svc:hand-${i}`, '-n', namespace]);
  for (let i = 0; i < 5; i++)
    out.push([
      'patch',
      `configmap/config-${i}`,
      '--type=merge',
      '-p',
      '{"data":{"LOG_LEVEL":"debug"}}',
      '-n',
      namespace,
    ]);
  for (let i = 0; i < 2; i++)
    out.push(['scale', `deployment/svc-${20 + i}`, '--replicas=4', '-n', namespace]);
  return out;
}

/** The pull request: images of svc-0..9 (0..4 were also changed by hand), INDEX of config-10..14. */
function applyPr(objects: Obj[]): Obj[] {
  return objects.map((o) => {
    const name = String(o.metadata.name);
    const n = Number(name.split('-').pop());
    if (o.kind === 'Deployment' && n < 10) {
      const copy = structuredClone(o) as unknown as {
        spec: { template: { spec: { containers: Obj[] } } };
      };
      copy.spec.template.spec.containers[0].image = `example/svc:pr-${n}`;
      return copy as unknown as Obj;
    }
    if (o.kind === 'ConfigMap' && n >= 10 && n < 15)
      return { ...o, data: { ...(o.data as object), INDEX: `pr-${n}` } };
    return o;
  });
}

function run(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<{ ms: number; code: number; stdout: string }> {
  const start = performance.now();
  return new Promise((done, fail) => {
    execFile(
      cmd,
      args,
      { cwd, maxBuffer: 512 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        if (typeof code !== 'number') return fail(new Error(`${cmd}: ${err?.message}`));
        done({ ms: performance.now() - start, code, stdout });
      },
    );
  });
}

/** Fields per origin in each region: the bench's own correctness check. */
function originCounts(report: DriftReport): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of report.regions) {
    if (r.status === 'error') throw new Error(`${r.name}: ${r.error}`);
    const c: Record<string, number> = {};
    for (const f of r.findings)
      for (const d of f.fields) c[d.origin ?? '(none)'] = (c[d.origin ?? '(none)'] ?? 0) + 1;
    out[r.name] = c;
  }
  return out;
}

async function main(): Promise<void> {
  const regions = [...DEFAULT_REGIONS];
  const kubeconfig = defaultKubeconfig();
  const dir = mkdtempSync(join(tmpdir(), 'mr-drift-bench-base-'));
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  const stamp = Date.now().toString(36);
  const namespace = `bench-base-${stamp}`;
  const base = manifests(
    namespace,
    `bench-base-app-${stamp}`,
    OBJECTS,
    (i) => `example/svc:${i % 7}.0.0`,
  );
  const file = join(repo, 'app.yaml');
  const write = (objects: Obj[]) =>
    writeFileSync(file, objects.map((o) => stringify(o, { version: '1.1' })).join('---\n'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'bench',
        GIT_AUTHOR_EMAIL: 'bench@example.invalid',
        GIT_COMMITTER_NAME: 'bench',
        GIT_COMMITTER_EMAIL: 'bench@example.invalid',
      },
    }).trim();

  const cli = await bundleLikeDist('src/cli/main.ts', join(dir, 'cli'));
  console.log(
    `machine: ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; node ${process.version}`,
  );
  console.log(
    `objects: ${base.length} per region x ${regions.length} regions, namespace ${namespace}`,
  );

  try {
    write(base);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    const baseSha = git('rev-parse', 'HEAD');
    await Promise.all(
      regions.map((r) =>
        kubectl(r, ['apply', '--server-side', '--field-manager=argocd-controller', '-f', file], {
          timeoutMs: 900_000,
        }),
      ),
    );
    for (const r of regions) for (const c of handChanges(namespace)) await kubectl(r, c);
    write(applyPr(base));
    git('commit', '-q', '-am', 'the pull request');

    const common = [
      cli,
      'check',
      '--path',
      file,
      '--regions',
      regions.join(','),
      '--kubeconfig',
      kubeconfig,
      '--output',
      'json',
      '--no-progress',
    ];
    const variants: Record<string, string[]> = {
      'server-side': ['--mode', 'server-side'],
      'server-side --base': ['--mode', 'server-side', '--base', baseSha],
      'read-only': ['--mode', 'read-only'],
      'read-only --base': ['--mode', 'read-only', '--base', baseSha],
    };
    const samples: Record<string, number[]> = Object.fromEntries(
      Object.keys(variants).map((v) => [v, []]),
    );
    const expected = { pr: 10, both: 5, drift: 7 };
    for (let i = 0; i < RUNS; i++) {
      for (const [variant, flags] of Object.entries(variants)) {
        const m = await run(process.execPath, [...common, ...flags], repo);
        if (m.code !== 1)
          throw new Error(
            `${variant} exited ${m.code}; expected 1 (drift)\n${m.stdout.slice(0, 2000)}`,
          );
        samples[variant].push(m.ms);
        const counts = originCounts(JSON.parse(m.stdout) as DriftReport);
        for (const [region, c] of Object.entries(counts)) {
          const want = variant.endsWith('--base') ? expected : { '(none)': 22 };
          if (
            JSON.stringify(Object.fromEntries(Object.entries(c).sort())) !==
            JSON.stringify(Object.fromEntries(Object.entries(want).sort()))
          )
            throw new Error(
              `${variant}, ${region}: fields by origin ${JSON.stringify(c)}, expected ${JSON.stringify(want)}`,
            );
        }
        if (i === 0)
          console.log(
            `${variant}: fields by origin in each region ${JSON.stringify(counts[regions[0]])}`,
          );
      }
    }
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`\nmedians of ${RUNS} runs (3 regions x ${base.length} objects):`);
    for (const mode of ['server-side', 'read-only']) {
      const without = median(samples[mode]);
      const withBase = median(samples[`${mode} --base`]);
      console.log(
        `  ${mode}: ${fmt(without)} without --base, ${fmt(withBase)} with --base (${(withBase / without).toFixed(2)}x, +${fmt(withBase - without)})`,
      );
    }
    console.log(
      `  all samples (ms): ${JSON.stringify(Object.fromEntries(Object.entries(samples).map(([n, xs]) => [n, xs.map(Math.round)])))}`,
    );
  } finally {
    if (KEEP) console.log(`kept: ${repo} (objects applied in every region) and ${cli}`);
    else {
      // Objects first: the test clusters have no namespace controller to empty a namespace.
      await Promise.all(
        regions.map((r) =>
          kubectl(r, ['delete', '--wait=false', '--ignore-not-found', '-f', file], {
            timeoutMs: 900_000,
          }).catch(() => undefined),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
