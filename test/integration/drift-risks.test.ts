import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KubeObject } from '../cluster/api-client';
import { toStream } from '../cluster/corpus';
import { describeCluster, kubectl, KubectlError, regions, uniqueName } from '../cluster/testing';
import type { ComparisonMode, DriftReport, Finding } from '../../src/core/report/model';
import { RISK_REASONS } from '../../src/core/report/risks';
import { applyAsGitOps, check, completed, runCli, tempDir } from './drift-helpers';

/**
 * Risk flags on the real API server. Git state A is applied the way Argo CD applies it;
 * then Git moves to state B (what a pull request would merge) and a few objects are
 * changed in the cluster by hand. Each change to a field the server cannot update must:
 * - really be refused by the server (a server-side apply dry-run of B answers 422),
 * - still be reported as a `changed` finding with `immutable-field` in server-side mode
 *   (where the server's 422 decides) and in read-only mode (where a table decides), and
 *   never turn the region into an error or go silent.
 * Changes the server accepts must not get that flag. Extra objects that hold data get
 * `prune-data`, scaling to zero `replicas-to-zero`, selector edits `selector-change`.
 */

const region = regions()[0];
const SECRET_VALUE = `r1sk-${randomBytes(6).toString('hex')}`;
const SECRET_NEXT = `r1sk-next-${randomBytes(6).toString('hex')}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const app = `risks-${randomBytes(4).toString('hex')}`;
const labels = { 'app.kubernetes.io/part-of': app };
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  labels: { ...labels },
  ...extra,
});
const pod = (l: Record<string, string>, image = 'nginx:1.27') => ({
  metadata: { labels: l },
  spec: { containers: [{ name: 'main', image }] },
});
const claim = (storage: string) => ({
  metadata: { name: 'data' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
});
const statefulSet = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: meta(name),
  spec: {
    serviceName: name,
    replicas: 1,
    selector: { matchLabels: { sts: name } },
    template: pod({ sts: name }),
    volumeClaimTemplates: [claim('1Gi')],
    ...spec,
  },
});
const deployment = (name: string, selector: Record<string, string>, replicas = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta(name),
  spec: { replicas, selector: { matchLabels: selector }, template: pod({ ...selector, v: '1' }) },
});
const service = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: meta(name),
  spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec },
});
const pvc = (name: string, storageClassName: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: meta(name),
  spec: {
    storageClassName,
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '1Gi' } },
  },
});
const job = (image: string): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: meta('migrate'),
  spec: {
    template: {
      metadata: { labels: { job: 'migrate' } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image }] },
    },
  },
});
const configMap = (
  name: string,
  data: Record<string, string>,
  immutable?: boolean,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: meta(name),
  ...(immutable ? { immutable } : {}),
  data,
});
const roleBinding = (role: string): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: meta('readers'),
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
});
const daemonSet = (selector: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: meta('agent'),
  spec: { selector: { matchLabels: selector }, template: pod({ ...selector, v: '1' }) },
});
const secret = (value: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: meta('frozen-credentials'),
  immutable: true,
  data: { password: b64(value) },
});

/** Git at the base: what the cluster was synced from. */
const gitA = (): KubeObject[] => [
  statefulSet('sts-claims'),
  statefulSet('sts-service-name'),
  statefulSet('sts-policy'),
  statefulSet('sts-recreated'),
  statefulSet('sts-mutable'),
  deployment('web-selector', { app: 'web' }),
  deployment('web-scale', { app: 'scale' }, 2),
  daemonSet({ app: 'agent' }),
  service('svc-headless', { selector: { app: 'db' } }),
  service('svc-selector', { selector: { app: 'web' } }),
  pvc('claim-class', 'standard'),
  job('busybox:1.36'),
  configMap('frozen', { mode: 'a' }, true),
  configMap('settings', { mode: 'a' }),
  roleBinding('view'),
  secret(SECRET_VALUE),
];

/** Git in the pull request: each object changes one thing. */
const gitB = (): KubeObject[] => [
  statefulSet('sts-claims', { volumeClaimTemplates: [claim('5Gi')] }),
  statefulSet('sts-service-name', { serviceName: 'other' }),
  statefulSet('sts-policy', { podManagementPolicy: 'Parallel' }),
  statefulSet('sts-recreated'),
  statefulSet('sts-mutable', { minReadySeconds: 5 }),
  deployment('web-selector', { app: 'web', tier: 'front' }),
  deployment('web-scale', { app: 'scale' }, 0),
  daemonSet({ app: 'agent', tier: 'node' }),
  service('svc-headless', { selector: { app: 'db' }, clusterIP: 'None' }),
  service('svc-selector', { selector: { app: 'web-v2' } }),
  pvc('claim-class', 'fast'),
  job('busybox:1.37'),
  configMap('frozen', { mode: 'b' }, true),
  configMap('settings', { mode: 'b' }),
  roleBinding('edit'),
  secret(SECRET_NEXT),
];

/** Objects made by hand with the app's label and no place in Git: prune candidates. */
const extras = (ns: string, crd: string, extraNs: string): KubeObject[] => [
  { ...pvc('stray-claim', 'standard'), metadata: { ...meta('stray-claim'), namespace: ns } },
  { ...statefulSet('stray-db'), metadata: { ...meta('stray-db'), namespace: ns } },
  {
    ...statefulSet('stray-cache', { volumeClaimTemplates: [] }),
    metadata: { ...meta('stray-cache'), namespace: ns },
  },
  {
    ...configMap('stray-config', { a: '1' }),
    metadata: { ...meta('stray-config'), namespace: ns },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: meta(extraNs) },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: meta(`${crd}s.risks.mr-drift.test`),
    spec: {
      group: 'risks.mr-drift.test',
      scope: 'Namespaced',
      names: { plural: `${crd}s`, singular: crd, kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      ],
    },
  },
];

/** Expected flags per changed or extra object (`Kind/name`); others must have none. */
const expectedRisks = (crd: string, extraNs: string): Record<string, string[]> => ({
  'StatefulSet/sts-claims': ['immutable-field'],
  'StatefulSet/sts-service-name': ['immutable-field'],
  'StatefulSet/sts-policy': ['immutable-field'],
  'StatefulSet/sts-recreated': ['immutable-field'],
  'StatefulSet/sts-mutable': [],
  'Deployment/web-selector': ['immutable-field', 'selector-change'],
  'Deployment/web-scale': ['replicas-to-zero'],
  'DaemonSet/agent': ['immutable-field', 'selector-change'],
  'Service/svc-headless': ['immutable-field'],
  'Service/svc-selector': ['selector-change'],
  'PersistentVolumeClaim/claim-class': ['prune-data', 'immutable-field'],
  'Job/migrate': ['immutable-field'],
  'ConfigMap/frozen': ['immutable-field'],
  'ConfigMap/settings': [],
  'RoleBinding/readers': ['immutable-field'],
  'Secret/frozen-credentials': ['immutable-field'],
  'PersistentVolumeClaim/stray-claim': ['prune-data'],
  'StatefulSet/stray-db': ['prune-data'],
  'StatefulSet/stray-cache': [],
  'ConfigMap/stray-config': [],
  [`Namespace/${extraNs}`]: ['prune-data'],
  [`CustomResourceDefinition/${crd}s.risks.mr-drift.test`]: ['prune-data'],
});

/** Which objects' B version the server refuses to apply over A (checked by the test). */
const refusedByServer = [
  'StatefulSet/sts-claims',
  'StatefulSet/sts-service-name',
  'StatefulSet/sts-policy',
  'Deployment/web-selector',
  'DaemonSet/agent',
  'Service/svc-headless',
  'PersistentVolumeClaim/claim-class',
  'Job/migrate',
  'ConfigMap/frozen',
  'RoleBinding/readers',
  'Secret/frozen-credentials',
];

const risksOf = (findings: Finding[]) =>
  Object.fromEntries(findings.map((f) => [`${f.kind}/${f.name}`, f.risks ?? []]));

describeCluster('risk flags on the real API server', () => {
  const ns = uniqueName('drift-risks');
  const crd = `widget${randomBytes(3).toString('hex')}`;
  const extraNs = uniqueName('drift-risks-extra');
  const { dir, dispose } = tempDir('risks');
  const reports = new Map<ComparisonMode, DriftReport>();
  const inNs = (objects: KubeObject[]): KubeObject[] =>
    objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: ns } }));

  beforeAll(async () => {
    await kubectl(region, ['create', 'namespace', ns]);
    await applyAsGitOps(region, inNs(gitA()));
    // A StatefulSet deleted and re-created by hand with bigger claims: the live object
    // now differs from Git in a field no update can change.
    await kubectl(region, ['delete', 'statefulset', 'sts-recreated', '--wait=false'], {
      namespace: ns,
    });
    const recreated = statefulSet('sts-recreated', { volumeClaimTemplates: [claim('5Gi')] });
    await kubectl(region, ['create', '-f', '-'], {
      input: toStream(inNs([recreated])),
      namespace: ns,
    });
    const stray = extras(ns, crd, extraNs);
    await kubectl(region, ['create', '-f', '-'], { input: toStream(stray) });
    writeFileSync(
      join(dir, 'app.yaml'),
      inNs(gitB())
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    );
    for (const mode of ['server-side', 'read-only'] as const) {
      reports.set(mode, await check(dir, [region], mode));
    }
  });

  afterAll(async () => {
    const all = [...inNs(gitA()), ...extras(ns, crd, extraNs)];
    await kubectl(region, ['delete', '--ignore-not-found', '--wait=false', '-f', '-'], {
      input: toStream(all),
    });
    await kubectl(region, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
    dispose();
  });

  it('the server really refuses the changes flagged immutable, and accepts the others', async () => {
    const refused: string[] = [];
    for (const obj of inNs(gitB())) {
      try {
        await kubectl(
          region,
          [
            'apply',
            '--server-side',
            '--dry-run=server',
            '--force-conflicts',
            '--field-manager=argocd-controller',
            '-f',
            '-',
          ],
          { input: toStream([obj]) },
        );
      } catch (e) {
        if (!(e instanceof KubectlError)) throw e;
        expect(e.stderr).toMatch(/is invalid/);
        refused.push(`${obj.kind}/${obj.metadata.name}`);
      }
    }
    // sts-recreated is unchanged in Git; its live copy was recreated with other claims.
    expect(refused.sort()).toEqual([...refusedByServer, 'StatefulSet/sts-recreated'].sort());
  });

  it.each(['server-side', 'read-only'] as const)(
    '%s mode: every finding carries exactly the expected risks, and the region is drift, not error',
    (mode) => {
      const r = completed(reports.get(mode)!.regions[0]);
      expect(r.status).toBe('drift');
      expect(risksOf(r.findings)).toEqual(expectedRisks(crd, extraNs));
    },
  );

  it.each(['server-side', 'read-only'] as const)(
    '%s mode: objects the server refuses to update are compared field by field',
    (mode) => {
      const r = reports.get(mode)!.regions[0];
      const paths = (name: string) =>
        r.findings.find((f) => f.name === name && f.type === 'changed')?.fields.map((d) => d.path);
      expect(paths('sts-claims')).toEqual([
        '/spec/volumeClaimTemplates/0/spec/resources/requests/storage',
      ]);
      // Re-created with `kubectl create`, whose manager also owns every defaulted field:
      // those are reported as set by hand, and the claim size as the fixed field.
      expect(paths('sts-recreated')).toEqual(
        expect.arrayContaining(['/spec/volumeClaimTemplates/0/spec/resources/requests/storage']),
      );
      expect(paths('web-selector')).toEqual(
        expect.arrayContaining(['/spec/selector/matchLabels/tier']),
      );
      expect(paths('svc-headless')).toEqual(['/spec/clusterIP']);
      const secretDiff = r.findings.find((f) => f.name === 'frozen-credentials')!.fields;
      expect(secretDiff.map((d) => [d.path, d.redacted])).toEqual([['/data/password', true]]);
    },
  );

  it('any other refusal (a broken manifest) stays an error for the region', async () => {
    const broken = tempDir('risks-broken');
    try {
      const objects = inNs(gitB()).map((o) =>
        o.metadata.name === 'web-scale'
          ? { ...o, spec: { ...(o.spec as object), replicas: -1 } }
          : o,
      );
      writeFileSync(
        join(broken.dir, 'app.yaml'),
        objects.map((o) => JSON.stringify(o)).join('\n---\n'),
      );
      const r = (await check(broken.dir, [region], 'server-side')).regions[0];
      expect(r.status).toBe('error');
      expect(r.error).toMatch(
        new RegExp(
          `^1 object could not be compared:\\nDeployment ${ns}/web-scale: the server refused the dry-run apply \\(422 Invalid: .*spec.replicas`,
        ),
      );
      // The refusals that only concern fixed fields are still findings next to the error.
      expect(r.findings.find((f) => f.name === 'sts-claims')?.risks).toEqual(['immutable-field']);
    } finally {
      broken.dispose();
    }
  });

  it('never shows a Secret value, in the JSON report or the CLI text', async () => {
    for (const report of reports.values()) {
      const json = JSON.stringify(report);
      for (const v of [SECRET_VALUE, SECRET_NEXT, b64(SECRET_VALUE), b64(SECRET_NEXT)])
        expect(json).not.toContain(v);
    }
    const cli = await runCli(['check', '--path', dir, '--regions', region]);
    expect(cli.code).toBe(1);
    for (const v of [SECRET_VALUE, SECRET_NEXT, b64(SECRET_VALUE), b64(SECRET_NEXT)]) {
      expect(cli.stdout).not.toContain(v);
      expect(cli.stderr).not.toContain(v);
    }
    // The text output names each risk with its reason under the object.
    expect(cli.stdout).toContain(`risk immutable-field: ${RISK_REASONS['immutable-field']}`);
    expect(cli.stdout).toContain(`risk prune-data: ${RISK_REASONS['prune-data']}`);
  });
});
