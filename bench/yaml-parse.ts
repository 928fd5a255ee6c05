/**
 * YAML parser benchmark, the measurement behind docs/decisions/0002-two-yaml-parsers.md:
 * the generated tree of 50 regions x 8 shards (the bench config of bench/generate.ts),
 * every file parsed by
 * - `yaml` (eemeli), parseAllDocuments + toJS: the parser that keeps line and column
 *   (the config, the ignore file, the replicas rule's pointers into templates);
 * - js-yaml's default loadAll (YAML 1.2 core schema);
 * - loadYamlDocuments (js-yaml with the YAML 1.1 scalars kubectl reads): the bulk path
 *   for rendered manifests;
 * and, for scale, the generator's whole plan (render, YAML checks, headers) of that tree.
 * Runs interleave after a warm-up; medians and the ratio to loadYamlDocuments.
 *
 *   npx tsx bench/yaml-parse.ts [--runs 7]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import jsyaml from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { loadYamlDocuments } from '../src/adapters/desired/load-yaml';
import { loadConfig } from '../src/adapters/fs/read-config';
import { loadTemplates } from '../src/adapters/templates';
import type { Problem } from '../src/core/errors';
import { planTree } from '../src/core/plan/plan-tree';
import { benchConfig } from './bench-config';
import { median, numberArg } from './support';

const RUNS = numberArg('--runs', 7);
const root = join(import.meta.dirname, '..');
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'bench-yaml-'));
try {
  const configPath = join(dir, 'mr-drift.yaml');
  writeFileSync(configPath, benchConfig());
  const config = loadConfig(configPath);
  const templates = loadTemplates(undefined);
  const plan = () => planTree(config, templates, { configName: basename(configPath) });
  const files = plan().filter((f) => /\.ya?ml$/.test(f.path));
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
  // Every parser must read the same documents, or the comparison means nothing.
  const count = (docs: unknown[]) => docs.filter((d) => d !== null && d !== undefined).length;
  const parsers: Record<string, () => number> = {
    'yaml parseAllDocuments + toJS': () =>
      files.reduce(
        (n, f) => n + count(parseAllDocuments(f.content).map((d) => d.toJS() as unknown)),
        0,
      ),
    'js-yaml loadAll (1.2 core)': () =>
      files.reduce((n, f) => n + count(jsyaml.loadAll(f.content)), 0),
    'loadYamlDocuments (js-yaml, 1.1 scalars)': () => {
      const problems: Problem[] = [];
      const n = files.reduce(
        (sum, f) => sum + count(loadYamlDocuments(f.content, f.path, problems).map((d) => d.value)),
        0,
      );
      if (problems.length > 0) throw new Error(`parse problems: ${problems[0].message}`);
      return n;
    },
    'the whole plan (render + checks)': () => plan().length,
  };
  const times = new Map<string, number[]>(Object.keys(parsers).map((k) => [k, []]));
  const docs = new Map<string, number>();
  for (let run = 0; run <= RUNS; run++) {
    for (const [name, parse] of Object.entries(parsers)) {
      const t0 = performance.now();
      const n = parse();
      const ms = performance.now() - t0;
      if (run > 0) times.get(name)!.push(ms); // run 0 warms up
      if (!name.startsWith('the whole')) docs.set(name, n);
    }
  }
  if (new Set(docs.values()).size !== 1)
    throw new Error(
      `the parsers read different numbers of documents: ${JSON.stringify([...docs])}`,
    );

  const base = median(times.get('loadYamlDocuments (js-yaml, 1.1 scalars)')!);
  console.log(
    `yaml-parse: ${files.length} files, ${[...docs.values()][0]} documents, ${(bytes / 1024).toFixed(0)} KiB; median of ${RUNS} runs after a warm-up`,
  );
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end`,
  );
  for (const [name, ms] of times) {
    const m = median(ms);
    console.log(
      `  ${name.padEnd(42)} ${m.toFixed(0).padStart(5)} ms  ${(m / base).toFixed(1)}x  (${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)} ms)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
