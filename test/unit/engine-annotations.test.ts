import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/compare/kube-object';
import { applyEngineAnnotations } from '../../src/core/engine/apply-engine-annotations';
import {
  argoOptions,
  fluxCreatesOnly,
  fluxKeepsOnPrune,
  fluxMerges,
  fluxSkipsApply,
} from '../../src/core/engine/engine-annotations';
import { enginesFor } from '../../src/core/engine/engine-of';
import type { Finding } from '../../src/core/report/model';
import { renderText } from '../../src/core/report/text';

const obj = (
  name: string,
  meta: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
  managers: string[] = [],
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name,
    namespace: 'ns',
    ...meta,
    ...(managers.length
      ? {
          managedFields: managers.map((manager) => ({
            manager,
            operation: 'Apply',
            fieldsType: 'FieldsV1',
            fieldsV1: {},
          })),
        }
      : {}),
  },
});

describe('reading the settings as each engine reads them', () => {
  it('Flux: a label or an annotation, any letter case, Git first', () => {
    const git = obj('a', { labels: { 'kustomize.toolkit.fluxcd.io/reconcile': 'Disabled' } });
    const live = obj('a', { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'ignore' } });
    expect(fluxSkipsApply(git, live)).toMatchObject({
      where: 'Git',
      as: 'label',
      value: 'Disabled',
    });
    expect(fluxSkipsApply(undefined, live)).toMatchObject({
      where: 'the cluster',
      value: 'ignore',
    });
    expect(fluxSkipsApply(obj('a'), obj('a'))).toBeUndefined();
    // IfNotPresent counts only in Git (Flux reads it from the manifest it applies).
    const ifNotPresent = { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' } };
    expect(fluxCreatesOnly(obj('a', ifNotPresent))).toBeDefined();
    expect(
      fluxMerges(
        undefined,
        obj('a', { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Merge' } }),
      ),
    ).toBeDefined();
    // Every garbage-collector exclusion keeps an object Git no longer has.
    for (const [key, value] of [
      ['kustomize.toolkit.fluxcd.io/prune', 'disabled'],
      ['kustomize.toolkit.fluxcd.io/reconcile', 'disabled'],
      ['kustomize.toolkit.fluxcd.io/ssa', 'Ignore'],
    ])
      expect(fluxKeepsOnPrune(obj('a', { annotations: { [key]: value } }))).toBeDefined();
    expect(
      fluxKeepsOnPrune(
        obj('a', { annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'enabled' } }),
      ),
    ).toBeUndefined();
  });

  it('Argo CD: comma-separated options, trimmed, matched exactly', () => {
    const o = obj('a', {
      annotations: {
        'argocd.argoproj.io/sync-options': ' Prune=false ,Validate=false,,Prune=false',
      },
    });
    expect(argoOptions(o, 'argocd.argoproj.io/sync-options')).toEqual([
      'Prune=false',
      'Validate=false',
    ]);
    const lower = obj('a', { annotations: { 'argocd.argoproj.io/sync-options': 'prune=false' } });
    expect(argoOptions(lower, 'argocd.argoproj.io/sync-options')).not.toContain('Prune=false');
  });

  it('counts only the settings of the engine that deploys the object', () => {
    expect(enginesFor(undefined, 'flux', undefined)).toEqual(['flux']);
    expect(enginesFor(obj('a', {}, ['kustomize-controller']), undefined, undefined)).toEqual([
      'flux',
    ]);
    expect(enginesFor(obj('a', {}, ['argocd-controller']), undefined, undefined)).toEqual([
      'argocd',
    ]);
    expect(enginesFor(undefined, undefined, 'kustomize-controller')).toEqual(['flux']);
    expect(enginesFor(obj('a'), undefined, undefined)).toEqual(['argocd', 'flux']);
  });
});

describe('what the settings do to the findings', () => {
  const key = (name: string) => `|ConfigMap|ns|${name}`;
  const changed = (name: string, fields: Finding['fields']): Finding => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'ns',
    name,
    type: 'changed',
    fields,
  });
  const run = (findings: Finding[], desired: KubeObject[], live: KubeObject[]) =>
    applyEngineAnnotations(findings, {
      desired: new Map(desired.map((o) => [key(o.metadata.name), o])),
      live: new Map(live.map((o) => [key(o.metadata.name), o])),
      enginesFor: () => ['flux', 'argocd'],
      isApplier: (m) => m === 'kustomize-controller',
    });

  it('Merge hides only fields Git does not set that someone else owns', () => {
    const merge = { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Merge' } };
    const out = run(
      [
        changed('m', [
          { path: '/data/a', desired: 'git', live: 'hand', manager: 'kubectl-edit' },
          { path: '/data/added', live: 'x', manager: 'kubectl-edit' },
          { path: '/data/dropped-from-git', live: 'y', manager: 'kustomize-controller' },
        ]),
      ],
      [obj('m', merge)],
      [obj('m', merge)],
    );
    expect(out.findings[0].fields.map((f) => f.path)).toEqual([
      '/data/a',
      '/data/dropped-from-git',
    ]);
    expect(out.ignored).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'ns',
        name: 'm',
        path: '/data/added',
        type: 'changed',
        rule: 'Flux kustomize.toolkit.fluxcd.io/ssa: Merge (in Git)',
        engine: 'flux',
      },
    ]);
  });

  it('a Prune=false extra stays a finding, marked, and the text output says a sync leaves it', () => {
    const live = obj('x', { annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false' } });
    const out = run(
      [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: 'ns',
          name: 'x',
          type: 'extra',
          fields: [],
        },
      ],
      [],
      [live],
    );
    expect(out.ignored).toEqual([]);
    expect(out.findings[0].notPrunedBy).toBe(
      'Argo CD argocd.argoproj.io/sync-options: Prune=false (on the live object, not in Git)',
    );
    const text = renderText({
      schemaVersion: 1,
      tool: { name: 'mr-drift', version: '0' },
      generatedAt: '2026-01-01T00:00:00Z',
      mode: 'read-only',
      source: { path: '.' },
      regions: [{ name: 'r', status: 'drift', findings: out.findings }],
    });
    expect(text).toContain(
      '(not in Git; a sync does not prune it: Argo CD argocd.argoproj.io/sync-options: Prune=false',
    );
  });
});
