/**
 * Skew between regions: regions that should run the same thing but do not. For each object
 * present in several regions, a field is skewed when Git gives it the same value in those
 * regions while their live values differ, e.g. the `api` container's image is `1.42.0`
 * in two regions and `1.41.3` in the third. Fields Git sets differently per region (the
 * REGION variable, replica counts) are intended differences and never reported.
 *
 * Computed from the regions' `skewDigest` only, so a single run and aggregate mode (one
 * job per region, reports combined afterwards) give the same answer for the same data.
 *
 * A digest lists in full only the fields whose live value differs from Git's; every other
 * field is a fingerprint of (object, path, Git's value). That is enough: a skewed field has
 * at least one region whose live value differs from Git's, so each skew candidate starts
 * from such a full entry, and the other regions take part when their fingerprints show the
 * same Git value there (their live value then being that Git value).
 */
import { createHash } from 'node:crypto';
import type { ObjectRef, RegionReport, SkewDigest, SkewEntry, SkewValue } from './model';

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

/** Characters of one fingerprint in `SkewDigest.same` (48 bits of SHA-256, base64url). */
export const SKEW_FINGERPRINT_CHARS = 8;

/**
 * Fingerprint of "this object's field at `path` has Git's value `valueKey` (see
 * `skewValueKey`), and so does the live object". 48 bits: a wrong match needs it to equal
 * one of the other fingerprints of that region, below one chance in 10^10 per lookup for a
 * region of 10,000 fields.
 */
export function skewFingerprint(ref: ObjectRef, path: string, valueKey: string): string {
  const text = `${refKey(ref)}\u0000${path}\u0000${valueKey}`;
  let fingerprint = fingerprints.get(text);
  if (fingerprint === undefined) {
    fingerprint = createHash('sha256')
      .update(text)
      .digest('base64url')
      .slice(0, SKEW_FINGERPRINT_CHARS);
    // Regions mostly share objects and values: each is hashed once per run.
    if (fingerprints.size >= 200_000) fingerprints.clear();
    fingerprints.set(text, fingerprint);
  }
  return fingerprint;
}

const fingerprints = new Map<string, string>();

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
  live: SkewValue;
  liveKey: string;
}

interface Candidate {
  ref: ObjectRef;
  path: string;
  desired: SkewValue;
  desiredKey: string;
  sightings: Sighting[];
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Identity of an object across API versions, as in findings (group, kind, namespace, name). */
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

/** The fingerprints of a digest's `same` string, as a set. */
function fingerprintSet(digest: SkewDigest): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + SKEW_FINGERPRINT_CHARS <= digest.same.length; i += SKEW_FINGERPRINT_CHARS)
    out.add(digest.same.slice(i, i + SKEW_FINGERPRINT_CHARS));
  return out;
}

/**
 * The skew between the given regions, ordered by object (API group, kind, namespace, name)
 * then path. Each entry lists the live values, most regions first (ties: Git's value, then
 * report order). Regions without a digest (could not be read) take no part.
 */
export function computeSkew(regions: readonly RegionReport[]): SkewEntry[] {
  // Each field some region runs differently from Git, per Git value: a skew candidate.
  const candidates = new Map<string, Candidate>();
  /** `refKey + path` of each region's full entries: such a region is judged by them alone. */
  const listed = regions.map(() => new Set<string>());
  regions.forEach((r, region) => {
    for (const d of r.skewDigest?.differs ?? []) {
      const at = `${refKey(d)}\u0000${d.path}`;
      listed[region].add(at);
      const desiredKey = skewValueKey(d.desired);
      const key = `${at}\u0000${desiredKey}`;
      let c = candidates.get(key);
      if (!c) {
        const ref: ObjectRef = { apiVersion: d.apiVersion, kind: d.kind, name: d.name };
        if (d.namespace) ref.namespace = d.namespace;
        c = { ref, path: d.path, desired: d.desired, desiredKey, sightings: [] };
        candidates.set(key, c);
      }
      c.sightings.push({ region, live: d.live, liveKey: skewValueKey(d.live) });
    }
  });
  if (candidates.size === 0) return [];

  // Regions whose live value is Git's there, for the same Git value, join the candidate.
  const same = regions.map((r) => (r.skewDigest ? fingerprintSet(r.skewDigest) : new Set()));
  for (const c of candidates.values()) {
    const at = `${refKey(c.ref)}\u0000${c.path}`;
    const fingerprint = skewFingerprint(c.ref, c.path, c.desiredKey);
    regions.forEach((_, region) => {
      if (!listed[region].has(at) && same[region].has(fingerprint))
        c.sightings.push({ region, live: c.desired, liveKey: c.desiredKey });
    });
    c.sightings.sort((a, b) => a.region - b.region);
  }

  const entries: Array<SkewEntry & { order: [string, string, number] }> = [];
  for (const c of candidates.values()) {
    if (c.sightings.length < 2) continue;
    const byLive = groupBy(c.sightings, (s) => s.liveKey);
    if (byLive.length < 2) continue;
    byLive.sort(
      (a, b) =>
        b.length - a.length ||
        Number(b[0].liveKey === c.desiredKey) - Number(a[0].liveKey === c.desiredKey) ||
        a[0].region - b[0].region,
    );
    entries.push({
      ...c.ref,
      path: c.path,
      desired: c.desired,
      live: byLive.map((g) => ({ ...g[0].live, regions: g.map((s) => regions[s.region].name) })),
      // Object, path, then the first region with that Git value.
      order: [refKey(c.ref), c.path, c.sightings[0].region],
    });
  }
  return entries
    .sort((a, b) => {
      for (let i = 0; i < 3; i++)
        if (a.order[i] !== b.order[i]) return a.order[i] < b.order[i] ? -1 : 1;
      return 0;
    })
    .map(({ order: _order, ...entry }) => entry);
}
