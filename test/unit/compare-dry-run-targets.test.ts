import { describe, expect, it } from 'vitest';
import { chooseDryRunTargets } from '../../src/core/compare/dry-run-targets';
import { objectKey, refOf, type KubeObject } from '../../src/core/compare/kube-object';
import { detectManager } from '../../src/core/compare/managers';
import { managedFieldsOf } from '../../src/core/compare/managed-fields';
import { addEngineMetadata, resolveDesired } from '../../src/core/compare/resolve-desired';
import { GITOPS_MANAGERS } from '../../src/core/compare/managers';
import {
  loadRecording,
  recordedCatalog,
  sourcedObjects,
  type Recording,
} from './fixtures/load-recording';

// Which objects server-side mode sends to the apply dry-run, on objects recorded from a
// real kube-apiserver right after a GitOps apply and after hand changes.

function prepared(rec: Recording) {
  const { objects } = resolveDesired(sourcedObjects(rec), recordedCatalog(), 'default');
  const live = new Map<string, KubeObject>(rec.live.map((o) => [objectKey(refOf(o)), o]));
  addEngineMetadata(objects, live, (m) => GITOPS_MANAGERS.includes(m));
  return { objects, live };
}
const names = (keys: Iterable<string>) => [...keys].map((k) => k.split('/').slice(-2).join('/'));

describe('chooseDryRunTargets', () => {
  it('right after a sync, sends only what it cannot prove locally', () => {
    const { objects, live } = prepared(loadRecording('recorded-in-sync.json'));
    const { provenNoOp, targets } = chooseDryRunTargets(objects, live, {});
    // volumeClaimTemplates is atomic and gains server defaults inside.
    expect(
      targets.map(
        (t) => `${t.object.entry.manifest.kind}/${t.object.entry.manifest.metadata.name}`,
      ),
    ).toEqual(['StatefulSet/db']);
    expect(provenNoOp.size).toBe(objects.length - 1);
    // The proof keeps the live copy as the prediction.
    for (const [key, predicted] of provenNoOp) expect(predicted).toBe(live.get(key));
    // As the engine that applied them.
    expect(targets[0].manager).toBe('argocd-controller');
    expect(targets[0].resourceType.resource).toBe('statefulsets');
  });

  it('sends objects whose values Git sets were changed by hand', () => {
    const { objects, live } = prepared(loadRecording('recorded-hand-changes.json'));
    const { targets } = chooseDryRunTargets(objects, live, {});
    const sent = targets.map(
      (t) => `${t.object.entry.manifest.kind}/${t.object.entry.manifest.metadata.name}`,
    );
    expect(sent).toEqual(
      expect.arrayContaining(['Deployment/api', 'StatefulSet/db', 'Secret/creds']),
    );
    expect(sent).not.toContain('Service/api'); // only an annotation added by hand
    // A deleted object has no live copy: nothing to dry-run, it is missing.
    expect(sent).not.toContain('ConfigMap/obsolete');
  });

  it('sends every live object with fullDryRun, as the given field manager', () => {
    const rec = loadRecording('recorded-in-sync.json');
    const { objects, live } = prepared(rec);
    const { provenNoOp, targets } = chooseDryRunTargets(objects, live, {
      fullDryRun: true,
      fieldManager: 'my-applier',
    });
    expect(provenNoOp.size).toBe(0);
    expect(names(targets.map((t) => t.key)).sort()).toEqual(names(live.keys()).sort());
    expect(new Set(targets.map((t) => t.manager))).toEqual(new Set(['my-applier']));
  });
});

describe('detectManager', () => {
  it('names the GitOps engine that applied a recorded object', () => {
    const rec = loadRecording('recorded-hand-changes.json');
    const api = rec.live.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api')!;
    const entries = managedFieldsOf(api);
    // Hand changes added other managers; the applier is still found.
    expect(entries.map((e) => e.manager)).toEqual(expect.arrayContaining(['kubectl-set']));
    expect(detectManager(entries)).toBe('argocd-controller');
    expect(detectManager(entries.filter((e) => e.manager !== 'argocd-controller'))).toBeUndefined();
  });
});
