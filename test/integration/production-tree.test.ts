import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { findKustomize, renderKustomization } from '../../src/adapters/kustomize';
import type { DriftReport } from '../../src/core/report/model';
import type { KubeObject } from '../cluster/api-client';
import { toStream } from '../cluster/corpus';
import { describeCluster, dropNamespace, kubectl, regions } from '../cluster/testing';
import { validateObject } from '../golden/validate-objects';
import { deleteObjects, parseObjects, nonControllerWrites, runCli, tempDir } from './drift-helpers';

/**
 * Issue 11, item 7: the production tree, every section on (global routing, secrets from a
 * store, CloudNativePG shards with a cross-region replica and backups, the redis operator's
 * RedisCluster, per-region alerts), proven on the real API servers. For each engine:
 * `mr-drift generate` writes the tree; each region's overlay is built with the real
 * kustomize; every object passes its schema (CRD or core); the whole tree (overlays and
 * the engine's own objects) is applied server-side, with strict field validation, as the
 * engine applies it, to the test regions, which have the upstream CRDs installed; and
 * `mr-drift check` right after finds nothing in both modes and writes nothing.
 *
 * The operators themselves do not run here: their objects are applied and stored, not
 * reconciled (no Postgres, no Redis pods), which is what the drift check compares.
 */

interface Variant {
  engine: 'argocd' | 'flux';
  /** Field manager the engine applies with. */
  manager: string;
  /** Folder of the engine's own objects in the tree, applied to the hub (us-east). */
  engineDir: string;
  config: (app: string) => string;
  /** Kinds each region's overlay must hold (so a section that went missing fails here). */
  kinds: Record<string, string[]>;
}

const HUB = 'us-east';

const COMMON_KINDS = [
  'Cluster',
  'ObjectStore',
  'ScheduledBackup',
  'ExternalSecret',
  'ServiceMonitor',
  'PodMonitor',
  'PrometheusRule',
  'Ingress',
];

function regionsYaml(app: string, routing: Record<string, string>): string {
  return `regions:
  - name: us-east
    cluster: { server: https://us-east.k8s.example.com }
    replicas: { min: 3, max: 12 }
    wave: 1
    host: us-east.${app}.example.com
    shards: [db-1, db-2]
    routing: ${routing['us-east']}
  - name: eu-west
    cluster: { server: https://eu-west.k8s.example.com }
    replicas: { min: 2, max: 8 }
    wave: 2
    host: eu-west.${app}.example.com
    shards: [db-1, db-3]
    routing: ${routing['eu-west']}
  - name: ap-southeast
    cluster: { server: https://ap-southeast.k8s.example.com }
    replicas: { min: 2, max: 6 }
    wave: 2
    host: ap-southeast.${app}.example.com
    shards: [db-3]
    cache: region-local
    traffic: 50
    routing: ${routing['ap-southeast']}
`;
}

function databaseYaml(primaries: string): string {
  return `database:
  shardKey: org
  shards: 3
  mode: cloudnative-pg
  replicated: [db-1, db-3]
  primaries: { ${primaries} }
  cloudnativePG:
    instances: 3
    imageName: ghcr.io/cloudnative-pg/postgresql:16.4
    storage: 50Gi
    backup:
      destinationPath: s3://alfred-backups/postgres
      retention: 14d
cache:
  mode: redis-cluster
monitoring:
  labels: { release: kube-prometheus-stack }
`;
}

