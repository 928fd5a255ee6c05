import { parseArgs } from 'node:util';
import { UsageError } from '../../../src/core/errors';
import { clusterDir } from '../paths';
import {
  deploy,
  ENGINE_NAMES,
  engineContextFromDeployed,
  readDeployed,
  removeDeployed,
  type EngineName,
  type Layout,
} from './index';
import { engineProcesses, processRow, stopEngineProcesses } from './runtime';

/** `npm run cluster -- deploy ...` and `npm run cluster -- engine ...`. */

export const DEPLOY_USAGE = `usage: npm run cluster -- deploy --engine <${ENGINE_NAMES.join('|')}> [options]
  Generates the tree of --config for the engine, pushes it to the local Git server (branch
  main), starts the engine on the regions and waits until every region runs the commit and
  is healthy, printing when each region and wave started and finished. Writes
  .cluster/deployed.json. Run it again after changing the config: a new commit rolls out.
options:
  --engine <name>            ${ENGINE_NAMES.join(' or ')} (required)
  --config <file>            the config to deploy (default mr-drift.yaml); its regions must run
  --layout <hub|per-cluster> Flux layout (default: the config's gitops.flux.layout)
  --hub <region>             region hosting the engine in the hub layout (default: first of wave 1)
  --timeout <seconds>        how long to wait for every region (default 600)
  --dir <dir>                cluster folder (default .cluster/, or MR_DRIFT_CLUSTER_DIR)
exit codes: 0 every region ready, 1 not ready in time (names the region and object), 2 bad input`;

export const ENGINE_USAGE = `usage: npm run cluster -- engine <status|remove|stop> [--json] [--dir DIR]
  status   each engine object of the last deploy (Kustomization, GitRepository ...):
           ready, revision, message; and the engine's processes with their memory
  remove   delete the deploy's engine objects (the engine prunes what it applied), then stop it
  stop     stop the engine's processes, leaving everything applied (the regions keep running)`;

const LAYOUTS: Layout[] = ['hub', 'per-cluster'];

export async function deployCommand(argv: string[], log: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      engine: { type: 'string' },
      config: { type: 'string', default: 'mr-drift.yaml' },
      layout: { type: 'string' },
      hub: { type: 'string' },
      timeout: { type: 'string', default: '600' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${DEPLOY_USAGE}\n`);
    return;
  }
  if (positionals.length > 1)
    throw new UsageError(`unexpected argument "${positionals[1]}"`, DEPLOY_USAGE);
  if (!values.engine) throw new UsageError('--engine is required', DEPLOY_USAGE);
  if (!(ENGINE_NAMES as string[]).includes(values.engine)) {
    throw new UsageError(
      `--engine ${values.engine}: unknown engine`,
      `Use one of: ${ENGINE_NAMES.join(', ')}.`,
    );
  }
  if (values.layout !== undefined && !(LAYOUTS as string[]).includes(values.layout)) {
    throw new UsageError(
      `--layout ${values.layout}: expected hub or per-cluster`,
      "Leave it out to use the config file's gitops.flux.layout.",
    );
  }
  const timeout = Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) {
    throw new UsageError(`--timeout ${values.timeout}: expected whole seconds from 1 to 3600`);
  }
  if (values.dir) process.env.MR_DRIFT_CLUSTER_DIR = values.dir;
  await deploy({
    engine: values.engine as EngineName,
    configFile: values.config,
    layout: values.layout as Layout | undefined,
    hub: values.hub,
    timeoutSeconds: timeout,
    clusterDir: clusterDir(),
    log,
    print: (line) => process.stdout.write(`${line}\n`),
  });
}

export async function engineCommand(argv: string[], log: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const sub = positionals[1];
  if (values.help || !sub) {
    process.stdout.write(`${ENGINE_USAGE}\n`);
    if (!values.help) process.exitCode = 2;
    return;
  }
  if (positionals.length > 2)
    throw new UsageError(`unexpected argument "${positionals[2]}"`, ENGINE_USAGE);
  if (values.dir) process.env.MR_DRIFT_CLUSTER_DIR = values.dir;
  const dir = clusterDir();
  switch (sub) {
    case 'status': {
      const { engine, ctx } = await engineContextFromDeployed(dir, log);
      const rows = await engine.objects(ctx);
      const procs = engineProcesses(dir).map(processRow);
      const deployed = readDeployed(dir);
      if (values.json) {
        process.stdout.write(
          `${JSON.stringify({ deployed, objects: rows, processes: procs }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(
        `${engine.name} (${ctx.layout}${ctx.layout === 'hub' ? `, hub ${ctx.hub.name}` : ''}), last deployed commit ${ctx.git.commit.slice(0, 12)}\n`,
      );
      const w = (s: string, n: number): string => s.padEnd(n);
      process.stdout.write(
        `${w('cluster', 14)} ${w('kind', 14)} ${w('name', 34)} ${w('ready', 7)} ${w('revision', 54)} message\n`,
      );
      for (const r of rows) {
        process.stdout.write(
          `${w(r.cluster, 14)} ${w(r.kind, 14)} ${w(`${r.namespace}/${r.name}`, 34)} ${w(r.ready, 7)} ${w(r.revision, 54)} ${r.message}\n`,
        );
      }
      for (const p of procs) {
        const mem = p.rssKiB !== undefined ? `${(p.rssKiB / 1024).toFixed(0)} MiB` : '-';
        process.stdout.write(
          `process ${p.component} for ${p.target}: pid ${p.pid} ${p.alive ? 'running' : 'GONE'} ${mem}, log ${p.log}\n`,
        );
      }
      if (rows.some((r) => r.ready !== 'True') || procs.some((p) => !p.alive)) process.exitCode = 1;
      return;
    }
    case 'remove': {
      const last = await removeDeployed(dir, log);
      process.stdout.write(
        `removed the ${last.engine} deploy of commit ${last.git.commit.slice(0, 12)} and stopped ${last.engine}\n`,
      );
      return;
    }
    case 'stop': {
      const stopped = await stopEngineProcesses(dir);
      process.stdout.write(
        stopped.length
          ? `stopped ${stopped.map((p) => `${p.component} (${p.target})`).join(', ')}\n`
          : 'no engine process was running\n',
      );
      return;
    }
    default:
      throw new UsageError(`unknown engine command "${sub}"`, ENGINE_USAGE);
  }
}
