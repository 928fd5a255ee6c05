/**
 * Scale benchmark: many regions x 2,000 objects against the floor of reading them.
 *
 * Regions are contexts of a kubeconfig this script writes, spread over the harness's three
 * API servers (region i on server i mod 3, so 30 regions are 10 per server), each with a
 * namespace of its own as the context's namespace. The desired state is one YAML file of
 * namespaced objects without `metadata.namespace` (the shapes of bench/check.ts), so each
 * region checks the same objects in its own namespace. Every region carries the same 12
 * hand changes (11 objects), which every mr-drift run must find, region by region.
 *
 * For each region count of the series (default 3, 10, 30), round after round:
 * - the floor: one `kubectl get <the same kinds> -o json` per region (its context, so its
 *   namespace), all regions at once and one after another; the faster of the two medians
 *   is the floor;
 * - `mr-drift check --mode read-only` and `--mode server-side`, one process for all regions:
 *   wall time, peak RSS of the mr-drift process (process.resourceUsage().maxRSS, read by a
 *   preloaded module, so kustomize or kubectl children are not counted), its CPU time, and
 *   the size of the JSON report;
 * then medians, ratios to the floor, and how the time grows with the number of regions (a
 * least-squares line and the cost per region between the points of the series).
 *
 * Memory against region size (--big, default 10x the objects): a region much larger than
 * the others, checked alone and among the others (overlays rendered by kustomize, since a
 * plain file is the same for every region), beside 30 regions of the normal size. kustomize's
 * time grows roughly with the square of an overlay's objects (10,000 take minutes), so these checks
 * get --render-timeout 3600 (--big-render-timeout), run --big-runs times (default --runs),
 * and the time of one kustomize build of the normal size is printed beside them.
 *
 * The objects are applied once (server-side apply, field manager argocd-controller) into
 * namespaces labelled mr-drift-bench=scale, and reused by later runs given --keep; without
 * it they are deleted at the end. --prepare only loads them (and keeps them); --clean
 * deletes them and exits.
 *
 *   npm run cluster -- up
 *   npx tsx bench/scale.ts [--regions 30] [--objects 2000] [--series 3,10,30] [--runs 3]
 *                          [--big 20000] [--big-runs 1] [--big-render-timeout 3600]
 *                          [--modes read-only,server-side] [--keep] [--prepare] [--clean]
 *   npx tsx bench/scale.ts --series none --big 10000 ...   # only the large-region part
 *   npx tsx bench/scale.ts --quick        # smoke test: 3 regions x 200 objects, one run
 *
 * kubectl: $MR_DRIFT_KUBECTL if set, else the kubectl 1.36 the harness builds from the pin.
 * mr-drift runs as the bundled CLI (esbuild, split like dist/cli.js), not through tsx.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { buildKubectl, defaultKubeconfig, kubectl } from '../test/cluster/kubectl';
import { DEFAULT_REGIONS } from '../test/cluster/paths';
import type { DriftReport } from '../src/core/report/model';
import { settle } from './clusters';
import { drift, driftedObjects, manifests } from './objects';
import { bundleLikeDist, median, numberArg, stringArg } from './support';
import { findKustomize } from '../src/adapters/kustomize';

const QUICK = process.argv.includes('--quick');
const REGIONS = numberArg('--regions', QUICK ? 3 : 30);
const OBJECTS = numberArg('--objects', QUICK ? 200 : 2000);
const RUNS = numberArg('--runs', QUICK ? 1 : 3);
const BIG = numberArg('--big', QUICK ? 600 : OBJECTS * 10);
/** Runs of each case of the large-region part (its kustomize builds take minutes). */
const BIG_RUNS = numberArg('--big-runs', RUNS);
/** `--render-timeout` of the checks in the large-region part: kustomize needs minutes there. */
const BIG_RENDER_TIMEOUT = numberArg('--big-render-timeout', 3600);
const SERIES_ARG = stringArg('--series', QUICK ? '3' : '3,10,30');
/** The region counts of the series; `--series none` runs only the large-region part. */
const SERIES =
  SERIES_ARG === 'none'
    ? []
    : [
        ...new Set([
          ...SERIES_ARG.split(',')
            .map(Number)
            .filter((n) => n > 0 && n <= REGIONS),
          REGIONS,
        ]),
      ].sort((a, b) => a - b);
