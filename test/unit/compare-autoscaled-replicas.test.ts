import { describe, expect, it } from 'vitest';
import { replicasLeftToAutoscaler } from '../../src/core/compare/autoscaled-replicas';
import { compareRegion } from '../../src/core/compare/compare-region';
import { objectKey, refOf, type KubeObject } from '../../src/core/compare/kube-object';
import type { ComparisonMode } from '../../src/core/report/model';
import { loadRecording, regionInput, type Recording } from './fixtures/load-recording';

/**
 * Git leaves the replicas of `worker` to its HPA (its manifest has none). The recording
 * holds a real `kubectl scale deployment/worker --replicas=3`, which the server recorded
 * under no manager because nobody owned the field. The variants below add the entries
 * the same server writes when someone did own it (seen on kube-apiserver 1.36.3: after a
 * client-side apply, `kubectl scale` is recorded as `kubectl`, Update, subresource scale;
 * `kubectl patch` as `kubectl-patch`, Update), to show the verdict comes from Git, not
 * from whether the server named a manager.
 */
const modes: ComparisonMode[] = ['server-side', 'read-only'];

function withReplicasEntry(
  rec: Recording,
  name: string,
  entry: Record<string, unknown>,
): Recording {
  const copy = structuredClone(rec);
  const live = copy.live.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
  const fields = live.metadata.managedFields as unknown as Record<string, unknown>[];
  fields.push({
    apiVersion: 'apps/v1',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    ...entry,
  });
  return copy;
}

const kubectlScale = { manager: 'kubectl', operation: 'Update', subresource: 'scale' };
const kubectlPatch = {
  manager: 'kubectl-patch',
  operation: 'Update',
  time: '2026-11-26T10:32:08Z',
};

const replicasFindings = (rec: Recording, mode: ComparisonMode) =>
  compareRegion(regionInput(rec, mode))
    .filter((f) => f.name === 'worker')
    .flatMap((f) => f.fields.map((d) => `${f.type} ${d.path} ${d.manager ?? '(none)'}`));

describe('replicasLeftToAutoscaler', () => {
  const rec = loadRecording('recorded-hand-changes.json');
  const desired = rec.desired.map((d) => ({
    ...d,
    metadata: { ...d.metadata, namespace: rec.namespace },
  })) as KubeObject[];
  const key = (kind: string, name: string) =>
    objectKey(refOf(desired.find((d) => d.kind === kind && d.metadata.name === name)!));

  it('holds the HPA targets whose manifests leave replicas out, nothing else', () => {
    expect([...replicasLeftToAutoscaler(desired)].sort()).toEqual(
      [key('Deployment', 'batch'), key('Deployment', 'worker')].sort(),
    );
  });

  it('not a target whose manifest sets replicas (Git and the HPA share the field)', () => {
    const hpa = structuredClone(desired.find((d) => d.kind === 'HorizontalPodAutoscaler')!);
    (hpa.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name = 'api';
    hpa.metadata.name = 'api';
    expect(replicasLeftToAutoscaler([...desired, hpa]).has(key('Deployment', 'api'))).toBe(false);
  });

  it('matches kind, group and namespace, not just the name', () => {
    const hpa = structuredClone(desired.find((d) => d.kind === 'HorizontalPodAutoscaler')!);
    const worker = desired.find((d) => d.kind === 'Deployment' && d.metadata.name === 'worker')!;
    const otherNs: KubeObject = { ...hpa, metadata: { ...hpa.metadata, namespace: 'elsewhere' } };
    const otherKind = structuredClone(hpa);
    (otherKind.spec as { scaleTargetRef: { kind: string } }).scaleTargetRef.kind = 'StatefulSet';
    const otherGroup = structuredClone(hpa);
    (otherGroup.spec as { scaleTargetRef: { apiVersion: string } }).scaleTargetRef.apiVersion =
      'example.com/v1';
    for (const h of [otherNs, otherKind, otherGroup]) {
      expect(replicasLeftToAutoscaler([worker, h]).size, JSON.stringify(h.spec)).toBe(0);
    }
    expect(replicasLeftToAutoscaler([worker, hpa]).size).toBe(1);
  });
});

describe.each(modes)('replicas Git leaves to the HPA, %s mode', (mode) => {
  const rec = loadRecording('recorded-hand-changes.json');

  it('the recorded scale (no owner on the server) is not drift', () => {
    const worker = rec.live.find((o) => o.kind === 'Deployment' && o.metadata.name === 'worker')!;
    expect((worker.spec as { replicas: number }).replicas).toBe(3);
    expect(replicasFindings(rec, mode)).toEqual([]);
  });

  for (const [who, entry] of [
    ['kubectl scale recorded as kubectl', kubectlScale],
    ['kubectl patch recorded as kubectl-patch', kubectlPatch],
  ] as const) {
    it(`${who}: not drift, because an HPA in Git targets it`, () => {
      expect(replicasFindings(withReplicasEntry(rec, 'worker', entry), mode)).toEqual([]);
    });

    it(`${who}: drift once Git has no HPA for it (the rule, not the recording, decides)`, () => {
      const noHpa = withReplicasEntry(rec, 'worker', entry);
      noHpa.desired = noHpa.desired.filter(
        (d) => !(d.kind === 'HorizontalPodAutoscaler' && d.metadata.name === 'worker'),
      );
      expect(replicasFindings(noHpa, mode)).toEqual([`changed /spec/replicas ${entry.manager}`]);
    });
  }
});

describe('replicas the applier still owns, Git no longer sets (read-only mode)', () => {
  it('are reported with the applier: the next sync drops them and the server resets them to 1', () => {
    const rec = withReplicasEntry(loadRecording('recorded-hand-changes.json'), 'worker', {
      manager: 'argocd-controller',
      operation: 'Apply',
      time: '2026-11-26T09:00:00Z',
    });
    expect(replicasFindings(rec, 'read-only')).toEqual([
      'changed /spec/replicas argocd-controller',
    ]);
  });
});
