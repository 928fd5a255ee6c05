import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from './api-client';
import { bootstrapRegion, DRIFT_CHECKER_USER, READONLY_USER } from './bootstrap';
import {
  CONTROL_PLANE_USERS,
  SERVICE_CIDR,
  startControlPlane,
  waitControlPlane,
  type ControlPlaneBinaries,
} from './control-plane';
import type { RegionCredentials, UserName } from './kubeconfig';
import { freePort } from './ports';
import { isOurs, spawnDetached, stopProcess, type StartedProcess } from './processes';
import type { PendingProcess, RegionState, Starter } from './state';

/**
 * One region = etcd + kube-apiserver on free 127.0.0.1 ports, secured as a real cluster
 * is: TLS everywhere (etcd too, with client certificates), RBAC, and a service-account
 * issuer with its own signing key; plus the rest of a control plane (control-plane.ts):
 * kube-controller-manager, kube-scheduler and kwok with three fake Nodes. Each region has
 * its own CA, so a credential of one region is refused by the others, as between real
 * clusters.
 */

/** Paths of the binaries a region runs. */
export interface RegionBinaries extends ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  pki: string;
}

/** The admin user name (certificate CN); its group system:masters bypasses RBAC. */
export const ADMIN_USER = 'mr-drift-admin';

const PKI_FILES: Record<UserName, string> = {
  admin: 'admin',
  readonly: 'readonly',
  'drift-checker': 'drift-checker',
};

/** Folder of a region's certificates and keys (kept across restarts). */
export function pkiDir(regionDir: string): string {
  return join(regionDir, 'pki');
}

