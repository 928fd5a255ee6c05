import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubeObject } from '../cluster/api-client';
import { CORPORA, corpusDir, prepareCorpus } from '../cluster/corpus';
import { describeCluster, regions } from '../cluster/testing';
import type { DriftReport } from '../../src/core/report/model';
import { reportSchemaValidator } from '../support/report-schema';
import {
  alfredWorkspace,
  applyInOrder,
  check,
  completed,
  deleteObjects,
  parseObjects,
  nonControllerWrites,
  summary,
  tempDir,
  uniqueIdentity,
} from './drift-helpers';
import { execFileSync } from 'node:child_process';

/**
 * Right after the GitOps engine applied the desired state, a check must find nothing, in
 * both modes, and must not write anything (every resourceVersion unchanged). Proven on
 * every shared corpus (real-world manifests) and on the generated Alfred overlays in all
 * three regions, each through a different desired-state layout the check accepts.
 */

const validate = reportSchemaValidator();

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Checks in both modes; asserts zero findings, no error, no writes, a valid report. */
async function expectInSync(
  path: string,
  checked: string[],
  objects: Map<string, KubeObject[]>,
): Promise<void> {
  const before = new Map<string, Map<string, string>>();
  for (const r of checked) before.set(r, await nonControllerWrites(r, objects.get(r)!));
  const variants = [
    { mode: 'server-side', fullDryRun: false },
    // Every object through the real dry-run: proves the no-op shortcut changes nothing.
    { mode: 'server-side', fullDryRun: true },
    { mode: 'read-only', fullDryRun: false },
  ] as const;
  for (const { mode, fullDryRun } of variants) {
    const report: DriftReport = await check(path, checked, mode, { fullDryRun });
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.regions.map((r) => r.name)).toEqual(checked);
    for (const region of report.regions) {
      completed(region);
      expect(
        summary(region.findings),
        `${mode}${fullDryRun ? ' full' : ''} ${region.name}`,
      ).toEqual([]);
      expect(region.status).toBe('in-sync');
      expect(region.objects).toBe(objects.get(region.name)!.length);
    }
  }
  for (const r of checked) {
    const after = await nonControllerWrites(r, objects.get(r)!);
    expect(after.size).toBe(before.get(r)!.size);
    expect(after).toEqual(before.get(r));
  }
}

/** Writes objects as the layout under test: one multi-document file, or a folder of files. */
function writeDesired(dir: string, objects: KubeObject[], layout: 'file' | 'folder'): string {
  if (layout === 'file') {
    const file = join(dir, 'desired.yaml');
    // YAML 1.1, as kubectl, Argo CD and Flux read manifests (`no` is a boolean there).
    writeFileSync(file, objects.map((o) => stringify(o, { version: '1.1' })).join('---\n'));
    return file;
  }
  const folder = join(dir, 'manifests');
  mkdirSync(folder);
  objects.forEach((o, i) =>
    writeFileSync(
      join(folder, `${String(i).padStart(3, '0')}-${o.kind.toLowerCase()}.yaml`),
      stringify(o, { version: '1.1' }),
    ),
  );
  return folder;
}

describeCluster('drift check right after a GitOps apply', () => {
  const layouts: Record<string, 'file' | 'folder' | 'kustomization'> = {
    'microservices-demo': 'file',
    podinfo: 'kustomization',
    'argo-cd': 'file',
    'kube-prometheus': 'folder',
  };
  it.each(Object.keys(CORPORA).map((name, i) => [name, regions()[i % regions().length]]))(
    'corpus %s in %s: zero findings in both modes, nothing written',
    async (name, region) => {
      const suffix = randomBytes(3).toString('hex');
      const namespace = `drift-${name}-${suffix}`;
      const { dir, dispose } = tempDir(name);
      cleanups.push(dispose);
      let path: string;
      let objects: KubeObject[];
      if (layouts[name] === 'kustomization') {
        // The corpus's own kustomization, moved into a fresh namespace by a wrapping one.
        writeFileSync(
          join(dir, 'kustomization.yaml'),
          [
            'apiVersion: kustomize.config.k8s.io/v1beta1',
            'kind: Kustomization',
            `namespace: ${namespace}`,
            'resources:',
            `  - ${relative(dir, corpusDir(name))}`,
            '  - namespace.yaml',
            'labels:',
            '  - pairs:',
            `      app.kubernetes.io/part-of: ${name}-${suffix}`,
            '    includeSelectors: false',
            '',
          ].join('\n'),
        );
        writeFileSync(
          join(dir, 'namespace.yaml'),
          stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
        );
        objects = parseObjects(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }));
        path = dir;
      } else {
        const c = prepareCorpus(name, namespace, suffix);
        const namespaces =
          c.namespaces.length > 0
            ? c.namespaces
            : [
                {
                  apiVersion: 'v1',
                  kind: 'Namespace',
                  metadata: { name: namespace },
                } as KubeObject,
              ];
        objects = uniqueIdentity([...c.crds, ...namespaces, ...c.objects], suffix);
        path = writeDesired(dir, objects, layouts[name]);
      }
      cleanups.push(() => deleteObjects(region, objects));
      await applyInOrder(region, objects);
      await expectInSync(path, [region], new Map([[region, objects]]));
    },
  );

  it('generated Alfred overlays in every region: zero findings in both modes, nothing written', async () => {
    const all = regions();
    const ws = alfredWorkspace(all);
    cleanups.push(ws.dispose);
    const objects = new Map(all.map((r) => [r, ws.objects(r)]));
    for (const r of all) {
      cleanups.push(() => deleteObjects(r, ws.objects(r)));
      await applyInOrder(r, ws.objects(r));
    }
    await expectInSync(ws.dir, all, objects);
  });
});
