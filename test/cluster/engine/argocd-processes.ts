import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { ensureBinary } from '../binaries';
import { freePort } from '../ports';
import { writeAtomic, type RegionState } from '../state';
import {
  httpOk,
  runningProcess,
  startEngineProcess,
  stopEngineProcesses,
  writeRegionKubeconfig,
} from './runtime';

/**
 * The Argo CD components as processes on this machine, working against the hub region
 * through a kubeconfig, as Argo CD's own `make start-local` runs them (its Procfile): one
 * binary started under three names (argv[0] picks the component), plus Redis.
 *
 * - redis: the cache of the application controller and the repo-server (miniredis, see
 *   test/cluster/go/redis);
 * - argocd-repo-server: clones the Git repository and runs `kustomize build`;
 * - argocd-application-controller: compares and syncs the Applications, in every region
 *   registered by a cluster Secret;
 * - argocd-applicationset-controller: makes the Applications from the ApplicationSet and
 *   runs its RollingSync steps (progressive syncs on).
 *
 * Every listener is on 127.0.0.1 at a port picked free, because the defaults collide
 * (8080 and 8081 are each used by two components); only the application controller's
 * metrics listen on all interfaces, which Argo CD does not let us change.
 */

/** The engine name in engine.json. */
export const ARGOCD = 'argocd';

/** The components, in start order (each needs the ones before it). */
export const COMPONENTS = [
  'redis',
  'argocd-repo-server',
  'argocd-application-controller',
  'argocd-applicationset-controller',
] as const;

/** Knobs of the controllers that tests and benchmarks depend on. */
export interface ArgocdTuning {
  /**
   * Seconds between the application controller's refreshes of every Application: when
   * it notices a new commit by itself (Argo CD's default `timeout.reconciliation`, 120 s).
   * A change to a live object is noticed sooner, through the controller's watches.
   */
  appResyncSeconds: number;
}

/** Argo CD's defaults. */
export const DEFAULT_TUNING: ArgocdTuning = { appResyncSeconds: 120 };

/** What a running Argo CD was started with; a start with other settings restarts it. */
export interface ArgocdRun {
  hub: string;
  hubServer: string;
  namespace: string;
  tuning: ArgocdTuning;
  redisAddress: string;
  repoServerAddress: string;
}

function runPath(engineDir: string): string {
  return join(engineDir, 'run.json');
}

/** The settings of the running Argo CD, if every component still runs. */
export function runningArgocd(clusterDir: string, engineDir: string): ArgocdRun | undefined {
  const path = runPath(engineDir);
  if (!existsSync(path)) return undefined;
  const run = JSON.parse(readFileSync(path, 'utf8')) as ArgocdRun;
  const all = COMPONENTS.every((c) => runningProcess(clusterDir, ARGOCD, c, run.hub));
  return all ? run : undefined;
}

/** Options of {@link startArgocd}. */
export interface StartArgocdOptions {
  clusterDir: string;
  engineDir: string;
  hub: RegionState;
  namespace: string;
  tuning?: ArgocdTuning;
  log: (line: string) => void;
}

/**
 * Starts Redis, the repo-server and both controllers (built once, cached by key) unless
 * they already run with the same settings, and waits until each answers. A start with
 * other settings (another hub, namespace or tuning) stops the old ones first.
 */
