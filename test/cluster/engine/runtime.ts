import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { withLock } from '../lock';
import { isOurs, residentKiB, spawnDetached, stopProcess, type StartedProcess } from '../processes';
import { regionCredentials } from '../region';
import { writeAtomic, type RegionState } from '../state';

/**
 * What the GitOps engines run on the test regions: their processes, recorded in
 * `<cluster dir>/engine.json` so that `cluster down` (and the next deploy) stop exactly
 * those, and the self-contained kubeconfigs they reach regions with.
 */

/** A process an engine started, as recorded in engine.json. */
export interface EngineProcess extends StartedProcess {
  /** Engine that owns it (`flux`, `argocd`). */
  engine: string;
  /** Component, e.g. `source-controller`. */
  component: string;
  /** The region whose API server it works against (the hub, or the region itself). */
  target: string;
  /** That region's API server URL when it started (a region restarts on a new port). */
  server: string;
  /** Its log file. */
  log: string;
  startedAt: string;
}

interface EngineRecords {
  version: 1;
  processes: EngineProcess[];
}

function recordsPath(clusterDir: string): string {
  return join(clusterDir, 'engine.json');
}

function readRecords(clusterDir: string): EngineRecords {
  const path = recordsPath(clusterDir);
  if (!existsSync(path)) return { version: 1, processes: [] };
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as EngineRecords;
  if (parsed.version !== 1 || !Array.isArray(parsed.processes)) {
    throw new Error(`${path}: unknown format; stop what it lists by hand and delete it`);
  }
  return parsed;
}

function writeRecords(clusterDir: string, records: EngineRecords): void {
  if (!records.processes.length) {
    rmSync(recordsPath(clusterDir), { force: true });
    return;
  }
  mkdirSync(clusterDir, { recursive: true });
  writeAtomic(recordsPath(clusterDir), `${JSON.stringify(records, null, 2)}\n`);
}

function lock<T>(clusterDir: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(clusterDir, { recursive: true });
  return withLock(join(clusterDir, '.engine-lock'), 'the engine records', fn, {
    timeoutMs: 5 * 60_000,
  });
}

/** The recorded engine processes (those still alive and ours first checked by the caller). */
export function engineProcesses(clusterDir: string): EngineProcess[] {
  return readRecords(clusterDir).processes;
}

/** A recorded process that still runs, with its resident memory. */
export function processRow(p: EngineProcess): EngineProcess & { alive: boolean; rssKiB?: number } {
  const alive = isOurs(p);
  const rss = alive ? residentKiB(p.pid) : undefined;
  return { ...p, alive, ...(rss !== undefined ? { rssKiB: rss } : {}) };
}

/** What {@link startEngineProcess} needs. */
export interface EngineProcessSpec {
  engine: string;
  component: string;
  target: string;
  server: string;
  binary: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** A string unique to this process in its command line (a data folder, a port). */
  marker: string;
  /** Folder for its log file. */
  dir: string;
  /** Resolves true once the process is ready (e.g. its health endpoint answers). */
  ready: () => Promise<boolean>;
  /** How long it may take to become ready (default 120 s). */
  timeoutMs?: number;
}

/**
 * Starts one engine process detached (it outlives `cluster deploy`), records it, and
 * waits until it is ready. If it exits first or never gets ready, it is stopped and the
 * error carries the end of its log.
 */
export async function startEngineProcess(
  clusterDir: string,
  spec: EngineProcessSpec,
): Promise<EngineProcess> {
  mkdirSync(spec.dir, { recursive: true });
  const logFile = join(spec.dir, `${spec.component}.log`);
  writeFileSync(
    logFile,
    `# ${spec.component} (${spec.engine}) for ${spec.target}, started ${new Date().toISOString()}\n`,
  );
  const child = spawnDetached(spec.binary, spec.args, logFile, { env: spec.env });
  if (child.pid === undefined) throw new Error(`could not start ${spec.component}`);
  const proc: EngineProcess = {
    pid: child.pid,
    marker: spec.marker,
    engine: spec.engine,
    component: spec.component,
    target: spec.target,
    server: spec.server,
    log: logFile,
    startedAt: new Date().toISOString(),
  };
  await lock(clusterDir, () => {
    const records = readRecords(clusterDir);
    records.processes.push(proc);
    writeRecords(clusterDir, records);
    return Promise.resolve();
  });
  let exited: number | string | null | undefined;
  child.once('exit', (code, signal) => {
    exited = code ?? signal;
  });
  const deadline = Date.now() + (spec.timeoutMs ?? 120_000);
  for (;;) {
    if (exited === undefined) {
      try {
        if (await spec.ready()) return proc;
      } catch {
        // not listening yet
      }
    }
    if (exited !== undefined || Date.now() > deadline) {
      await stopEngineProcesses(clusterDir, { pids: [proc.pid] });
      const why = exited !== undefined ? `exited (${exited})` : 'did not get ready in time';
      throw new Error(
        `${spec.component} for ${spec.target} ${why}; end of ${logFile}:\n${logTail(logFile)}`,
      );
    }
    await sleep(200);
  }
}

/**
 * Stops recorded engine processes: all of them, those of one engine, those working
 * against the given regions, or the given pids. Returns what was stopped.
 */
export async function stopEngineProcesses(
  clusterDir: string,
  which: { engine?: string; targets?: string[]; pids?: number[] } = {},
): Promise<EngineProcess[]> {
  if (!existsSync(recordsPath(clusterDir))) return [];
  return lock(clusterDir, async () => {
    const records = readRecords(clusterDir);
    const chosen = records.processes.filter(
      (p) =>
        (!which.engine || p.engine === which.engine) &&
        (!which.targets || which.targets.includes(p.target)) &&
        (!which.pids || which.pids.includes(p.pid)),
    );
    await Promise.all(chosen.map((p) => stopProcess(p)));
    records.processes = records.processes.filter((p) => !chosen.includes(p));
    writeRecords(clusterDir, records);
    return chosen;
  });
}

/** True when a recorded process of this engine and component runs for that target. */
export function runningProcess(
  clusterDir: string,
  engine: string,
  component: string,
  target: string,
): EngineProcess | undefined {
  return engineProcesses(clusterDir).find(
    (p) => p.engine === engine && p.component === component && p.target === target && isOurs(p),
  );
}

/**
 * A kubeconfig for one region with one context (the admin's), and its certificates and
 * key inline (`*-data` fields only). Flux accepts only such a self-contained kubeconfig in
 * a `spec.kubeConfig.secretRef` Secret; Argo CD's cluster Secret takes the same data.
 */
export function regionKubeconfig(region: RegionState): string {
  const creds = regionCredentials(region);
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': region.name,
      clusters: [
        {
          name: region.name,
          cluster: { server: region.server, 'certificate-authority-data': b64(creds.caPem) },
        },
      ],
      users: [
        {
          name: `${region.name}-admin`,
          user: {
            'client-certificate-data': b64(creds.users.admin.certPem),
            'client-key-data': b64(creds.users.admin.keyPem),
          },
        },
      ],
      contexts: [
        { name: region.name, context: { cluster: region.name, user: `${region.name}-admin` } },
      ],
    },
    { lineWidth: 0 },
  );
}

/** Writes {@link regionKubeconfig} to `<dir>/kubeconfig` (mode 600) and returns the path. */
export function writeRegionKubeconfig(dir: string, region: RegionState): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'kubeconfig');
  writeAtomic(path, regionKubeconfig(region));
  return path;
}

/** GET an http://127.0.0.1 URL; true on a 2xx answer. */
export function httpOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
