/**
 * Where the time of one drift check goes: a timeline of its phases per region and every
 * API request (path, start, duration, items), in one process bundled like dist/cli.js.
 * Complements bench/check.ts, which times whole processes against kubectl diff.
 *
 *   npx tsx bench/check.ts --runs 1 --keep      # leaves 3 x 1,000 objects in the clusters
 *   npx tsx bench/check-phases.ts --path <the desired.yaml it printed> [--mode read-only]
 *
 * Prints: Node's start-up (until the script's first line), loading the check's modules,
 * each region's steps (render, connect, discover, read live, dry-run, compare, done), the
 * requests per region (full LISTs one by one, label-selected searches summed up), the
 * report's serialisation and size, and the process's CPU time and peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLikeDist, median } from './support';

const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};

if (process.argv.includes('--probe')) await probe();
else await launch();

/** Bundles this file (like scripts/build.mjs bundles the CLI) and runs it as the probe. */
async function launch(): Promise<void> {
  const path = arg('--path');
  if (!path) {
    console.error(
      'usage: npx tsx bench/check-phases.ts --path <desired.yaml> [--mode read-only|server-side] [--regions a,b,c] [--kubeconfig file]',
    );
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mr-drift-bench-phases-'));
  try {
    const probe = await bundleLikeDist('bench/check-phases.ts', dir, 'probe', ['esbuild']);
    const { defaultKubeconfig } = await import('../test/cluster/kubectl');
    const { DEFAULT_REGIONS } = await import('../test/cluster/paths');
    const out = execFileSync(
      process.execPath,
      [
        probe,
        '--probe',
        '--path',
        path,
        '--mode',
        arg('--mode', 'read-only')!,
        '--regions',
        arg('--regions', DEFAULT_REGIONS.join(','))!,
        '--kubeconfig',
        arg('--kubeconfig', defaultKubeconfig())!,
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    process.stdout.write(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The check itself, with its phases and requests timed. */
async function probe(): Promise<void> {
  const booted = performance.now();
  const lines: string[] = [];
  const note = (text: string) =>
    lines.push(`${performance.now().toFixed(0).padStart(6)} ms  ${text}`);
  note('script starts (Node start-up before this line)');
  const [{ KubeClient }, { runCheck }, { CLI_WORDING }] = await Promise.all([
    import('../src/adapters/kube/kube-client'),
    import('../src/pipeline/run-check'),
    import('../src/cli/cli-wording'),
  ]);
  note(`check modules loaded (${(performance.now() - booted).toFixed(0)} ms)`);

  interface Sent {
    server: string;
    what: string;
    selector: boolean;
    start: number;
    ms: number;
    items?: number | undefined;
  }
  const sent: Sent[] = [];
  // Wrapped, not replaced: the original runs with the client as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = KubeClient.prototype.request;
  KubeClient.prototype.request = async function (
    this: typeof KubeClient.prototype,
    ...args: Parameters<typeof original>
  ) {
    const start = performance.now();
    const res = await original.apply(this, args);
    const [method, path, init] = args;
    sent.push({
      server: this.server,
      what: `${method} ${path}`,
      selector: init?.query?.labelSelector !== undefined,
      start,
      ms: performance.now() - start,
      items: (res.body as { items?: unknown[] } | undefined)?.items?.length,
    });
    return res;
  };

  const mode = arg('--mode', 'read-only') as 'read-only' | 'server-side';
  const report = await runCheck({
    path: arg('--path')!,
    regions: arg('--regions')!.split(','),
    kubeconfig: arg('--kubeconfig')!,
    mode,
    wording: CLI_WORDING,
    onProgress: (e) => {
      if (e.kind === 'region-done') note(`${e.region}: done, ${e.status}`);
      // Counted steps: their start and their end only.
      else if (
        e.kind === 'region-step' &&
        (e.done === undefined || e.done === 0 || e.done === e.total)
      )
        note(`${e.region}: ${e.step}${e.total !== undefined ? ` ${e.done}/${e.total}` : ''}`);
    },
  });
  note('checked');
  const json = JSON.stringify(report, null, 2);
  note(`report serialised: ${(json.length / 1024).toFixed(1)} KB`);
  console.log(
    `mode ${mode}, ${report.regions.map((r) => `${r.name} ${r.status} (${r.objects ?? 0} objects)`).join(', ')}`,
  );
  console.log(lines.join('\n'));

  const byServer = new Map<string, Sent[]>();
  for (const s of sent) byServer.set(s.server, [...(byServer.get(s.server) ?? []), s]);
  for (const [server, list] of byServer) {
    const selected = list.filter((s) => s.selector);
    const others = list.filter((s) => !s.selector);
    console.log(`\n${server}: ${list.length} requests`);
    for (const s of others.sort((a, b) => a.start - b.start))
      console.log(
        `  ${s.start.toFixed(0).padStart(6)} ms +${s.ms.toFixed(0).padStart(4)} ms  ${s.what}${s.items !== undefined ? `  (${s.items} items)` : ''}`,
      );
    if (selected.length > 0)
      console.log(
        `  ${selected.length} label-selected LISTs (extra objects) from ${Math.min(...selected.map((s) => s.start)).toFixed(0)} to ${Math.max(...selected.map((s) => s.start + s.ms)).toFixed(0)} ms, median ${median(selected.map((s) => s.ms)).toFixed(0)} ms each, ${selected.reduce((n, s) => n + (s.items ?? 0), 0)} items`,
      );
  }
  const cpu = process.cpuUsage();
  console.log(
    `\nprocess: ${performance.now().toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
  process.exit(0);
}