/** Writes the region's certificates if they are missing or close to expiry. */
export function ensurePki(pkiBinary: string, regionDir: string): void {
  execFileSync(
    pkiBinary,
    [
      '-dir',
      pkiDir(regionDir),
      '-user',
      `admin=${ADMIN_USER}/system:masters`,
      '-user',
      `readonly=${READONLY_USER}`,
      '-user',
      `drift-checker=${DRIFT_CHECKER_USER}`,
      ...CONTROL_PLANE_USERS.flatMap((u) => ['-user', `${u.file}=${u.spec}`]),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

/** The PEM material of a region for the kubeconfig. */
export function regionCredentials(state: RegionState): RegionCredentials {
  const dir = pkiDir(state.dir);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const users = {} as RegionCredentials['users'];
  for (const [user, file] of Object.entries(PKI_FILES) as [UserName, string][]) {
    users[user] = { certPem: read(`${file}.crt`), keyPem: read(`${file}.key`) };
  }
  return { region: state.name, server: state.server, caPem: read('ca.crt'), users };
}

/** An HTTPS client for the region as the given user. */
export function regionClient(
  state: Pick<RegionState, 'dir' | 'server'>,
  user: UserName = 'admin',
): ApiClient {
  const dir = pkiDir(state.dir);
  const file = PKI_FILES[user];
  return new ApiClient(state.server, {
    ca: join(dir, 'ca.crt'),
    cert: join(dir, `${file}.crt`),
    key: join(dir, `${file}.key`),
  });
}

/** The processes of a region, control plane first (the order they are stopped in). */
export function regionProcesses(
  state: Pick<RegionState, 'etcd' | 'apiserver' | 'controlPlane'>,
): StartedProcess[] {
  const cp = state.controlPlane;
  return [
    ...(cp ? [cp.kwok, cp.scheduler, cp.controllerManager] : []),
    state.apiserver,
    state.etcd,
  ];
}

/**
 * True if every process is still ours and the apiserver answers /readyz with ok. A record
 * without a control plane (written before it existed) is not healthy: it is restarted.
 */
export async function regionHealthy(state: RegionState): Promise<boolean> {
  if (!state.controlPlane || !regionProcesses(state).every(isOurs)) return false;
  const client = regionClient(state);
  try {
    const res = await client.request('GET', '/readyz', undefined, undefined, 5_000);
    return res.status === 200 && res.body.trim() === 'ok';
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/**
 * Stops a region's processes: the control plane (in parallel), then the apiserver, then
 * etcd, so that no process sees the one it talks to vanish.
 */
export async function stopRegion(
  state: Pick<RegionState, 'etcd' | 'apiserver' | 'controlPlane'>,
): Promise<void> {
  const cp = state.controlPlane;
  if (cp)
    await Promise.all([cp.kwok, cp.scheduler, cp.controllerManager].map((p) => stopProcess(p)));
  await stopProcess(state.apiserver);
  await stopProcess(state.etcd);
}

/**
 * Starts a region from scratch (a fresh etcd data folder: every start is an empty
 * cluster), waits for /readyz, then installs RBAC and CRDs. Retries twice if a port
 * picked as free was taken meanwhile.
 */
export async function startRegion(
  name: string,
  regionDir: string,
  bins: RegionBinaries,
  startedBy: Starter,
  log: (line: string) => void,
  /** Called with each process right after it is spawned (and `false` once it is stopped). */
  track: (p: PendingProcess, running: boolean) => void = () => {},
): Promise<RegionState> {
  mkdirSync(regionDir, { recursive: true, mode: 0o700 });
  ensurePki(bins.pki, regionDir);
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(name, regionDir, bins, startedBy, track);
    } catch (err) {
      lastError = err;
      if (!(err instanceof PortTakenError)) throw err;
      log(`${name}: a port was taken meanwhile, retrying with new ports (${attempt}/3)`);
    }
  }
  throw lastError;
}

class PortTakenError extends Error {}

async function startOnce(
  name: string,
  dir: string,
  bins: RegionBinaries,
  startedBy: Starter,
  track: (p: PendingProcess, running: boolean) => void,
): Promise<RegionState> {
  const started = Date.now();
  const pki = pkiDir(dir);
  const p = (f: string): string => join(pki, f);
  const dataDir = join(dir, 'etcd-data');
  const certDir = join(dir, 'apiserver-certs');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(certDir, { recursive: true });
  const etcdLog = join(dir, 'etcd.log');
  const apiLog = join(dir, 'kube-apiserver.log');
  writeFileSync(etcdLog, `# etcd for region ${name}, started ${new Date().toISOString()}\n`);
  writeFileSync(
    apiLog,
    `# kube-apiserver for region ${name}, started ${new Date().toISOString()}\n`,
  );

  const etcdPort = await freePort();
  const etcdUrl = `https://127.0.0.1:${etcdPort}`;
  const etcdChild = spawnDetached(
    bins.etcd,
    [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      // Single member: the peer port only has to be free, so the kernel picks it.
      '--listen-peer-urls=http://127.0.0.1:0',
      `--cert-file=${p('server.crt')}`,
      `--key-file=${p('server.key')}`,
      '--client-cert-auth',
      `--trusted-ca-file=${p('ca.crt')}`,
      // Test data is thrown away at the next start; skipping fsync saves seconds per test.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    etcdLog,
  );
  const etcd = { pid: mustPid(etcdChild, 'etcd'), port: etcdPort, marker: dataDir };
  track({ region: name, pid: etcd.pid, marker: etcd.marker }, true);
  const stopAll = async (...procs: StartedProcess[]): Promise<void> => {
    for (const proc of procs) {
      await stopProcess(proc);
      track({ region: name, pid: proc.pid, marker: proc.marker }, false);
    }
  };

  const etcdClient = new ApiClient(etcdUrl, {
    ca: p('ca.crt'),
    cert: p('etcd-client.crt'),
    key: p('etcd-client.key'),
  });
  try {
    await waitFor(
      `etcd of ${name}`,
      etcdChild,
      etcdLog,
      async () =>
        (await etcdClient.request('GET', '/health', undefined, undefined, 2_000)).body.includes(
          '"health":"true"',
        ),
      60_000,
    );
  } catch (err) {
    await stopAll(etcd);
    throw err;
  } finally {
    etcdClient.close();
  }
  const etcdReady = since(started);

  const apiPort = await freePort();
  const server = `https://127.0.0.1:${apiPort}`;
  const apiChild = spawnDetached(
    bins.kubeApiserver,
    [
      `--etcd-servers=${etcdUrl}`,
      `--etcd-cafile=${p('ca.crt')}`,
      `--etcd-certfile=${p('etcd-client.crt')}`,
      `--etcd-keyfile=${p('etcd-client.key')}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${p('server.crt')}`,
      `--tls-private-key-file=${p('server.key')}`,
      // Its own folder, or it would write into /var/run/kubernetes.
      `--cert-dir=${certDir}`,
      `--client-ca-file=${p('ca.crt')}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${p('sa.pub')}`,
      `--service-account-signing-key-file=${p('sa.key')}`,
      // A real cluster's size: a /24 is full after 254 Services.
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--allow-privileged=true',
      // Off: it would refuse Pods in a namespace whose `default` ServiceAccount the
      // controller-manager has not created yet (a test's fresh namespace, a second after
      // it was made), and mount tokens no container will ever read (no kubelet here).
      '--disable-admission-plugins=ServiceAccount',
      // 127.0.0.1 is not a valid Endpoint address for the `kubernetes` Service.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ],
    apiLog,
  );
  const apiserver = { pid: mustPid(apiChild, 'kube-apiserver'), port: apiPort, marker: certDir };
  track({ region: name, pid: apiserver.pid, marker: apiserver.marker }, true);
  const state: RegionState = {
    name,
    dir,
    server,
    etcd,
    apiserver,
    startedBy,
    startedAt: new Date(started).toISOString(),
    startSeconds: 0,
    phases: { etcdReady, apiserverReady: 0, bootstrapped: 0, controlPlaneReady: 0 },
    binaries: {
      etcd: bins.etcd,
      kubeApiserver: bins.kubeApiserver,
      kubeControllerManager: bins.kubeControllerManager,
      kubeScheduler: bins.kubeScheduler,
      kwok: bins.kwok,
    },
  };
  const controlPlane: StartedProcess[] = [];
  const client = regionClient(state);
  try {
    await waitFor(
      `kube-apiserver of ${name}`,
      apiChild,
      apiLog,
      async () => {
        const res = await client.request('GET', '/readyz', undefined, undefined, 5_000);
        return res.status === 200 && res.body.trim() === 'ok';
      },
      180_000,
    );
    state.phases.apiserverReady = since(started);
    await bootstrapRegion(client);
    state.phases.bootstrapped = since(started);
    const children = new Map<number, string>();
    state.controlPlane = await startControlPlane({
      region: name,
      dir,
      pki,
      server,
      bins,
      client,
      track: (proc) => {
        controlPlane.push(proc);
        children.set(proc.pid, proc.marker);
        track({ region: name, pid: proc.pid, marker: proc.marker }, true);
      },
    });
    await waitControlPlane(client, name, () => {
      for (const proc of controlPlane) {
        if (!isOurs(proc)) {
          const what = proc.marker.replace(/^.*\//, '').replace(/\.kubeconfig$/, '');
          return `${what} exited; end of ${join(dir, `${what}.log`)}:\n${logTail(join(dir, `${what}.log`))}`;
        }
      }
      return undefined;
    });
    state.phases.controlPlaneReady = since(started);
  } catch (err) {
    await stopAll(...controlPlane.reverse(), apiserver, etcd);
    throw err;
  } finally {
    client.close();
  }
  state.startSeconds = since(started);
  return state;
}

/** Seconds since `t0`, to one decimal. */
function since(t0: number): number {
  return Math.round((Date.now() - t0) / 100) / 10;
}

function mustPid(child: ChildProcess, what: string): number {
  if (child.pid === undefined) throw new Error(`could not start ${what}`);
  return child.pid;
}

/**
 * Polls `ready` until it returns true. Fails early, with the end of the process's log,
 * if the process exits; a log that says the address is in use becomes PortTakenError.
 */
async function waitFor(
  what: string,
  child: ChildProcess,
  logFile: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  let exited: number | string | null | undefined;
  const onExit = (code: number | null, signal: string | null): void => {
    exited = code ?? signal;
  };
  child.once('exit', onExit);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exited !== undefined) {
        const tail = logTail(logFile);
        if (/address already in use/i.test(tail)) throw new PortTakenError(`${what}: port in use`);
        throw new Error(
          `${what} exited (${exited}) before it was ready; end of ${logFile}:\n${tail}`,
        );
      }
      try {
        if (await ready()) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${what} not ready after ${timeoutMs / 1000} s; end of ${logFile}:\n${logTail(logFile)}`,
        );
      }
      await sleep(100);
    }
  } finally {
    child.off('exit', onExit);
  }
}

function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
