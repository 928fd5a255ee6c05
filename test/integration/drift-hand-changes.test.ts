import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/api-client';
import { describeCluster, kubectl, regions } from '../cluster/testing';
import {
  alfredWorkspace,
  applyInOrder,
  check,
  completed,
  deleteObjects,
  resourceVersions,
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

interface Scenario {
  name: string;
  change: (region: string, ws: AlfredWorkspace) => Promise<unknown>;
  expected: Array<{ kind: string; name: string; type: string; fields: Record<string, string> }>;
}

const k = (region: string, ws: AlfredWorkspace, args: string[], input?: string) =>
  kubectl(region, args, { namespace: ws.namespace, ...(input !== undefined ? { input } : {}) });

const scenarios: Scenario[] = [
  {
    name: 'kubectl scale of a Deployment an HPA targets',
    change: (r, ws) => k(r, ws, ['scale', 'deployment/alfred-api', '--replicas=7']),
    expected: [
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { '/spec/replicas': 'kubectl' },
      },
    ],
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
    expected: [{ kind: 'ConfigMap', name: 'alfred-stray', type: 'extra', fields: {} }],
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
      await applyInOrder(region, ws.objects(region));
      await s.change(region, ws);

      const before = await resourceVersions(region, objects);
      const variants = [
        { mode: 'server-side', fullDryRun: false },
        // Every object through the real dry-run: the no-op shortcut must agree.
        { mode: 'server-side', fullDryRun: true },
        { mode: 'read-only', fullDryRun: false },
      ] as const;
      for (const { mode, fullDryRun } of variants) {
        const [report] = (await check(ws.dir, [region], mode, { fullDryRun })).regions;
        completed(report);
        expect(summary(report.findings), `${mode}${fullDryRun ? ' full' : ''}`).toEqual(s.expected);
        expect(report.status).toBe(s.expected.length > 0 ? 'drift' : 'in-sync');
        // The manager's time comes along (the server omits it only for scale writes).
        for (const f of report.findings.flatMap((x) => x.fields)) {
          if (f.manager !== 'kubectl') expect(f.time, f.path).toMatch(/^\d{4}-\d\d-\d\dT/);
        }
      }
      expect(await resourceVersions(region, objects)).toEqual(before);
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
