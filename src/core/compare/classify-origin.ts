/**
 * Tells a pull request's own changes apart from drift that is already in the cluster.
 *
 * The check compares the PR head's desired state with the live objects, so every change
 * the PR makes shows up as a difference next to real drift. With the base revision's
 * desired state rendered too, each difference gets an origin:
 *
 * - `pr`: Git changes the field between base and head (or the PR adds or removes the
 *   object), and the cluster still holds what the base says: the merge will apply it;
 * - `drift`: Git is the same at base and head at that field, yet the cluster differs:
 *   someone changed the cluster, or the last sync did not happen;
 * - `both`: the PR changes a field whose live value already differs from the base: the
 *   merge overwrites a change made in the cluster. The reviewer must see these.
 *
 * Pure: the pipeline renders both revisions and reads the cluster.
 */
import { objectKey, refOf, type Json, type KubeObject } from './kube-object';
import { formatPath, type FieldPath } from './field-path';
import { builtinListKeys } from './list-keys';
import { keyNamesAt, managedFieldsOf } from './managed-fields';
import { compareFindings, type DesiredEntry } from './compare-region';
import { compareObject, dataKeyPath } from './compare-object';
import { diffValues } from './value-diff';
import type { Fingerprint } from './secret-redaction';
import { stripServerFields } from '../normalize/server-fields';
import type { FieldDiff, Finding, Origin } from '../report/model';

export interface ClassifyInput {
  /** The PR head's desired objects by `objectKey` (what the findings were computed from). */
  head: ReadonlyMap<string, DesiredEntry>;
  /** The base revision's desired objects by `objectKey`, prepared the same way as head's. */
  base: ReadonlyMap<string, DesiredEntry>;
  /** Live objects by `objectKey`. */
  live: ReadonlyMap<string, KubeObject>;
  isApplier: (manager: string) => boolean;
  isHandManager: (manager: string) => boolean;
  fingerprint: Fingerprint;
}

/** Paths (as in reports) where the desired state of an object differs between two revisions. */
export function changedPaths(
  before: KubeObject,
  after: KubeObject,
  live: KubeObject | undefined,
): string[] {
  // The same list keys as the comparison with live uses, so that paths name items alike.
  const liveS = live ? stripServerFields(live) : undefined;
  const entries = live ? managedFieldsOf(live) : [];
  const listKeys = (path: FieldPath, items: readonly Json[]) =>
    (liveS ? keyNamesAt(entries, path, liveS) : undefined) ?? builtinListKeys(path, items);
  const keepsEmpty = dataKeyPath(after);
  // Both directions of the normalised (subset) comparison: `0.5` and `500m`, or `8080` and
  // "8080", are the same intent, and a PR that only rewrites them changes nothing.
  const paths = new Set<string>();
  for (const [a, b] of [
    [before, after],
    [after, before],
  ] as const) {
    for (const d of diffValues(a, b, { mode: 'subset', listKeys, keepsEmpty }))
      paths.add(formatPath(d.path));
  }
  return [...paths].sort();
}

/** True when one path is the other or lies below it (`/a` and `/a/b`, not `/a` and `/ab`). */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`) || a === '' || b === '';
}

/**
 * Live objects the PR removes from Git (in base, not in head) that are not reported yet:
 * an `extra` finding each, so a removal shows up even on an object without the app's
 * labels. Returns only the new findings.
 */
export function removedByPr(
  findings: readonly Finding[],
  input: Pick<ClassifyInput, 'head' | 'base' | 'live'>,
): Finding[] {
  const reported = new Set(findings.map((f) => objectKey(f)));
  const out: Finding[] = [];
  for (const key of input.base.keys()) {
    if (input.head.has(key) || reported.has(key)) continue;
    const live = input.live.get(key);
    if (live) out.push({ ...refOf(live), type: 'extra', fields: [] });
  }
  return out.sort(compareFindings);
}

/**
 * Sets `origin` on every finding and field (see the module comment). Findings keep their
 * order and content otherwise.
 */
export function classifyOrigins(findings: readonly Finding[], input: ClassifyInput): Finding[] {
  return findings.map((f) => classifyFinding(f, input));
}

function classifyFinding(f: Finding, input: ClassifyInput): Finding {
  const key = objectKey(f);
  const base = input.base.get(key);
  const head = input.head.get(key);
  if (f.type === 'missing') {
    // New in the PR: the merge creates it. In Git at base already: someone deleted it, or it
    // was never synced; either way the cluster lacks what the base says.
    return { ...f, origin: base ? 'drift' : 'pr' };
  }
  if (f.type === 'extra') {
    // The PR removes it from Git: the engine will prune it. Otherwise nobody put it in Git.
    return { ...f, origin: base && !head ? 'pr' : 'drift' };
  }
  const live = input.live.get(key);
  if (!head || !live) return { ...f, origin: 'drift' };
  if (!base) {
    // The PR adds an object the cluster already has, made outside Git: every field the PR
    // sets differs from a live value that no one in Git decided.
    return withFields(
      f,
      f.fields.map((d) => ({ ...d, origin: 'both' })),
    );
  }
  const prChanged = changedPaths(base.comparable, head.comparable, live);
  if (prChanged.length === 0) {
    return withFields(
      f,
      f.fields.map((d) => ({ ...d, origin: 'drift' })),
    );
  }
  // Where the cluster differs from the base: the same rules as a read-only check of the
  // base (normalised values, hand-made additions, fields the applier would prune).
  const baseDrift = compareObject({
    mode: 'read-only',
    desired: base.comparable,
    live,
    isApplier: input.isApplier,
    isHandManager: input.isHandManager,
    fingerprint: input.fingerprint,
  }).map((d) => d.path);
  return withFields(
    f,
    f.fields.map((d) => ({ ...d, origin: fieldOrigin(d, prChanged, baseDrift) })),
  );
}

function fieldOrigin(d: FieldDiff, prChanged: string[], baseDrift: string[]): Origin {
  if (!prChanged.some((p) => pathsOverlap(p, d.path))) return 'drift';
  return baseDrift.some((p) => pathsOverlap(p, d.path)) ? 'both' : 'pr';
}

function withFields(f: Finding, fields: FieldDiff[]): Finding {
  return { ...f, fields, origin: combineOrigins(fields.map((d) => d.origin ?? 'drift')) };
}

/** One origin for several: the same when they agree, else `both`. */
export function combineOrigins(origins: readonly Origin[]): Origin {
  if (origins.length === 0) return 'drift';
  return origins.every((o) => o === origins[0]) ? origins[0] : 'both';
}
