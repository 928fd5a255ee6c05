/**
 * Skew between regions: regions that should run the same thing but do not. For each object
 * present in several regions, a field is skewed when Git gives it the same value in those
 * regions while their live values differ, e.g. the `api` container's image is `1.42.0`
 * in two regions and `1.41.3` in the third. Fields Git sets differently per region (the
 * REGION variable, replica counts) are intended differences and never reported.
 *
 * Computed from the regions' `skewDigest` only, so a single run and aggregate mode (one
 * job per region, reports combined afterwards) give the same answer for the same data.
 */
import { createHash } from 'node:crypto';
import type { ObjectRef, RegionReport, SkewEntry, SkewValue } from './model';

/** Values longer than this (as compact JSON) are carried as a SHA-256 instead. */
const SKEW_VALUE_MAX_CHARS = 200;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** A value as digests carry it: itself when short, its SHA-256 when long, `{}` when unset. */
export function skewValue(v: unknown): SkewValue {
  return encodeSkewValue(v).value;
}

/** `skewValue` and `skewValueKey` of a value in one pass (the value is serialised once). */
export function encodeSkewValue(v: unknown): { value: SkewValue; key: string } {
  if (v === undefined) return { value: {}, key: 'unset' };
  const text = canonicalJson(v);
  if (text.length <= SKEW_VALUE_MAX_CHARS) return { value: { value: v }, key: `json:${text}` };
  const hash = sha256(text);
  return { value: { sha256: hash }, key: `sha256:${hash}` };
}

/** Text that is equal exactly when two skew values are (whichever form each one has). */
export function skewValueKey(v: SkewValue): string {
  if (v.sha256 !== undefined) return `sha256:${v.sha256}`;
  if (!('value' in v)) return 'unset';
  const text = canonicalJson(v.value);
  return text.length <= SKEW_VALUE_MAX_CHARS ? `json:${text}` : `sha256:${sha256(text)}`;
}

interface Sighting {
  region: number;
  desired: SkewValue;
  live: SkewValue;
  /** `skewValueKey` of each, computed once. */
  desiredKey: string;
  liveKey: string;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function refKey(ref: ObjectRef): string {
  return [groupOf(ref.apiVersion), ref.kind, ref.namespace ?? '', ref.name].join('\u0000');
}

/** Groups items by a key, keeping the order in which keys were first seen. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

/**
 * The skew between the given regions, ordered by object (API group, kind, namespace, name)
 * then path. Each entry lists the live values, most regions first (ties: Git's value, then
 * report order). Regions without a digest (could not be read) take no part.
 */
export function computeSkew(regions: readonly RegionReport[]): SkewEntry[] {
  const objects = new Map<string, { ref: ObjectRef; paths: Map<string, Sighting[]> }>();
  regions.forEach((r, region) => {
    for (const o of r.skewDigest ?? []) {
      const key = refKey(o);
      let seen = objects.get(key);
      if (!seen) {
        const ref: ObjectRef = { apiVersion: o.apiVersion, kind: o.kind, name: o.name };
        if (o.namespace) ref.namespace = o.namespace;
        seen = { ref, paths: new Map() };
        objects.set(key, seen);
      }
      for (const f of o.fields) {
        const list = seen.paths.get(f.path) ?? [];
        const desiredKey = skewValueKey(f.desired);
        const live = f.live ?? f.desired;
        const liveKey = f.live ? skewValueKey(f.live) : desiredKey;
        list.push({ region, desired: f.desired, live, desiredKey, liveKey });
        seen.paths.set(f.path, list);
      }
    }
  });

  const entries: SkewEntry[] = [];
  for (const key of [...objects.keys()].sort()) {
    const { ref, paths } = objects.get(key)!;
    for (const path of [...paths.keys()].sort()) {
      for (const same of groupBy(paths.get(path)!, (s) => s.desiredKey)) {
        if (same.length < 2) continue;
        const byLive = groupBy(same, (s) => s.liveKey);
        if (byLive.length < 2) continue;
        const gitKey = same[0].desiredKey;
        byLive.sort(
          (a, b) =>
            b.length - a.length ||
            Number(b[0].liveKey === gitKey) - Number(a[0].liveKey === gitKey) ||
            a[0].region - b[0].region,
        );
        entries.push({
          ...ref,
          path,
          desired: same[0].desired,
          live: byLive.map((g) => ({
            ...g[0].live,
            regions: g.map((s) => regions[s.region].name),
          })),
        });
      }
    }
  }
  return entries;
}
