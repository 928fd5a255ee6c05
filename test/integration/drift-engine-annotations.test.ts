import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/api-client';
import { toStream } from '../cluster/corpus';
import { describeCluster, freshNamespace, kubectl, regions } from '../cluster/testing';
import { check, completed, summary, tempDir } from './drift-helpers';
import type { ComparisonMode, IgnoredField, RegionReport } from '../../src/core/report/model';

/**
 * The engines' per-object settings, on a real API server: objects are applied the way
 * Flux (server-side apply as `kustomize-controller`) or Argo CD (as `argocd-controller`)
 * applies them, changed by hand, then checked from a plain folder in both modes. Each
 * setting must hide exactly what the engine would leave alone, list it under `ignored`
 * with the setting's name, and nothing else: a twin object without the setting, changed
 * the same way, is still reported (so each case would fail if the setting were not read).
 */

const region = regions()[0];
const MODES: ComparisonMode[] = ['server-side', 'read-only'];

const cm = (
  name: string,
  data: Record<string, string>,
  meta: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...meta },
  data,
});

interface Scene {
  ns: string;
  dir: string;
  app: string;
  dispose: () => void;
}

/** Writes Git's manifests to a folder, applies `applied` as the engine does, in a fresh namespace. */
async function scene(
  prefix: string,
  manager: 'kustomize-controller' | 'argocd-controller',
  git: KubeObject[],
  applied: KubeObject[] = git,
): Promise<Scene> {
  const ns = await freshNamespace(prefix, [region]);
  const app = `${prefix}-${ns.slice(-6)}`;
  const label = (o: KubeObject): KubeObject => ({
    ...o,
    metadata: {
      ...o.metadata,
      namespace: ns,
      labels: { ...(o.metadata.labels ?? {}), 'app.kubernetes.io/part-of': app },
    },
  });
  const { dir, dispose } = tempDir(prefix);
  writeFileSync(join(dir, 'app.yaml'), toStream(git.map(label)));
  await kubectl(
    region,
    ['apply', '--server-side', '--force-conflicts', `--field-manager=${manager}`, '-f', '-'],
    { input: toStream(applied.map(label)) },
  );
  return { ns, dir, app, dispose };
}

const k = (s: Scene, ...args: string[]) => kubectl(region, args, { namespace: s.ns });

/** Makes an object in the cluster that is not in Git, carrying the app's identity. */
async function extra(s: Scene, manager: string, obj: KubeObject): Promise<void> {
  const labelled = {
    ...obj,
    metadata: {
      ...obj.metadata,
      namespace: s.ns,
      labels: { ...(obj.metadata.labels ?? {}), 'app.kubernetes.io/part-of': s.app },
    },
  };
  await kubectl(
    region,
    ['apply', '--server-side', '--force-conflicts', `--field-manager=${manager}`, '-f', '-'],
    { input: toStream([labelled]) },
  );
}

const ignoredSummary = (r: RegionReport) =>
  (r.ignored ?? [])
    .map((i: IgnoredField) => `${i.kind}/${i.name} ${i.type} ${i.path} <- ${i.rule}`)
    .sort();

async function checkBoth(s: Scene): Promise<Array<[ComparisonMode, RegionReport]>> {
  const out: Array<[ComparisonMode, RegionReport]> = [];
  for (const mode of MODES) {
    const report = await check(s.dir, [region], mode);
    out.push([mode, completed(report.regions[0])]);
  }
  return out;
}