const MODES = stringArg('--modes', 'read-only,server-side').split(',');
const KEEP = process.argv.includes('--keep');
const CLEAN = process.argv.includes('--clean');
/** Load the objects (if not loaded yet), keep them and stop. */
const PREPARE = process.argv.includes('--prepare');
/** Bump when the objects' shapes change, so old namespaces are not reused. */
const SHAPE = '1';
const FIELD_MANAGER = 'argocd-controller';
const APP = 'scale-app';
/** The kinds of bench/objects.ts, as `kubectl get` takes them. */
const KINDS =
  'deployments.apps,services,configmaps,secrets,serviceaccounts,poddisruptionbudgets.policy,networkpolicies.networking.k8s.io';
const LABEL = 'mr-drift-bench';

/** Objects the regions' controller-manager creates in every namespace. */
function controllerMade(o: { kind: string; metadata: { name: string } }): boolean {
  return (
    (o.kind === 'ConfigMap' && o.metadata.name === 'kube-root-ca.crt') ||
    (o.kind === 'ServiceAccount' && o.metadata.name === 'default')
  );
}

const servers = [...DEFAULT_REGIONS];
const pad = (i: number) => String(i).padStart(2, '0');

/** A benchmark region: a context of our kubeconfig, on one server, in one namespace. */
interface Region {
  name: string;
  server: string;
  objects: number;
  namespace: string;
}

/** One mr-drift run. */
interface CheckRun {
  ms: number;
  rssKiB: number;
  cpuMs: number;
  reportBytes: number;
}

/** The runs at one number of regions. */
interface Point {
  n: number;
  parallel: number[];
  sequential: number[];
  checks: Record<string, CheckRun[]>;
  load: string[];
}

