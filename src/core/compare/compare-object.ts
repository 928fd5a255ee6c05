/**
 * Compares one object that exists both in Git and in the cluster, and returns its
 * differing fields, each with the manager (and time) that owns the live value.
 *
 * Three sources of differences, merged by path:
 * 1. values: server-side mode compares the dry-run result with live (exact); read-only
 *    mode compares what the manifest sets with live (normalised subset);
 * 2. additions made by hand: fields a person's tool owns that the manifest does not set
 *    and the GitOps applier does not own (an apply-style diff cannot see these);
 * 3. read-only mode only: fields the applier applied earlier that Git no longer sets, which
 *    the next apply would remove (server-side mode sees those in the dry-run already).
 */
import { isJsonObject, type Json, type KubeObject } from './kube-object';
import { formatPath, pathStartsWith, type FieldPath } from './field-path';
import { builtinListKeys } from './list-keys';
import {
  entryOwns,
  keyNamesAt,
  liveStep,
  managedFieldsOf,
  type ParsedEntry,
} from './managed-fields';
import { uncoveredFields } from './owned-fields';
import { diffValues, type RawDiff } from './value-diff';
import { REPLICAS_PATH } from './autoscaled-replicas';
import { isSecret, redactSecretField, type Fingerprint } from './secret-redaction';
import { isServerManagedPath, stripServerFields } from '../normalize/server-fields';
import type { ComparisonMode, FieldDiff } from '../report/model';
import { LAST_APPLIED, type SyncMethod } from '../engine/sync-method';

export interface CompareObjectInput {
  mode: ComparisonMode;
  /** The manifest in the shape the server returns (see `comparableForm`). */
  desired: KubeObject;
  /** The live object, as read (with managedFields). */
  live: KubeObject;
  /** Server-side mode: the dry-run result for `desired`. */
  predicted?: KubeObject;
  /** True for the GitOps applier's field managers. */
  isApplier: (manager: string) => boolean;
  /** True for field managers that are a person's tool. */
  isHandManager: (manager: string) => boolean;
  fingerprint: Fingerprint;
  /**
   * True when Git leaves this object's replicas to an autoscaler (see
   * `autoscaled-replicas.ts`): its live `spec.replicas` is then never drift, unless the
   * applier still owns the field and the next sync would reset it.
   */
  replicasLeftToAutoscaler?: boolean;
  /**
   * How the engine's sync writes the object (engine/sync-method.ts); default server-side
   * apply. `client-side`: the fields its last-applied-configuration lists and Git no
   * longer sets are removed by the sync; `replace`: every field Git does not set is, who
   * ever set it (controllers too, an autoscaler's replicas too).
   */
  sync?: SyncMethod;
}

interface Located extends RawDiff {
  entry?: ParsedEntry;
}

