import { randomBytes } from 'node:crypto';
import { expect, it, onTestFinished } from 'vitest';
import type { KubeObject } from '../cluster/api-client';
import { CORPORA, prepareCorpus, toStream } from '../cluster/corpus';
import { describeCluster, kubectl, kubectlJson, regions } from '../cluster/testing';

/**
 * Every corpus in ../shared/corpus (real manifests from public projects) is applied
 * server-side to a real cluster, CRDs and namespaces first, and every object must be
 * accepted and read back; then the test deletes what it created.
 *
 * Each corpus goes to one region (they spread over the three) to keep the shared clusters
 * small; all regions run the same server, so acceptance does not depend on the region.
 */

const FIELD_MANAGER = 'mr-drift-corpus-smoke';

interface Listed {
  items: (KubeObject & {
    metadata: { uid?: string; labels?: Record<string, string> };
    data?: unknown;
  })[];
}

const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describeCluster('corpora are accepted by the real API server', () => {
  const names = Object.keys(CORPORA);
  it.each(names.map((name, i) => [name, regions()[i % regions().length]]))(
    '%s in %s: applied server-side, read back, deleted',
    async (name, region) => {
      const suffix = randomBytes(3).toString('hex');
      const ns = `corpus-${name}-${suffix}`;
      const c = prepareCorpus(name, ns, suffix);
      expect(c.objects.length).toBeGreaterThan(0);
      const apply = (objs: KubeObject[], extra: string[] = []): Promise<string> =>
        kubectl(
          region,
          [
            'apply',
            '--server-side',
            '--force-conflicts',
            `--field-manager=${FIELD_MANAGER}`,
            ...extra,
            '-f',
            '-',
          ],
          { input: toStream(objs), timeoutMs: 300_000 },
        );

      // 1. CRDs, until Established (they may already be there from an earlier run: a
      //    no-op apply; they stay afterwards because other runs may use them).
      if (c.crds.length) {
        await apply(c.crds);
        await kubectl(region, [
          'wait',
          '--for=condition=Established',
          '--timeout=120s',
          ...c.crds.map((o) => `crd/${o.metadata.name}`),
        ]);
      }
      // 2. Namespaces (a corpus without its own gets a fresh one).
      const namespaces = c.namespaces.length
        ? c.namespaces
        : [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubeObject];
      await apply(namespaces);
      // Delete the objects themselves: a namespace is never emptied here (no
      // controller-manager), and leftovers would show up in other tests' lists.
      onTestFinished(async () => {
        await kubectl(region, ['delete', '--ignore-not-found', '--wait=false', '-f', '-'], {
          input: toStream([...c.objects, ...namespaces]),
          timeoutMs: 300_000,
        });
        const left = await kubectl(region, ['get', '--ignore-not-found', '-o', 'name', '-f', '-'], {
          input: toStream(c.objects),
        });
        expect(left.trim()).toBe('');
      });

      // 3. Everything else; kubectl fails if the server refuses any object.
      const out = await apply(c.objects);
      expect(out.trim().split('\n')).toHaveLength(c.objects.length);

      // Read back: every object is there, with the labels and data it was given.
      const live = await kubectlJson<Listed>(region, ['get', '-f', '-'], {
        input: toStream(c.objects),
      });
      const byKey = new Map(live.items.map((o) => [key(o), o]));
      for (const want of c.objects) {
        const got = byKey.get(key(want));
        expect(got, key(want)).toBeDefined();
        expect(got?.metadata.uid).toBeTruthy();
        const labels = (want.metadata as { labels?: Record<string, string> }).labels ?? {};
        expect(got?.metadata.labels ?? {}).toMatchObject(labels);
        if (want.kind === 'ConfigMap') expect(got?.data ?? {}).toEqual(want.data ?? {});
      }

      // Objects that would break discovery for everyone if stored: server dry-run only.
      if (c.dryRunOnly.length) {
        const dry = await apply(c.dryRunOnly, ['--dry-run=server']);
        expect(dry).toContain('(server dry run)');
      }
    },
  );
});
