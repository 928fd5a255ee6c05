/**
 * Reads `metadata.managedFields`: which field manager owns which field of a live object.
 *
 * FieldsV1 is a trie. Keys are `f:<field>` (object field or map key), `k:<json>` (item of
 * an associative list, by its key fields), `v:<json>` (item of a set), `i:<n>` (item by
 * position) and `.` (the node itself). A leaf `{}` owns the whole value below it, which is
 * how atomic values (a label selector, `args`) are owned.
 */
import {
  isJsonObject,
  jsonEqual,
  type Json,
  type JsonObject,
  type KubeObject,
  type ManagedFieldsEntry,
} from './kube-object';
import { itemMatchesKey, type FieldPath, type PathSegment } from './field-path';

/** One parsed node of a FieldsV1 trie. */
export interface FieldsNode {
  /** `.` is present: the node itself is owned (for a list item: its existence). */
  self: boolean;
  children: FieldsChild[];
}

/** A child of a node: an object field, a keyed list item, a set item or a list position. */
export type FieldsChild =
  | { kind: 'field'; name: string; node: FieldsNode }
  | { kind: 'key'; key: JsonObject; node: FieldsNode }
  | { kind: 'value'; value: Json; node: FieldsNode }
  | { kind: 'index'; index: number; node: FieldsNode };

/** A managedFields entry with its trie parsed. */
export interface ParsedEntry {
  manager: string;
  operation: string;
  /** API version the field set is expressed in. */
  apiVersion?: string;
  time?: string;
  subresource?: string;
  root: FieldsNode;
}

/** Parses a FieldsV1 object into a trie; malformed keys are skipped rather than fatal. */
export function parseFieldsV1(raw: JsonObject): FieldsNode {
  const node: FieldsNode = { self: false, children: [] };
  for (const [k, v] of Object.entries(raw)) {
    if (k === '.') {
      node.self = true;
      continue;
    }
    const child = isJsonObject(v) ? parseFieldsV1(v) : { self: false, children: [] };
    const colon = k.indexOf(':');
    const prefix = k.slice(0, colon);
    const rest = k.slice(colon + 1);
    try {
      if (prefix === 'f') node.children.push({ kind: 'field', name: rest, node: child });
      else if (prefix === 'k') {
        const key = JSON.parse(rest) as Json;
        if (isJsonObject(key)) node.children.push({ kind: 'key', key, node: child });
      } else if (prefix === 'v')
        node.children.push({ kind: 'value', value: JSON.parse(rest) as Json, node: child });
      else if (prefix === 'i')
        node.children.push({ kind: 'index', index: Number(rest), node: child });
    } catch {
      // A key the server would never write; ignoring it only loses ownership detail.
    }
  }
  return node;
}

/** True when the node is a leaf `{}`: it owns its whole value, atomically. */
export function isLeaf(node: FieldsNode): boolean {
  return node.children.length === 0;
}

/** The parsed managedFields of a live object (an object without them has none). */
export function managedFieldsOf(obj: KubeObject): ParsedEntry[] {
  return parseManagedFields(
    obj.metadata.managedFields as readonly ManagedFieldsEntry[] | undefined,
  );
}

/** Parsed tries by managedFields array: one object is looked at by several rules. */
const parsedCache = new WeakMap<readonly ManagedFieldsEntry[], ParsedEntry[]>();

/** Parses every FieldsV1 entry of a live object's managedFields (memoised per array). */
export function parseManagedFields(
  entries: readonly ManagedFieldsEntry[] | undefined,
): ParsedEntry[] {
  if (!entries) return [];
  const cached = parsedCache.get(entries);
  if (cached) return cached;
  const out: ParsedEntry[] = [];
  parsedCache.set(entries, out);
  for (const e of entries) {
    if (!e.fieldsV1 || (e.fieldsType && e.fieldsType !== 'FieldsV1')) continue;
    const parsed: ParsedEntry = {
      manager: e.manager ?? '',
      operation: e.operation ?? '',
      root: parseFieldsV1(e.fieldsV1),
    };
    if (e.apiVersion) parsed.apiVersion = e.apiVersion;
    if (e.time) parsed.time = e.time;
    if (e.subresource) parsed.subresource = e.subresource;
    out.push(parsed);
  }
  return out;
}

/**
 * Finds the child of `node` that a path segment designates. An index segment is resolved
 * through the live list value, because the trie names keyed items by key.
 */
export function childFor(
  node: FieldsNode,
  seg: PathSegment,
  liveList: Json | undefined,
): FieldsNode | undefined {
  if ('field' in seg) {
    return node.children.find((c) => c.kind === 'field' && c.name === seg.field)?.node;
  }
  if ('key' in seg) {
    return node.children.find((c) => c.kind === 'key' && jsonEqual(c.key, seg.key))?.node;
  }
  const byIndex = node.children.find((c) => c.kind === 'index' && c.index === seg.index);
  if (byIndex) return byIndex.node;
  const item = Array.isArray(liveList) ? liveList[seg.index] : undefined;
  if (item === undefined) return undefined;
  for (const c of node.children) {
    if (c.kind === 'key' && itemMatchesKey(item, c.key)) return c.node;
    if (c.kind === 'value' && jsonEqual(c.value, item)) return c.node;
  }
  return undefined;
}

/** Step a live value along one segment. */
export function liveStep(value: Json | undefined, seg: PathSegment): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if ('field' in seg) return isJsonObject(value) ? value[seg.field] : undefined;
  if (!Array.isArray(value)) return undefined;
  if ('index' in seg) return value[seg.index];
  return value.find((i) => itemMatchesKey(i, seg.key));
}

/**
 * True when the entry owns the field at `path`: the path ends on an owned node (`.` or a
 * leaf), or passes through a leaf, which owns everything below it.
 */
export function entryOwns(entry: ParsedEntry, path: FieldPath, live: Json): boolean {
  let node: FieldsNode | undefined = entry.root;
  let value: Json | undefined = live;
  for (const seg of path) {
    if (node !== entry.root && isLeaf(node)) return true;
    node = childFor(node, seg, value);
    if (!node) return false;
    value = liveStep(value, seg);
  }
  return node.self || isLeaf(node);
}

/**
 * Key field names of the list at `path`, as the server records them in any entry's `k:`
 * children (e.g. `["containerPort","protocol"]`), or undefined when no entry shows keys.
 */
export function keyNamesAt(
  entries: readonly ParsedEntry[],
  path: FieldPath,
  live: Json,
): string[] | undefined {
  for (const entry of entries) {
    let node: FieldsNode | undefined = entry.root;
    let value: Json | undefined = live;
    for (const seg of path) {
      node = childFor(node, seg, value);
      if (!node) break;
      value = liveStep(value, seg);
    }
    const keyed = node?.children.find((c) => c.kind === 'key');
    if (keyed && keyed.kind === 'key') return Object.keys(keyed.key).sort();
  }
  return undefined;
}
