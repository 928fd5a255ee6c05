import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, KubeObject } from '../api-client';
import { ensureBinary } from '../binaries';
import { readObjects } from '../bootstrap';
import { HARNESS_FIELD_MANAGER } from '../paths';
import { regionClient, regionCredentials } from '../region';
import {
  ARGOCD_SETUP_MANAGER,
  clusterSecret,
  cmdParamsConfigMap,
  installHubObjects,
} from './argocd-hub';
import { startArgocd, stopArgocd, DEFAULT_TUNING } from './argocd-processes';
import type { Engine, EngineContext, EngineObjectRow, RegionRollout } from './index';

/**
 * Argo CD as a deploy engine of the harness (`npm run cluster -- deploy --engine argocd`):
 * one Argo CD on the hub region, every region registered with it by a cluster Secret, and
 * the generated AppProject and ApplicationSet applied as a person applies
 * `overlays/argocd`. The ApplicationSet's RollingSync strategy then syncs the regions'
 * Applications wave by wave: that order is Argo CD's, not the harness's.
 *
 * Under RollingSync the ApplicationSet controller removes `syncPolicy.automated` from the
 * Applications it makes and syncs them itself: a region that drifts becomes OutOfSync,
 * goes back to the step's Waiting/Pending and is synced again. That is how Argo CD puts
 * back what a person changed here (the generated self-heal setting takes effect through it).
 */

/** The subset of an Application the harness reads. */
export interface Application extends KubeObject {
  metadata: KubeObject['metadata'] & {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: { destination?: { server?: string; namespace?: string }; syncPolicy?: unknown };
  operation?: unknown;
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      operation?: { sync?: { revision?: string } };
      syncResult?: { revision?: string };
    };
    conditions?: { type: string; message?: string }[];
    resources?: AppResource[];
    reconciledAt?: string;
  };
}

/** One entry of an Application's `.status.resources`: Argo CD's verdict on one object. */
export interface AppResource {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  /** `Synced` or `OutOfSync`. */
  status?: string;
  health?: { status?: string; message?: string };
  requiresPruning?: boolean;
}

/** The ApplicationSet's view of one Application in a RollingSync. */
export interface AppSetAppStatus {
  application: string;
  status: string;
  step: string;
  lastTransitionTime?: string;
  message?: string;
}

/** The label the generator puts on each region's Application. */
export const REGION_LABEL = 'mr-drift.io/region';

/** The annotation that asks the controller to compare an Application now. */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';

function applicationsPath(namespace: string): string {
  return `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applications`;
}

function applicationSetPath(namespace: string, name: string): string {
  return `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applicationsets/${encodeURIComponent(name)}`;
}

