/**
 * Fields of a live object that a managedFields entry owns but the manifest does not set.
 *
 * This is how additions made by hand are found: an apply-style diff cannot see a label or
 * env var that `kubectl edit` added, because applying the manifest would leave it in place.
 * The server records who owns it, so walking the owner's trie against the manifest shows
 * exactly what was added, and by whom. The same walk over the GitOps applier's own Apply
 * entry shows fields the next apply would prune (removed from Git since).
 */
import { isJsonObject, jsonEqual, type Json } from './kube-object';
import { itemMatchesKey, type PathSegment } from './field-path';
import { isLeaf, liveStep, type FieldsNode, type ParsedEntry } from './managed-fields';

/** A field owned by one entry and absent from the manifest. */
export interface UncoveredField {
  path: PathSegment[];
  live: Json;
  entry: ParsedEntry;
}

function desiredStep(value: Json | undefined, seg: PathSegment): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if ('field' in seg)
    return isJsonObject(value) && Object.hasOwn(value, seg.field) ? value[seg.field] : undefined;
  if (!Array.isArray(value)) return undefined;
  if ('index' in seg) return value[seg.index];
  return value.find((i) => itemMatchesKey(i, seg.key));
}

/**
 * Walks the entry's trie alongside the live object and the manifest and returns the
 * largest owned units the manifest does not contain: a whole list item when the entry
 * created it (`.` on a keyed item), otherwise individual fields and map keys. Fields no
 * longer present live are skipped (ownership of a vanished value says nothing).
 */
export function uncoveredFields(
  entry: ParsedEntry,
  live: Json,
  desired: Json | undefined,
): UncoveredField[] {
  const out: UncoveredField[] = [];
  walk(entry.root, live, desired, [], entry, out);
  return out;
}

function walk(
  node: FieldsNode,
  live: Json | undefined,
  desired: Json | undefined,
  path: PathSegment[],
  entry: ParsedEntry,
  out: UncoveredField[],
): void {
  let setReported = false;
  for (const child of node.children) {
    if (child.kind === 'value') {
      // Set items (finalizers ...) are reported as the list they belong to, once.
      const inDesired = Array.isArray(desired) && desired.some((d) => jsonEqual(d, child.value));
      const inLive = Array.isArray(live) && live.some((l) => jsonEqual(l, child.value));
      if (!inDesired && inLive && !setReported) {
        out.push({ path: path.slice(), live: live, entry });
        setReported = true;
      }
      continue;
    }
    const seg: PathSegment =
      child.kind === 'field'
        ? { field: child.name }
        : child.kind === 'key'
          ? { key: child.key }
          : { index: child.index };
    const liveChild = liveStep(live, seg);
    if (liveChild === undefined) continue;
    const desiredChild = desiredStep(desired, seg);
    // One path array for the whole walk, copied only into results.
    path.push(seg);
    if (isLeaf(child.node)) {
      if (desiredChild === undefined) out.push({ path: path.slice(), live: liveChild, entry });
    } else if (child.kind !== 'field' && child.node.self && desiredChild === undefined) {
      out.push({ path: path.slice(), live: liveChild, entry });
    } else {
      walk(child.node, liveChild, desiredChild, path, entry, out);
    }
    path.pop();
  }
}
