import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/api-client';
import { toStream } from '../cluster/corpus';
import { describeCluster, kubectl, kubectlJson, regions } from '../cluster/testing';
import {
  GITOPS_MANAGER,
  alfredWorkspace,
  applyAsGitOps,
  applyInOrder,
  check,
  completed,
  deleteObjects,
  nonControllerWrites,
  runCli,
  summary,
  tempDir,
  type AlfredWorkspace,
} from './drift-helpers';

/**
 * One hand change at a time on a fresh copy of the generated Alfred overlay, applied the
 * way Argo CD applies it: each change must give exactly the expected finding, with the
 * field manager of the tool that made it, in both modes, and nothing else; the check
 * itself must not change any resourceVersion.
 */

const SECRET = `s33ded-${randomBytes(6).toString('hex')}`;
const CHANGED_SECRET = `ch4nged-${randomBytes(6).toString('hex')}`;
const secretForms = [SECRET, CHANGED_SECRET].flatMap((v) => [v, Buffer.from(v).toString('base64')]);
const SECRET_NAME = 'alfred-test-credentials';
const testSecret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: SECRET_NAME },
  stringData: { password: SECRET, username: 'alfred' },
};

const api = '/spec/template/spec/containers/name=api';

interface Expected {
  kind: string;
  name: string;
  type: string;
  fields: Record<string, string>;
  /** For an extra object: the manager that made it. */
  createdBy?: string;
}

interface Scenario {
  name: string;
  /** How the GitOps engine applied the overlay; default: server-side apply (applyInOrder). */
  apply?: (region: string, objects: KubeObject[]) => Promise<void>;
  change: (region: string, ws: AlfredWorkspace) => Promise<unknown>;
  expected: Expected[] | ((ws: AlfredWorkspace, region: string) => Expected[]);
  /** Runs after the checks: proves what a finding (or its absence) claims. */
  after?: (region: string, ws: AlfredWorkspace) => Promise<void>;
}

const k = (region: string, ws: AlfredWorkspace, args: string[], input?: string) =>
  kubectl(region, args, { namespace: ws.namespace, ...(input !== undefined ? { input } : {}) });

/**
 * Who owns `spec.replicas` (or a CloudNativePG Cluster's `spec.instances`) of a live
 * object, as `manager/operation/subresource`. The scenarios assert it, so each one states
 * the server behaviour it stands on: if a future API server recorded scales differently,
 * the test says so instead of passing by luck.
 */
async function replicasOwners(
  region: string,
  ws: AlfredWorkspace,
  ref: string,
  field: 'replicas' | 'instances' = 'replicas',
): Promise<{ replicas: number; owners: string[] }> {
  const obj = await kubectlJson<{
    spec: Record<string, number>;
    metadata: {
      managedFields?: Array<{
        manager: string;
        operation: string;
        subresource?: string;
        fieldsV1?: { 'f:spec'?: Record<string, unknown> };
      }>;
    };
  }>(region, ['get', ref, '--show-managed-fields'], { namespace: ws.namespace });
  const owners = (obj.metadata.managedFields ?? [])
    .filter((e) => e.fieldsV1?.['f:spec']?.[`f:${field}`] !== undefined)
    .map((e) => `${e.manager}/${e.operation}/${e.subresource ?? ''}`);
  return { replicas: obj.spec[field], owners };
}

/** The first DB shard's CloudNativePG Cluster of the region's overlay (every region has one). */
function shardOf(ws: AlfredWorkspace, region: string): string {
  const shard = ws
    .objects(region)
    .find((o) => o.kind === 'Cluster' && /-db-shard-\d+-[a-z0-9-]+$/.test(o.metadata.name));
  if (!shard) throw new Error(`no DB shard Cluster in the ${region} overlay`);
  return shard.metadata.name;
}

/**
 * How Argo CD syncs without the ServerSideApply option: a client-side `kubectl apply`
 * under its own field manager. The object's creator then owns the replicas the server
 * defaulted, so a later scale is recorded under the scaler's name.
 */
async function applyClientSide(region: string, objects: KubeObject[]): Promise<void> {
  const apply = (list: KubeObject[]) =>
    kubectl(region, ['apply', `--field-manager=${GITOPS_MANAGER}`, '-f', '-'], {
      input: toStream(list),
      timeoutMs: 300_000,
    });
  await apply(objects.filter((o) => o.kind === 'Namespace'));
  await apply(objects.filter((o) => o.kind !== 'Namespace'));
}

