/**
 * Compares everything Git wants in one region with what the region's cluster holds:
 * `missing` (in Git, not live), `changed` (both, with differing fields) and `extra` (live,
 * carrying the app's identity, not in Git). Pure: the pipeline does the reading.
 */
import { groupOf, objectKey, refOf, type KubeObject } from './kube-object';
import { compareObject } from './compare-object';
import { replicasLeftToAutoscaler } from './autoscaled-replicas';
import {
  appIdentity,
  creatorOf,
  isExtraCandidate,
  statefulSetClaimPatterns,
} from './extra-objects';
import type { Fingerprint } from './secret-redaction';
import type { ComparisonMode, Finding, FindingType, IgnoredField } from '../report/model';
import {
  applyIgnoreDifferences,
  rulesFor,
  type CompiledIgnoreRule,
  type ComparedSides,
} from '../engine/ignore-differences';
import type { SyncDecision } from '../engine/sync-method';
import { settingLabel } from '../engine/engine-annotations';

/** One object from Git, in both forms (see `prepare-desired.ts`). */
export interface DesiredEntry {
  /** Namespace settled; what the dry-run is sent. */
  manifest: KubeObject;
  /** As the server would return it; what read-only mode compares. */
  comparable: KubeObject;
  /** Repo-relative file it came from. */
  source?: string;
}

export interface CompareRegionInput {
  mode: ComparisonMode;
  desired: readonly DesiredEntry[];
  /** Live objects by `objectKey`; a desired object absent here is missing. */
  live: ReadonlyMap<string, KubeObject>;
  /** Server-side mode: dry-run results by `objectKey`. */
  predicted?: ReadonlyMap<string, KubeObject>;
  /** Keys of desired objects that could not be judged (e.g. the dry-run failed): skipped, never extra. */
  unjudged?: ReadonlySet<string>;
  /**
   * Server-side mode: keys of objects whose dry-run the server refused because Git changes
   * a field it cannot update (422). They have no prediction, so they are compared the
   * read-only way: what the manifest sets against live.
   */
  compareReadOnly?: ReadonlySet<string>;
  /** Live objects to consider as possible extras (may include the desired ones). */
  candidates: readonly KubeObject[];
  isApplier: (manager: string) => boolean;
  isHandManager: (manager: string) => boolean;
  fingerprint: Fingerprint;
  /**
   * Argo CD `ignoreDifferences` rules of the engine that deploys the region (see
   * engine/ignore-differences.ts): the fields they remove are compared on neither side.
   */
  ignoreDifferences?: readonly CompiledIgnoreRule[] | undefined;
  /** How the engine's sync writes each object (default: server-side apply). */
  syncOf?: ((desired: DesiredEntry, live: KubeObject) => SyncDecision) | undefined;
}

const TYPE_ORDER: Record<FindingType, number> = { missing: 0, changed: 1, extra: 2 };

/** Deterministic order: group, kind, namespace, name, then finding type. */
export function compareFindings(a: Finding, b: Finding): number {
  const keys: Array<[string, string]> = [
    [groupOf(a.apiVersion), groupOf(b.apiVersion)],
    [a.kind, b.kind],
    [a.namespace ?? '', b.namespace ?? ''],
    [a.name, b.name],
  ];
  for (const [x, y] of keys) if (x !== y) return x < y ? -1 : 1;
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
}

/** All findings of one region, sorted. */
export function compareRegion(input: CompareRegionInput): Finding[] {
  return compareRegionDetailed(input).findings;
}

/** All findings of one region, sorted, and the differences `ignoreDifferences` hid. */
export function compareRegionDetailed(input: CompareRegionInput): {
  findings: Finding[];
  ignored: IgnoredField[];
} {
  const findings: Finding[] = [];
  const ignored: IgnoredField[] = [];
  const desiredKeys = new Set<string>();
  const twins: KubeObject[] = [];
  const autoscaled = replicasLeftToAutoscaler(input.desired.map((d) => d.manifest));
  for (const d of input.desired) {
    const key = objectKey(refOf(d.manifest));
    desiredKeys.add(key);
    if (input.unjudged?.has(key)) continue;
    const live = input.live.get(key);
    const base: Finding = { ...refOf(d.manifest), type: 'missing', fields: [] };
    if (d.source) base.source = d.source;
    if (!live) {
      findings.push(base);
      continue;
    }
    twins.push(live);
    const readOnly = input.compareReadOnly?.has(key) === true;
    const predicted = readOnly ? undefined : input.predicted?.get(key);
    const sync = input.syncOf?.(d, live) ?? { method: 'server-side' };
    const compare = (sides: ComparedSides) =>
      compareObject({
        mode: readOnly ? 'read-only' : input.mode,
        desired: sides.desired,
        live: sides.live,
        ...(sides.predicted ? { predicted: sides.predicted } : {}),
        isApplier: input.isApplier,
        isHandManager: input.isHandManager,
        fingerprint: input.fingerprint,
        replicasLeftToAutoscaler: autoscaled.has(key),
        sync: sync.method,
      });
    const sides: ComparedSides = {
      desired: d.comparable,
      live,
      ...(predicted ? { predicted } : {}),
    };
    const found = compare(sides);
    const rules = input.ignoreDifferences ? rulesFor(input.ignoreDifferences, d.manifest) : [];
    const { kept: fields, hidden } = applyIgnoreDifferences(found, sides, rules, compare);
    for (const h of hidden)
      ignored.push({
        ...refOf(d.manifest),
        path: h.field.path,
        type: 'changed',
        rule: h.rule.label,
        ...(h.rule.engine ? { engine: h.rule.engine } : {}),
      });
    if (fields.length > 0)
      findings.push({
        ...base,
        type: 'changed',
        fields,
        ...(sync.replaceBy ? { replacedBy: settingLabel(sync.replaceBy) } : {}),
      });
  }

  const identity = appIdentity(
    input.desired.map((d) => d.manifest),
    twins,
  );
  const claims = statefulSetClaimPatterns(input.desired.map((d) => d.manifest));
  const seen = new Set<string>();
  for (const obj of input.candidates) {
    const key = objectKey(refOf(obj));
    if (desiredKeys.has(key) || seen.has(key)) continue;
    seen.add(key);
    if (isExtraCandidate(obj, identity, claims)) {
      const createdBy = creatorOf(obj);
      findings.push({
        ...refOf(obj),
        type: 'extra',
        fields: [],
        ...(createdBy ? { createdBy } : {}),
      });
    }
  }
  return { findings: findings.sort(compareFindings), ignored };
}
