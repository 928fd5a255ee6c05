import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  describeCluster,
  dropNamespace,
  freshNamespace,
  kubectl,
  uniqueName,
} from '../cluster/testing';
import type { KubeObject } from '../cluster/api-client';
import type { ComparisonMode } from '../../src/core/report/model';
import { applyAsGitOps, check, completed, deleteObjects, summary, tempDir } from './drift-helpers';

/**
 * Extra objects of kinds Git does not use are found by label-selected LISTs over every
 * kind the cluster lets users create. The search runs in two rounds: the app's labels in
 * Git first, alongside the full LISTs, then the labels the GitOps engine added to the live
 * copies (Argo CD's `app.kubernetes.io/instance`), which Git never has. One stray object
 * for each round, and one cluster-scoped, must each be reported, and nothing else.
 */

const REGION = 'eu-west';

describeCluster('extra objects of kinds Git does not use', () => {
  let ns: string;
  let app: string;
  let instance: string;
  let ws: { dir: string; dispose: () => void };
  let clusterRole: string;
  const applied: KubeObject[] = [];

  beforeAll(async () => {
    ns = await freshNamespace('extra-search', [REGION]);
    app = uniqueName('extra-search-app');
    instance = uniqueName('extra-search-instance');
    clusterRole = uniqueName('extra-search-reader');
    const partOf = { 'app.kubernetes.io/part-of': app };
    const git: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: ns, labels: partOf },
        data: { MODE: 'a' },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: ns, labels: partOf },
        spec: { clusterIP: 'None', selector: { app: 'api' }, ports: [{ port: 80 }] },
      },
    ];
    ws = tempDir('extra-search');
    writeFileSync(join(ws.dir, 'desired.yaml'), git.map((o) => stringify(o)).join('---\n'));
    // Synced like Argo CD with label tracking: the engine adds its instance label.
    const synced = git.map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { ...partOf, 'app.kubernetes.io/instance': instance } },
    })) as KubeObject[];
    await applyAsGitOps(REGION, synced);
    applied.push(...synced);

    const create = (obj: Record<string, unknown>) =>
      kubectl(REGION, ['create', '-f', '-'], { input: JSON.stringify(obj) });
    // Git's label, a kind Git does not use: the first round finds it.
    await create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'stray-role', namespace: ns, labels: partOf },
      rules: [],
    });
    // Only the engine's label: the second round finds it.
    await create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'stray-account',
        namespace: ns,
        labels: { 'app.kubernetes.io/instance': instance },
      },
    });
    // Cluster-scoped, Git's label.
    await create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterRole, labels: partOf },
      rules: [],
    });
  }, 300_000);

  afterAll(async () => {
    await deleteObjects(REGION, applied);
    if (clusterRole)
      await kubectl(REGION, ['delete', 'clusterrole', clusterRole, '--ignore-not-found']);
    if (ns) await dropNamespace(ns, [REGION]);
    ws?.dispose();
  });

  it.each(['read-only', 'server-side'] as ComparisonMode[])(
    '%s: each stray object is reported as extra, and nothing else',
    async (mode) => {
      const report = await check(join(ws.dir, 'desired.yaml'), [REGION], mode);
      const region = completed(report.regions[0]);
      expect(
        summary(region.findings).sort((a, b) => `${a.kind}`.localeCompare(`${b.kind}`)),
      ).toEqual([
        {
          kind: 'ClusterRole',
          name: clusterRole,
          type: 'extra',
          fields: {},
          createdBy: 'kubectl-create',
        },
        {
          kind: 'Role',
          name: 'stray-role',
          type: 'extra',
          fields: {},
          createdBy: 'kubectl-create',
        },
        {
          kind: 'ServiceAccount',
          name: 'stray-account',
          type: 'extra',
          fields: {},
          createdBy: 'kubectl-create',
        },
      ]);
      expect(region.warnings ?? []).toEqual([]);
    },
  );
});