async function ok(res: Promise<{ status: number; body: string }>, what: string): Promise<string> {
  const r = await res;
  if (r.status < 200 || r.status > 299) {
    throw new Error(`${what}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
  }
  return r.body;
}

/** Every Application in the namespace. */
export async function listApplications(
  client: ApiClient,
  namespace: string,
): Promise<Application[]> {
  const list = await client.getJson<{ items: Application[] }>(applicationsPath(namespace));
  return list.items;
}

/** One Application, or undefined when it does not exist. */
export async function getApplication(
  client: ApiClient,
  namespace: string,
  name: string,
): Promise<Application | undefined> {
  const res = await client.request(
    'GET',
    `${applicationsPath(namespace)}/${encodeURIComponent(name)}`,
  );
  if (res.status === 404) return undefined;
  return JSON.parse(await ok(Promise.resolve(res), `GET Application ${name}`)) as Application;
}

/**
 * Asks Argo CD to compare an Application with Git and the cluster now, as its Git webhook
 * handler and the UI's Refresh button do: the annotation `argocd.argoproj.io/refresh`
 * (`normal`; `hard` also regenerates the manifests), which the controller removes once it
 * has refreshed.
 */
export async function requestRefresh(
  client: ApiClient,
  namespace: string,
  name: string,
  kind: 'normal' | 'hard' = 'normal',
): Promise<void> {
  await ok(
    client.request(
      'PATCH',
      `${applicationsPath(namespace)}/${encodeURIComponent(name)}`,
      JSON.stringify({ metadata: { annotations: { [REFRESH_ANNOTATION]: kind } } }),
      'application/merge-patch+json',
    ),
    `refresh of Application ${namespace}/${name}`,
  );
}

/** `Kind namespace/name` of a resource entry. */
export function describeResource(r: AppResource): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** The objects an Application's own status marks OutOfSync, as `Kind namespace/name`. */
export function outOfSyncResources(app: Application): string[] {
  return (app.status?.resources ?? [])
    .filter((r) => r.status === 'OutOfSync')
    .map(describeResource)
    .sort();
}

/**
 * The object that keeps an Application from being done, as the deploy prints it: an
 * object whose health is not Healthy (with Argo CD's message), else one that is OutOfSync,
 * else a condition (a comparison error, for example).
 */
export function unhealthyObject(app: Application): string | undefined {
  const resources = app.status?.resources ?? [];
  const sick = resources.find(
    (r) => r.health?.status !== undefined && r.health.status !== 'Healthy',
  );
  if (sick) {
    const msg = sick.health?.message ? `: ${oneLine(sick.health.message)}` : '';
    return `${describeResource(sick)} (${sick.health?.status}${msg})`;
  }
  const outOfSync = resources.find((r) => r.status === 'OutOfSync');
  if (outOfSync) return `${describeResource(outOfSync)} (OutOfSync)`;
  const cond = app.status?.conditions?.[0];
  if (cond) return `Application ${app.metadata.name} (${cond.type}: ${oneLine(cond.message)})`;
  return undefined;
}

/** One region's rollout of `commit`, read from its Application. */
export function regionRollout(
  region: string,
  app: Application | undefined,
  commit: string,
): RegionRollout {
  if (!app) {
    return {
      region,
      phase: 'waiting',
      message: 'no Application yet (the ApplicationSet controller makes it)',
    };
  }
  const st = app.status ?? {};
  const op = st.operationState;
  const applied = op?.phase === 'Succeeded' ? op.syncResult?.revision : undefined;
  const sync = st.sync?.status ?? 'Unknown';
  const health = st.health?.status ?? 'Unknown';
  const unhealthy = unhealthyObject(app);
  const base = {
    region,
    ...(applied ? { revision: applied } : {}),
    ...(unhealthy ? { unhealthy } : {}),
  };
  const atCommit = st.sync?.revision === commit;
  const running = app.operation !== undefined || op?.phase === 'Running';
  if (atCommit && sync === 'Synced' && health === 'Healthy' && !running) {
    return {
      region,
      ...(applied ? { revision: applied } : {}),
      phase: 'ready',
      message: `Synced to ${commit.slice(0, 7)}, Healthy`,
    };
  }
  if (running) {
    return { ...base, phase: 'progressing', message: `sync running: ${oneLine(op?.message)}` };
  }
  const opRevision = op?.syncResult?.revision ?? op?.operation?.sync?.revision;
  if (opRevision === commit && (op?.phase === 'Failed' || op?.phase === 'Error')) {
    return { ...base, phase: 'failed', message: `sync ${op.phase}: ${oneLine(op.message)}` };
  }
  if (atCommit && sync === 'Synced') {
    return { ...base, phase: 'progressing', message: `Synced, health ${health}` };
  }
  return {
    ...base,
    phase: 'waiting',
    message: `${sync} at ${st.sync?.revision?.slice(0, 7) ?? '?'}, health ${health}`,
  };
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim().slice(0, 240);
}

function argocdNamespace(ctx: EngineContext): string {
  return ctx.config.gitops.argocd.namespace;
}

/** The ApplicationSet's name: the generator names it after the app. */
export function applicationSetName(ctx: EngineContext): string {
  return ctx.config.app.name;
}

/** The Application of a region: the generator names it `<app>-<region>`. */
export function applicationName(ctx: EngineContext, region: string): string {
  return `${ctx.config.app.name}-${region}`;
}

/** The AppProject and ApplicationSet the generator wrote for Argo CD (project first). */
function generatedObjects(ctx: EngineContext): KubeObject[] {
  const dir = join(ctx.treeDir, 'argocd');
  return ['appproject.yaml', 'applicationset.yaml'].flatMap((f) => readObjects(join(dir, f)));
}

async function withHub<T>(ctx: EngineContext, fn: (client: ApiClient) => Promise<T>): Promise<T> {
  const client = regionClient(ctx.hub);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** The ApplicationSet's RollingSync view of each Application (empty before the first pass). */
export async function appSetStatuses(ctx: EngineContext): Promise<AppSetAppStatus[]> {
  return withHub(ctx, async (client) => {
    const res = await client.request(
      'GET',
      applicationSetPath(argocdNamespace(ctx), applicationSetName(ctx)),
    );
    if (res.status === 404) return [];
    const set = JSON.parse(await ok(Promise.resolve(res), 'GET ApplicationSet')) as {
      status?: { applicationStatus?: AppSetAppStatus[] };
    };
    return set.status?.applicationStatus ?? [];
  });
}

/** The index of the RollingSync step that selects a region's wave (label `mr-drift.io/wave`). */
async function stepOf(ctx: EngineContext, region: string): Promise<number> {
  const wave = ctx.config.regions.find((r) => r.name === region)?.wave;
  if (wave === undefined) throw new Error(`region ${region} is not in the deployed config`);
  const set = await withHub(
    ctx,
    async (client) =>
      JSON.parse(
        await ok(
          client.request('GET', applicationSetPath(argocdNamespace(ctx), applicationSetName(ctx))),
          'GET ApplicationSet',
        ),
      ) as {
        spec?: {
          strategy?: {
            rollingSync?: { steps?: { matchExpressions?: { key: string; values?: string[] }[] }[] };
          };
        };
      },
  );
  const steps = set.spec?.strategy?.rollingSync?.steps ?? [];
  const i = steps.findIndex((st) =>
    (st.matchExpressions ?? []).some(
      (e) => e.key === 'mr-drift.io/wave' && (e.values ?? []).includes(String(wave)),
    ),
  );
  if (i < 0) throw new Error(`no RollingSync step selects wave ${wave} (region ${region})`);
  return i;
}

/**
 * Holds a region's RollingSync step: `maxUpdate: 0` on the step that selects the region's
 * wave, so the ApplicationSet controller syncs none of its Applications until released.
 * Argo CD still compares them and reports OutOfSync; it just does not put them back.
 *
 * The hold only stops an Application from moving from Waiting to Pending: one the
 * ApplicationSet still has as Pending (a sync it triggered and has not yet seen end) is
 * synced again whatever maxUpdate says. So this first waits until the ApplicationSet's
 * status has the region's Application Healthy. Returns the step's index.
 */
export async function holdRegion(ctx: EngineContext, region: string): Promise<number> {
  const step = await stepOf(ctx, region);
  const name = applicationName(ctx, region);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const st = (await appSetStatuses(ctx)).find((a) => a.application === name);
    if (st?.status === 'Healthy') break;
    if (Date.now() > deadline) {
      throw new Error(
        `ApplicationSet: ${name} is ${st?.status ?? 'not listed'} after 180 s, not Healthy (${oneLine(st?.message)})`,
      );
    }
    await sleep(250);
  }
  await withHub(ctx, (client) =>
    ok(
      client.request(
        'PATCH',
        applicationSetPath(argocdNamespace(ctx), applicationSetName(ctx)),
        JSON.stringify([
          { op: 'add', path: `/spec/strategy/rollingSync/steps/${step}/maxUpdate`, value: 0 },
        ]),
        'application/json-patch+json',
      ),
      `hold of step ${step + 1}`,
    ),
  );
  return step;
}

/** Releases a step held by {@link holdRegion}. */
export async function releaseRegion(ctx: EngineContext, region: string): Promise<void> {
  const step = await stepOf(ctx, region);
  await withHub(ctx, (client) =>
    ok(
      client.request(
        'PATCH',
        applicationSetPath(argocdNamespace(ctx), applicationSetName(ctx)),
        JSON.stringify([
          { op: 'remove', path: `/spec/strategy/rollingSync/steps/${step}/maxUpdate` },
        ]),
        'application/json-patch+json',
      ),
      `release of step ${step + 1}`,
    ),
  );
}

/**
 * Waits until `done(app)` holds for a region's Application, polling every 250 ms, and
 * returns that Application; fails after `timeoutMs` with its last state.
 */
export async function waitForApplication(
  ctx: EngineContext,
  region: string,
  done: (app: Application) => boolean,
  timeoutMs = 300_000,
): Promise<Application> {
  const name = applicationName(ctx, region);
  const deadline = Date.now() + timeoutMs;
  return withHub(ctx, async (client) => {
    let last: Application | undefined;
    for (;;) {
      last = await getApplication(client, argocdNamespace(ctx), name);
      if (last && done(last)) return last;
      if (Date.now() > deadline) {
        const st = last?.status;
        throw new Error(
          `Application ${name}: not there after ${timeoutMs / 1000} s (sync ${st?.sync?.status}, health ${st?.health?.status}, operation ${st?.operationState?.phase}: ${oneLine(st?.operationState?.message)})`,
        );
      }
      await sleep(250);
    }
  });
}

/**
 * What Argo CD itself calls OutOfSync in a region, once it has compared after the call:
 * asks for a refresh, waits until the controller has done it (it removes the annotation)
 * and reads the Application's `status.resources`. Asked twice and returned only when both
 * answers agree, so that an event still on its way through Argo CD's watch cache does not
 * make a partial answer.
 */
export async function comparedOutOfSync(
  ctx: EngineContext,
  region: string,
  timeoutMs = 120_000,
): Promise<{ outOfSync: string[]; app: Application; seconds: number }> {
  const ns = argocdNamespace(ctx);
  const name = applicationName(ctx, region);
  const t0 = Date.now();
  let previous: string | undefined;
  for (;;) {
    await withHub(ctx, (client) => requestRefresh(client, ns, name));
    const app = await waitForApplication(
      ctx,
      region,
      (a) => a.metadata.annotations?.[REFRESH_ANNOTATION] === undefined,
      Math.max(1_000, timeoutMs - (Date.now() - t0)),
    );
    const outOfSync = outOfSyncResources(app);
    const key = outOfSync.join('\n');
    if (key === previous) return { outOfSync, app, seconds: (Date.now() - t0) / 1000 };
    previous = key;
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(
        `Application ${name}: its OutOfSync list kept changing for ${timeoutMs / 1000} s`,
      );
    }
    await sleep(1_000);
  }
}

/** See {@link argocd}.refresh: each wave's Applications compared against the commit in turn. */
async function refreshInWaveOrder(ctx: EngineContext): Promise<void> {
  const ns = argocdNamespace(ctx);
  const waves = [...new Set(ctx.config.regions.map((r) => r.wave))].sort((a, b) => a - b);
  for (const wave of waves) {
    const regions = ctx.config.regions.filter((r) => r.wave === wave).map((r) => r.name);
    const names = new Set(regions.map((r) => applicationName(ctx, r)));
    await withHub(ctx, async (client) => {
      const apps = (await listApplications(client, ns)).filter((a) => names.has(a.metadata.name));
      await Promise.all(apps.map((a) => requestRefresh(client, ns, a.metadata.name)));
    });
    for (const region of regions) {
      await waitForApplication(
        ctx,
        region,
        (a) => a.status?.sync?.revision === ctx.git.commit,
        120_000,
      ).catch((err: unknown) => {
        ctx.log(
          `argocd: ${region} has not compared ${ctx.git.commit.slice(0, 7)} yet: ${String(err)}`,
        );
      });
    }
  }
}

/** Argo CD, plugged into the deploy framework. Hub layout only: one Argo CD, all regions. */
export const argocd: Engine = {
  name: 'argocd',
  layouts: ['hub'],

  async ensureBinaries(log) {
    for (const b of ['argocd', 'kustomize', 'redis'] as const) await ensureBinary(b, log);
  },

  async start(ctx) {
    const namespace = argocdNamespace(ctx);
    await withHub(ctx, async (client) => {
      // Before the controllers start: they read the settings and clusters at once.
      await installHubObjects(
        client,
        { namespace, appResyncSeconds: DEFAULT_TUNING.appResyncSeconds },
        ctx.regions.map((r) =>
          clusterSecret(namespace, regionCredentials(r), [ctx.config.app.namespace]),
        ),
      );
      const run = await startArgocd({
        clusterDir: ctx.clusterDir,
        engineDir: ctx.engineDir,
        hub: ctx.hub,
        namespace,
        tuning: DEFAULT_TUNING,
        log: ctx.log,
      });
      await client.apply(cmdParamsConfigMap(namespace, run), ARGOCD_SETUP_MANAGER);
    });
  },

  async install(ctx) {
    await withHub(ctx, async (client) => {
      // The AppProject first: an Application naming a missing project fails validation.
      for (const obj of generatedObjects(ctx)) await client.apply(obj, HARNESS_FIELD_MANAGER);
    });
  },

  /**
   * Tells Argo CD about the commit wave by wave: the Applications of one wave are refreshed
   * and compared against the commit before those of the next. Refreshed all at once (as a
   * Git webhook does), a later wave's Application compared first is synced first: the
   * ApplicationSet controller (v3.2.11) gates a step on the health of the earlier steps'
   * Applications as last compared, and one not yet compared against the new commit still
   * counts as Healthy (seen here: eu-west synced 2 s before us-east became Pending).
   */
  async refresh(ctx) {
    // In the background: the deploy watches the rollout meanwhile, from its first second.
    void refreshInWaveOrder(ctx).catch((err: unknown) => {
      ctx.log(`argocd: refresh: ${String(err)}`);
    });
    return Promise.resolve();
  },

  async rollout(ctx) {
    return withHub(ctx, async (client) => {
      const apps = await listApplications(client, argocdNamespace(ctx));
      const byRegion = new Map(apps.map((a) => [a.metadata.labels?.[REGION_LABEL] ?? '', a]));
      return ctx.regions.map((r) => regionRollout(r.name, byRegion.get(r.name), ctx.git.commit));
    });
  },

  async objects(ctx) {
    return withHub(ctx, async (client) => {
      const apps = await listApplications(client, argocdNamespace(ctx));
      return apps.map((a): EngineObjectRow => {
        const st = a.status ?? {};
        const sync = st.sync?.status;
        const health = st.health?.status;
        const op = st.operationState;
        return {
          kind: 'Application',
          namespace: a.metadata.namespace ?? argocdNamespace(ctx),
          name: a.metadata.name,
          region: a.metadata.labels?.[REGION_LABEL] ?? '',
          cluster: ctx.hub.name,
          ready:
            sync === undefined
              ? 'Unknown'
              : sync === 'Synced' && health === 'Healthy'
                ? 'True'
                : 'False',
          revision: st.sync?.revision ?? '',
          message: `${sync ?? 'Unknown'}, ${health ?? 'Unknown'}${
            op ? `; last sync ${op.phase} at ${op.finishedAt ?? op.startedAt ?? '?'}` : ''
          }`,
        };
      });
    });
  },

  /**
   * Argo CD's periodic reconcile, now: refresh the Applications; those that differ from
   * Git become OutOfSync and the RollingSync strategy syncs them. Resolves once each has
   * been compared after the call and, if a sync started after it, that sync has ended
   * with the Application Synced.
   */
  async reconcile(ctx, regions) {
    const names = (regions ?? ctx.regions.map((r) => r.name)).map((r) => ({
      region: r,
      app: applicationName(ctx, r),
    }));
    const t0 = Date.now();
    await withHub(ctx, (client) =>
      Promise.all(names.map((n) => requestRefresh(client, argocdNamespace(ctx), n.app))),
    );
    const after = (iso?: string): boolean => !!iso && Date.parse(iso) >= t0 - 1_000;
    for (const n of names) {
      await waitForApplication(ctx, n.region, (app) => {
        const st = app.status ?? {};
        if (app.metadata.annotations?.[REFRESH_ANNOTATION]) return false;
        if (!after(st.reconciledAt)) return false;
        if (app.operation !== undefined || st.operationState?.phase === 'Running') return false;
        return st.sync?.status === 'Synced';
      });
    }
  },

  /**
   * Deletes the ApplicationSet and its Applications with Argo CD's resources finalizer, so
   * the controller deletes what it applied in the regions first; then the AppProject, the
   * hub objects, and the processes.
   */
  async remove(ctx) {
    const ns = argocdNamespace(ctx);
    await withHub(ctx, async (client) => {
      // The ApplicationSet goes first, leaving its Applications (orphaned): while it
      // exists, its controller puts back whatever finalizers its template says.
      const setPath = applicationSetPath(ns, applicationSetName(ctx));
      await client.request('DELETE', setPath, JSON.stringify({ propagationPolicy: 'Orphan' }));
      const setGone = Date.now() + 60_000;
      while ((await client.request('GET', setPath)).status !== 404 && Date.now() < setGone) {
        await sleep(500);
      }
      const apps = await listApplications(client, ns).catch(() => [] as Application[]);
      const servers = new Set(ctx.regions.map((r) => r.server));
      for (const a of apps) {
        // A region restarted since the deploy listens on another port: Argo CD cannot reach
        // what it applied there (the restarted region is empty anyway), and its finalizer
        // would hold the Application forever. Those go without pruning.
        const reachable = servers.has(a.spec?.destination?.server ?? '');
        if (!reachable) {
          ctx.log(
            `argocd: ${a.metadata.name} deploys to ${a.spec?.destination?.server}, which no running region serves; deleting it without pruning`,
          );
        }
        await client.request(
          'PATCH',
          `${applicationsPath(ns)}/${encodeURIComponent(a.metadata.name)}`,
          JSON.stringify({
            metadata: { finalizers: reachable ? ['resources-finalizer.argocd.argoproj.io'] : null },
          }),
          'application/merge-patch+json',
        );
        await client.request(
          'DELETE',
          `${applicationsPath(ns)}/${encodeURIComponent(a.metadata.name)}`,
        );
      }
      const deadline = Date.now() + 300_000;
      while ((await listApplications(client, ns).catch(() => [])).length > 0) {
        if (Date.now() > deadline) {
          ctx.log(`argocd: Applications in ${ns} still there after 300 s; stopping Argo CD anyway`);
          break;
        }
        await sleep(1_000);
      }
      await client.request(
        'DELETE',
        `/apis/argoproj.io/v1alpha1/namespaces/${ns}/appprojects/${encodeURIComponent(
          ctx.config.gitops.argocd.project ?? ctx.config.app.name,
        )}`,
      );
    });
    await stopArgocd(ctx.clusterDir, ctx.engineDir);
    await withHub(ctx, (client) => client.request('DELETE', `/api/v1/namespaces/${ns}`));
  },
};
