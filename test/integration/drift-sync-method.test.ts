import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/api-client';
import { toStream } from '../cluster/corpus';
import { describeCluster, freshNamespace, kubectl, kubectlJson, regions } from '../cluster/testing';
import { check, completed, tempDir } from './drift-helpers';
import type { ComparisonMode, Finding } from '../../src/core/report/model';

/**
 * How Argo CD's sync writes an object decides what a sync would change, and so what is
 * drift (src/core/engine/sync-method.ts). On a real API server:
 *
 * - client-side apply (Argo CD's default): a key the last apply set and Git has since
 *   dropped is removed by the next sync; server-side apply would keep it (the Update
 *   entry is not the applier's Apply set), so only the client-side rule reports it;
 * - `Replace=true`: a key another tool (not a person) added is removed by the sync; under
 *   apply it is that tool's business and not drift.
 *
 * Each prediction is then confirmed by doing what the engine would do (kubectl's
 * client-side apply, kubectl replace) and reading the object back.
 */

const region = regions()[0];
const MODES: ComparisonMode[] = ['server-side', 'read-only'];
const ARGO = 'argocd-controller';

const cm = (
  ns: string,
  app: string,
  name: string,
  data: Record<string, string>,
  annotations?: Record<string, string>,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name,
    namespace: ns,
    labels: { 'app.kubernetes.io/part-of': app },
    ...(annotations ? { annotations } : {}),
  },
  data,
});

const changedFields = (findings: Finding[]) =>
  findings
    .filter((f) => f.type === 'changed')
    .flatMap((f) =>
      (f.fields ?? []).map(
        (x) =>
          `${f.name} ${x.path} ${JSON.stringify(x.live)}${f.replacedBy ? ` [${f.replacedBy}]` : ''}`,
      ),
    )
    .sort();

const dataOf = async (ns: string, name: string) =>
  (
    await kubectlJson<KubeObject>(region, ['get', 'configmap', name, '-o', 'json'], {
      namespace: ns,
    })
  ).data as Record<string, string>;

describeCluster('the sync method Argo CD would use (client-side apply, Replace=true)', () => {
  const disposers: Array<() => void> = [];
  afterAll(() => disposers.forEach((d) => d()));

  describe('client-side apply', () => {
    let ns: string;
    let dir: string;
    let git: KubeObject[];
    beforeAll(async () => {
      ns = await freshNamespace('sync-csa', [region]);
      const app = `sync-csa-${ns.slice(-6)}`;
      // Applied once by Argo CD's client-side apply, with keys a and b ...
      const applied = [
        cm(ns, app, 'csa', { a: '1', b: '2' }),
        cm(ns, app, 'ssa-twin', { a: '1', b: '2' }),
      ];
      await kubectl(region, ['apply', `--field-manager=${ARGO}`, '-f', '-'], {
        input: toStream([applied[0]]),
      });
      // ... and its twin by server-side apply (what the check's dry-run does).
      await kubectl(region, ['apply', '--server-side', `--field-manager=${ARGO}`, '-f', '-'], {
        input: toStream([applied[1]]),
      });
      // Git has since dropped b from both.
      git = [cm(ns, app, 'csa', { a: '1' }), cm(ns, app, 'ssa-twin', { a: '1' })];
      const t = tempDir('sync-csa');
      disposers.push(t.dispose);
      dir = t.dir;
      writeFileSync(join(dir, 'app.yaml'), toStream(git));
    });

    it('reports the key the next sync removes, in both modes, for the object applied client-side', async () => {
      for (const mode of MODES) {
        const r = completed((await check(dir, [region], mode)).regions[0]);
        // Both objects lose b at the next sync: the client-side one by the three-way
        // merge on last-applied, the server-side twin because its Apply set drops it.
        expect(changedFields(r.findings), mode).toEqual([
          'csa /data/b "2"',
          'ssa-twin /data/b "2"',
        ]);
      }
    });

    it('and the sync does remove it', async () => {
      await kubectl(region, ['apply', `--field-manager=${ARGO}`, '-f', '-'], {
        input: toStream([git[0]]),
      });
      expect(await dataOf(ns, 'csa')).toEqual({ a: '1' });
      const r = completed((await check(dir, [region], 'read-only')).regions[0]);
      expect(changedFields(r.findings)).toEqual(['ssa-twin /data/b "2"']);
    });
  });

  describe('Replace=true', () => {
    let ns: string;
    let dir: string;
    let git: KubeObject[];
    const REPLACE = { 'argocd.argoproj.io/sync-options': 'Replace=true' };
    beforeAll(async () => {
      ns = await freshNamespace('sync-replace', [region]);
      const app = `sync-replace-${ns.slice(-6)}`;
      git = [cm(ns, app, 'replaced', { a: '1' }, REPLACE), cm(ns, app, 'applied', { a: '1' })];
      await kubectl(region, ['apply', '--server-side', `--field-manager=${ARGO}`, '-f', '-'], {
        input: toStream(git),
      });
      // Another tool (not a person) adds a key to each.
      for (const name of ['replaced', 'applied'])
        await kubectl(
          region,
          [
            'patch',
            'configmap',
            name,
            '--type=merge',
            '-p',
            '{"data":{"injected":"yes"}}',
            '--field-manager=config-injector',
          ],
          { namespace: ns },
        );
      const t = tempDir('sync-replace');
      disposers.push(t.dispose);
      dir = t.dir;
      writeFileSync(join(dir, 'app.yaml'), toStream(git));
    });

    it('reports what the replace removes and names the setting; the applied twin is in sync', async () => {
      for (const mode of MODES) {
        const r = completed((await check(dir, [region], mode)).regions[0]);
        expect(changedFields(r.findings), mode).toEqual([
          'replaced /data/injected "yes" [Argo CD argocd.argoproj.io/sync-options: Replace=true (in Git)]',
        ]);
      }
    });

    it('and a replace does remove it', async () => {
      await kubectl(region, ['replace', `--field-manager=${ARGO}`, '-f', '-'], {
        input: toStream([git[0]]),
      });
      expect(await dataOf(ns, 'replaced')).toEqual({ a: '1' });
      expect(await dataOf(ns, 'applied')).toEqual({ a: '1', injected: 'yes' });
    });
  });
});
