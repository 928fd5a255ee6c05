import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/api-client';
import { describeCluster, kubectl, regions, uniqueName } from '../cluster/testing';
import { runGenerate } from '../../src/pipeline/run-generate';
import type { ComparisonMode, RegionReport } from '../../src/core/report/model';
import { check, completed, deleteObjects, parseObjects, summary, tempDir } from './drift-helpers';
import { toStream } from '../cluster/corpus';

/**
 * One source of truth, end to end on a real API server: a config with
 * `gitops.ignoreDifferences` is generated for Argo CD and for Flux, a region's overlay is
 * applied the way each engine applies it, then changed by hand. The check, run on the
 * generated tree, must read the rules back from the ApplicationSet (Argo CD) or the
 * Kustomization's annotation (Flux), hide exactly the differences they cover, list each
 * under `ignored` with the rule, and still report the changes no rule covers (a label, a
 * ConfigMap key added by the manager a rule trusts for changes only).
 */

const region = regions()[0];
const MODES: ComparisonMode[] = ['server-side', 'read-only'];

const RULES = [
  '  ignoreDifferences:',
  '    - description: the mesh adds its sidecar and status annotation',
  '      group: apps',
  '      kind: Deployment',
  '      jqPathExpressions:',
  '        - .spec.template.spec.containers[] | select(.name == "istio-proxy")',
  '      jsonPointers:',
  '        - /spec/template/metadata/annotations/sidecar.istio.io~1status',
  '    - kind: ConfigMap',
  '      managedFieldsManagers: [kubectl-patch]',
];

function config(engine: 'argocd' | 'flux', app: string): string {
  return [
    'app:',
    `  name: ${app}`,
    `  namespace: ${app}`,
    '  image: {repository: ghcr.io/alfred/api, tag: "1.42.0"}',
    'gitops:',
    `  engine: ${engine}`,
    '  repoURL: https://github.com/alfred/mr-drift.git',
    '  revision: main',
    '  path: overlays',
    ...RULES,
    'database: {shardKey: org, shards: 1, mode: managed, managed: {endpoints: {db-1: db.example.com}}}',
    'cache: {mode: region-local}',
    'regions:',
    `  - name: ${region}`,
    '    cluster: {server: https://example.invalid}',
    '    replicas: {min: 1, max: 2}',
    '    wave: 1',
    `    host: ${app}.example.com`,
    '    shards: [db-1]',
    '',
  ].join('\n');
}

interface Tree {
  dir: string;
  app: string;
  objects: KubeObject[];
  dispose: () => void;
}

async function generateAndApply(engine: 'argocd' | 'flux'): Promise<Tree> {
  const { dir, dispose } = tempDir(`ignore-${engine}`);
  const app = uniqueName(`ign-${engine === 'argocd' ? 'a' : 'f'}`).slice(0, 30);
  writeFileSync(join(dir, 'mr-drift.yaml'), config(engine, app));
  mkdirSync(join(dir, 'overlays'), { recursive: true });
  runGenerate({ configPath: join(dir, 'mr-drift.yaml') });
  const overlay = join(dir, 'overlays', 'regions', region);
  const objects = parseObjects(
    execFileSync('kubectl', ['kustomize', overlay], { encoding: 'utf8' }),
  );
  const manager = engine === 'argocd' ? 'argocd-controller' : 'kustomize-controller';
  const ns = objects.filter((o) => o.kind === 'Namespace');
  for (const batch of [ns, objects.filter((o) => o.kind !== 'Namespace')])
    await kubectl(
      region,
      ['apply', '--server-side', '--force-conflicts', `--field-manager=${manager}`, '-f', '-'],
      { input: toStream(batch) },
    );
  // The hand changes: two a rule covers, one it covers as a changed value, and two no rule covers.
  const k = (...args: string[]) => kubectl(region, args, { namespace: app });
  await k(
    'patch',
    `deployment/${app}-api`,
    '--type=strategic',
    '-p',
    JSON.stringify({
      spec: {
        template: {
          metadata: { annotations: { 'sidecar.istio.io/status': '{"injected":true}' } },
          spec: { containers: [{ name: 'istio-proxy', image: 'istio/proxyv2:1.24.0' }] },
        },
      },
    }),
  );
  await k('label', `deployment/${app}-api`, 'owner=bob');
  await k(
    'patch',
    `configmap/${app}-config`,
    '--type=merge',
    '-p',
    '{"data":{"CACHE_MODE":"local","EXTRA":"1"}}',
  );
  return { dir, app, objects, dispose };
}

const ignoredOf = (r: RegionReport) =>
  (r.ignored ?? []).map((i) => `${i.kind} ${i.path} <- ${i.rule}`).sort();

describeCluster(
  'ignore rules from the generated tree (config -> ApplicationSet / Kustomization -> check)',
  () => {
    const trees = new Map<string, Tree>();
    beforeAll(async () => {
      for (const engine of ['argocd', 'flux'] as const)
        trees.set(engine, await generateAndApply(engine));
    });
    afterAll(async () => {
      for (const t of trees.values()) {
        await deleteObjects(region, t.objects);
        t.dispose();
      }
    });

    it('the generated tree carries the rules where each engine keeps them', () => {
      const appset = readFileSync(
        join(trees.get('argocd')!.dir, 'overlays/argocd/applicationset.yaml'),
        'utf8',
      );
      expect(appset).toContain('ignoreDifferences:');
      const sync = readFileSync(
        join(trees.get('flux')!.dir, `overlays/flux/${region}/sync.yaml`),
        'utf8',
      );
      expect(sync).toContain('mr-drift.io/ignore-differences:');
    });

    for (const engine of ['argocd', 'flux'] as const) {
      for (const mode of MODES) {
        it(`${engine}, ${mode}: hides what the rules cover, lists it, reports the rest`, async () => {
          const t = trees.get(engine)!;
          const report = await check(join(t.dir, 'overlays'), [region], mode);
          const r = completed(report.regions[0]);
          const source =
            engine === 'argocd'
              ? `Argo CD Application ${t.app}-${region} (ApplicationSet ${t.app}) spec.ignoreDifferences`
              : `the ignore rule`;
          expect(ignoredOf(r).map((line) => line.split(' <- ')[0])).toEqual([
            'ConfigMap /data/CACHE_MODE',
            'Deployment /spec/template/metadata/annotations/sidecar.istio.io~1status',
            'Deployment /spec/template/spec/containers/name=istio-proxy',
          ]);
          for (const i of r.ignored ?? []) {
            expect(i.rule).toContain(source);
            expect(i.rule).toContain(
              engine === 'argocd' ? 'applicationset.yaml' : `flux/${region}/sync.yaml`,
            );
            expect(i.engine).toBe(engine === 'argocd' ? 'argocd' : undefined);
          }
          // What no rule covers is still drift: the label, and the key kubectl-patch added
          // (the rule trusts it with changes to fields Git sets, not with additions).
          expect(summary(r.findings)).toEqual([
            {
              kind: 'ConfigMap',
              name: `${t.app}-config`,
              type: 'changed',
              fields: { '/data/EXTRA': 'kubectl-patch' },
            },
            {
              kind: 'Deployment',
              name: `${t.app}-api`,
              type: 'changed',
              fields: { '/metadata/labels/owner': 'kubectl-label' },
            },
          ]);
          expect(r.status).toBe('drift');
        });
      }
    }
  },
);
