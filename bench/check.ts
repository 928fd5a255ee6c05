/**
 * Drift-check benchmark: 3 regions x 1,000 objects on the harness's real clusters.
 *
 * Times, on the same rendered manifests and the same clusters, in one run:
 * - `kubectl diff --server-side`, one process per region, all in parallel (its best case)
 *   and one after another (how a script looping over contexts runs it),
 * - `mr-drift check --mode server-side` (one process, all regions), also with
 *   `--full-dry-run` (every object through the dry-run, no no-op shortcut),
 * - `mr-drift check --mode read-only` (one process, all regions),
 * and prints medians, ratios, peak memory (max RSS of each process, from /usr/bin/time),
 * the size of mr-drift's JSON report and the CPU the clusters spent serving each command.
 * Fails if kubectl diff and mr-drift disagree on which objects drifted in any run.
 * bench/check-phases.ts shows where the time of one check goes.
 *
 *   npm run cluster -- up
 *   npx tsx bench/check.ts [--runs 5] [--objects 1000] [--keep] [--interleaved]
 *
 * By default each command gets one unmeasured warm-up run and then its runs in a row (as
 * hyperfine does); --interleaved times round after round of all commands instead. Both
 * wait for the clusters to be idle before each command (settle()).
 *
 * kubectl: $MR_DRIFT_KUBECTL if set, else the kubectl 1.36 the harness builds from the pin.
 * mr-drift runs as the bundled CLI (esbuild, split like dist/cli.js), not through tsx.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildKubectl, defaultKubeconfig, kubectl } from '../test/cluster/kubectl';
import { DEFAULT_REGIONS } from '../test/cluster/paths';
import type { DriftReport } from '../src/core/report/model';
import { clusterCpuMs, settle } from './clusters';
import { drift, manifests } from './objects';
import { bundleLikeDist, median, numberArg } from './support';

const RUNS = numberArg('--runs', 5);
/** Leave the objects and the bundle in place (prints where), e.g. to profile by hand. */
const KEEP = process.argv.includes('--keep');
/** Time the commands round after round instead of each one's runs in a row. */
const INTERLEAVED = process.argv.includes('--interleaved');
const OBJECTS = numberArg('--objects', 1000);
const FIELD_MANAGER = 'argocd-controller';

interface Measured {
  ms: number;
  rssKiB: number;
  code: number | null;
  stdout: string;
}

/** Runs a command under /usr/bin/time for wall time and peak memory. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const stats = join(mkdtempSync(join(tmpdir(), 'mr-drift-bench-time-')), 'stats');
  const start = performance.now();
  return new Promise((done, fail) => {
    execFile(
      '/usr/bin/time',
      ['-f', '%M', '-o', stats, cmd, ...args],
      { maxBuffer: 512 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', ...env } },
      (err, stdout) => {
        const ms = performance.now() - start;
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        if (err && typeof (err as { code?: unknown }).code !== 'number')
          return fail(new Error(`${cmd} could not run: ${err.message}`));
        const rssKiB = Number(readFileSync(stats, 'utf8').trim().split('\n').pop());
        done({ ms, rssKiB, code, stdout });
      },
    );
  });
}

/** Objects kubectl diff printed a diff for: `kind/name` from its `diff -u -N` headers. */
function kubectlDrifted(out: string): string[] {
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^diff -u -N \S+\/(\S+)\s/.exec(line);
    if (!m) continue;
    // File names are <group>.<version>.<Kind>.<namespace>.<name> (group omitted for core).
    const parts = m[1].split('.');
    const kindIdx = parts.findIndex((p) => /^[A-Z]/.test(p));
    names.add(`${parts[kindIdx]}/${parts.slice(kindIdx + 2).join('.')}`);
  }
  return [...names].sort();
}

function mrDriftDrifted(report: DriftReport, region: string): string[] {
  const r = report.regions.find((x) => x.name === region)!;
  if (r.status === 'error') throw new Error(`mr-drift failed in ${region}: ${r.error}`);
  return r.findings.map((f) => `${f.kind}/${f.name}`).sort();
}

