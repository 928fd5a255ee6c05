/**
 * Server-side mode: which desired objects go to the server's apply dry-run. An object
 * whose apply the server's own records prove to be a no-op (see apply-no-op.ts) keeps its
 * live copy as the prediction and needs no round trip, unless every object must be sent.
 */
import { applyIsNoOp } from './apply-no-op';
import { objectKey, refOf, type KubeObject } from './kube-object';
import { managedFieldsOf } from './managed-fields';
import { DEFAULT_FIELD_MANAGER, detectManager } from './managers';
import type { ResolvedObject } from './resolve-desired';
import type { ResourceType } from './resource-catalog';

/** An object to dry-run, with the field manager its apply is sent as. */
export interface DryRunTarget {
  object: ResolvedObject;
  resourceType: ResourceType;
  key: string;
  manager: string;
}

export interface DryRunChoice {
  /** Predictions known without asking: the live object, by `objectKey`. */
  provenNoOp: Map<string, KubeObject>;
  targets: DryRunTarget[];
}

/**
 * Splits the live desired objects (those the cluster serves and holds) into proven no-ops
 * and dry-run targets. The field manager is the one given, else the GitOps engine that
 * applied the object, else the default.
 */
export function chooseDryRunTargets(
  desired: readonly ResolvedObject[],
  live: ReadonlyMap<string, KubeObject>,
  options: { fieldManager?: string | undefined; fullDryRun?: boolean | undefined },
): DryRunChoice {
  const provenNoOp = new Map<string, KubeObject>();
  const targets: DryRunTarget[] = [];
  for (const object of desired) {
    const key = objectKey(refOf(object.entry.manifest));
    const liveObject = live.get(key);
    const resourceType = object.resourceType;
    if (!resourceType || !liveObject) continue;
    const entries = managedFieldsOf(liveObject);
    const manager = options.fieldManager ?? detectManager(entries) ?? DEFAULT_FIELD_MANAGER;
    const applied = entries.find(
      (e) => e.manager === manager && e.operation === 'Apply' && !e.subresource,
    );
    if (!options.fullDryRun && applyIsNoOp(object.entry.manifest, liveObject, applied))
      provenNoOp.set(key, liveObject);
    else targets.push({ object, resourceType, key, manager });
  }
  return { provenNoOp, targets };
}
