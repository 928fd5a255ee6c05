import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, KubeObject } from '../api-client';
import { ensureBinary } from '../binaries';
import { readObjects } from '../bootstrap';
import { goModuleDir, HARNESS_FIELD_MANAGER } from '../paths';
import { freePort } from '../ports';
import { regionClient } from '../region';
import type { RegionState } from '../state';
import type { Engine, EngineContext, EngineObjectRow, RegionRollout } from './index';
import {
  httpOk,
  regionKubeconfig,
  runningProcess,
  startEngineProcess,
  stopEngineProcesses,
  writeRegionKubeconfig,
} from './runtime';

/**
 * Flux on the test regions: source-controller v1.9.3 and kustomize-controller v1.9.6,
 * built from test/cluster/go/flux and run as processes, as a Flux installation runs them
 * in a cluster (no leader election, one of each per cluster that hosts Flux).
 *
 * - hub layout: one pair on the hub region; each region's Kustomization reaches its
 *   cluster through a kubeconfig Secret (`spec.kubeConfig.secretRef`), and `dependsOn`
 *   holds each wave until the previous one is ready.
 * - per-cluster layout: one pair per region, each applying that region's folder.
 *
 * Flux has no --kubeconfig flag (controller-runtime's Go flag is never added to its
 * pflag set): the cluster comes from the KUBECONFIG variable. Every listener is on a free
 * 127.0.0.1 port; metrics are off.
 */

const SOURCE_API = 'source.toolkit.fluxcd.io/v1';
const KUSTOMIZE_API = 'kustomize.toolkit.fluxcd.io/v1';

/** How soon a Kustomization waiting on `dependsOn` looks again (Flux's default is 30 s). */
export const REQUEUE_DEPENDENCY = '2s';

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The parts of a Kustomization's or GitRepository's status this file reads. */
export interface FluxObject extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number; labels?: Record<string, string> };
  spec?: {
    sourceRef?: { kind: string; name: string; namespace?: string };
    healthChecks?: { apiVersion: string; kind: string; name: string; namespace?: string }[];
  };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    artifact?: { revision?: string };
  };
}

/** The clusters that hold Flux objects: the hub, or every region. */
function fluxClusters(ctx: EngineContext): RegionState[] {
  return ctx.layout === 'hub' ? [ctx.hub] : ctx.regions;
}

/** Folder of a module in the Go module cache (downloaded by the build). */
function moduleDir(modulePath: string): string {
  return execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', modulePath], {
    cwd: goModuleDir('flux'),
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
  }).trim();
}

/**
 * The CRDs of the two controllers, from their own module (source-controller refuses to
 * start until every source kind of its release is served, not only GitRepository).
 */
export function fluxCrds(): KubeObject[] {
  const out: KubeObject[] = [];
  for (const mod of [
    'github.com/fluxcd/source-controller',
    'github.com/fluxcd/kustomize-controller',
  ]) {
    const dir = join(moduleDir(mod), 'config', 'crd', 'bases');
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.yaml')) out.push(...readObjects(join(dir, f)));
    }
  }
  return out;
}

