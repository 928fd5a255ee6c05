import { describe, expect, it } from 'vitest';
import { compareRegion } from '../../src/core/compare/compare-region';
import { objectKey, refOf, type KubeObject } from '../../src/core/compare/kube-object';
import {
  DEFAULT_HAND_MANAGERS,
  GITOPS_MANAGERS,
  globMatcher,
} from '../../src/core/compare/managers';
import { regionVerdict, type RegionVerdictInput } from '../../src/core/compare/region-verdict';
import { addEngineMetadata, resolveDesired } from '../../src/core/compare/resolve-desired';
import type { ComparisonMode } from '../../src/core/report/model';
import {
  loadRecording,
  recordedCatalog,
  regionInput,
  sourcedObjects,
  testFingerprint,
  type Recording,
} from './fixtures/load-recording';

// A region's verdict from objects recorded on a real kube-apiserver (record-fixtures.ts):
// the same findings as the comparison alone, plus ignore rules, origins against a base,
// risks, the skew digest and the status.

function verdictInput(rec: Recording, mode: ComparisonMode): RegionVerdictInput {
  const catalog = recordedCatalog();
  const { objects } = resolveDesired(sourcedObjects(rec), catalog, 'default');
  const live = new Map<string, KubeObject>(rec.live.map((o) => [objectKey(refOf(o)), o]));
  const isApplier = (m: string) => GITOPS_MANAGERS.includes(m);
  addEngineMetadata(objects, live, isApplier);
  return {
    region: 'us-east',
    mode,
    desired: objects,
    live,
    candidates: rec.live,
    predicted: new Map(rec.predicted.map((o) => [objectKey(refOf(o)), o])),
    refused: new Map(),
    unjudged: new Set(),
    objectErrors: [],
    rules: [],
    isApplier,
    isHandManager: globMatcher(DEFAULT_HAND_MANAGERS),
    fingerprint: testFingerprint,
  };
}

const handChanges = loadRecording('recorded-hand-changes.json');
const inSync = loadRecording('recorded-in-sync.json');

describe.each<ComparisonMode>(['server-side', 'read-only'])('regionVerdict, %s mode', (mode) => {
  it('is in sync, with a skew digest, right after the GitOps apply', () => {
    const v = regionVerdict(verdictInput(inSync, mode));
    expect(v.status).toBe('in-sync');
    expect(v.findings).toEqual([]);
    expect(v.error).toBeUndefined();
    expect(v.skewDigest?.same).not.toBe('');
  });

  it('reports drift with the comparison’s findings and their risks', () => {
    const v = regionVerdict(verdictInput(handChanges, mode));
    expect(v.status).toBe('drift');
    const compared = compareRegion(regionInput(handChanges, mode));
    expect(v.findings.map((f) => [f.kind, f.name, f.type])).toEqual(
      compared.map((f) => [f.kind, f.name, f.type]),
    );
    // The extra ConfigMap made by hand is not data, so no risk; nothing here is risky.
    expect(v.findings.filter((f) => f.risks)).toEqual([]);
  });
});

describe('regionVerdict', () => {
  it('applies the ignore rules and says what they hid', () => {
    const input = verdictInput(handChanges, 'server-side');
    const v = regionVerdict({
      ...input,
      rules: [
        {
          index: 1,
          description: 'stray objects',
          kind: 'ConfigMap',
          findings: ['extra', 'missing'],
        },
      ],
    });
    expect(v.findings.some((f) => f.kind === 'ConfigMap' && f.type !== 'changed')).toBe(false);
    expect(v.ignored?.map((i) => `${i.kind}/${i.name} ${i.rule}`).sort()).toEqual([
      'ConfigMap/obsolete #1 (stray objects)',
      'ConfigMap/stray #1 (stray objects)',
    ]);
    expect(v.status).toBe('drift');
  });

  it('is an error, never in sync, when the server could not judge an object', () => {
    const input = verdictInput(inSync, 'server-side');
    const db = [...input.live.keys()].find((k) => k.endsWith('/db'))!;
    const v = regionVerdict({
      ...input,
      unjudged: new Set([db]),
      objectErrors: ['StatefulSet db: the server refused the dry-run apply (500 InternalError: x)'],
    });
    expect(v.status).toBe('error');
    expect(v.error).toBe(
      '1 object could not be compared:\nStatefulSet db: the server refused the dry-run apply (500 InternalError: x)',
    );
  });

  it('keeps an immutable-field refusal the read-only comparison cannot explain as an error', () => {
    const input = verdictInput(inSync, 'server-side');
    const service = [...input.live.keys()].find((k) => k.includes('Service'))!;
    const v = regionVerdict({
      ...input,
      refused: new Map([[service, 'v1 Service api: spec.clusterIP: field is immutable\nmore']]),
    });
    expect(v.status).toBe('error');
    expect(v.error).toBe(
      '1 object could not be compared:\nv1 Service api: spec.clusterIP: field is immutable (the server refused the dry-run apply)',
    );
  });

  it('with the base equal to the head, every difference is drift', () => {
    const input = verdictInput(handChanges, 'read-only');
    const v = regionVerdict({ ...input, base: input.desired });
    expect(v.findings.length).toBeGreaterThan(3);
    expect(new Set(v.findings.map((f) => f.origin))).toEqual(new Set(['drift']));
    expect(v.status).toBe('drift');
  });

  it('an object only the base has, still live, is removed by the PR: not drift', () => {
    const input = verdictInput(inSync, 'read-only');
    const service = input.desired.find((o) => o.entry.manifest.kind === 'Service')!;
    const v = regionVerdict({
      ...input,
      desired: input.desired.filter((o) => o !== service),
      base: input.desired,
    });
    expect(v.findings.map((f) => [f.kind, f.type, f.origin])).toEqual([['Service', 'extra', 'pr']]);
    // The pull request's own change: the cluster matches what Git deployed.
    expect(v.status).toBe('in-sync');
  });
});
