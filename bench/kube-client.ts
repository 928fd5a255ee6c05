/**
 * Kube client benchmark, the measurement behind docs/decisions/0001-own-kube-client.md:
 * the same reads through mr-drift's own client (src/adapters/kube: HTTP/2, its own
 * kubeconfig reader) and through @kubernetes/client-node (HTTP/1.1, typed models), each
 * in a fresh Node process of its own bundle (as a CLI run pays its module loading), on
 * the test clusters: per region, one LIST of --objects ConfigMaps, all regions at once.
 * Runs interleave after one warm-up run of each; medians and ratios.
 *
 *   npm run cluster -- up
 *   npx tsx bench/kube-client.ts [--objects 1000] [--runs 7]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultKubeconfig, kubectl } from '../test/cluster/kubectl';
import { DEFAULT_REGIONS } from '../test/cluster/paths';
import { bundleLikeDist, median, numberArg } from './support';

const RUNS = numberArg('--runs', 7);
const OBJECTS = numberArg('--objects', 1000);
const kubeconfig = defaultKubeconfig();
const regions = [...DEFAULT_REGIONS];
const namespace = `bench-kc-${Date.now().toString(36)}`;

interface Sample {
  wallMs: number;
  loadMs: number;
  readMs: number;
  cpuMs: number;
  rssMiB: number;
  items: number[];
}

/**
 * The JavaScript each client makes a process load: its bundle, minified and split as
 * dist/ is, counting the entry and the chunks it imports statically (what is loaded only
 * on demand, such as client-node for a legacy auth-provider, is left out).
 */
async function clientBundleSizes(dir: string): Promise<{ own: number; clientNode: number }> {
  const { build } = await import('esbuild');
  const size = async (name: string, contents: string): Promise<number> => {
    const outdir = join(dir, `size-${name}`);
    const { metafile } = await build({
      stdin: { contents, resolveDir: join(import.meta.dirname, '..'), loader: 'ts' },
      outdir,
      entryNames: 'entry',
      splitting: true,
      bundle: true,
      minify: true,
      metafile: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    const outputs = metafile.outputs;
    const entry = Object.keys(outputs).find((f) => f.endsWith('entry.js'))!;
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const i of outputs[file].imports)
        if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
    };
    visit(entry);
    return Math.round([...loaded].reduce((n, f) => n + outputs[f].bytes, 0) / 1024);
  };
  return {
    own: await size(
      'own',
      "export * from './src/adapters/kube/kubeconfig'; export * from './src/adapters/kube/kube-client'; export * from './src/adapters/kube/read-live';",
    ),
    clientNode: await size('client-node', "export * from '@kubernetes/client-node';"),
  };
}

async function main(): Promise<void> {
  const configMaps = Array.from({ length: OBJECTS }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, namespace, labels: { app: 'bench' } },
    data: { index: String(i), payload: 'x'.repeat(200) },
  }));
  const list = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, ...configMaps],
  });
  console.log(`creating ${OBJECTS} ConfigMaps in ${namespace} in ${regions.join(', ')} ...`);
  await Promise.all(
    regions.map((r) =>
      kubectl(r, ['apply', '--server-side', '-f', '-'], { input: list, timeoutMs: 300_000 }),
    ),
  );

  const dir = mkdtempSync(join(tmpdir(), 'bench-kube-client-'));
  try {
    const probe = await bundleLikeDist('bench/kube-client-probe.ts', dir, 'probe');
    const chunks = (mode: string) =>
      mode === 'own' ? 'mr-drift client' : '@kubernetes/client-node';
    const run = (mode: string): Sample => {
      const t0 = performance.now();
      const out = execFileSync(
        process.execPath,
        [probe, mode, kubeconfig, namespace, regions.join(',')],
        { encoding: 'utf8' },
      );
      const sample = {
        wallMs: performance.now() - t0,
        ...(JSON.parse(out) as Omit<Sample, 'wallMs'>),
      };
      if (sample.items.some((n) => n !== OBJECTS))
        throw new Error(
          `${mode} read ${sample.items.join('/')} objects, expected ${OBJECTS} per region`,
        );
      return sample;
    };
    const modes = ['own', 'client-node'];
    for (const m of modes) run(m); // warm-up: page cache, server caches, connections
    const samples = new Map<string, Sample[]>(modes.map((m) => [m, []]));
    for (let i = 0; i < RUNS; i++) for (const m of modes) samples.get(m)!.push(run(m));

    const med = (m: string, k: keyof Omit<Sample, 'items'>) =>
      median(samples.get(m)!.map((s) => s[k]));
    console.log(
      `kube-client: ${regions.length} regions x ${OBJECTS} ConfigMaps, one LIST per region at once; median of ${RUNS} runs (interleaved, after a warm-up)`,
    );
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end; Node ${process.version}`,
    );
    const sizes = await clientBundleSizes(dir);
    console.log(
      `JavaScript each client makes a process load (bundled, minified, without what loads on demand): mr-drift client ${sizes.own} KiB, @kubernetes/client-node ${sizes.clientNode} KiB`,
    );
    const row = (label: string, k: keyof Omit<Sample, 'items'>, unit: string, digits = 0) =>
      console.log(
        `  ${label.padEnd(30)} ${modes.map((m) => `${chunks(m)} ${med(m, k).toFixed(digits)} ${unit}`).join('   ')}   ratio ${(med('client-node', k) / med('own', k)).toFixed(2)}x`,
      );
    row('process wall time', 'wallMs', 'ms');
    row('loading the client modules', 'loadMs', 'ms');
    row('kubeconfig + connect + LISTs', 'readMs', 'ms');
    row('CPU (user + system)', 'cpuMs', 'ms');
    row('peak RSS', 'rssMiB', 'MiB', 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all(
      regions.map((r) =>
        kubectl(r, ['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined),
      ),
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
