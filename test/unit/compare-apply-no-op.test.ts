import { describe, expect, it } from 'vitest';
import { objectKey, refOf, jsonEqual } from '../../src/core/compare/kube-object';
import { applyIsNoOp } from '../../src/core/compare/apply-no-op';
import { managedFieldsOf } from '../../src/core/compare/managed-fields';
import { stripServerFields } from '../../src/core/normalize/server-fields';
import { loadRecording, regionInput } from './fixtures/load-recording';

/** For each recorded object: the no-op proof, and what the real dry-run returned. */
function verdicts(file: string) {
  const rec = loadRecording(file);
  const input = regionInput(rec, 'server-side');
  return input.desired.flatMap((d) => {
    const key = objectKey(refOf(d.manifest));
    const live = input.live.get(key);
    const predicted = input.predicted?.get(key);
    if (!live || !predicted) return [];
    const entry = managedFieldsOf(live).find(
      (e) => e.manager === rec.fieldManager && e.operation === 'Apply',
    );
    return [
      {
        name: `${d.manifest.kind}/${d.manifest.metadata.name}`,
        noOp: applyIsNoOp(d.manifest, live, entry),
        // What the server said: did the dry-run leave the object as it was?
        serverNoOp: jsonEqual(stripServerFields(predicted), stripServerFields(live)),
      },
    ];
  });
}

describe('proving an apply is a no-op (server-side fast path)', () => {
  it.each(['recorded-in-sync.json', 'recorded-hand-changes.json'])(
    'never claims a no-op the real dry-run contradicts (%s)',
    (file) => {
      const v = verdicts(file);
      expect(v.length).toBeGreaterThan(10);
      for (const x of v) if (x.noOp) expect(x.serverNoOp, x.name).toBe(true);
    },
  );

  it('proves it for everything right after a sync but one case it cannot see locally', () => {
    const notProven = verdicts('recorded-in-sync.json')
      .filter((x) => !x.noOp)
      .map((x) => x.name);
    // volumeClaimTemplates is atomic and gains server defaults inside.
    expect(notProven).toEqual(['StatefulSet/db']);
  });

  it('sends objects with hand-changed values Git sets to the server', () => {
    const v = Object.fromEntries(
      verdicts('recorded-hand-changes.json').map((x) => [x.name, x.noOp]),
    );
    expect(v['Deployment/api']).toBe(false); // image, env, limits changed
    expect(v['StatefulSet/db']).toBe(false); // the autoscaler took replicas over
    expect(v['Secret/creds']).toBe(false); // password changed through stringData
    // Additions by hand leave Git's fields untouched: the apply is a no-op (and the
    // managedFields rules report the additions).
    expect(v['ConfigMap/settings']).toBe(true);
    expect(v['Service/api']).toBe(true);
  });
});
