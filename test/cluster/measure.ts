import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinary, REGION_BINARIES } from './binaries';
import { down, status, up } from './cluster';
import { cacheDir, DEFAULT_REGIONS } from './paths';
import { readState } from './state';

/**
 * `npm run cluster -- measure`: the harness's own figures, printed as medians over
 * several runs in a throw-away folder (the shared .cluster/ is never touched): the time
 * to start one region and all regions from built binaries, their resident memory right
 * after start, how long `down` takes, and the disk the caches use.
 */

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

/** Size of a folder in KiB (du), or undefined if it does not exist. */
function diskKiB(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const out = execFileSync('du', ['-sk', path], { encoding: 'utf8' });
  return Number(out.split('\t')[0]);
}

interface Sample {
  startMs: number;
  stopMs: number;
  apiserverKiB: number[];
  etcdKiB: number[];
  /** Per process name of the control plane (kube-controller-manager, ...), per region. */
  controlPlaneKiB: Record<string, number[]>;
  /** Per region: seconds to the control plane ready, counted from the region's start. */
  phases: number[];
}

async function sample(regions: string[]): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'mr-drift-measure-'));
  try {
    const t0 = Date.now();
    await up(regions, 'cli', { dir });
    const startMs = Date.now() - t0;
    const rows = await status({ dir });
    const state = readState(dir);
    const t1 = Date.now();
    await down(undefined, { dir });
    const controlPlaneKiB: Record<string, number[]> = {};
    for (const r of rows) {
      for (const p of r.controlPlane) (controlPlaneKiB[p.name] ??= []).push(p.rssKiB ?? 0);
    }
    return {
      startMs,
      stopMs: Date.now() - t1,
      apiserverKiB: rows.map((r) => r.apiserver.rssKiB ?? 0),
      etcdKiB: rows.map((r) => r.etcd.rssKiB ?? 0),
      controlPlaneKiB,
      phases: Object.values(state.regions).map((r) => r.phases.controlPlaneReady ?? 0),
    };
  } finally {
    await down(undefined, { dir }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the measurements and prints a report to stdout. */
export async function measure(
  runs: number,
  regions: string[] = [...DEFAULT_REGIONS],
): Promise<void> {
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  // Binaries: built before timing starts, then a cache hit is timed on its own.
  const names = REGION_BINARIES;
  for (const n of names) await ensureBinary(n);
  const hit = Date.now();
  for (const n of names) await ensureBinary(n);
  out(`binary cache hit (${names.length} binaries, hashing the pins): ${Date.now() - hit} ms`);

  const one: Sample[] = [];
  const all: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    one.push(await sample([regions[0]]));
    all.push(await sample(regions));
    out(
      `run ${i + 1}/${runs}: 1 region ${secs(one[i].startMs)}, ${regions.length} regions ${secs(all[i].startMs)}`,
    );
  }
  const m1 = median(one.map((s) => s.startMs));
  const mN = median(all.map((s) => s.startMs));
  out('');
  out(
    `start from built binaries, fresh data, CRDs and RBAC installed, Nodes Ready (median of ${runs}):`,
  );
  out(`  1 region:            ${secs(m1)}`);
  out(
    `  ${regions.length} regions (parallel): ${secs(mN)}   ratio ${regions.length}/1 = ${(mN / m1).toFixed(2)}`,
  );
  out(`  down (${regions.length} regions):    ${secs(median(all.map((s) => s.stopMs)))}`);
  const api = median(all.flatMap((s) => s.apiserverKiB));
  const etcd = median(all.flatMap((s) => s.etcdKiB));
  const total = median(
    all.map((s) =>
      [...s.apiserverKiB, ...s.etcdKiB, ...Object.values(s.controlPlaneKiB).flat()].reduce(
        (a, b) => a + b,
        0,
      ),
    ),
  );
  out(
    `  of which control plane (controller-manager, scheduler, kwok, Nodes Ready) per region: ${secs(1000 * median(all.flatMap((s) => s.phases)))} from the region's start`,
  );
  out(`resident memory right after start (median):`);
  const cp = Object.keys(all[0]?.controlPlaneKiB ?? {}).map(
    (name) => `${name} ${mib(median(all.flatMap((s) => s.controlPlaneKiB[name] ?? [])))}`,
  );
  out(
    `  kube-apiserver ${mib(api)}, etcd ${mib(etcd)}, ${cp.join(', ')} per region; all ${regions.length} regions ${mib(total)}`,
  );

  out('disk:');
  const bin = diskKiB(join(cacheDir(), 'bin'));
  out(`  built binaries (${join(cacheDir(), 'bin')}): ${bin === undefined ? '-' : mib(bin)}`);
  const goEnv = spawnSync('go', ['env', 'GOCACHE', 'GOMODCACHE'], { encoding: 'utf8' });
  const [gocache, gomodcache] = goEnv.stdout.trim().split('\n');
  for (const [label, path] of [
    ['Go build cache (GOCACHE, shared with other Go work)', gocache],
    ['Go module cache (GOMODCACHE, shared)', gomodcache],
  ] as const) {
    const k = path ? diskKiB(path) : undefined;
    out(`  ${label}: ${k === undefined ? '-' : mib(k)}`);
  }
}
