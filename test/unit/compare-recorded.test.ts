import { describe, expect, it } from 'vitest';
import { compareRegion } from '../../src/core/compare/compare-region';
import type { ComparisonMode } from '../../src/core/report/model';
import { loadRecording, regionInput } from './fixtures/load-recording';
import { CHANGED_SECRET, SEEDED_SECRET } from './fixtures/scenario';

// Objects recorded from a real kube-apiserver (see fixtures/record-fixtures.ts).
const modes: ComparisonMode[] = ['server-side', 'read-only'];

describe.each(modes)('recorded cluster, %s mode', (mode) => {
  it('finds nothing right after the GitOps apply', () => {
    const rec = loadRecording('recorded-in-sync.json');
    expect(compareRegion(regionInput(rec, mode))).toEqual([]);
  });

  it('reports each hand change with its manager, and nothing else', () => {
    const rec = loadRecording('recorded-hand-changes.json');
    const findings = compareRegion(regionInput(rec, mode));

    // What the recorder did by hand, merged per object (several changes hit Deployment api).
    const expected = new Map<string, { type: string; fields: Map<string, string> }>();
    for (const c of rec.changes!) {
      if (c.expect.type === 'none') continue;
      const key = `${c.expect.kind}/${c.expect.name}`;
      const entry = expected.get(key) ?? { type: c.expect.type, fields: new Map<string, string>() };
      for (const f of c.expect.fields ?? []) entry.fields.set(f.path, f.manager);
      expected.set(key, entry);
    }
    const actual = new Map(
      findings.map((f) => [
        `${f.kind}/${f.name}`,
        { type: f.type, fields: new Map(f.fields.map((d) => [d.path, d.manager ?? '(none)'])) },
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it('leaves replicas an autoscaler wrote through the scale subresource alone', () => {
    const rec = loadRecording('recorded-hand-changes.json');
    const db = rec.live.find((o) => o.kind === 'StatefulSet')!;
    // The recording really has the controller's write on a field Git sets.
    expect((db.spec as { replicas: number }).replicas).toBe(3);
    expect(JSON.stringify(db.metadata.managedFields)).toContain('kube-controller-manager');
    const findings = compareRegion(regionInput(rec, mode));
    expect(findings.filter((f) => ['db', 'batch'].includes(f.name))).toEqual([]);
  });

  it('gives the live value, Git value and owner time of a changed field', () => {
    const rec = loadRecording('recorded-hand-changes.json');
    const api = compareRegion(regionInput(rec, mode)).find(
      (f) => f.kind === 'Deployment' && f.name === 'api',
    )!;
    const image = api.fields.find((f) => f.path.endsWith('/image'))!;
    expect(image).toMatchObject({
      desired: 'nginx:1.25',
      live: 'nginx:1.26',
      manager: 'kubectl-set',
      operation: 'Update',
    });
    expect(image.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    const label = api.fields.find((f) => f.path === '/metadata/labels/owner')!;
    expect(label).toEqual(expect.objectContaining({ live: 'bob', manager: 'kubectl-label' }));
    expect(label).not.toHaveProperty('desired');
    // The recorded cpu limit was written as the number 1; live says "2" after `kubectl set resources`.
    const cpu = api.fields.find((f) => f.path.endsWith('/resources/limits/cpu'))!;
    expect(cpu.live).toBe('2');
  });

  it('shows a changed Secret key only as fingerprints', () => {
    const rec = loadRecording('recorded-hand-changes.json');
    const secret = compareRegion(regionInput(rec, mode)).find((f) => f.kind === 'Secret')!;
    const [field] = secret.fields;
    expect(field).toMatchObject({
      path: '/data/password',
      redacted: true,
      manager: 'kubectl-patch',
    });
    expect(field.desired).not.toEqual(field.live);
    const text = JSON.stringify(secret);
    for (const v of [SEEDED_SECRET, CHANGED_SECRET]) {
      expect(text).not.toContain(v);
      expect(text).not.toContain(Buffer.from(v).toString('base64'));
    }
  });
});