describeCluster('engine settings on objects (Flux and Argo CD annotations)', () => {
  const scenes: Scene[] = [];
  afterAll(() => scenes.forEach((s) => s.dispose()));
  const track = (s: Scene) => (scenes.push(s), s);

  describe('Flux', () => {
    let s: Scene;
    beforeAll(async () => {
      s = track(
        await scene(
          'flux-settings',
          'kustomize-controller',
          [
            cm(
              'ignored',
              { mode: 'git' },
              { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' } },
            ),
            cm(
              'disabled',
              { mode: 'git' },
              { labels: { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' } },
            ),
            cm(
              'create-only',
              { mode: 'git' },
              { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' } },
            ),
            cm(
              'merged',
              { mode: 'git' },
              { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'merge' } },
            ),
            cm('plain', { mode: 'git' }),
            cm('annotated-live', { mode: 'git' }),
            // In Git, never applied: Flux skips the first and creates the second.
            cm(
              'never-applied',
              { mode: 'git' },
              { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' } },
            ),
            cm(
              'not-yet-created',
              { mode: 'git' },
              { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' } },
            ),
          ],
          undefined,
        ),
      );
      // What Flux applied: everything but the two objects it never applied.
      await k(s, 'delete', 'configmap', 'never-applied', 'not-yet-created');
      for (const name of ['ignored', 'disabled', 'create-only', 'merged', 'plain'])
        await k(s, 'patch', 'configmap', name, '--type=merge', '-p', '{"data":{"mode":"hand"}}');
      for (const name of ['merged', 'plain']) await k(s, 'label', 'configmap', name, 'owner=bob');
      await k(
        s,
        'annotate',
        'configmap',
        'annotated-live',
        'kustomize.toolkit.fluxcd.io/ssa=Ignore',
      );
      await k(
        s,
        'patch',
        'configmap',
        'annotated-live',
        '--type=merge',
        '-p',
        '{"data":{"mode":"hand"}}',
      );
      // Objects Flux applied once, since removed from Git: one it keeps, one it prunes.
      await extra(
        s,
        'kustomize-controller',
        cm(
          'kept',
          { a: '1' },
          { annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
        ),
      );
      await extra(s, 'kustomize-controller', cm('pruned', { a: '1' }));
    }, 120_000);

    it('hides what Flux leaves alone, names the setting, and reports the rest', async () => {
      for (const [mode, r] of await checkBoth(s)) {
        expect(summary(r.findings), mode).toEqual([
          {
            kind: 'ConfigMap',
            name: 'annotated-live',
            type: 'changed',
            // Set by hand in the cluster: Flux now skips it, but Git never said so.
            fields: {
              '/metadata/annotations/kustomize.toolkit.fluxcd.io~1ssa': 'kubectl-annotate',
            },
          },
          // ssa: Merge keeps hand additions, not changes to what Git sets.
          {
            kind: 'ConfigMap',
            name: 'merged',
            type: 'changed',
            fields: { '/data/mode': 'kubectl-patch' },
          },
          {
            kind: 'ConfigMap',
            name: 'not-yet-created',
            type: 'missing',
            fields: {},
          },
          {
            kind: 'ConfigMap',
            name: 'plain',
            type: 'changed',
            fields: { '/data/mode': 'kubectl-patch', '/metadata/labels/owner': 'kubectl-label' },
          },
          {
            kind: 'ConfigMap',
            name: 'pruned',
            type: 'extra',
            fields: {},
            createdBy: 'kustomize-controller',
          },
        ]);
        const git = (v: string) => `Flux kustomize.toolkit.fluxcd.io/ssa: ${v} (in Git)`;
        expect(ignoredSummary(r), mode).toEqual(
          [
            `ConfigMap/annotated-live changed /data/mode <- Flux kustomize.toolkit.fluxcd.io/ssa: Ignore (on the live object, not in Git)`,
            `ConfigMap/create-only changed /data/mode <- ${git('IfNotPresent')}`,
            `ConfigMap/disabled changed /data/mode <- Flux kustomize.toolkit.fluxcd.io/reconcile: disabled label (in Git)`,
            `ConfigMap/ignored changed /data/mode <- ${git('Ignore')}`,
            `ConfigMap/kept extra  <- Flux kustomize.toolkit.fluxcd.io/prune: disabled (on the live object, not in Git)`,
            `ConfigMap/merged changed /metadata/labels/owner <- ${git('merge')}`,
            `ConfigMap/never-applied missing  <- ${git('Ignore')}`,
          ].sort(),
        );
        expect(r.ignored?.every((i) => i.engine === 'flux')).toBe(true);
      }
    });
  });

  describe('Flux settings on an object Argo CD deploys', () => {
    let s: Scene;
    beforeAll(async () => {
      s = track(
        await scene('flux-on-argo', 'argocd-controller', [
          cm(
            'ignored',
            { mode: 'git' },
            { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' } },
          ),
        ]),
      );
      await k(s, 'patch', 'configmap', 'ignored', '--type=merge', '-p', '{"data":{"mode":"hand"}}');
    }, 120_000);

    it('change nothing: Argo CD does not read them', async () => {
      for (const [mode, r] of await checkBoth(s)) {
        expect(summary(r.findings), mode).toEqual([
          {
            kind: 'ConfigMap',
            name: 'ignored',
            type: 'changed',
            fields: { '/data/mode': 'kubectl-patch' },
          },
        ]);
        expect(r.ignored, mode).toBeUndefined();
      }
    });
  });

  describe('Argo CD', () => {
    let s: Scene;
    const pvc = (name: string, annotations: Record<string, string> = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, annotations },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    beforeAll(async () => {
      s = track(
        await scene('argo-settings', 'argocd-controller', [cm('app-config', { mode: 'git' })]),
      );
      // Objects Argo CD applied once, since removed from Git.
      await extra(
        s,
        'argocd-controller',
        cm(
          'extraneous',
          { a: '1' },
          { annotations: { 'argocd.argoproj.io/compare-options': 'IgnoreExtraneous' } },
        ),
      );
      await extra(
        s,
        'argocd-controller',
        pvc('data-no-prune', { 'argocd.argoproj.io/sync-options': 'Validate=false, Prune=false' }),
      );
      await extra(
        s,
        'argocd-controller',
        pvc('data-no-delete', { 'argocd.argoproj.io/sync-options': 'Delete=false' }),
      );
      await extra(s, 'argocd-controller', pvc('data'));
    }, 120_000);

    it('IgnoreExtraneous hides an extra object; Prune=false keeps it out of sync without the prune risk; Delete=false changes no sync', async () => {
      for (const [mode, r] of await checkBoth(s)) {
        expect(
          r.findings.map((f) => [f.name, f.type, f.risks ?? [], f.notPrunedBy ?? '']),
          mode,
        ).toEqual([
          ['data', 'extra', ['prune-data'], ''],
          // Only deleting the Application would leave it: a sync still prunes it.
          ['data-no-delete', 'extra', ['prune-data'], ''],
          [
            'data-no-prune',
            'extra',
            [],
            'Argo CD argocd.argoproj.io/sync-options: Prune=false (on the live object, not in Git)',
          ],
        ]);
        expect(ignoredSummary(r), mode).toEqual([
          'ConfigMap/extraneous extra  <- Argo CD argocd.argoproj.io/compare-options: IgnoreExtraneous (on the live object, not in Git)',
        ]);
      }
    });
  });
});
