/**
 * A region's verdict once everything is read: the findings (with the objects a pull
 * request removes, ignore rules applied, origins and risks), the skew digest, and the
 * status. Objects the server could not judge make the region an error: a region is never
 * reported in sync for objects nobody compared.
 */
import { applyEngineAnnotations } from '../engine/apply-engine-annotations';
import type { Engine } from '../engine/engine-annotations';
import { enginesFor } from '../engine/engine-of';
import { argoSyncMethod } from '../engine/sync-method';
import type { IgnoreRule } from '../ignore/ignore-rules';
import { applyIgnoreRules } from '../ignore/ignore-rules';
import type { ComparisonMode, Finding, IgnoredField, SkewDigest } from '../report/model';
import { isDriftFinding } from '../report/origin';
import { count } from '../text/plural';
import { assessRisks } from './assess-risks';
import { classifyOrigins, removedByPr } from './classify-origin';
import { compareFindings, compareRegionDetailed } from './compare-region';
import type { CompiledIgnoreRule } from '../engine/ignore-differences';
import { objectKey, refOf, type KubeObject } from './kube-object';
import { byObjectKey, type ResolvedObject } from './resolve-desired';
import type { Fingerprint } from './secret-redaction';
import { buildSkewDigest } from './skew-digest';

export interface RegionVerdictInput {
  region: string;
  mode: ComparisonMode;
  /** The desired objects at the checked revision. */
  desired: readonly ResolvedObject[];
  /** The desired objects at a pull request's base, when one was rendered. */
  base?: readonly ResolvedObject[] | undefined;
  /** Live copies of the desired (and base) objects, by `objectKey`. */
  live: ReadonlyMap<string, KubeObject>;
  /** Live objects that may be extra (the app's labels found them). */
  candidates: readonly KubeObject[];
  /** Server-side mode: the predicted result of each apply, by `objectKey`. */
  predicted: ReadonlyMap<string, KubeObject>;
  /** Objects whose dry-run the server refused as an immutable-field change: key -> message. */
  refused: ReadonlyMap<string, string>;
  /** Objects the server refused to dry-run for another reason: no verdict. */
  unjudged: ReadonlySet<string>;
  /** One line per object that could not be compared (already known before the verdict). */
  objectErrors: readonly string[];
  rules: readonly IgnoreRule[];
  /** `ignoreDifferences` of the Application (or the tree's rules) that deploys the region. */
  ignoreDifferences?: readonly CompiledIgnoreRule[] | undefined;
  /**
   * The sync options of the Argo CD Application that deploys the region, when the tree
   * has it (undefined otherwise, and for Flux).
   */
  appSyncOptions?: readonly string[] | undefined;
  /** The engine that deploys the region, when the tree says (see engine-of.ts). */
  engine?: Engine | undefined;
  /** The dry-run field manager the user named, if any (tells the engine apart too). */
  fieldManager?: string | undefined;
  isApplier: (manager: string) => boolean;
  isHandManager: (manager: string) => boolean;
  fingerprint: Fingerprint;
}

export interface RegionVerdict {
  status: 'in-sync' | 'drift' | 'error';
  findings: Finding[];
  ignored?: IgnoredField[];
  skewDigest?: SkewDigest;
  /** Why the region is an error (objects that could not be compared). */
  error?: string;
}

/** Compares, classifies and judges one region; see the module comment. */
export function regionVerdict(input: RegionVerdictInput): RegionVerdict {
  const compared = compareRegionDetailed({
    mode: input.mode,
    desired: input.desired.map((o) => o.entry),
    // An object the server refused to dry-run has no verdict; it is reported as an error.
    unjudged: input.unjudged,
    compareReadOnly: new Set(input.refused.keys()),
    live: input.live,
    predicted: input.predicted,
    candidates: input.candidates,
    isApplier: input.isApplier,
    isHandManager: input.isHandManager,
    fingerprint: input.fingerprint,
    ignoreDifferences: input.ignoreDifferences,
    syncOf: (d, live) =>
      enginesFor(live, input.engine, input.fieldManager).includes('argocd')
        ? argoSyncMethod(d.manifest, live, input.appSyncOptions, input.isApplier)
        : { method: 'server-side' },
  });
  const found = compared.findings;
  const objectErrors = [...input.objectErrors];
  // A refusal the read-only comparison cannot explain stays an error: never silently in sync.
  for (const [key, message] of input.refused) {
    if (!found.some((f) => f.type === 'changed' && objectKey(f) === key))
      objectErrors.push(`${message.split('\n')[0]} (the server refused the dry-run apply)`);
  }
  const versions = input.base
    ? { head: byObjectKey(input.desired), base: byObjectKey(input.base), live: input.live }
    : undefined;
  // Removals join before the ignore rules, which may hide them like any extra object.
  const all = versions ? [...found, ...removedByPr(found, versions)].sort(compareFindings) : found;
  const liveByKey = new Map(input.live);
  for (const obj of input.candidates) liveByKey.set(objectKey(refOf(obj)), obj);
  // What the engine is told to leave alone first, then the ignore file's rules.
  const manifests = new Map<string, KubeObject>();
  for (const o of [...(input.base ?? []), ...input.desired])
    manifests.set(objectKey(refOf(o.entry.manifest)), o.entry.manifest);
  const bySettings = applyEngineAnnotations(all, {
    desired: manifests,
    live: liveByKey,
    enginesFor: (key) => enginesFor(liveByKey.get(key), input.engine, input.fieldManager),
    isApplier: input.isApplier,
  });
  const byRules = applyIgnoreRules(bySettings.findings, input.rules, input.region);
  const kept = byRules.findings;
  const ignored = [...compared.ignored, ...bySettings.ignored, ...byRules.ignored];
  const classified = versions
    ? classifyOrigins(kept, {
        ...versions,
        isApplier: input.isApplier,
        isHandManager: input.isHandManager,
        fingerprint: input.fingerprint,
      })
    : kept;
  const findings = assessRisks(classified, input.mode, (f) => {
    const key = objectKey(f);
    const liveObject = liveByKey.get(key);
    return {
      ...(liveObject ? { live: liveObject } : {}),
      refusedAsImmutable: input.refused.has(key),
    };
  });
  const verdict: RegionVerdict = { status: 'in-sync', findings };
  if (ignored.length > 0) verdict.ignored = ignored;
  const digest = buildSkewDigest({
    compared: input.desired.flatMap((o) => {
      const key = objectKey(refOf(o.entry.manifest));
      const liveObject = input.live.get(key);
      return liveObject && !input.unjudged.has(key)
        ? [{ desired: o.entry.comparable, live: liveObject }]
        : [];
    }),
    findings,
    ignored,
  });
  if (digest.same !== '' || digest.differs.length > 0) verdict.skewDigest = digest;
  if (objectErrors.length > 0) {
    verdict.status = 'error';
    verdict.error = `${count(objectErrors.length, 'object')} could not be compared:\n${objectErrors.sort().join('\n')}`;
  } else {
    // The pull request's own changes are not drift: the cluster matches the base there.
    verdict.status = findings.some(isDriftFinding) ? 'drift' : 'in-sync';
  }
  return verdict;
}
