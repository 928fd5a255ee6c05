/**
 * Generator benchmark: 50 regions x 8 shards each (400 shards, 50 overlays, in 5 waves).
 * Prints the median wall time of several runs, in-process (the whole pipeline: read and
 * validate the config, load and compile templates, render, check, diff, write) and as a
 * CLI process (node start-up included), against the 1 s budget of the issue.
 *
 *   npx tsx bench/generate.ts [--runs 7]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateTree } from '../src/adapters/fs/generate-tree';
import { bundleLikeDist, median } from './support';

const REGIONS = 50;
const SHARDS_PER_REGION = 8;
const WAVES = 5;
const BUDGET_MS = 1000;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

function benchConfig(): string {
  const lines = [
    'app:',
    '  name: alfred',
    '  namespace: alfred',
    '  image: { repository: ghcr.io/alfred/api, tag: "1.42.0" }',
    'gitops:',
    '  engine: argocd',
    '  repoURL: https://github.com/alfred/deploy.git',
    '  revision: main',
    '  path: overlays',
    'database:',
    '  shardKey: org',
    `  shards: ${REGIONS * SHARDS_PER_REGION}`,
    '  mode: in-cluster',
    'cache:',
    '  mode: redis-cluster',
    'regions:',
  ];
  for (let r = 0; r < REGIONS; r++) {
    const shards = Array.from(
      { length: SHARDS_PER_REGION },
      (_, s) => `db-${r * SHARDS_PER_REGION + s + 1}`,
    );
    lines.push(
      `  - name: region-${String(r + 1).padStart(2, '0')}`,
      `    cluster: { server: https://region-${r + 1}.k8s.example.com }`,
      '    replicas: { min: 2, max: 10 }',
      `    wave: ${Math.floor((r * WAVES) / REGIONS) + 1}`,
      `    host: region-${r + 1}.alfred.example.com`,
      `    shards: [${shards.join(', ')}]`,
      ...(r % 2 === 1 ? ['    cache: region-local'] : []),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** CPU time (user + system) of this process for each timed run: not inflated by load. */
const cpu: { fresh: number[]; rerun: number[] } = { fresh: [], rerun: [] };

function time(fn: () => void, cpuInto?: number[]): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  cpuInto?.push((c.user + c.system) / 1000);
  return wall;
}

// Written inside the repository (.tmp/ is git-ignored), like a real overlays/ folder: on
// this machine /tmp sits on a much slower path for file creation.
const root = join(import.meta.dirname, '..');
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'bench-generate-'));
const configPath = join(dir, 'mr-drift.yaml');
writeFileSync(configPath, benchConfig());

try {
  let files = 0;
  const fresh: number[] = [];
  const rerun: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = join(dir, `out-${i}`);
    fresh.push(
      time(() => {
        files = generateTree({ configPath, outDir: out }).plan.length;
      }, cpu.fresh),
    );
    rerun.push(time(() => generateTree({ configPath, outDir: out }), cpu.rerun));
  }

  // The CLI as shipped: bundled from the current source the way scripts/build.mjs does
  // (not dist/, which may be stale or being rebuilt). Templates are found in the repo.
  // Split like dist/: the drift check's modules go to a chunk `generate` never loads.
  const bundle = await bundleLikeDist('src/cli/main.ts', dir);
  const [cmd, args] = [process.execPath, [bundle]];
  const cli: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    const out = join(dir, `cli-${i}`);
    cli.push(
      time(() =>
        execFileSync(cmd, [...args, 'generate', '--config', configPath, '--out', out], {
          stdio: 'ignore',
        }),
      ),
    );
  }

  const fmt = (ms: number): string =>
    `${ms.toFixed(0).padStart(5)} ms  (${(ms / BUDGET_MS).toFixed(2)} of the 1 s budget)`;
  console.log(
    `generate: ${REGIONS} regions x ${SHARDS_PER_REGION} shards = ${files} files; median of ${RUNS} runs`,
  );
  console.log(
    `  in-process, fresh tree          ${fmt(median(fresh))}; CPU ${median(cpu.fresh).toFixed(0)} ms`,
  );
  console.log(
    `  in-process, second run (no-op)  ${fmt(median(rerun))}; CPU ${median(cpu.rerun).toFixed(0)} ms`,
  );
  console.log(`  CLI process (bundled, node start-up included), fresh ${fmt(median(cli))}`);
  console.log(
    `  load average while running: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')} (${cpus().length} cores)`,
  );
  if (median(fresh) >= BUDGET_MS) {
    console.error('over budget: the in-process run must stay under 1 s');
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