export async function startArgocd(opts: StartArgocdOptions): Promise<ArgocdRun> {
  const tuning = opts.tuning ?? DEFAULT_TUNING;
  const running = runningArgocd(opts.clusterDir, opts.engineDir);
  if (
    running &&
    running.hubServer === opts.hub.server &&
    running.namespace === opts.namespace &&
    running.tuning.appResyncSeconds === tuning.appResyncSeconds
  ) {
    return running;
  }
  await stopArgocd(opts.clusterDir, opts.engineDir);
  opts.log(`argocd: starting on ${opts.hub.name}, namespace ${opts.namespace}`);
  const argocd = await ensureBinary('argocd', opts.log);
  const kustomize = await ensureBinary('kustomize', opts.log);
  const redis = await ensureBinary('redis', opts.log);

  // Clones, the askpass socket, the TLS/SSH/GPG folders: all under one folder per start.
  const run = join(opts.engineDir, 'run');
  rmSync(run, { recursive: true, force: true });
  for (const sub of ['tmp', 'tls', 'ssh', 'gpg', 'gpg-source', 'plugins']) {
    mkdirSync(join(run, sub), { recursive: true, mode: 0o700 });
  }
  const bin = (name: string): string => join(dirname(argocd), name);
  const env: NodeJS.ProcessEnv = {
    // Out of a cluster the components use this kubeconfig, and only with this variable
    // does the destination https://kubernetes.default.svc resolve to it.
    KUBECONFIG: writeRegionKubeconfig(opts.engineDir, opts.hub),
    ARGOCD_FAKE_IN_CLUSTER: 'true',
    // git runs `argocd` as its askpass helper, the repo-server runs `kustomize`.
    PATH: [dirname(argocd), dirname(kustomize), process.env.PATH ?? ''].join(':'),
    TMPDIR: join(run, 'tmp'),
    ARGOCD_TLS_DATA_PATH: join(run, 'tls'),
    ARGOCD_SSH_DATA_PATH: join(run, 'ssh'),
    ARGOCD_GNUPGHOME: join(run, 'gpg'),
    ARGOCD_GPG_DATA_PATH: join(run, 'gpg-source'),
    ARGOCD_GPG_ENABLED: 'false',
    ARGOCD_PLUGINSOCKFILEPATH: join(run, 'plugins'),
    // The default, /tmp/reposerver-ask-pass.sock, would be shared by every run on the machine.
    ARGOCD_ASK_PASS_SOCK: join(run, 'askpass.sock'),
  };
  const common = {
    engine: ARGOCD,
    target: opts.hub.name,
    server: opts.hub.server,
    env,
    dir: opts.engineDir,
    timeoutMs: 180_000,
  };
  try {
    const redisPort = await freePort();
    const redisAddress = `127.0.0.1:${redisPort}`;
    await startEngineProcess(opts.clusterDir, {
      ...common,
      component: 'redis',
      binary: redis,
      args: ['-addr', redisAddress],
      marker: redisAddress,
      ready: () => tcpOpen(redisPort),
    });

    const repoPort = await freePort();
    const repoMetrics = await freePort();
    const repoServerAddress = `127.0.0.1:${repoPort}`;
    await startEngineProcess(opts.clusterDir, {
      ...common,
      component: 'argocd-repo-server',
      binary: bin('argocd-repo-server'),
      args: [
        '--address=127.0.0.1',
        `--port=${repoPort}`,
        '--metrics-address=127.0.0.1',
        `--metrics-port=${repoMetrics}`,
        '--disable-tls',
        `--redis=${redisAddress}`,
        '--logformat=text',
      ],
      marker: `--port=${repoPort}`,
      ready: async () =>
        (await tcpOpen(repoPort)) && (await httpOk(`http://127.0.0.1:${repoMetrics}/healthz`)),
    });

    const controllerMetrics = await freePort();
    await startEngineProcess(opts.clusterDir, {
      ...common,
      component: 'argocd-application-controller',
      binary: bin('argocd-application-controller'),
      args: [
        `--namespace=${opts.namespace}`,
        `--repo-server=${repoServerAddress}`,
        '--repo-server-plaintext',
        `--redis=${redisAddress}`,
        `--metrics-port=${controllerMetrics}`,
        `--app-resync=${tuning.appResyncSeconds}`,
        // No jitter: the period is what the benchmark compares with.
        '--app-resync-jitter=0',
        // Argo CD v3 keeps each object's health in Redis only; written into the
        // Application's status.resources, it lets deploy name what is not healthy.
        '--persist-resource-health=true',
        // 2 cores shared with the regions: fewer workers than the 20/10 default.
        '--status-processors=4',
        '--operation-processors=2',
        '--logformat=text',
      ],
      marker: `--metrics-port=${controllerMetrics}`,
      ready: () => httpOk(`http://127.0.0.1:${controllerMetrics}/healthz`),
    });

    const appsetProbe = await freePort();
    const appsetMetrics = await freePort();
    const appsetWebhook = await freePort();
    await startEngineProcess(opts.clusterDir, {
      ...common,
      component: 'argocd-applicationset-controller',
      binary: bin('argocd-applicationset-controller'),
      args: [
        `--namespace=${opts.namespace}`,
        `--argocd-repo-server=${repoServerAddress}`,
        '--repo-server-plaintext',
        '--enable-progressive-syncs',
        `--metrics-addr=127.0.0.1:${appsetMetrics}`,
        `--probe-addr=127.0.0.1:${appsetProbe}`,
        `--webhook-addr=127.0.0.1:${appsetWebhook}`,
        '--logformat=text',
      ],
      marker: `--probe-addr=127.0.0.1:${appsetProbe}`,
      // It registers no health checks on its probe address (a 404 there); its metrics,
      // served by the same manager, are the sign of life.
      ready: () => httpOk(`http://127.0.0.1:${appsetMetrics}/metrics`),
    });
    const state: ArgocdRun = {
      hub: opts.hub.name,
      hubServer: opts.hub.server,
      namespace: opts.namespace,
      tuning,
      redisAddress,
      repoServerAddress,
    };
    writeAtomic(runPath(opts.engineDir), `${JSON.stringify(state, null, 2)}\n`);
    return state;
  } catch (err) {
    await stopArgocd(opts.clusterDir, opts.engineDir);
    throw err;
  }
}

/** Stops every Argo CD process of this cluster folder; returns the components stopped. */
export async function stopArgocd(clusterDir: string, engineDir: string): Promise<string[]> {
  rmSync(runPath(engineDir), { force: true });
  const stopped = await stopEngineProcesses(clusterDir, { engine: ARGOCD });
  return stopped.map((p) => p.component);
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
