/**
 * `npm run cluster -- <command>`: start, stop and inspect the local test clusters.
 *
 *   up [--regions a,b,c]     start the regions not running yet (default: the three test regions)
 *   down [--regions a,b]     stop regions by their recorded pids (default: all)
 *   status [--json]          what runs, health, ports, memory
 *   env                      shell lines pointing kubectl at the clusters
 *   build [--kubectl] [--engines]  build the binaries now (kubectl, the engines' on request)
 *   measure [--runs N]       start/stop timings, memory and disk, as medians
 *   deploy --engine flux     deploy the config through a real GitOps engine (engine/cli.ts)
 *   engine status            the engine's objects and processes (engine/cli.ts)
 *
 * `--dir DIR` (or MR_DRIFT_CLUSTER_DIR) keeps a separate set of clusters.
 */
import { parseArgs } from 'node:util';
import { dirname } from 'node:path';
import { CLI_WORDING } from '../../src/cli/cli-wording';
import { MrDriftError, UsageError } from '../../src/core/errors';
import { ensureBinary, REGION_BINARIES, type BinaryName } from './binaries';
import { down, gitStatus, status, up } from './cluster';
import { contextName, USERS } from './kubeconfig';
import { deployCommand, engineCommand } from './engine/cli';
import { DeployTimeoutError, ENGINE_NAMES, engineByName } from './engine/index';
import { measure } from './measure';
import { clusterDir, DEFAULT_REGIONS, kubeconfigPath } from './paths';

const USAGE = `usage: npm run cluster -- <up|down|status|env|build> [options]
  up      [--regions us-east,eu-west,ap-southeast]   start regions (safe to repeat)
  down    [--regions ...]                            stop what up started
  status  [--json]                                   show what runs
  env                                                print KUBECONFIG for your shell
  build   [--kubectl] [--engines]                    build the region binaries (kubectl, engines)
  measure [--runs 3] [--regions ...]                 median start time, memory, disk use
  deploy  --engine flux [--config F] [--layout L]    deploy through a real engine (deploy --help)
  engine  <status|stop> [--json]                     the engine's objects and processes
options: --dir DIR   cluster folder (default .cluster/, or MR_DRIFT_CLUSTER_DIR)`;

const log = (line: string): void => {
  process.stderr.write(`[cluster] ${line}\n`);
};

async function main(argv: string[]): Promise<void> {
  // deploy and engine have options of their own.
  const first = argv.find((a) => !a.startsWith('-'));
  if (first === 'deploy') return deployCommand(argv, log);
  if (first === 'engine') return engineCommand(argv, log);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      regions: { type: 'string' },
      dir: { type: 'string' },
      json: { type: 'boolean', default: false },
      kubectl: { type: 'boolean', default: false },
      engines: { type: 'boolean', default: false },
      runs: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    if (!values.help) process.exitCode = 2;
    return;
  }
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`, USAGE);
  if (values.dir) process.env.MR_DRIFT_CLUSTER_DIR = values.dir;
  const dir = clusterDir();
  const regions = values.regions
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);

  switch (command) {
    case 'up': {
      const started = Date.now();
      const r = await up(regions ?? [...DEFAULT_REGIONS], 'cli', { dir, log });
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      log(
        `started ${r.started.join(', ') || 'none'}; already running ${r.reused.join(', ') || 'none'} (${secs} s)`,
      );
      process.stdout.write(`kubeconfig: ${r.kubeconfig}\n`);
      process.stdout.write(`git server: ${r.gitUrl} (bare repositories in ${r.gitRoot})\n`);
      process.stdout.write(
        `try: KUBECONFIG=${r.kubeconfig} kubectl --context ${r.regions[0]} get namespaces\n`,
      );
      return;
    }
    case 'down': {
      const stopped = await down(regions, { dir, log });
      process.stdout.write(
        stopped.length ? `stopped ${stopped.join(', ')}\n` : 'nothing was running\n',
      );
      return;
    }
    case 'status': {
      const rows = await status({ dir });
      const git = await gitStatus({ dir });
      if (values.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (!rows.length) {
        process.stdout.write(`no regions running (folder ${dir})\n`);
        return;
      }
      const mib = (k?: number): string => (k === undefined ? '-' : `${(k / 1024).toFixed(0)} MiB`);
      let total = 0;
      for (const r of rows) {
        total += (r.etcd.rssKiB ?? 0) + (r.apiserver.rssKiB ?? 0);
        for (const p of r.controlPlane) total += p.rssKiB ?? 0;
        process.stdout.write(
          `${r.name.padEnd(14)} ${r.healthy ? 'ready ' : 'DOWN  '} ${r.server}  ` +
            `apiserver pid ${r.apiserver.pid} ${mib(r.apiserver.rssKiB)}, etcd pid ${r.etcd.pid} :${r.etcd.port} ${mib(r.etcd.rssKiB)}  ` +
            `(by ${r.startedBy}, ${r.startedAt})\n`,
        );
        if (r.controlPlane.length) {
          process.stdout.write(
            `${''.padEnd(21)}${r.controlPlane.map((p) => `${p.name} pid ${p.pid} ${p.alive ? mib(p.rssKiB) : 'DEAD'}`).join(', ')}\n`,
          );
        }
      }
      if (git) {
        total += git.rssKiB ?? 0;
        process.stdout.write(
          `${'git server'.padEnd(14)} ${git.healthy ? 'ready ' : 'DOWN  '} ${git.url}  pid ${git.pid} ${mib(git.rssKiB)}  (by ${git.startedBy}; repositories in ${git.root})\n`,
        );
      }
      process.stdout.write(
        `total resident memory: ${mib(total)}\nkubeconfig: ${kubeconfigPath(dir)}\n`,
      );
      process.stdout.write(
        `contexts: ${rows.flatMap((r) => USERS.map((u) => contextName(r.name, u))).join(', ')}\n`,
      );
      if (rows.some((r) => !r.healthy) || (git && !git.healthy)) process.exitCode = 1;
      return;
    }
    case 'env': {
      process.stdout.write(`export KUBECONFIG=${kubeconfigPath(dir)}\n`);
      return;
    }
    case 'build': {
      const names: BinaryName[] = [...REGION_BINARIES];
      if (values.kubectl) names.push('kubectl');
      for (const name of names) {
        const path = await ensureBinary(name, log);
        process.stdout.write(`${name}: ${path}\n`);
      }
      // The GitOps engines' binaries, one engine after another (a Go build uses both cores).
      if (values.engines) {
        for (const name of ENGINE_NAMES) await (await engineByName(name)).ensureBinaries(log);
      }
      process.stdout.write(`binaries: ${dirname(await ensureBinary('kube-apiserver'))}\n`);
      return;
    }
    case 'measure': {
      const runs = Number(values.runs ?? '3');
      if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
        throw new UsageError(`--runs ${values.runs}: expected a whole number from 1 to 20`);
      }
      await measure(runs, regions ?? [...DEFAULT_REGIONS]);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`, USAGE);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (err instanceof DeployTimeoutError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof MrDriftError) {
    // Options named as this command spells them (--config, not "option config").
    process.stderr.write(`error: ${err.describe(CLI_WORDING)}\n`);
    process.exitCode = err.exitCode;
  } else {
    const e = err as Error;
    process.stderr.write(`error: ${e.message}\n`);
    if (process.env.MR_DRIFT_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  }
});