function regionNames(): Array<Omit<Region, 'namespace'>> {
  const out: Array<Omit<Region, 'namespace'>> = [];
  for (let i = 0; i < REGIONS; i++)
    out.push({
      name: `scale-r${pad(i + 1)}`,
      server: servers[i % servers.length],
      objects: OBJECTS,
    });
  if (BIG > 0) out.push({ name: 'scale-big', server: servers[0], objects: BIG });
  return out;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmtMiB = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const kubectlBin = process.env.MR_DRIFT_KUBECTL ?? (await buildKubectl((l) => console.error(l)));
  if (CLEAN) {
    await deleteNamespaces(kubectlBin);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mr-drift-bench-scale-'));
  const kubectlVersion = (
    JSON.parse(
      execFileSync(kubectlBin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }),
    ) as {
      clientVersion: { gitVersion: string };
    }
  ).clientVersion.gitVersion;
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`machine: ${cpus().length} cores, load ${load()}; node ${process.version}`);
  console.log(`kubectl: ${kubectlBin} (${kubectlVersion})`);

  const desired = join(dir, 'desired.yaml');
  writeFileSync(desired, toYaml(manifests(undefined, APP, OBJECTS)));
  const desiredBig = join(dir, 'desired-big.yaml');
  if (BIG > 0) writeFileSync(desiredBig, toYaml(manifests(undefined, APP, BIG)));

  /** The namespaces this run used (deleted at the end unless --keep). */
  const used: string[] = [];
  try {
    const regions = await prepareRegions(kubectlBin, desired, desiredBig);
    used.push(...regions.map((r) => `namespace/${r.namespace}`));
    if (PREPARE) return;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, benchKubeconfig(regions), { mode: 0o600 });
    const cli = await bundleLikeDist('src/cli/main.ts', join(dir, 'cli'));
    const stats = join(dir, 'stats.mjs');
    writeFileSync(
      stats,
      [
        "import { writeFileSync } from 'node:fs';",
        "process.on('exit', () => {",
        '  const u = process.resourceUsage();',
        '  writeFileSync(process.env.MR_DRIFT_BENCH_STATS, JSON.stringify({ maxRssKiB: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));',
        '});',
      ].join('\n'),
    );
    const normal = regions.filter((r) => r.name !== 'scale-big');
    const expected = JSON.stringify(driftedObjects());
    console.log(
      `regions: ${normal.length} x ${OBJECTS} objects (${normal.length / servers.length} per API server, one namespace each)${BIG > 0 ? `, and one of ${BIG}` : ''}; each with ${driftedObjects().length} drifted objects\n`,
    );

    // --- One command, timed ----------------------------------------------------------
    const run = (
      cmd: string,
      args: string[],
      env: NodeJS.ProcessEnv = {},
    ): Promise<{ ms: number; code: number; stdout: string; stderr: string }> => {
      const start = performance.now();
      return new Promise((done, fail) =>
        execFile(
          cmd,
          args,
          { maxBuffer: 1024 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', ...env } },
          (err, stdout, stderr) => {
            const ms = performance.now() - start;
            const code = err ? (err as { code?: unknown }).code : 0;
            if (typeof code !== 'number')
              return fail(new Error(`${cmd} could not run: ${err?.message}\n${stderr}`));
            done({ ms, code, stdout, stderr });
          },
        ),
      );
    };
    const kubectlGet = async (r: Region, verify: boolean): Promise<number> => {
      const m = await run(kubectlBin, [
        '--kubeconfig',
        kubeconfig,
        '--context',
        r.name,
        'get',
        KINDS,
        '-o',
        'json',
      ]);
      if (m.code !== 0) throw new Error(`kubectl get in ${r.name} exited ${m.code}`);
      if (verify) {
        // Not counted: what the controller-manager puts in every namespace.
        const n = (
          JSON.parse(m.stdout) as { items: { kind: string; metadata: { name: string } }[] }
        ).items.filter((o) => !controllerMade(o)).length;
        if (n !== r.objects)
          throw new Error(`kubectl get in ${r.name} read ${n} objects, not ${r.objects}`);
      }
      return m.ms;
    };
    const mrDrift = async (
      rs: Region[],
      mode: string,
      path: string,
      checkArgs: string[] = [],
    ): Promise<CheckRun> => {
      const statsFile = join(dir, 'stats.json');
      rmSync(statsFile, { force: true });
      const m = await run(
        process.execPath,
        [
          '--import',
          `file://${stats}`,
          cli,
          'check',
          '--path',
          path,
          '--regions',
          rs.map((r) => r.name).join(','),
          '--kubeconfig',
          kubeconfig,
          '--mode',
          mode,
          '--output',
          'json',
          '--no-progress',
          ...checkArgs,
        ],
        { MR_DRIFT_BENCH_STATS: statsFile },
      );
      if (m.code !== 1) {
        let why = m.stderr.slice(0, 2000);
        try {
          why += (JSON.parse(m.stdout) as DriftReport).regions
            .filter((r) => r.status === 'error')
            .map((r) => `\n${r.name}: ${r.error}`)
            .join('');
        } catch {
          why += m.stdout.slice(0, 2000);
        }
        throw new Error(`mr-drift (${mode}) exited ${m.code}; expected 1 (drift)\n${why}`);
      }
      const report = JSON.parse(m.stdout) as DriftReport;
      for (const r of rs) {
        const got = report.regions.find((x) => x.name === r.name);
        if (got?.status !== 'drift')
          throw new Error(`mr-drift (${mode}) in ${r.name}: ${got?.status} ${got?.error ?? ''}`);
        const found = JSON.stringify(got.findings.map((f) => `${f.kind}/${f.name}`).sort());
        if (found !== expected || got.objects !== r.objects)
          throw new Error(
            `mr-drift (${mode}) in ${r.name} compared ${got.objects} objects and found ${found}; expected ${r.objects} and ${expected}`,
          );
      }
      const s = JSON.parse(readFileSync(statsFile, 'utf8')) as { maxRssKiB: number; cpuMs: number };
      return {
        ms: m.ms,
        rssKiB: s.maxRssKiB,
        cpuMs: s.cpuMs,
        reportBytes: Buffer.byteLength(m.stdout),
      };
    };

    // --- The series ------------------------------------------------------------------
    const points: Point[] = [];
    for (const n of SERIES) {
      const rs = normal.slice(0, n);
      const p: Point = { n, parallel: [], sequential: [], checks: {}, load: [] };
      for (const mode of MODES) p.checks[mode] = [];
      // Round 0 is a warm-up (kubectl's discovery cache, the page cache, the servers'
      // caches) and checks that every reader sees every object; it is not counted.
      for (let round = 0; round <= RUNS; round++) {
        const record = round > 0;
        p.load.push(load());
        await settle();
        let start = performance.now();
        await Promise.all(rs.map((r) => kubectlGet(r, !record)));
        if (record) p.parallel.push(performance.now() - start);
        await settle();
        start = performance.now();
        for (const r of rs) await kubectlGet(r, false);
        if (record) p.sequential.push(performance.now() - start);
        for (const mode of MODES) {
          await settle();
          const c = await mrDrift(rs, mode, desired);
          if (record) p.checks[mode].push(c);
        }
      }
      points.push(p);
      printPoint(p);
    }

    // --- Time against the number of regions -----------------------------------------
    if (points.length > 1) {
      console.log('\nhow time grows with regions (medians):');
      const series: Record<string, number[]> = {
        'floor (kubectl get)': points.map((p) => floorOf(p)),
      };
      for (const mode of MODES)
        series[`mr-drift ${mode}`] = points.map((p) => median(p.checks[mode].map((c) => c.ms)));
      const ns = points.map((p) => p.n);
      for (const [name, ts] of Object.entries(series)) {
        const { a, b, r2 } = linearFit(ns, ts);
        const steps = ns
          .slice(1)
          .map((n, i) => `${ns[i]}->${n}: ${((ts[i + 1] - ts[i]) / (n - ns[i])).toFixed(0)} ms`)
          .join(', ');
        console.log(
          `  ${name.padEnd(22)} ${ts.map((t, i) => `${ns[i]}: ${fmtS(t)}`).join('  ')}   fit ${fmtS(a)} + ${b.toFixed(0)} ms/region (R² ${r2.toFixed(3)}); per added region ${steps}; ${ns.at(-1)}/${ns[0]} regions: ${(ts.at(-1)! / ts[0]).toFixed(2)}x the time for ${(ns.at(-1)! / ns[0]).toFixed(1)}x the regions`,
        );
      }
    }

    // --- Memory against the largest region ------------------------------------------
    if (BIG > 0) {
      const big = regions.find((r) => r.name === 'scale-big')!;
      const overlays = join(dir, 'overlays');
      writeOverlays(overlays, [...normal, big], desired, desiredBig);
      const cases: Array<[string, Region[]]> = [
        [`1 region of ${OBJECTS}`, normal.slice(0, 1)],
        [`1 region of ${BIG}`, [big]],
        [`${normal.length} regions of ${OBJECTS}`, normal],
        [`${normal.length} regions, one of them ${BIG}`, [big, ...normal.slice(1)]],
      ];
      // What kustomize alone takes for an overlay of the normal size (the large one's build
      // is most of the wall time of the checks that include it).
      const tool = findKustomize();
      const sample = normal[0];
      const built = await run(tool.command, [...tool.args, join(overlays, 'regions', sample.name)]);
      if (built.code !== 0) throw new Error(`kustomize of ${sample.name}: ${built.stderr}`);
      console.log(
        `\n${tool.command} ${tool.args.join(' ')} of one overlay of ${sample.objects} objects: ${fmtS(built.ms)}`,
      );
      console.log(
        `\nmemory against the largest region (overlays rendered by kustomize, --render-timeout ${BIG_RENDER_TIMEOUT}; medians of ${BIG_RUNS}; load ${load()}):`,
      );
      for (const mode of MODES) {
        for (const [label, rs] of cases) {
          const runs: CheckRun[] = [];
          for (let i = 0; i < BIG_RUNS; i++) {
            await settle();
            runs.push(
              await mrDrift(rs, mode, overlays, ['--render-timeout', String(BIG_RENDER_TIMEOUT)]),
            );
          }
          const sumObjects = rs.reduce((s, r) => s + r.objects, 0);
          console.log(
            `  ${mode.padEnd(11)} ${label.padEnd(34)} ${String(sumObjects).padStart(6)} objects in all   peak RSS ${fmtMiB(median(runs.map((r) => r.rssKiB)))}   wall ${fmtS(median(runs.map((r) => r.ms)))}   CPU ${fmtS(median(runs.map((r) => r.cpuMs)))}`,
          );
        }
      }
    }
    console.log(`\nload at the end: ${load()}`);
  } finally {
    if (KEEP || PREPARE)
      console.log(`kept: the namespaces (label ${LABEL}=scale) for the next run, and ${dir}`);
    else {
      await deleteNamespaces(kubectlBin, used);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  function floorOf(p: Point): number {
    return Math.min(median(p.parallel), median(p.sequential));
  }

  function printPoint(p: Point): void {
    const par = median(p.parallel);
    const seq = median(p.sequential);
    const floor = floorOf(p);
    console.log(
      `${p.n} regions x ${OBJECTS} objects, medians of ${RUNS} (load at each round: ${p.load.join(' | ')}):`,
    );
    console.log(
      `  floor: kubectl get, ${p.n} at once ${fmtS(par)}, one after another ${fmtS(seq)} -> ${fmtS(floor)}`,
    );
    for (const mode of MODES) {
      const cs = p.checks[mode];
      const t = median(cs.map((c) => c.ms));
      console.log(
        `  mr-drift ${mode.padEnd(11)} ${fmtS(t)}  = ${(t / floor).toFixed(2)}x the floor   peak RSS ${fmtMiB(median(cs.map((c) => c.rssKiB)))}   CPU ${fmtS(median(cs.map((c) => c.cpuMs)))}   JSON report ${(median(cs.map((c) => c.reportBytes)) / 1024).toFixed(0)} KiB`,
      );
    }
    console.log(
      `  samples (ms): ${JSON.stringify({
        parallel: p.parallel.map(Math.round),
        sequential: p.sequential.map(Math.round),
        ...Object.fromEntries(MODES.map((m) => [m, p.checks[m].map((c) => Math.round(c.ms))])),
      })}`,
    );
  }
}

function toYaml(objects: object[]): string {
  return objects.map((o) => stringify(o, { version: '1.1' })).join('---\n');
}

/**
 * The namespaces of the benchmark: reused when a ready one of the same size and shape
 * exists, otherwise created (a fresh name: a deleted namespace may stay Terminating on
 * clusters without a namespace controller), loaded by server-side apply and drifted.
 */
async function prepareRegions(
  kubectlBin: string,
  desired: string,
  desiredBig: string,
): Promise<Region[]> {
  const wanted = regionNames();
  const existing = new Map<string, string>();
  for (const server of servers) {
    const list = JSON.parse(
      await kubectl(server, ['get', 'namespaces', '-l', `${LABEL}=scale`, '-o', 'json'], {
        binary: kubectlBin,
      }),
    ) as {
      items: Array<{
        metadata: {
          name: string;
          labels: Record<string, string>;
          annotations?: Record<string, string>;
        };
        status?: { phase?: string };
      }>;
    };
    for (const ns of list.items) {
      const l = ns.metadata.labels;
      if (ns.status?.phase !== 'Active' || ns.metadata.annotations?.[`${LABEL}/ready`] !== 'true')
        continue;
      if (l[`${LABEL}/shape`] !== SHAPE) continue;
      existing.set(`${server}|${l[`${LABEL}/region`]}|${l[`${LABEL}/objects`]}`, ns.metadata.name);
    }
  }
  const stamp = Date.now().toString(36);
  const regions: Region[] = [];
  const toLoad: Region[] = [];
  for (const w of wanted) {
    const found = existing.get(`${w.server}|${w.name}|${w.objects}`);
    const r = { ...w, namespace: found ?? `${w.name}-${stamp}` };
    regions.push(r);
    if (!found) toLoad.push(r);
  }
  if (toLoad.length === 0) {
    console.log(`reusing ${regions.length} loaded namespaces`);
    return regions;
  }
  const total = toLoad.reduce((s, r) => s + r.objects, 0);
  console.log(`loading ${total} objects into ${toLoad.length} namespaces (server-side apply) ...`);
  const t0 = performance.now();
  const opts = { binary: kubectlBin, timeoutMs: 3_600_000 };
  const namespaces = toLoad.map((r) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: r.namespace,
      labels: {
        [LABEL]: 'scale',
        [`${LABEL}/region`]: r.name,
        [`${LABEL}/objects`]: String(r.objects),
        [`${LABEL}/shape`]: SHAPE,
      },
    },
  }));
  for (const server of servers) {
    const own = namespaces.filter((_, i) => toLoad[i].server === server);
    if (own.length > 0)
      await kubectl(server, ['apply', '--server-side', '-f', '-'], {
        ...opts,
        input: toYaml(own),
      });
  }
  // kubectl apply sends one object at a time: a large region is split into files of at
  // most 2,000 objects, applied in parallel with the other regions' files.
  const chunks: Array<{ region: Region; file: string }> = [];
  for (const r of toLoad) {
    const file = r.name === 'scale-big' ? desiredBig : desired;
    const objects = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as object);
    for (let i = 0; i < objects.length; i += 2000) {
      const part = `${file}.${i / 2000}.yaml`;
      writeFileSync(part, toYaml(objects.slice(i, i + 2000)));
      chunks.push({ region: r, file: part });
    }
  }
  await pool(chunks, 2 * servers.length, async ({ region: r, file }) => {
    await kubectl(
      r.server,
      ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-n', r.namespace, '-f', file],
      opts,
    );
    process.stdout.write('.');
  });
  await pool(toLoad, 2 * servers.length, async (r) => {
    for (const change of drift(r.namespace)) await kubectl(r.server, change, opts);
    await kubectl(r.server, ['annotate', 'namespace', r.namespace, `${LABEL}/ready=true`], opts);
  });
  console.log(`\nloaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return regions;
}

/** Deletes the benchmark's namespaces: these (`namespace/<name>`), or all of them. */
async function deleteNamespaces(kubectlBin: string, only?: string[]): Promise<void> {
  for (const server of servers) {
    const names = (
      await kubectl(server, ['get', 'namespaces', '-l', `${LABEL}=scale`, '-o', 'name'], {
        binary: kubectlBin,
      })
    )
      .split('\n')
      .filter((n) => n && (!only || only.includes(n)));
    if (names.length === 0) continue;
    await kubectl(server, ['delete', '--wait=false', ...names], {
      binary: kubectlBin,
      timeoutMs: 600_000,
    });
    console.log(`${server}: deleted ${names.length} namespaces`);
  }
}

/** The harness's admin credentials per server, and one context per region. */
function benchKubeconfig(regions: Region[]): string {
  const harness = parse(readFileSync(defaultKubeconfig(), 'utf8')) as {
    clusters: Array<{ name: string }>;
    users: Array<{ name: string }>;
    contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
  };
  const admin = (server: string) => harness.contexts.find((c) => c.name === server)!.context;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': regions[0].name,
    clusters: harness.clusters.filter((c) => servers.includes(c.name)),
    users: harness.users.filter((u) => servers.some((s) => admin(s).user === u.name)),
    contexts: regions.map((r) => ({
      name: r.name,
      context: { ...admin(r.server), namespace: r.namespace },
    })),
  });
}

/** `<dir>/regions/<region>/kustomization.yaml`, each using the normal or the large base. */
function writeOverlays(dir: string, regions: Region[], desired: string, desiredBig: string): void {
  for (const [base, file] of [
    ['normal', desired],
    ['big', desiredBig],
  ]) {
    mkdirSync(join(dir, 'bases', base), { recursive: true });
    writeFileSync(join(dir, 'bases', base, 'objects.yaml'), readFileSync(file));
    writeFileSync(join(dir, 'bases', base, 'kustomization.yaml'), 'resources:\n  - objects.yaml\n');
  }
  for (const r of regions) {
    mkdirSync(join(dir, 'regions', r.name), { recursive: true });
    writeFileSync(
      join(dir, 'regions', r.name, 'kustomization.yaml'),
      `resources:\n  - ../../bases/${r.name === 'scale-big' ? 'big' : 'normal'}\n`,
    );
  }
}

/** Least-squares line t = a + b n, and R². */
function linearFit(ns: number[], ts: number[]): { a: number; b: number; r2: number } {
  const k = ns.length;
  const mn = ns.reduce((s, x) => s + x, 0) / k;
  const mt = ts.reduce((s, x) => s + x, 0) / k;
  let sxy = 0;
  let sxx = 0;
  let stt = 0;
  for (let i = 0; i < k; i++) {
    sxy += (ns[i] - mn) * (ts[i] - mt);
    sxx += (ns[i] - mn) ** 2;
    stt += (ts[i] - mt) ** 2;
  }
  const b = sxy / sxx;
  const a = mt - b * mn;
  const r2 = stt === 0 ? 1 : (sxy * sxy) / (sxx * stt);
  return { a, b, r2 };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