/** Returns the differing fields of one object, sorted by path; empty when in sync. */
export function compareObject(input: CompareObjectInput): FieldDiff[] {
  const { mode, desired, live, predicted, isApplier, isHandManager } = input;
  const liveS = stripServerFields(live);
  const entries = managedFieldsOf(live).filter((e) => e.subresource !== 'status');
  const listKeys = (path: FieldPath, items: readonly Json[]) =>
    keyNamesAt(entries, path, liveS) ?? builtinListKeys(path, items);

  let found: Located[];
  if (mode === 'server-side' && predicted) {
    // The live object itself stands for the prediction when the apply is a proven no-op
    // (apply-no-op.ts): there is nothing to walk.
    found =
      predicted === live
        ? []
        : diffValues(stripServerFields(predicted), liveS, { mode: 'exact', listKeys });
  } else {
    found = diffValues(desired, liveS, {
      mode: 'subset',
      listKeys,
      keepsEmpty: dataKeyPath(desired),
    });
  }

  const add = (extra: Located) => {
    const overlaps = found.some(
      (f) => pathStartsWith(extra.path, f.path) || pathStartsWith(f.path, extra.path),
    );
    if (!overlaps) found.push(extra);
  };
  const appliers = entries.filter((e) => isApplier(e.manager));
  const replace = input.sync === 'replace';
  for (const entry of entries) {
    // A replace removes what anyone but the applier set; otherwise only a person's additions
    // are drift. The built-in controllers are the exception: they write their bookkeeping
    // (a Deployment's revision annotation ...) again straight after any write.
    const hand =
      (isHandManager(entry.manager) || (replace && !rewritesAfterReplace(entry.manager))) &&
      !isApplier(entry.manager);
    const prunable =
      mode === 'read-only' && isApplier(entry.manager) && entry.operation === 'Apply';
    if (!hand && !prunable) continue;
    for (const u of uncoveredFields(entry, liveS, desired)) {
      if (isServerManagedPath(u.path)) continue;
      if (
        hand &&
        !insideEmptyMap(desired, u.path) &&
        appliers.some((a) => entryOwns(a, u.path, liveS))
      )
        continue;
      // The next apply removes a field only when no one else owns it too.
      if (prunable && entries.some((o) => o !== entry && entryOwns(o, u.path, liveS))) continue;
      add({ path: u.path, live: u.live, entry });
    }
  }

  // Client-side apply removes what it applied before and Git no longer sets.
  if (input.sync === 'client-side')
    for (const r of lastAppliedRemovals(live, liveS, desired, listKeys)) add(r);

  // Decided from Git (an HPA targets the object, its manifest sets no replicas), not
  // from who the server says wrote the number: see autoscaled-replicas.ts. A replace
  // resets them whatever the autoscaler says.
  const replicasToAutoscaler =
    !replace &&
    input.replicasLeftToAutoscaler === true &&
    !appliers.some((a) => entryOwns(a, REPLICAS_PATH, liveS));
  const fields = found
    .filter((f) => !isServerManagedPath(f.path))
    .filter((f) => !(replicasToAutoscaler && pathStartsWith(f.path, REPLICAS_PATH)))
    .map((f) => ({ f, owner: f.entry ?? ownerOf(entries, f, liveS, isApplier) }))
    .filter(({ f, owner }) => replace || !isAutoscalerWrite(f, owner, isApplier, isHandManager))
    .map(({ f, owner }) => toFieldDiff(f, owner));
  const redacted = isSecret(live)
    ? fields.map((f) => redactSecretField(f, input.fingerprint))
    : fields;
  return redacted.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * True when Git's side holds an empty map above `path`. The applier's entry then owns that
 * map as a leaf (`f:strategy: {}` when Flux applies `strategy: {}`, see
 * engine/flux-apply-form.ts), which owns the map, not what others set inside it: the next
 * apply leaves their fields in place.
 */
function insideEmptyMap(desired: Json, path: FieldPath): boolean {
  let v: Json | undefined = desired;
  for (const seg of path.slice(0, -1)) {
    v = liveStep(v, seg);
    if (v === undefined) return false;
    if (isJsonObject(v) && Object.keys(v).length === 0) return true;
  }
  return false;
}

/** Managers whose fields a replace removes only for a moment: Kubernetes' own controllers. */
function rewritesAfterReplace(manager: string): boolean {
  return manager === 'kube-controller-manager' || manager === 'kube-scheduler';
}

/**
 * The fields kubectl's client-side apply removes: set in the object's
 * last-applied-configuration annotation (what the applier applied before), no longer set
 * by Git, still live.
 */
function lastAppliedRemovals(
  live: KubeObject,
  liveS: Json,
  desired: KubeObject,
  listKeys: (path: FieldPath, items: readonly Json[]) => readonly string[] | undefined,
): RawDiff[] {
  const text = live.metadata.annotations?.[LAST_APPLIED];
  if (typeof text !== 'string') return [];
  let applied: Json;
  try {
    applied = JSON.parse(text) as Json;
  } catch {
    return [];
  }
  const out: RawDiff[] = [];
  for (const d of diffValues(applied, desired, { mode: 'subset', listKeys })) {
    if (d.live !== undefined || isServerManagedPath(d.path)) continue;
    const value = valueAt(liveS, d.path);
    if (value !== undefined) out.push({ path: d.path, live: value });
  }
  return out;
}

function valueAt(root: Json, path: FieldPath): Json | undefined {
  let v: Json | undefined = root;
  for (const seg of path) v = liveStep(v, seg);
  return v;
}

/**
 * Replicas written through the scale subresource by a controller (the HPA, KEDA ...): the
 * autoscaler owns that number, even where Git sets a starting value, so it is not drift.
 * A person scaling by hand (`kubectl scale`) is still reported.
 */
function isAutoscalerWrite(
  diff: RawDiff,
  owner: ParsedEntry | undefined,
  isApplier: (m: string) => boolean,
  isHandManager: (m: string) => boolean,
): boolean {
  return (
    owner !== undefined &&
    owner.subresource === 'scale' &&
    !isApplier(owner.manager) &&
    !isHandManager(owner.manager) &&
    formatPath(diff.path) === '/spec/replicas'
  );
}

/**
 * In Secrets and ConfigMaps, an empty string under data is a real value, not "unset": the
 * predicate tells a value comparison which paths keep their empty values.
 */
export function dataKeyPath(obj: KubeObject): (path: FieldPath) => boolean {
  const holdsData = (obj.kind === 'Secret' || obj.kind === 'ConfigMap') && obj.apiVersion === 'v1';
  return (path) => {
    const first = path[0];
    return (
      holdsData &&
      path.length === 2 &&
      first !== undefined &&
      'field' in first &&
      /^(data|binaryData)$/.test(first.field)
    );
  };
}

/**
 * The entry that owns the live value at the diff's path: a person's tool or controller
 * before the applier (the applier only owns what Git said), then the most recent.
 */
function ownerOf(
  entries: readonly ParsedEntry[],
  diff: RawDiff,
  live: Json,
  isApplier: (m: string) => boolean,
): ParsedEntry | undefined {
  if (diff.live === undefined) return undefined;
  const owners = entries.filter((e) => entryOwns(e, diff.path, live));
  owners.sort((a, b) => {
    const ap = isApplier(a.manager) ? 1 : 0;
    const bp = isApplier(b.manager) ? 1 : 0;
    if (ap !== bp) return ap - bp;
    return (b.time ?? '').localeCompare(a.time ?? '');
  });
  return owners[0];
}

function toFieldDiff(d: RawDiff, owner: ParsedEntry | undefined): FieldDiff {
  const out: FieldDiff = { path: formatPath(d.path) };
  if (d.desired !== undefined) out.desired = d.desired;
  if (d.live !== undefined) out.live = d.live;
  if (owner) {
    out.manager = owner.manager;
    if (owner.time) out.time = owner.time;
    if (owner.operation) out.operation = owner.operation;
  }
  return out;
}