const VARIANTS: Record<string, Variant> = {
  // Argo CD, k8gb (weighted round robin), a ClusterSecretStore.
  'argocd + k8gb': {
    engine: 'argocd',
    manager: 'argocd-controller',
    engineDir: 'argocd',
    kinds: {
      'us-east': [...COMMON_KINDS, 'Gslb', 'RedisCluster'],
      'eu-west': [...COMMON_KINDS, 'Gslb', 'RedisCluster'],
      'ap-southeast': [...COMMON_KINDS, 'Gslb'],
    },
    config: (app) => `app:
  name: ${app}
  namespace: ${app}
  image: { repository: ghcr.io/alfred/api, tag: '1.42.0' }
gitops:
  engine: argocd
  repoURL: https://github.com/alfred/deploy.git
  revision: main
  path: overlays
  argocd: { project: ${app} }
${databaseYaml('db-1: us-east, db-3: ap-southeast')}routing:
  provider: k8gb
  host: ${app}.gslb.example.com
  k8gb: { strategy: roundRobin }
secrets:
  externalSecrets:
    store: { kind: ClusterSecretStore, name: alfred-secrets }
${regionsYaml(app, { 'us-east': '{ geoTag: us }', 'eu-west': '{ geoTag: eu }', 'ap-southeast': '{ geoTag: ap }' })}`,
  },
  // Flux hub layout, AWS Global Accelerator (one accelerator in the home region), a
  // namespaced SecretStore with the regions' kubeconfigs, SOPS on the Kustomizations.
  'flux hub + aws-global-accelerator': {
    engine: 'flux',
    manager: 'kustomize-controller',
    engineDir: 'flux',
    kinds: {
      'us-east': [...COMMON_KINDS, 'GlobalAccelerator', 'RedisCluster'],
      'eu-west': [...COMMON_KINDS, 'RedisCluster'],
      'ap-southeast': [...COMMON_KINDS],
    },
    config: (app) => `app:
  name: ${app}
  namespace: ${app}
  image: { repository: ghcr.io/alfred/api, tag: '1.42.0' }
  ingressClassName: alb
gitops:
  engine: flux
  repoURL: https://github.com/alfred/deploy.git
  revision: main
  path: overlays
  flux: { layout: hub }
${databaseYaml('db-1: eu-west')}routing:
  provider: aws-global-accelerator
  host: ${app}.example.com
  awsGlobalAccelerator: { name: ${app} }
secrets:
  externalSecrets:
    store: { kind: SecretStore, name: vault }
  sops: { secretRef: sops-age }
${regionsYaml(app, {
  'us-east': '{ awsRegion: us-east-1 }',
  'eu-west':
    '{ awsRegion: eu-west-1, endpointId: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/alfred/50dc6c495c0c9188" }',
  'ap-southeast':
    '{ awsRegion: ap-southeast-1, endpointId: "arn:aws:elasticloadbalancing:ap-southeast-1:123456789012:loadbalancer/app/alfred/60dc6c495c0c9189" }',
})}`,
  },
};

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function render(dir: string): Promise<KubeObject[]> {
  return parseObjects(await renderKustomization(dir));
}

/** Server-side apply as the engine does (its field manager), strict field validation. */
async function applyAs(region: string, manager: string, objects: KubeObject[]): Promise<number> {
  const apply = [
    'apply',
    '--server-side',
    '--force-conflicts',
    '--validate=strict',
    `--field-manager=${manager}`,
    '-f',
    '-',
  ];
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  const rest = objects.filter((o) => o.kind !== 'Namespace');
  let lines = 0;
  for (const batch of [namespaces, rest]) {
    if (batch.length === 0) continue;
    const out = await kubectl(region, apply, { input: toStream(batch), timeoutMs: 300_000 });
    lines += out.trim().split('\n').length;
  }
  return lines;
}

async function checkCli(dir: string, mode: string): Promise<DriftReport> {
  const res = await runCli([
    'check',
    '--path',
    dir,
    '--mode',
    mode,
    '--output',
    'json',
    '--no-progress',
  ]);
  expect(res.stderr, `check --mode ${mode}`).toBe('');
  expect(res.code, `check --mode ${mode}: ${res.stdout.slice(0, 2000)}`).toBe(0);
  return JSON.parse(res.stdout) as DriftReport;
}

