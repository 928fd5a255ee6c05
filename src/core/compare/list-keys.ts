/**
 * Which fields identify the items of a list (its merge keys), so lists are compared item
 * by item whatever their order, and paths name items by key. The server's own answer wins
 * when the live object's managedFields show it (see `keyNamesFromManagedFields`); this
 * table covers the built-in lists for manifests that have no live counterpart yet.
 */
import { isJsonObject, type Json } from './kube-object';
import { keySegmentFor, keyText, type FieldPath } from './field-path';

const KEYS_BY_FIELD: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  imagePullSecrets: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  hostAliases: ['ip'],
  resourceClaims: ['name'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
  ownerReferences: ['uid'],
  conditions: ['type'],
};

/** Function that tells the key fields of the list at a path, if it has any. */
export type ListKeyLookup = (
  path: FieldPath,
  items: readonly Json[],
) => readonly string[] | undefined;

/**
 * Key fields of a built-in list, judged by its field name and its items. The caller checks
 * that each side's items really carry distinct keys (`keysUsable`) before relying on them.
 */
export function builtinListKeys(
  path: FieldPath,
  items: readonly Json[],
): readonly string[] | undefined {
  const last = path[path.length - 1];
  if (!last || !('field' in last)) return undefined;
  let keys: readonly string[] | undefined = KEYS_BY_FIELD[last.field];
  if (last.field === 'ports') {
    // Container ports are keyed by containerPort, Service ports by port (both with protocol).
    if (items.some((i) => isJsonObject(i) && 'containerPort' in i))
      keys = ['containerPort', 'protocol'];
    else if (items.some((i) => isJsonObject(i) && 'port' in i)) keys = ['port', 'protocol'];
  }
  return keys;
}

/**
 * True when every item carries the keys and no two items share a key: otherwise comparing
 * by key would lose items, so the caller falls back to positions.
 */
export function keysUsable(items: readonly Json[], keys: readonly string[]): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    const seg = keySegmentFor(item, keys);
    if (!seg) return false;
    const text = keyText(seg);
    if (seen.has(text)) return false;
    seen.add(text);
  }
  return true;
}
