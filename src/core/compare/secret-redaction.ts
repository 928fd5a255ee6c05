/**
 * Secret values never leave the comparison: a Secret's `data`/`stringData` values in a
 * field difference are replaced by a short keyed fingerprint, so a reader sees that a key
 * changed (and whether two regions hold the same value) but cannot recover the value.
 */
import { isJsonObject, type Json, type JsonObject } from './kube-object';
import type { FieldDiff, ObjectRef } from '../report/model';

/** Turns a secret value into a short fingerprint (HMAC with a key that never leaves the run). */
export type Fingerprint = (value: string) => string;

const SECRET_FIELDS = new Set(['data', 'stringData']);

/** True when the object is a core Secret, whose data values must never be shown. */
export function isSecret(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): boolean {
  return ref.kind === 'Secret' && ref.apiVersion === 'v1';
}

function redactValue(v: Json | undefined, fp: Fingerprint): Json | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return fp(v);
  if (isJsonObject(v)) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactValue(x, fp) ?? null;
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x, fp) ?? null);
  return fp(JSON.stringify(v));
}

/**
 * Redacts a field difference of a Secret when it touches `data`/`stringData` (or is the
 * whole object). Other fields (labels, type) are shown as they are.
 */
export function redactSecretField(diff: FieldDiff, fp: Fingerprint): FieldDiff {
  const first = diff.path.split('/')[1];
  if (first !== undefined && first !== '' && !SECRET_FIELDS.has(first)) return diff;
  const out: FieldDiff = { ...diff, redacted: true };
  const d = redactValue(diff.desired as Json | undefined, fp);
  const l = redactValue(diff.live as Json | undefined, fp);
  if (d === undefined) delete out.desired;
  else out.desired = d;
  if (l === undefined) delete out.live;
  else out.live = l;
  return out;
}

/**
 * Every form a Secret's values may take in text: base64 as stored, and decoded. Used to
 * scrub messages that quote a server or tool (defence in depth: mr-drift's own messages
 * never include values).
 */
export function secretValueForms(secret: JsonObject): string[] {
  const out: string[] = [];
  if (isJsonObject(secret.data)) {
    for (const v of Object.values(secret.data)) {
      if (typeof v !== 'string' || v === '') continue;
      out.push(v, Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  if (isJsonObject(secret.stringData)) {
    for (const v of Object.values(secret.stringData)) {
      if (typeof v !== 'string' || v === '') continue;
      out.push(v, Buffer.from(v, 'utf8').toString('base64'));
    }
  }
  // Values too short to be told apart from ordinary words are not worth mangling text for.
  return out.filter((v) => v.trim().length >= 3);
}

/**
 * Replaces every occurrence of the given secret values in `text` with `mask`, longest
 * first, so a value containing another is replaced whole. Callers choose which values are
 * worth masking (too short a value would garble the text while protecting nothing).
 */
export function scrubSecretValues(
  text: string,
  values: Iterable<string>,
  mask = '<redacted>',
): string {
  const sorted = [...new Set(values)].sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of sorted) if (out.includes(v)) out = out.split(v).join(mask);
  return out;
}
