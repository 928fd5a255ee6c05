import { describe, expect, it } from 'vitest';
import {
  changedPaths,
  classifyOrigins,
  combineOrigins,
  pathsOverlap,
  removedByPr,
  type ClassifyInput,
} from '../../src/core/compare/classify-origin';
import { compareFindings, compareRegion } from '../../src/core/compare/compare-region';
import {
  cloneJson,
  objectKey,
  refOf,
  type JsonObject,
  type KubeObject,
} from '../../src/core/compare/kube-object';
import { DEFAULT_HAND_MANAGERS, globMatcher } from '../../src/core/compare/managers';
import type { Finding } from '../../src/core/report/model';
import { countOrigins, isDriftFinding, originSections } from '../../src/core/report/origin';
import {
  loadRecording,
  regionInput,
  testFingerprint,
  type Recording,
} from './fixtures/load-recording';

// The classification on objects recorded from a real kube-apiserver after a GitOps apply
// and hand changes (fixtures/recorded-hand-changes.json): the recording's desired state is
// the pull request's base, and each test edits a copy of it into the PR's head.

const APP = '/spec/template/spec/containers/name=app';

function edit(objects: KubeObject[], kind: string, name: string, fn: (o: JsonObject) => void) {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in the recording`);
  fn(o);
}

/** Findings of the head against the recorded cluster, then removals and origins (read-only). */
function classify(rec: Recording, head: KubeObject[]): Finding[] {
  const headInput = regionInput({ ...rec, desired: head }, 'read-only');
  const baseInput = regionInput(rec, 'read-only');
  const byKey = (entries: typeof headInput.desired) =>
    new Map(entries.map((e) => [objectKey(refOf(e.manifest)), e]));
  const input: ClassifyInput = {
    head: byKey(headInput.desired),
    base: byKey(baseInput.desired),
    live: headInput.live,
    isApplier: headInput.isApplier,
    isHandManager: globMatcher(DEFAULT_HAND_MANAGERS),
    fingerprint: testFingerprint,
  };
  const found = compareRegion(headInput);
  const all = [...found, ...removedByPr(found, input)].sort(compareFindings);
  return classifyOrigins(all, input);
}

/** `type Kind/name` -> origin, or field path -> origin for changed objects. */
function origins(findings: Finding[]): Record<string, unknown> {
  return Object.fromEntries(
    findings.map((f) => [
      `${f.type} ${f.kind}/${f.name}`,
      f.type === 'changed'
        ? { origin: f.origin, ...Object.fromEntries(f.fields.map((d) => [d.path, d.origin])) }
        : f.origin,
    ]),
  );
}

describe('origin of each difference, on recorded cluster objects', () => {
  const rec = loadRecording('recorded-hand-changes.json');

  it('with no change in the PR, every difference is drift and the region is drift', () => {
    const findings = classify(rec, cloneJson(rec.desired));
    expect(findings.length).toBeGreaterThan(5);
    for (const f of findings) {
      expect(f.origin, `${f.kind}/${f.name}`).toBe('drift');
      for (const d of f.fields) expect(d.origin, d.path).toBe('drift');
    }
  });

  it('tells the PR’s changes, drift, and PR changes over hand changes apart', () => {
    const head = cloneJson(rec.desired);
    // The PR: the image that was also changed by hand (kubectl set image -> nginx:1.26) ...
    edit(head, 'Deployment', 'api', (o) => {
      const c = (o.spec as JsonObject).template as JsonObject;
      const containers = (c.spec as JsonObject).containers as JsonObject[];
      containers[0].image = 'nginx:1.27';
      // ... and a quantity written another way: the same intent, so no PR change.
      ((containers[0].resources as JsonObject).limits as JsonObject).cpu = '1000m';
    });
    // ... a label nobody touched on a Service that also has a hand-made annotation ...
    edit(head, 'Service', 'api', (o) => {
      (o.metadata as JsonObject).labels = {
        ...((o.metadata as JsonObject).labels as JsonObject),
        tier: 'web',
      };
    });
    // ... a new object, and one removed from Git.
    head.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'flags', namespace: rec.namespace },
      data: { NEW_UI: 'on' },
    });
    const withoutBatch = head.filter(
      (o) => !(o.kind === 'Deployment' && o.metadata.name === 'batch'),
    );

    const findings = classify(rec, withoutBatch);
    expect(origins(findings)).toEqual({
      'changed Deployment/api': {
        origin: 'both',
        '/metadata/labels/owner': 'drift',
        '/spec/replicas': 'drift',
        [`${APP}/env/name=A/value`]: 'drift',
        [`${APP}/env/name=B`]: 'drift',
        [`${APP}/image`]: 'both',
        [`${APP}/resources/limits/cpu`]: 'drift',
        '/spec/template/spec/containers/name=sidecar': 'drift',
      },
      'extra Deployment/batch': 'pr',
      'missing ConfigMap/flags': 'pr',
      'missing ConfigMap/obsolete': 'drift',
      'changed ConfigMap/settings': { origin: 'drift', '/data/EXTRA': 'drift' },
      'extra ConfigMap/stray': 'drift',
      'changed Secret/creds': { origin: 'drift', '/data/password': 'drift' },
      'changed Service/api': {
        origin: 'both',
        '/metadata/annotations/note': 'drift',
        '/metadata/labels/tier': 'pr',
      },
    });
    // The field the merge overwrites keeps what the reviewer needs: both values and who.
    const image = findings
      .find((f) => f.kind === 'Deployment' && f.name === 'api')!
      .fields.find((d) => d.path === `${APP}/image`)!;
    expect(image).toMatchObject({
      desired: 'nginx:1.27',
      live: 'nginx:1.26',
      manager: 'kubectl-set',
    });
  });

  it('a region with only the PR’s changes has no drift', () => {
    const inSync = loadRecording('recorded-in-sync.json');
    const head = cloneJson(inSync.desired);
    edit(head, 'ConfigMap', 'settings', (o) => {
      (o.data as JsonObject).LOG_LEVEL = 'debug';
    });
    const findings = classify(inSync, head);
    expect(origins(findings)).toEqual({
      'changed ConfigMap/settings': { origin: 'pr', '/data/LOG_LEVEL': 'pr' },
    });
    expect(findings.some(isDriftFinding)).toBe(false);
    const region = { name: 'r', status: 'in-sync' as const, findings };
    expect(countOrigins(region)).toEqual({ pr: 1, drift: 0, both: 0 });
    expect(originSections(region)?.map((s) => [s.part, s.findings.length])).toEqual([
      ['pr', 1],
      ['drift', 0],
    ]);
  });

  it('an object the PR adds that someone already created by hand: the merge overwrites it', () => {
    // `stray` exists live (made with kubectl create), and the PR now puts it in Git.
    const head = cloneJson(rec.desired);
    head.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'stray',
        namespace: rec.namespace,
        labels: { 'app.kubernetes.io/part-of': rec.app },
      },
      data: { k: 'from-git' },
    });
    const stray = classify(rec, head).find((f) => f.name === 'stray')!;
    expect(stray.type).toBe('changed');
    expect(stray.origin).toBe('both');
    expect(stray.fields.map((d) => [d.path, d.origin])).toContainEqual(['/data/k', 'both']);
  });
});

describe('changedPaths', () => {
  const base = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'a' },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'api', image: 'x:1', resources: { limits: { cpu: '0.5', memory: '1Gi' } } },
            { name: 'side', image: 's:1', ports: [{ containerPort: 8080 }] },
          ],
        },
      },
    },
  } as unknown as KubeObject;

  it('finds nothing when only the spelling of a value or the list order changes', () => {
    const head = cloneJson(base);
    const spec = (head.spec as JsonObject).template as JsonObject;
    const containers = (spec.spec as JsonObject).containers as JsonObject[];
    (containers[0].resources as JsonObject).limits = { cpu: '500m', memory: '1024Mi' };
    containers.reverse();
    expect(changedPaths(base, head, undefined)).toEqual([]);
  });

  it('names changed, added and removed fields by key, in both directions', () => {
    const head = cloneJson(base);
    (head.spec as JsonObject).replicas = 3;
    const spec = ((head.spec as JsonObject).template as JsonObject).spec as JsonObject;
    spec.containers = [(spec.containers as JsonObject[])[0], { name: 'new', image: 'n:1' }];
    (head.metadata as JsonObject).labels = { team: 'a' };
    expect(changedPaths(base, head, undefined)).toEqual([
      '/metadata/labels',
      '/spec/replicas',
      '/spec/template/spec/containers/name=new',
      '/spec/template/spec/containers/name=side',
    ]);
  });
});

describe('small rules', () => {
  it('pathsOverlap: a path and what lies below it, never a sibling with a common prefix', () => {
    expect(pathsOverlap('/spec/replicas', '/spec/replicas')).toBe(true);
    expect(pathsOverlap('/spec/template', '/spec/template/spec/containers/name=a/image')).toBe(
      true,
    );
    expect(pathsOverlap('/spec/template/spec/containers/name=a/image', '/spec/template')).toBe(
      true,
    );
    expect(pathsOverlap('/metadata/labels/app', '/metadata/labels/app2')).toBe(false);
    expect(pathsOverlap('/data/A', '/data/B')).toBe(false);
  });

  it('combineOrigins: agreement keeps the origin, a mix is both', () => {
    expect(combineOrigins(['pr', 'pr'])).toBe('pr');
    expect(combineOrigins(['drift'])).toBe('drift');
    expect(combineOrigins(['pr', 'drift'])).toBe('both');
    expect(combineOrigins(['pr', 'both'])).toBe('both');
  });

  it('a deleted object the PR does not add is drift; an extra one Git never had is drift', () => {
    const cm = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'n' },
      data: { A: '1' },
    });
    const entry = (o: KubeObject) => ({ manifest: o, comparable: o });
    const key = (o: KubeObject) => objectKey(refOf(o));
    const input: ClassifyInput = {
      head: new Map([[key(cm('kept')), entry(cm('kept'))]]),
      base: new Map([[key(cm('kept')), entry(cm('kept'))]]),
      live: new Map([[key(cm('stray')), cm('stray')]]),
      isApplier: () => false,
      isHandManager: () => true,
      fingerprint: testFingerprint,
    };
    const findings: Finding[] = [
      { ...refOf(cm('kept')), type: 'missing', fields: [] },
      { ...refOf(cm('stray')), type: 'extra', fields: [] },
    ];
    expect(classifyOrigins(findings, input).map((f) => f.origin)).toEqual(['drift', 'drift']);
    // Nothing was removed by the PR, so no removal is added.
    expect(removedByPr(findings, input)).toEqual([]);
  });
});