async function main(): Promise<void> {
  const regions = [...DEFAULT_REGIONS];
  const kubeconfig = defaultKubeconfig();
  const kubectlBin = process.env.MR_DRIFT_KUBECTL ?? (await buildKubectl((l) => console.error(l)));
  const kubectlVersion = execFileSync(kubectlBin, ['version', '--client', '-o', 'json'], {
    encoding: 'utf8',
  });
  const dir = mkdtempSync(join(tmpdir(), 'mr-drift-bench-check-'));
  const stamp = Date.now().toString(36);
  const namespace = `bench-${stamp}`;
  const objects = manifests(namespace, `bench-app-${stamp}`, OBJECTS);
  const file = join(dir, 'desired.yaml');
  writeFileSync(file, objects.map((o) => stringify(o, { version: '1.1' })).join('---\n'));

  // Bundled from the current source as dist/cli.js is (see bench/support.ts).
  const cli = await bundleLikeDist('src/cli/main.ts', join(dir, 'cli'));

  console.log(
    `machine: ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; node ${process.version}`,
  );
  console.log(
    `kubectl: ${kubectlBin} (${(JSON.parse(kubectlVersion) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion})`,
  );
  console.log(
    `objects: ${objects.length} per region x ${regions.length} regions, namespace ${namespace}`,
  );

  try {
    const t0 = performance.now();
    await Promise.all(
      regions.map((r) =>
        kubectl(r, ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file], {
          timeoutMs: 900_000,
          binary: kubectlBin,
        }),
      ),
    );
    console.log(`applied in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const r of regions)
      for (const change of drift(namespace)) await kubectl(r, change, { binary: kubectlBin });

    const diffArgs = (r: string) => [
      '--kubeconfig',
      kubeconfig,
      '--context',
      r,
      'diff',
      '--server-side',
      `--field-manager=${FIELD_MANAGER}`,
      '--force-conflicts',
      '-f',
      file,
    ];
    const checkArgs = [
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
    const variants = {
      'server-side': ['--mode', 'server-side'],
      'server-side --full-dry-run': ['--mode', 'server-side', '--full-dry-run'],
      'read-only': ['--mode', 'read-only'],
    } as const;
    type Variant = keyof typeof variants;
    const samples: Record<string, number[]> = { 'kubectl parallel': [], 'kubectl sequential': [] };
    const rss: Record<string, number> = { kubectl: 0 };
    const reportBytes: Record<string, number> = {};
    /** CPU the API servers and etcds spent serving each command. */
    const serverCpu: Record<string, number[]> = { 'kubectl parallel': [] };
    for (const v of Object.keys(variants)) {
      serverCpu[v] = [];
      samples[v] = [];
      rss[v] = 0;
    }

    let diffs: Measured[] = [];
    const kubectlParallel = async (record: boolean) => {
      await settle();
      const cpuBefore = clusterCpuMs();
      const start = performance.now();
      diffs = await Promise.all(regions.map((r) => measure(kubectlBin, diffArgs(r))));
      if (!record) return;
      samples['kubectl parallel'].push(performance.now() - start);
      serverCpu['kubectl parallel'].push(clusterCpuMs() - cpuBefore);
      rss.kubectl = Math.max(rss.kubectl, ...diffs.map((d) => d.rssKiB));
      regions.forEach((r, i) => {
        if (diffs[i].code !== 1) throw new Error(`kubectl diff in ${r} exited ${diffs[i].code}`);
      });
    };
    const kubectlSequential = async (record: boolean) => {
      await settle();
      const start = performance.now();
      for (const r of regions) await measure(kubectlBin, diffArgs(r));
      if (record) samples['kubectl sequential'].push(performance.now() - start);
    };
    const mrDrift = async (variant: Variant, record: boolean) => {
      await settle();
      const cpuBefore = clusterCpuMs();
      const m = await measure(process.execPath, [...checkArgs, ...variants[variant]]);
      const cpu = clusterCpuMs() - cpuBefore;
      if (m.code !== 1)
        throw new Error(
          `mr-drift ${variant} exited ${m.code}; expected 1 (drift)\n${m.stdout.slice(0, 2000)}`,
        );
      // Every run, measured or not, must find what kubectl diff found.
      const report = JSON.parse(m.stdout) as DriftReport;
      regions.forEach((r, i) => {
        const theirs = kubectlDrifted(diffs[i].stdout);
        const ours = mrDriftDrifted(report, r);
        if (JSON.stringify(theirs) !== JSON.stringify(ours)) {
          throw new Error(
            `${r} (${variant}): kubectl diff found ${theirs.join(', ')}; mr-drift found ${ours.join(', ')}`,
          );
        }
        if (!agreed.has(r)) {
          agreed.add(r);
          console.log(
            `${r}: kubectl diff and mr-drift found the same ${ours.length} drifted objects`,
          );
        }
      });
      if (!record) return;
      samples[variant].push(m.ms);
      serverCpu[variant].push(cpu);
      rss[variant] = Math.max(rss[variant], m.rssKiB);
      reportBytes[variant] = Buffer.byteLength(m.stdout);
    };
    const agreed = new Set<string>();
    const variantNames = Object.keys(variants) as Variant[];

    if (INTERLEAVED) {
      // Round after round of every command: each is timed right after a different one.
      for (let run = 0; run < RUNS; run++) {
        await kubectlParallel(true);
        await kubectlSequential(true);
        for (const v of variantNames) await mrDrift(v, true);
      }
    } else {
      // Each command: one unmeasured warm-up run, then RUNS runs in a row (as hyperfine
      // does), so no command is timed while the servers still feel the previous one.
      await kubectlParallel(false);
      for (let run = 0; run < RUNS; run++) await kubectlParallel(true);
      await kubectlSequential(false);
      for (let run = 0; run < RUNS; run++) await kubectlSequential(true);
      for (const v of variantNames) {
        await mrDrift(v, false);
        for (let run = 0; run < RUNS; run++) await mrDrift(v, true);
      }
    }

    const kp = median(samples['kubectl parallel']);
    const ks = median(samples['kubectl sequential']);
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `\nmedians of ${RUNS} runs (3 regions x ${objects.length} objects; ${INTERLEAVED ? 'interleaved' : 'each command after a warm-up run, its runs in a row'}):`,
    );
    console.log(`  kubectl diff --server-side, 3 in parallel:  ${fmt(kp)}`);
    console.log(
      `  kubectl diff --server-side, one by one:     ${fmt(ks)}   (peak RSS per process ${(rss.kubectl / 1024).toFixed(0)} MiB)`,
    );
    for (const variant of Object.keys(variants)) {
      const m = median(samples[variant]);
      console.log(
        `  mr-drift check --mode ${variant}: ${fmt(m)}   ${(kp / m).toFixed(1)}x faster than parallel, ${(ks / m).toFixed(1)}x than one by one   peak RSS ${(rss[variant] / 1024).toFixed(0)} MiB   JSON report ${(reportBytes[variant] / 1024).toFixed(0)} KiB`,
      );
    }
    console.log(
      `  CPU of the API servers and etcds per command (median): ${Object.entries(serverCpu)
        .map(([n, xs]) => `${n} ${Math.round(median(xs))} ms`)
        .join(', ')}`,
    );
    console.log(
      `  all samples (ms): ${JSON.stringify(Object.fromEntries(Object.entries(samples).map(([n, xs]) => [n, xs.map(Math.round)])))}`,
    );
  } finally {
    if (KEEP) console.log(`kept: ${file} (objects applied in every region) and ${cli}`);
    else await cleanUp();
  }

  async function cleanUp(): Promise<void> {
    await Promise.all(
      regions.map((r) =>
        kubectl(r, ['delete', '--wait=false', '--ignore-not-found', '-f', file], {
          timeoutMs: 900_000,
          binary: kubectlBin,
        }).catch(() => undefined),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