describeCluster('the production tree on the real API servers (issue 11)', () => {
  it('renders with the real kustomize', () => {
    expect(findKustomize().command).toMatch(/kustomize|kubectl/);
  });

  it.each(Object.keys(VARIANTS))(
    '%s: every section on; builds, validates, applies server-side; check finds nothing in both modes',
    async (name) => {
      const v = VARIANTS[name];
      const app = `prod${randomBytes(3).toString('hex')}`;
      const { dir, dispose } = tempDir(`production-${v.engine}`);
      cleanups.push(dispose);
      const configFile = join(dir, 'mr-drift.yaml');
      writeFileSync(configFile, v.config(app));

      const gen = await runCli(['generate', '--config', configFile, '--output', 'json']);
      expect(gen.stderr).toBe('');
      expect(gen.code, gen.stdout).toBe(0);
      const generated = JSON.parse(gen.stdout) as {
        failoverReadiness: {
          regions: { region: string; shards: { shard: string; outcome: string }[] }[];
          warnings: string[];
        };
      };
      // The readiness report reads the same config: db-2 lives only in us-east (restored
      // from its backup), db-1 and db-3 have a replica cluster in another region.
      const loss = Object.fromEntries(
        generated.failoverReadiness.regions.map((r) => [
          r.region,
          Object.fromEntries(r.shards.map((s) => [s.shard, s.outcome])),
        ]),
      );
      expect(loss['us-east']).toEqual({
        'db-1': v.engine === 'argocd' ? 'promote' : 'replica-lost',
        'db-2': 'restore-from-backup',
      });

      const tree = join(dir, 'overlays');
      const all = regions();
      const rendered = new Map<string, KubeObject[]>();
      for (const region of all) {
        const objects = await render(join(tree, 'regions', region));
        rendered.set(region, objects);
        const kinds = new Set(objects.map((o) => o.kind));
        for (const kind of v.kinds[region])
          expect(kinds, `${region} has a ${kind}`).toContain(kind);
        const problems = objects.flatMap((o) => validateObject(o as never));
        expect(problems, region).toEqual([]);
      }
      const engineObjects = await render(join(tree, v.engineDir));
      expect(engineObjects.flatMap((o) => validateObject(o as never))).toEqual([]);

      for (const region of all) {
        const objects = rendered.get(region)!;
        cleanups.push(() => deleteObjects(region, objects));
        cleanups.push(() => dropNamespace(app, [region]));
        expect(await applyAs(region, v.manager, objects)).toBe(objects.length);
      }
      // The engine's own objects (Argo CD ApplicationSet and AppProject, or the Flux hub's
      // GitRepository, Kustomizations and kubeconfig ExternalSecrets) go to the hub, into
      // the engine's namespace, which exists there once the engine is installed.
      const engineNs = [...new Set(engineObjects.map((o) => o.metadata.namespace))].filter(
        (n): n is string => typeof n === 'string',
      );
      await applyAs(
        HUB,
        'mr-drift-harness',
        engineNs.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })),
      );
      cleanups.push(() => deleteObjects(HUB, engineObjects));
      expect(await applyAs(HUB, v.manager, engineObjects)).toBe(engineObjects.length);

      // The control plane's controllers write the status of Deployments, HPAs, PDBs and
      // Ingresses at any time; no controller runs for the operators' custom resources or
      // for ConfigMaps, so those must keep their resourceVersion through both checks.
      const still = (r: string) =>
        rendered
          .get(r)!
          .filter(
            (o) =>
              o.kind === 'ConfigMap' ||
              (o.apiVersion.includes('.') && !o.apiVersion.includes('k8s.io/')),
          );
      const before = new Map<string, Map<string, string>>();
      for (const r of all) before.set(r, await nonControllerWrites(r, still(r)));
      for (const mode of ['server-side', 'read-only']) {
        const report = await checkCli(tree, mode);
        expect(report.regions.map((r) => r.name).sort()).toEqual([...all].sort());
        for (const region of report.regions) {
          expect(region.error, `${mode} ${region.name}`).toBeUndefined();
          expect(
            region.findings.map((f) => `${f.type} ${f.kind}/${f.name}`),
            `${mode} ${region.name}`,
          ).toEqual([]);
          expect(region.status).toBe('in-sync');
          expect(region.objects).toBe(rendered.get(region.name)!.length);
        }
      }
      // The check wrote nothing.
      for (const r of all) {
        const after = await nonControllerWrites(r, still(r));
        expect(after.size).toBe(still(r).length);
        expect(after.size).toBeGreaterThan(5);
        expect(after).toEqual(before.get(r));
      }
    },
    900_000,
  );
});