/**
 * The overlay as the generator wrote it before the Deployment left replicas to the HPA
 * (the region's minimum was set there too), to check a cluster last synced from such a tree.
 */
const withGitReplicas = (objects: KubeObject[], replicas: number): KubeObject[] =>
  objects.map((o) =>
    o.kind === 'Deployment' && o.metadata.name === 'alfred-api'
      ? { ...o, spec: { ...(o.spec as object), replicas } }
      : o,
  );

const scenarios: Scenario[] = [
  {
    // Git sets the shard's instances and no autoscaler scales it: a person's scale (through
    // the Cluster's scale subresource, as for a StatefulSet) is drift.
    name: "kubectl scale of a DB shard's CloudNativePG Cluster (Git sets its instances)",
    change: async (r, ws) => {
      const ref = `clusters.postgresql.cnpg.io/${shardOf(ws, r)}`;
      await k(r, ws, ['scale', ref, '--replicas=5']);
      expect(await replicasOwners(r, ws, ref, 'instances')).toEqual({
        replicas: 5,
        owners: ['kubectl/Update/scale'],
      });
    },
    expected: (ws, r) => [
      {
        kind: 'Cluster',
        name: shardOf(ws, r),
        type: 'changed',
        fields: { '/spec/instances': 'kubectl' },
      },
    ],
  },
  // The Deployment alfred-api sets no replicas in Git: its HPA owns them (Argo CD and Flux
  // both say to leave them out of Git then, or every sync fights the HPA). A person's
  // scale is therefore not drift either: Git has no value to compare, no sync would undo
  // it, and the HPA brings the number back within minReplicas..maxReplicas (which are in
  // Git, on the HPA, and reported when changed). The check decides this from Git (an HPA
  // in Git targets an object whose manifest has no replicas), whatever managedFields say;
  // the next three scenarios cover the three ways the server records such a write.
  {
    name: 'kubectl scale of the Deployment the HPA scales (the server records no owner)',
    change: async (r, ws) => {
      await k(r, ws, ['scale', 'deployment/alfred-api', '--replicas=7']);
      // A scale of a field nobody owned is recorded under no manager at all (1.36).
      expect(await replicasOwners(r, ws, 'deployment/alfred-api')).toEqual({
        replicas: 7,
        owners: [],
      });
    },
    expected: [],
  },
  {
    name: 'kubectl scale of the Deployment the HPA scales, after a client-side apply (recorded as kubectl)',
    apply: applyClientSide,
    change: async (r, ws) => {
      expect(await replicasOwners(r, ws, 'deployment/alfred-api')).toEqual({
        replicas: 1,
        owners: [`${GITOPS_MANAGER}/Update/`],
      });
      await k(r, ws, ['scale', 'deployment/alfred-api', '--replicas=7']);
      // Here the server does name the person's tool: only the rule keeps this from being
      // reported as a hand change.
      expect(await replicasOwners(r, ws, 'deployment/alfred-api')).toEqual({
        replicas: 7,
        owners: ['kubectl/Update/scale'],
      });
    },
    expected: [],
  },
  {
    name: 'kubectl patch of spec.replicas of the Deployment the HPA scales (recorded as kubectl-patch)',
    change: async (r, ws) => {
      await k(r, ws, [
        'patch',
        'deployment/alfred-api',
        '--type=merge',
        '-p',
        '{"spec":{"replicas":5}}',
      ]);
      expect(await replicasOwners(r, ws, 'deployment/alfred-api')).toEqual({
        replicas: 5,
        owners: ['kubectl-patch/Update/'],
      });
    },
    expected: [],
  },
  {
    // What the HPA does: an Update of the scale subresource under the controller-manager's name.
    name: 'the HPA scaling its target (a controller: not drift)',
    change: (r, ws) =>
      k(r, ws, [
        'patch',
        'deployment/alfred-api',
        '--subresource=scale',
        '--type=merge',
        '-p',
        '{"spec":{"replicas":6}}',
        '--field-manager=kube-controller-manager',
      ]),
    expected: [],
  },
  {
    // A cluster last synced from a tree that still set the Deployment's replicas: the
    // applier owns them, so the next sync of today's tree drops its value and the server
    // resets replicas to 1 until the HPA scales back up. That is Git's change: reported.
    name: 'replicas the applier still owns from an older tree (the next sync resets them)',
    apply: (region, objects) => applyInOrder(region, withGitReplicas(objects, 3)),
    change: async (r, ws) => {
      expect(await replicasOwners(r, ws, 'deployment/alfred-api')).toEqual({
        replicas: 3,
        owners: [`${GITOPS_MANAGER}/Apply/`],
      });
    },
    expected: [
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { '/spec/replicas': GITOPS_MANAGER },
      },
    ],
    after: async (r, ws) => {
      await applyAsGitOps(r, ws.objects(r));
      expect((await replicasOwners(r, ws, 'deployment/alfred-api')).replicas).toBe(1);
    },
  },
  {
    name: 'kubectl set image',
    change: (r, ws) =>
      k(r, ws, ['set', 'image', 'deployment/alfred-api', 'api=ghcr.io/alfred/api:9.9.9']),
    expected: [
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { [`${api}/image`]: 'kubectl-set' },
      },
    ],
  },
  {
    name: 'kubectl set env (add a variable)',
    change: (r, ws) => k(r, ws, ['set', 'env', 'deployment/alfred-api', 'DEBUG=1']),
    expected: [
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { [`${api}/env/name=DEBUG`]: 'kubectl-set' },
      },
    ],
  },
  {
    name: 'kubectl set env (change a variable)',
    change: (r, ws) => k(r, ws, ['set', 'env', 'deployment/alfred-api', 'REGION=elsewhere']),
    expected: [
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { [`${api}/env/name=REGION/value`]: 'kubectl-set' },
      },
    ],
  },
  {
    name: 'kubectl label',
    change: (r, ws) => k(r, ws, ['label', 'deployment/alfred-api', 'owner=bob']),
    expected: [
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { '/metadata/labels/owner': 'kubectl-label' },
      },
    ],
  },
  {
    name: 'kubectl annotate',
    change: (r, ws) => k(r, ws, ['annotate', 'service/alfred-api', 'note=changed-by-hand']),
    expected: [
      {
        kind: 'Service',
        name: 'alfred-api',
        type: 'changed',
        fields: { '/metadata/annotations/note': 'kubectl-annotate' },
      },
    ],
  },
  {
    // A real `kubectl edit`, with an "editor" that raises the memory limit.
    name: 'kubectl edit of a resource limit',
    change: async (r, ws) => {
      const { dir, dispose } = tempDir('editor');
      const editor = join(dir, 'edit.sh');
      writeFileSync(editor, '#!/bin/sh\nsed -i -e "s/memory: 512Mi/memory: 1Gi/" "$1"\n', {
        mode: 0o755,
      });
      const before = process.env.KUBE_EDITOR;
      process.env.KUBE_EDITOR = editor;
      try {
        await k(r, ws, ['edit', 'deployment/alfred-api']);
      } finally {
        if (before === undefined) delete process.env.KUBE_EDITOR;
        else process.env.KUBE_EDITOR = before;
        dispose();
      }
    },
    expected: [
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { [`${api}/resources/limits/memory`]: 'kubectl-edit' },
      },
    ],
  },
  {
    name: 'kubectl delete of an object',
    change: (r, ws) => k(r, ws, ['delete', 'poddisruptionbudget/alfred-api']),
    expected: [{ kind: 'PodDisruptionBudget', name: 'alfred-api', type: 'missing', fields: {} }],
  },
  {
    name: 'an extra object carrying the app labels',
    change: (r, ws) =>
      k(
        r,
        ws,
        ['create', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'alfred-stray', labels: { 'app.kubernetes.io/part-of': ws.app } },
          data: { a: 'b' },
        }),
      ),
    expected: [
      {
        kind: 'ConfigMap',
        name: 'alfred-stray',
        type: 'extra',
        fields: {},
        createdBy: 'kubectl-create',
      },
    ],
  },
  {
    name: 'a changed Secret value',
    change: (r, ws) =>
      k(r, ws, [
        'patch',
        `secret/${SECRET_NAME}`,
        '--type=merge',
        '-p',
        JSON.stringify({ stringData: { password: CHANGED_SECRET } }),
      ]),
    expected: [
      {
        kind: 'Secret',
        name: SECRET_NAME,
        type: 'changed',
        fields: { '/data/password': 'kubectl-patch' },
      },
    ],
  },
  {
    name: 'a container added by kubectl patch',
    change: (r, ws) =>
      k(r, ws, [
        'patch',
        'deployment/alfred-api',
        '--type=strategic',
        '-p',
        JSON.stringify({
          spec: { template: { spec: { containers: [{ name: 'debug', image: 'busybox:1.36' }] } } },
        }),
      ]),
    expected: [
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { '/spec/template/spec/containers/name=debug': 'kubectl-patch' },
      },
    ],
  },
  {
    name: 'a ConfigMap key added by kubectl patch',
    change: (r, ws) =>
      k(r, ws, [
        'patch',
        'configmap/alfred-config',
        '--type=merge',
        '-p',
        '{"data":{"DEBUG":"true"}}',
      ]),
    expected: [
      {
        kind: 'ConfigMap',
        name: 'alfred-config',
        type: 'changed',
        fields: { '/data/DEBUG': 'kubectl-patch' },
      },
    ],
  },
];

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describeCluster('each hand change gives exactly its finding, with its manager', () => {
  it.each(scenarios.map((s, i) => [s.name, regions()[i % regions().length], s] as const))(
    '%s (%s)',
    async (_name, region, s) => {
      const ws = alfredWorkspace([region], [testSecret]);
      cleanups.push(ws.dispose);
      const objects: KubeObject[] = [
        ...ws.objects(region),
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'alfred-stray', namespace: ws.namespace },
        },
      ];
      cleanups.push(() => deleteObjects(region, objects));
      await (s.apply ?? applyInOrder)(region, ws.objects(region));
      await s.change(region, ws);
      const expected = typeof s.expected === 'function' ? s.expected(ws, region) : s.expected;

      const before = await nonControllerWrites(region, objects);
      const variants = [
        { mode: 'server-side', fullDryRun: false },
        // Every object through the real dry-run: the no-op shortcut must agree.
        { mode: 'server-side', fullDryRun: true },
        { mode: 'read-only', fullDryRun: false },
      ] as const;
      for (const { mode, fullDryRun } of variants) {
        const [report] = (await check(ws.dir, [region], mode, { fullDryRun })).regions;
        completed(report);
        expect(summary(report.findings), `${mode}${fullDryRun ? ' full' : ''}`).toEqual(expected);
        expect(report.status).toBe(expected.length > 0 ? 'drift' : 'in-sync');
        // The manager's time comes along (the server omits it only for scale writes).
        for (const f of report.findings.flatMap((x) => x.fields)) {
          if (f.manager !== 'kubectl') expect(f.time, f.path).toMatch(/^\d{4}-\d\d-\d\dT/);
        }
      }
      expect(await nonControllerWrites(region, objects)).toEqual(before);
      await s.after?.(region, ws);
    },
  );

  it('shows a changed Secret only as fingerprints, in every output format and on stderr', async () => {
    const region = regions()[0];
    const ws = alfredWorkspace([region], [testSecret]);
    cleanups.push(ws.dispose);
    cleanups.push(() => deleteObjects(region, ws.objects(region)));
    await applyInOrder(region, ws.objects(region));
    await k(region, ws, [
      'patch',
      `secret/${SECRET_NAME}`,
      '--type=merge',
      '-p',
      JSON.stringify({ stringData: { password: CHANGED_SECRET } }),
    ]);

    const outputs: Record<string, string> = {};
    let jsonOut = '';
    for (const output of ['text', 'json', 'markdown']) {
      for (const mode of ['server-side', 'read-only']) {
        const res = await runCli([
          'check',
          '--path',
          ws.dir,
          '--regions',
          region,
          '--mode',
          mode,
          '--output',
          output,
        ]);
        expect(res.code, res.stderr).toBe(1);
        outputs[`${output} ${mode}`] = res.stdout + res.stderr;
        if (output === 'json' && mode === 'server-side') jsonOut = res.stdout;
      }
    }
    for (const [name, text] of Object.entries(outputs)) {
      for (const v of secretForms) expect(text, `${name} leaks a secret form`).not.toContain(v);
    }
    const json = JSON.parse(jsonOut) as {
      regions: Array<{
        findings: Array<{
          kind: string;
          fields: Array<{ path: string; desired: string; live: string; redacted?: boolean }>;
        }>;
      }>;
    };
    const field = json.regions[0].findings.find((f) => f.kind === 'Secret')!.fields[0];
    expect(field).toMatchObject({ path: '/data/password', redacted: true });
    expect(field.desired).toMatch(/^hmac:[0-9a-f]{12}$/);
    expect(field.live).toMatch(/^hmac:[0-9a-f]{12}$/);
    expect(field.desired).not.toBe(field.live);
    expect(outputs['text server-side']).toContain('/data/password');
  });
});
