import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/compare/kube-object';
import { formatPath, parsePath } from '../../src/core/compare/field-path';
import { entryOwns, keyNamesAt, parseManagedFields } from '../../src/core/compare/managed-fields';
import { uncoveredFields } from '../../src/core/compare/owned-fields';
import { stripServerFields } from '../../src/core/normalize/server-fields';
import { loadRecording } from './fixtures/load-recording';

const rec = loadRecording('recorded-hand-changes.json');
const api = rec.live.find(
  (o) => o.kind === 'Deployment' && o.metadata.name === 'api',
) as KubeObject;
const entries = parseManagedFields(api.metadata.managedFields as never);
const live = stripServerFields(api);
const by = (manager: string) => entries.find((e) => e.manager === manager)!;

describe('managedFields of a recorded Deployment', () => {
  it('parses one entry per manager, with operation, time and subresource', () => {
    expect(entries.map((e) => e.manager).sort()).toEqual(
      ['argocd-controller', 'kubectl', 'kubectl-label', 'kubectl-patch', 'kubectl-set'].sort(),
    );
    expect(by('argocd-controller').operation).toBe('Apply');
    expect(by('kubectl')).toMatchObject({ operation: 'Update', subresource: 'scale' });
    expect(by('kubectl-set').time).toMatch(/^\d{4}-/);
  });

  it('finds the owner of keyed list items and their fields', () => {
    const image = parsePath('/spec/template/spec/containers/name=app/image');
    expect(entryOwns(by('kubectl-set'), image, live)).toBe(true);
    expect(entryOwns(by('argocd-controller'), image, live)).toBe(false);
    // A container item the applier created is its: `.` on the keyed item.
    expect(
      entryOwns(
        by('argocd-controller'),
        parsePath('/spec/template/spec/containers/name=app'),
        live,
      ),
    ).toBe(true);
    // The same item addressed by position resolves through the live list.
    const index = (
      live.spec as { template: { spec: { containers: Array<{ name: string }> } } }
    ).template.spec.containers.findIndex((c) => c.name === 'sidecar');
    expect(
      entryOwns(by('kubectl-patch'), parsePath(`/spec/template/spec/containers/${index}`), live),
    ).toBe(true);
    // A leaf owns everything below it (the selector is atomic).
    expect(
      entryOwns(by('argocd-controller'), parsePath('/spec/selector/matchLabels/app'), live),
    ).toBe(true);
  });

  it('learns list keys from the server', () => {
    expect(
      keyNamesAt(entries, parsePath('/spec/template/spec/containers/name=app/ports'), live),
    ).toEqual(['containerPort', 'protocol']);
    expect(keyNamesAt(entries, parsePath('/spec/template/spec/containers'), live)).toEqual([
      'name',
    ]);
    expect(keyNamesAt(entries, parsePath('/spec/replicas'), live)).toBeUndefined();
  });

  it('lists what a hand manager owns and Git does not set, at the right granularity', () => {
    const desired = rec.desired.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api')!;
    const paths = (m: string) =>
      uncoveredFields(by(m), live, desired)
        .map((u) => formatPath(u.path))
        .sort();
    // The whole added container, not each of its defaulted fields.
    expect(paths('kubectl-patch')).toEqual(['/spec/template/spec/containers/name=sidecar']);
    expect(paths('kubectl-label')).toEqual(['/metadata/labels/owner']);
    // Fields Git sets (image, env A) are compared by value elsewhere; only env B is new.
    expect(paths('kubectl-set')).toEqual(['/spec/template/spec/containers/name=app/env/name=B']);
  });
});

describe('paths', () => {
  it('round-trips keyed, indexed and escaped segments', () => {
    for (const p of [
      '/metadata/labels/app.kubernetes.io~1name',
      '/spec/ports/port=80,protocol=TCP',
      '/spec/containers/name=app/args/0',
      '/a~0b',
    ]) {
      expect(formatPath(parsePath(p))).toBe(p);
    }
    expect(parsePath('/spec/ports/port=80,protocol=TCP')[2]).toEqual({
      key: { port: 80, protocol: 'TCP' },
    });
  });
});
