import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderKustomization } from '../../src/adapters/kustomize';
import type { KubeObject } from '../cluster/api-client';
import { relocate, toStream } from '../cluster/corpus';
import { repoRoot } from '../cluster/paths';
import { describeCluster, kubectl, kubectlJson, regions } from '../cluster/testing';

/**
 * The generated tree in overlays/ is applied to the real clusters the way a GitOps engine
 * would (server-side apply with Argo CD's field manager): each region's overlay to its
 * own region, and the Argo CD / Flux objects that deploy them. Every object must be
 * accepted (the CRD schemas validate the GitOps objects), read back unchanged, show no
 * difference in `kubectl diff --server-side`, and then be deleted.
 *
 * The overlay's namespace is replaced by a fresh one per run: a deleted namespace never
 * finishes terminating on these clusters, so the real name could be applied only once.
 */

const FIELD_MANAGER = 'argocd-controller';
const overlays = join(repoRoot, 'overlays');

interface Live extends KubeObject {
  metadata: KubeObject['metadata'] & {
    uid?: string;
    labels?: Record<string, string>;
    managedFields?: { manager: string; operation: string }[];
  };
  data?: unknown;
}

const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

async function render(dir: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(await renderKustomization(dir))) {
    if (doc.errors.length) throw new Error(`${dir}: ${doc.errors[0]?.message}`);
    const obj = doc.toJS() as KubeObject | null;
    if (obj?.kind) out.push(obj);
  }
  return out;
}

/** Applies a rendered kustomization in a fresh namespace of `region`, checks it, deletes it. */
async function applyReadBackDelete(region: string, dir: string, label: string): Promise<number> {
  const rendered = await render(dir);
  expect(rendered.length, `${dir} renders no objects`).toBeGreaterThan(0);
  const own = rendered.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
  const namespacesUsed = [...new Set(rendered.map((o) => o.metadata.namespace).filter(Boolean))];
  const suffix = randomBytes(3).toString('hex');
  const ns = `${label}-${suffix}`;
  const c = relocate(rendered, own[0] ?? namespacesUsed[0], ns, suffix);
  expect(c.crds, 'the generated tree should not ship CRDs').toEqual([]);
  expect(c.dryRunOnly).toEqual([]);
  const namespaces = c.namespaces.length
    ? c.namespaces
    : [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubeObject];
  // What the tree itself contains (a namespace made up here is not part of it: applied
  // with no field but its name, it has no managedFields entry at all).
  const fromTree = [...c.namespaces, ...c.objects];

  onTestFinished(async () => {
    await kubectl(region, ['delete', '--ignore-not-found', '--wait=false', '-f', '-'], {
      input: toStream([...c.objects, ...namespaces]),
    });
    const left = await kubectl(region, ['get', '--ignore-not-found', '-o', 'name', '-f', '-'], {
      input: toStream(c.objects),
    });
    expect(left.trim()).toBe('');
  });

  const apply = ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'];
  await kubectl(region, apply, { input: toStream(namespaces) });
  const out = await kubectl(region, apply, { input: toStream(c.objects) });
  expect(out.trim().split('\n')).toHaveLength(c.objects.length);

  // Read back: present, with the labels and ConfigMap data of the overlay, and owned by
  // the applier through a server-side Apply entry.
  const live = await kubectlJson<{ items?: Live[] } & Live>(
    region,
    ['get', '--show-managed-fields', '-f', '-'],
    {
      input: toStream(fromTree),
    },
  );
  // kubectl prints a List for several objects and the object itself for one.
  const byKey = new Map((live.items ?? [live]).map((o) => [key(o), o]));
  for (const want of fromTree) {
    const got = byKey.get(key(want));
    expect(got, key(want)).toBeDefined();
    expect(got?.metadata.uid).toBeTruthy();
    expect(got?.metadata.labels ?? {}).toMatchObject(
      (want.metadata as Live['metadata']).labels ?? {},
    );
    if (want.kind === 'ConfigMap') expect(got?.data).toEqual(want.data);
    expect(got?.metadata.managedFields, key(want)).toContainEqual(
      expect.objectContaining({ manager: FIELD_MANAGER, operation: 'Apply' }),
    );
  }

  // The server itself agrees the cluster now matches the overlay: an empty diff (kubectl
  // exits 1 with the diff on stdout otherwise).
  const diff = await kubectl(
    region,
    ['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', '-'],
    { input: toStream(fromTree) },
  );
  expect(diff).toBe('');
  return c.objects.length;
}

const gitopsDirs = existsSync(overlays)
  ? readdirSync(overlays)
      .filter((d) => d !== 'base' && d !== 'regions')
      .filter((d) => existsSync(join(overlays, d, 'kustomization.yaml')))
      .sort()
  : [];

describeCluster('the generated overlays on the real clusters', () => {
  it.each(regions())(
    '%s: its region overlay is applied server-side, read back and deleted',
    async (region) => {
      const dir = join(overlays, 'regions', region);
      expect(
        existsSync(join(dir, 'kustomization.yaml')),
        `${dir}/kustomization.yaml is missing`,
      ).toBe(true);
      const count = await applyReadBackDelete(region, dir, `overlay-${region}`);
      expect(count).toBeGreaterThan(1);
    },
  );

  it('the tree has GitOps objects (Argo CD or Flux) next to the region overlays', () => {
    expect(gitopsDirs.length).toBeGreaterThan(0);
  });

  it.each(gitopsDirs.flatMap((d) => regions().map((r) => [d, r] as const)))(
    'overlays/%s is accepted by the real CRD schemas in %s',
    async (d, region) => {
      await applyReadBackDelete(region, join(overlays, d), `gitops-${d}`);
    },
  );
});
