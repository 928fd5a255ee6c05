/**
 * Field-by-field comparison of two JSON values, producing one entry per differing leaf (or
 * per whole list item / atomic list when that is the unit that differs).
 *
 * - `exact` compares everything: used in server-side mode, where the server has already
 *   produced the object it would store (defaults, canonical quantities, merged lists).
 * - `subset` compares only what the manifest sets, after normalising the ways the server
 *   rewrites values: quantities, int-or-string, empty vs absent, lists keyed by merge keys.
 *   Used in read-only mode. Fields only the live object has are left to the managedFields
 *   rules (hand-made additions), not reported here.
 */
import { isJsonObject, jsonEqual, type Json } from './kube-object';
import {
  keySegmentFor,
  keyText,
  type FieldPath,
  type KeySegment,
  type PathSegment,
} from './field-path';
import { keysUsable, type ListKeyLookup } from './list-keys';
import { quantitiesEqual } from '../normalize/quantity';

/** One difference: absent `desired`/`live` means the field is not set on that side. */
export interface RawDiff {
  path: PathSegment[];
  desired?: Json;
  live?: Json;
}

export type DiffMode = 'exact' | 'subset';

export interface DiffContext {
  mode: DiffMode;
  listKeys: ListKeyLookup;
  /** Paths whose empty values are real values (Secret/ConfigMap data keys). */
  keepsEmpty?: (path: FieldPath) => boolean;
}

/** Parent field names under which values are resource quantities. */
const QUANTITY_PARENTS = new Set([
  'limits',
  'requests',
  'hard',
  'max',
  'min',
  'default',
  'defaultRequest',
  'maxLimitRequestRatio',
  'capacity',
  'allocatable',
  'overhead',
]);

function isQuantityPath(path: FieldPath): boolean {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (last && 'field' in last && last.field === 'sizeLimit') return true;
  return parent !== undefined && 'field' in parent && QUANTITY_PARENTS.has(parent.field);
}

/**
 * Values the server drops or never returns when a manifest sets them: null, "", [], {},
 * false and 0 (Go's omitempty), and objects made only of those.
 */
export function isEmptyish(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isJsonObject(v)) return Object.values(v).every(isEmptyish);
  return false;
}

/** Scalar equality with read-only normalisation (int-or-string, quantities). */
function scalarsEqual(d: Json, l: Json, path: FieldPath, mode: DiffMode): boolean {
  if (d === l) return true;
  if (mode === 'exact') return false;
  // int-or-string fields keep the JSON type the manifest used; `8080` and "8080" mean the
  // same port, and a number the server turned into a quantity string compares by value.
  if (
    (typeof d === 'number' && typeof l === 'string' && String(d) === l) ||
    (typeof d === 'string' && typeof l === 'number' && d === String(l))
  )
    return true;
  return isQuantityPath(path) && quantitiesEqual(d, l);
}

/** Compares `desired` with `live` and returns every difference, in a stable order. */
export function diffValues(
  desired: Json | undefined,
  live: Json | undefined,
  ctx: DiffContext,
): RawDiff[] {
  const out: RawDiff[] = [];
  walk(desired, live, [], ctx, out);
  return out;
}

/**
 * Records a difference. The walk keeps one path array that it extends and shortens as it
 * goes (most objects have no difference, and a copy per visited field was most of the
 * comparison's garbage), so the path is copied only here.
 */
function push(out: RawDiff[], path: PathSegment[], d: Json | undefined, l: Json | undefined): void {
  const diff: RawDiff = { path: path.slice() };
  if (d !== undefined) diff.desired = d;
  if (l !== undefined) diff.live = l;
  out.push(diff);
}

function walk(
  d: Json | undefined,
  l: Json | undefined,
  path: PathSegment[],
  ctx: DiffContext,
  out: RawDiff[],
): void {
  if (ctx.mode === 'subset') {
    if (d === undefined) return;
    if (l === undefined) {
      if (d === null || (isEmptyish(d) && !ctx.keepsEmpty?.(path))) return;
      push(out, path, d, undefined);
      return;
    }
  } else if (d === undefined || l === undefined) {
    if (d !== l) push(out, path, d, l);
    return;
  }
  if (isJsonObject(d) && isJsonObject(l)) {
    const keys =
      ctx.mode === 'subset'
        ? Object.keys(d).sort()
        : [...new Set([...Object.keys(d), ...Object.keys(l)])].sort();
    for (const k of keys) {
      path.push({ field: k });
      walk(d[k], l[k], path, ctx, out);
      path.pop();
    }
    return;
  }
  if (Array.isArray(d) && Array.isArray(l)) {
    walkList(d, l, path, ctx, out);
    return;
  }
  if (isJsonObject(d) || isJsonObject(l) || Array.isArray(d) || Array.isArray(l)) {
    if (!jsonEqual(d, l)) push(out, path, d, l);
    return;
  }
  if (!scalarsEqual(d, l, path, ctx.mode)) push(out, path, d, l);
}

function walkList(
  d: Json[],
  l: Json[],
  path: PathSegment[],
  ctx: DiffContext,
  out: RawDiff[],
): void {
  const keys = ctx.listKeys(path, [...d, ...l]);
  if (keys && keysUsable(d, keys) && keysUsable(l, keys)) {
    // Keys are distinct on each side (keysUsable), so each item has at most one twin.
    const liveByKey = new Map<string, { item: Json; seg: KeySegment }>();
    for (const item of l) {
      const seg = keySegmentFor(item, keys)!;
      liveByKey.set(keyText(seg), { item, seg });
    }
    for (const item of d) {
      const seg = keySegmentFor(item, keys)!;
      const text = keyText(seg);
      const twin = liveByKey.get(text);
      liveByKey.delete(text);
      path.push(seg);
      walk(item, twin?.item, path, ctx, out);
      path.pop();
    }
    // Live items Git does not have, in live order.
    if (ctx.mode === 'exact')
      for (const x of liveByKey.values()) push(out, [...path, x.seg], undefined, x.item);
    return;
  }
  // Without keys, position is identity: compare item by item when the lengths agree,
  // otherwise the list differs as a whole (it is atomic for the server too).
  if (d.length === l.length) {
    d.forEach((item, i) => {
      path.push({ index: i });
      walk(item, l[i], path, ctx, out);
      path.pop();
    });
    return;
  }
  push(out, path, d, l);
}