async function waitEstablished(client: ApiClient, names: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const name of names) {
    for (;;) {
      const crd = await client.getJson<{ status?: { conditions?: Condition[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
        break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 120 s`);
      await sleep(200);
    }
  }
}

async function ensureNamespace(client: ApiClient, name: string): Promise<void> {
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    HARNESS_FIELD_MANAGER,
  );
}

/** Starts the controllers for one cluster unless they already run against its current server. */
async function startControllers(ctx: EngineContext, target: RegionState): Promise<void> {
  const dir = join(ctx.engineDir, target.name);
  // A region restarted since (new port, empty etcd) gets new controllers.
  const running = (component: string): boolean =>
    runningProcess(ctx.clusterDir, 'flux', component, target.name)?.server === target.server;
  if (running('source-controller') && running('kustomize-controller')) return;
  await stopEngineProcesses(ctx.clusterDir, { engine: 'flux', targets: [target.name] });
  const kubeconfig = writeRegionKubeconfig(dir, target);
  const env = { KUBECONFIG: kubeconfig };
  const common = (healthPort: number): string[] => [
    '--metrics-addr=0',
    `--health-addr=127.0.0.1:${healthPort}`,
    '--log-encoding=console',
    '--enable-leader-election=false',
  ];

  const [storage, scHealth] = [await freePort(), await freePort()];
  const storagePath = join(dir, 'artifacts');
  // source-controller refuses a storage folder that does not exist.
  mkdirSync(storagePath, { recursive: true });
  ctx.log(`flux: starting source-controller for ${target.name}`);
  await startEngineProcess(ctx.clusterDir, {
    engine: 'flux',
    component: 'source-controller',
    target: target.name,
    server: target.server,
    binary: await ensureBinary('source-controller'),
    args: [
      ...common(scHealth),
      `--storage-path=${storagePath}`,
      `--storage-addr=127.0.0.1:${storage}`,
      // The artifact URLs kustomize-controller downloads from.
      `--storage-adv-addr=127.0.0.1:${storage}`,
    ],
    env,
    marker: `--storage-path=${storagePath}`,
    dir,
    ready: () => httpOk(`http://127.0.0.1:${scHealth}/readyz`),
  });

  const kcHealth = await freePort();
  ctx.log(`flux: starting kustomize-controller for ${target.name}`);
  await startEngineProcess(ctx.clusterDir, {
    engine: 'flux',
    component: 'kustomize-controller',
    target: target.name,
    server: target.server,
    binary: await ensureBinary('kustomize-controller'),
    args: [
      ...common(kcHealth),
      // No internet here; and Git is the only source of the tree.
      '--no-remote-bases=true',
      `--requeue-dependency=${REQUEUE_DEPENDENCY}`,
    ],
    env,
    marker: `--health-addr=127.0.0.1:${kcHealth}`,
    dir,
    ready: () => httpOk(`http://127.0.0.1:${kcHealth}/readyz`),
  });
}

/** Every YAML object under a folder (recursively), except kustomize's own kustomization.yaml. */
function objectsUnder(dir: string): KubeObject[] {
  if (!existsSync(dir)) return [];
  const out: KubeObject[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...objectsUnder(full));
    else if (/\.ya?ml$/.test(entry) && entry !== 'kustomization.yaml')
      out.push(...readObjects(full));
  }
  return out;
}

/** `main@sha1:<sha>` -> `<sha>`. */
export function commitOf(revision: string | undefined): string | undefined {
  return revision?.match(/sha1:([0-9a-f]{40})/)?.[1];
}

function condition(obj: FluxObject, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Where one region's Kustomization is with the commit:
 * ready (applied at it and healthy), progressing (fetching, applying or running health
 * checks for it), failed (its last attempt at it failed; Flux retries), or waiting
 * (dependsOn not ready, or the source has not fetched it yet).
 */
export function kustomizationPhase(
  ks: FluxObject,
  commit: string,
): Pick<RegionRollout, 'phase' | 'message' | 'unhealthy' | 'revision'> {
  const ready = condition(ks, 'Ready');
  const reconciling = condition(ks, 'Reconciling');
  const applied = commitOf(ks.status?.lastAppliedRevision);
  const current = ks.status?.observedGeneration === ks.metadata.generation;
  const message = oneLine(ready?.message ?? reconciling?.message ?? 'no status yet');
  const base = { message, ...(applied ? { revision: applied } : {}) };
  const unhealthy = unhealthyFromMessage(ready?.message);
  if (ready?.status === 'True' && applied === commit && current) return { ...base, phase: 'ready' };
  const attempted =
    commitOf(ks.status?.lastAttemptedRevision) === commit ||
    (reconciling?.status === 'True' && (reconciling.message ?? '').includes(commit));
  if (!attempted) return { ...base, phase: 'waiting' };
  if (ready?.status === 'False' && ready.reason !== 'DependencyNotReady') {
    return { ...base, phase: 'failed', ...(unhealthy ? { unhealthy } : {}) };
  }
  return { ...base, phase: 'progressing' };
}

/**
 * The objects a failed health check names: kstatus's
 * "timeout waiting for: [Deployment/ns/name status: 'InProgress', ...]".
 */
export function unhealthyFromMessage(message: string | undefined): string | undefined {
  const list = message?.match(/waiting for: \[(.*)\]/)?.[1];
  if (!list) return undefined;
  return list
    .split(/,\s*(?=[A-Za-z]+\/)/)
    .map((item) => {
      const m = item.match(/^([A-Za-z]+)\/([^/\s]+)\/([^\s]+)\s+status:\s*'([^']*)'/);
      return m ? `${m[1]} ${m[2]}/${m[3]} (${m[4]})` : item.trim();
    })
    .join(', ');
}

async function listFlux(client: ApiClient, namespace: string, plural: string, api: string) {
  const list = await client.getJson<{ items: FluxObject[] }>(
    `/apis/${api}/namespaces/${encodeURIComponent(namespace)}/${plural}`,
  );
  return list.items;
}

/** The region a Flux object deploys, from the generator's region label. */
function regionOf(obj: FluxObject): string | undefined {
  return obj.metadata.labels?.['mr-drift.io/region'];
}

/**
 * Why a region is not ready yet, when Flux does not say: each health-check object of its
 * Kustomization read from the region, with the first reason it is not ready
 * (Deployment/StatefulSet replicas, or absent).
 */
async function diagnose(
  ctx: EngineContext,
  ks: FluxObject,
  region: RegionState,
): Promise<string | undefined> {
  const checks = ks.spec?.healthChecks ?? [];
  if (!checks.length) return undefined;
  const client = regionClient(region);
  try {
    const bad: string[] = [];
    for (const hc of checks) {
      const ns = hc.namespace ?? ks.metadata.namespace ?? 'default';
      let obj: KubeObject & { status?: Record<string, unknown>; spec?: Record<string, unknown> };
      try {
        const path = await client.objectPath({
          apiVersion: hc.apiVersion,
          kind: hc.kind,
          metadata: { name: hc.name, namespace: ns },
        });
        const res = await client.request('GET', path, undefined, undefined, 5_000);
        if (res.status === 404) {
          bad.push(`${hc.kind} ${ns}/${hc.name} (not found)`);
          continue;
        }
        if (res.status !== 200) {
          bad.push(`${hc.kind} ${ns}/${hc.name} (HTTP ${res.status})`);
          continue;
        }
        obj = JSON.parse(res.body) as typeof obj;
      } catch (err) {
        return `cannot read the region: ${(err as Error).message}`;
      }
      const want = Number(obj.spec?.replicas ?? 1);
      const ready = Number(obj.status?.readyReplicas ?? 0);
      if ((hc.kind === 'Deployment' || hc.kind === 'StatefulSet') && ready < want) {
        bad.push(`${hc.kind} ${ns}/${hc.name} (${ready}/${want} ready)`);
      }
    }
    return bad.length ? bad.join(', ') : undefined;
  } finally {
    client.close();
  }
  void ctx;
}

export const flux: Engine = {
  name: 'flux',
  layouts: ['hub', 'per-cluster'],

  async ensureBinaries(log) {
    await ensureBinary('kustomize-controller', log);
    await ensureBinary('source-controller', log);
  },

  async start(ctx) {
    const crds = fluxCrds();
    for (const target of fluxClusters(ctx)) {
      const client = regionClient(target);
      try {
        await Promise.all(crds.map((crd) => client.apply(crd, HARNESS_FIELD_MANAGER)));
        await waitEstablished(
          client,
          crds.map((c) => c.metadata.name),
        );
        await ensureNamespace(client, ctx.config.gitops.flux.namespace);
      } finally {
        client.close();
      }
      await startControllers(ctx, target);
    }
    // Per-cluster layout after a hub deploy (or the other way round): controllers for
    // clusters that no longer host Flux are stopped.
    const hosts = fluxClusters(ctx).map((t) => t.name);
    const others = ctx.regions.map((r) => r.name).filter((n) => !hosts.includes(n));
    if (others.length)
      await stopEngineProcesses(ctx.clusterDir, { engine: 'flux', targets: others });
  },

  async install(ctx) {
    const fluxDir = join(ctx.treeDir, 'flux');
    if (ctx.layout === 'hub') {
      const client = regionClient(ctx.hub);
      try {
        await applyKubeconfigSecrets(ctx, client);
        for (const obj of objectsUnder(fluxDir)) await client.apply(obj, HARNESS_FIELD_MANAGER);
      } finally {
        client.close();
      }
      return;
    }
    for (const region of ctx.regions) {
      const client = regionClient(region);
      try {
        for (const obj of objectsUnder(join(fluxDir, region.name)))
          await client.apply(obj, HARNESS_FIELD_MANAGER);
      } finally {
        client.close();
      }
    }
  },

  async refresh(ctx) {
    await requestReconcile(ctx, ['gitrepositories']);
  },

  async rollout(ctx) {
    const ns = ctx.config.gitops.flux.namespace;
    const out: RegionRollout[] = [];
    const byName = new Map(ctx.regions.map((r) => [r.name, r]));
    for (const cluster of fluxClusters(ctx)) {
      const client = regionClient(cluster);
      try {
        // One list: a consistent snapshot of every region's Kustomization on this cluster.
        const items = await listFlux(client, ns, 'kustomizations', KUSTOMIZE_API);
        for (const ks of items) {
          const region = regionOf(ks);
          if (!region || !byName.has(region)) continue;
          out.push({ region, ...kustomizationPhase(ks, ctx.git.commit) });
        }
      } finally {
        client.close();
      }
    }
    for (const row of out) {
      if (row.phase === 'ready' || row.unhealthy) continue;
      if (row.phase === 'progressing' || row.phase === 'failed') {
        const ks = await getKustomization(ctx, row.region);
        const region = byName.get(row.region);
        if (ks && region) {
          const why = await diagnose(ctx, ks, region).catch(() => undefined);
          if (why) row.unhealthy = why;
        }
      }
    }
    return out;
  },

  async reconcile(ctx, regions) {
    const at = await requestReconcile(ctx, ['kustomizations'], regions);
    const wanted = regions ?? ctx.regions.map((r) => r.name);
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
      const pending: string[] = [];
      for (const region of wanted) {
        const ks = await getKustomization(ctx, region);
        const handled = (ks?.status as { lastHandledReconcileAt?: string } | undefined)
          ?.lastHandledReconcileAt;
        if (handled !== at) pending.push(region);
      }
      if (!pending.length) return;
      if (Date.now() > deadline) {
        throw new Error(`Flux did not reconcile ${pending.join(', ')} within 5 minutes`);
      }
      await sleep(500);
    }
  },

  async remove(ctx) {
    const ns = ctx.config.gitops.flux.namespace;
    for (const cluster of fluxClusters(ctx)) {
      const client = regionClient(cluster);
      try {
        // Fresh credentials first: a region restarted since the deploy has a new port, and
        // kustomize-controller prunes through them when the Kustomization goes.
        if (ctx.layout === 'hub') await applyKubeconfigSecrets(ctx, client);
        for (const [plural, api] of [
          ['kustomizations', KUSTOMIZE_API],
          ['gitrepositories', SOURCE_API],
        ] as const) {
          const items = await listFlux(client, ns, plural, api);
          for (const obj of items) {
            await client.request(
              'DELETE',
              `/apis/${api}/namespaces/${ns}/${plural}/${obj.metadata.name}`,
            );
          }
          // The controllers remove their finalizers once they have pruned.
          const deadline = Date.now() + 180_000;
          while ((await listFlux(client, ns, plural, api)).length) {
            if (Date.now() > deadline) {
              throw new Error(
                `${plural} in ${cluster.name}/${ns} still there 180 s after their delete: see the logs in ${ctx.engineDir}`,
              );
            }
            await sleep(500);
          }
        }
        await client.request('DELETE', `/api/v1/namespaces/${ns}`);
      } finally {
        client.close();
      }
    }
    await stopEngineProcesses(ctx.clusterDir, { engine: 'flux' });
  },

  async objects(ctx) {
    const ns = ctx.config.gitops.flux.namespace;
    const rows: EngineObjectRow[] = [];
    for (const cluster of fluxClusters(ctx)) {
      const client = regionClient(cluster);
      try {
        for (const [plural, api, kind] of [
          ['gitrepositories', SOURCE_API, 'GitRepository'],
          ['kustomizations', KUSTOMIZE_API, 'Kustomization'],
        ] as const) {
          for (const obj of await listFlux(client, ns, plural, api)) {
            const ready = condition(obj, 'Ready');
            rows.push({
              kind,
              namespace: ns,
              name: obj.metadata.name,
              region: regionOf(obj) ?? '-',
              cluster: cluster.name,
              ready: ready?.status ?? 'Unknown',
              revision: obj.status?.lastAppliedRevision ?? obj.status?.artifact?.revision ?? '-',
              message: oneLine(ready?.message),
            });
          }
        }
      } finally {
        client.close();
      }
    }
    return rows;
  },
};

