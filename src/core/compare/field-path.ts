/**
 * Paths to fields inside an object. Internally a path is a list of segments; in reports it
 * is an RFC 6901 JSON pointer in which an item of a keyed list (containers, env, ports ...)
 * is addressed by its merge key instead of its position: `/spec/template/spec/containers/
 * name=api/image`, or `ports/containerPort=8080,protocol=TCP`. Keys survive reordering and
 * match how the API server itself names list items in managedFields.
 */
import { isJsonObject, jsonEqual, type Json, type JsonObject } from './kube-object';

/** A field of an object (or a key of a map). */
export interface FieldSegment {
  field: string;
}
/** An item of an associative list, identified by its key fields (sorted by name). */
export interface KeySegment {
  key: JsonObject;
}
/** An item of a list without merge keys, by position. */
export interface IndexSegment {
  index: number;
}
export type PathSegment = FieldSegment | KeySegment | IndexSegment;
export type FieldPath = readonly PathSegment[];

/** Values key fields take when a manifest leaves them out (the server fills them in). */
const KEY_DEFAULTS: Record<string, Json> = { protocol: 'TCP' };

function escapeToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Formats one segment as it appears in a report path. */
export function formatSegment(seg: PathSegment): string {
  if ('field' in seg) return escapeToken(seg.field);
  if ('index' in seg) return String(seg.index);
  return Object.keys(seg.key)
    .sort()
    .map((k) => {
      const v = seg.key[k];
      return `${escapeToken(k)}=${escapeToken(typeof v === 'string' ? v : JSON.stringify(v))}`;
    })
    .join(',');
}

/** Formats a path as a JSON pointer (`` for the whole object). */
export function formatPath(path: FieldPath): string {
  return path.map((s) => `/${formatSegment(s)}`).join('');
}

/** True when the two segments name the same field or item. */
export function segmentEqual(a: PathSegment, b: PathSegment): boolean {
  if ('field' in a) return 'field' in b && a.field === b.field;
  if ('index' in a) return 'index' in b && a.index === b.index;
  return 'key' in b && jsonEqual(a.key, b.key);
}

/** True when `path` is `prefix` or lies below it. */
export function pathStartsWith(path: FieldPath, prefix: FieldPath): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((seg, i) => segmentEqual(seg, path[i]));
}

/** The key segment for a list item, given the names of the list's key fields. */
export function keySegmentFor(item: Json, keyNames: readonly string[]): KeySegment | undefined {
  if (!isJsonObject(item)) return undefined;
  const key: JsonObject = {};
  // Key fields in name order (usually given so already: no copy then).
  const sorted = keyNames.every((n, i) => i === 0 || keyNames[i - 1] <= n)
    ? keyNames
    : [...keyNames].sort();
  for (const name of sorted) {
    const v = item[name] ?? KEY_DEFAULTS[name];
    if (v === undefined) return undefined;
    key[name] = v;
  }
  return { key };
}

/**
 * Text that is equal exactly when two segments made by `keySegmentFor` name the same item
 * (their fields are in name order; nested values, rare in keys, are written key-sorted).
 */
export function keyText(seg: KeySegment): string {
  return JSON.stringify(seg.key, (_k, v: unknown) =>
    isJsonObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/** True when a list item carries the given key (missing key fields take their defaults). */
export function itemMatchesKey(item: Json, key: JsonObject): boolean {
  if (!isJsonObject(item)) return false;
  return Object.keys(key).every((k) => jsonEqual(item[k] ?? KEY_DEFAULTS[k], key[k]));
}

/**
 * Parses a report path back into segments. `name=api` becomes a key segment, digits an
 * index, anything else a field. Used for ignore rules; `*` stays a field named `*`, which
 * the matcher treats as a wildcard.
 */
export function parsePath(pointer: string): PathSegment[] {
  if (pointer === '' || pointer === '/') return [];
  const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
  return pointer
    .slice(1)
    .split('/')
    .map((raw): PathSegment => {
      if (/^\d+$/.test(raw)) return { index: Number(raw) };
      if (/^[A-Za-z][\w.-]*=/.test(raw)) {
        const key: JsonObject = {};
        for (const part of raw.split(',')) {
          const eq = part.indexOf('=');
          const name = unescape(part.slice(0, eq));
          const text = unescape(part.slice(eq + 1));
          key[name] = /^-?\d+$/.test(text) ? Number(text) : text;
        }
        return { key };
      }
      return { field: unescape(raw) };
    });
}
