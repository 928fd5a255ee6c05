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
import { runGenerate } from '../src/pipeline/run-generate';
import { REGIONS, SHARDS_PER_REGION, benchConfig } from './bench-config';
import { bundleLikeDist, median, numberArg } from './support';

const BUDGET_MS = 1000;
const RUNS = numberArg('--runs', 7);

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
        files = runGenerate({ configPath, outDir: out }).plan.length;
      }, cpu.fresh),
    );
    rerun.push(time(() => runGenerate({ configPath, outDir: out }), cpu.rerun));
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