/**
 * The kubeconfig Secrets the generated hub Kustomizations name (created out of band, as
 * the generated files say): one per region, self-contained (*-data fields only).
 */
async function applyKubeconfigSecrets(ctx: EngineContext, hub: ApiClient): Promise<void> {
  for (const region of ctx.regions) {
    await hub.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: `${ctx.config.app.name}-${region.name}-kubeconfig`,
          namespace: ctx.config.gitops.flux.namespace,
        },
        type: 'Opaque',
        data: { value: Buffer.from(regionKubeconfig(region)).toString('base64') },
      },
      HARNESS_FIELD_MANAGER,
    );
  }
}

async function getKustomization(
  ctx: EngineContext,
  region: string,
): Promise<FluxObject | undefined> {
  const ns = ctx.config.gitops.flux.namespace;
  const cluster = ctx.layout === 'hub' ? ctx.hub : ctx.regions.find((r) => r.name === region);
  if (!cluster) return undefined;
  const client = regionClient(cluster);
  try {
    const items = await listFlux(client, ns, 'kustomizations', KUSTOMIZE_API);
    return items.find((k) => regionOf(k) === region);
  } finally {
    client.close();
  }
}

/**
 * Asks Flux to reconcile now, as `flux reconcile` does: sets the
 * `reconcile.fluxcd.io/requestedAt` annotation on every GitRepository and/or
 * Kustomization of the deploy.
 */
export async function requestReconcile(
  ctx: EngineContext,
  kinds: ('gitrepositories' | 'kustomizations')[],
  regions?: string[],
): Promise<string> {
  const ns = ctx.config.gitops.flux.namespace;
  const at = new Date().toISOString();
  for (const cluster of fluxClusters(ctx)) {
    const client = regionClient(cluster);
    try {
      for (const plural of kinds) {
        const api = plural === 'gitrepositories' ? SOURCE_API : KUSTOMIZE_API;
        for (const obj of await listFlux(client, ns, plural, api)) {
          const region = regionOf(obj);
          if (regions && region && !regions.includes(region)) continue;
          const res = await client.request(
            'PATCH',
            `/apis/${api}/namespaces/${ns}/${plural}/${obj.metadata.name}`,
            JSON.stringify({
              metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': at } },
            }),
            'application/merge-patch+json',
          );
          if (res.status !== 200) {
            throw new Error(
              `annotating ${plural} ${obj.metadata.name}: HTTP ${res.status}: ${res.body.slice(0, 300)}`,
            );
          }
        }
      }
    } finally {
      client.close();
    }
  }
  return at;
}
