/**
 * The drift report: the one source of truth that every output (text, JSON, Markdown,
 * PR comment, job summary, annotations, Action outputs) is rendered from. Its JSON form
 * is described by schema/report.schema.json; keep the two in step (a unit test checks
 * reports against the schema).
 *
 * Plain data only: no class instances, no Dates (ISO strings), so a report survives
 * JSON.stringify/parse unchanged and can be combined across jobs (aggregate mode).
 */

export const REPORT_SCHEMA_VERSION = 1 as const;

export type ComparisonMode = 'server-side' | 'read-only';
export type RegionStatus = 'in-sync' | 'drift' | 'error';
export type FindingType = 'missing' | 'changed' | 'extra';
/**
 * Where a difference comes from, when the check also rendered the pull request's base
 * revision (`--base`): `pr` Git changes it between base and head (the merge will apply it);
 * `drift` Git is the same at base and head, yet the cluster differs (a hand change, or a
 * sync that did not happen); `both` the pull request changes a field whose live value
 * already differs from the base, so the merge overwrites a change made in the cluster.
 */
export type Origin = 'pr' | 'drift' | 'both';

export interface DriftReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'mr-drift'; version: string };
  /** ISO 8601 time the check finished. */
  generatedAt: string;
  mode: ComparisonMode;
  /** Where the desired state came from (overlays root, git revision when known). */
  source: { path: string; revision?: string; base?: BaseSource };
  regions: RegionReport[];
  /**
   * Skew between regions: fields whose live values differ between regions where Git
   * gives them the same value (see core/report/skew.ts). Absent when there is none.
   */
  skew?: SkewEntry[];
}

/** The revision a pull request is compared against, to tell its own changes from drift. */
export interface BaseSource {
  /** The ref as given (`--base`, the Action's `base-ref`, or the pull request's base SHA). */
  ref: string;
  /** Commit the ref resolved to; absent when it is not in the checkout (see `warning`). */
  revision?: string;
  /** Why the base could not be used and what to do; findings then carry no `origin`. */
  warning?: string;
}

export interface RegionReport {
  name: string;
  /** kubeconfig context used for this region. */
  context?: string;
  status: RegionStatus;
  /** Set when status is `error`: what failed and what to do. Never contains secret values. */
  error?: string;
  /** Number of desired objects compared (rendered from Git). */
  objects?: number;
  /** Ordered: by apiVersion group, kind, namespace, name, then type. */
  findings: Finding[];
  /** What ignore rules hid, so nothing disappears silently. */
  ignored?: IgnoredField[];
  /** Non-fatal notes for this region (e.g. a resource kind that could not be listed). */
  warnings?: string[];
  /**
   * What skew between regions is computed from (container images, ConfigMap keys, this
   * region's drifted fields), so that reports of separate jobs give the same skew as one
   * run (aggregate mode). Compact: a short fingerprint per field whose live value is Git's,
   * both values only where they differ. Not rendered; Secrets are never in it.
   */
  skewDigest?: SkewDigest;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

export interface Finding extends ObjectRef {
  type: FindingType;
  /** Repo-relative file the object was rendered from (overlay kustomization or plain YAML). */
  source?: string;
  /** For `changed`: each differing field. For `missing`/`extra`: may be empty. */
  fields: FieldDiff[];
  /** What syncing this object could break; the reason of each is in core/report/risks.ts. */
  risks?: RiskId[];
  /** With a base revision: `pr`, `drift`, or `both` when the fields are of both kinds. */
  origin?: Origin;
  /** For `extra`: who made the object and when (see `creatorOf` in compare/extra-objects.ts). */
  createdBy?: Creator;
  /**
   * For `extra`: the engine setting that stops a sync from pruning the object (Argo CD's
   * `Prune=false`), named as in `ignored`. Still drift: the engine shows it out of sync.
   */
  notPrunedBy?: string;
  /**
   * For `changed`: the engine setting that makes a sync replace the object (Argo CD's
   * `Replace=true`), so that fields others set, controllers included, are removed too.
   */
  replacedBy?: string;
}

/** The field manager behind an object nobody put in Git. */
export interface Creator {
  /** Manager of the object's oldest managedFields entry, e.g. `kubectl-create`. */
  manager: string;
  /** That entry's operation: `Update` or `Apply`. */
  operation?: string;
  /** metadata.creationTimestamp of the object (else that entry's time), ISO 8601. */
  time?: string;
}

/**
 * The closed list of risk flags. `immutable-field`: a sync would change a field the API
 * server refuses to update; `selector-change`: a Service or workload selector differs;
 * `replicas-to-zero`: Git would scale a workload to 0; `prune-data`: a sync would delete
 * an object holding data or many other objects (PVC, CRD, Namespace ...).
 */
export type RiskId = 'immutable-field' | 'selector-change' | 'replicas-to-zero' | 'prune-data';

export interface FieldDiff {
  /** RFC 6901 JSON pointer into the object, e.g. `/spec/template/spec/containers/0/image`;
   * list items that have merge keys may be addressed by key: `/spec/.../containers/name=api/image`. */
  path: string;
  /** Value in Git (absent = Git does not set it). Secret values are never here: see `redacted`. */
  desired?: unknown;
  /** Value in the cluster (absent = not set live). */
  live?: unknown;
  /** The field manager that owns the live value (from managedFields), e.g. `kubectl-edit`. */
  manager?: string;
  /** When that manager last changed the object (managedFields time, ISO 8601). */
  time?: string;
  /** managedFields operation of the owning entry: `Update` or `Apply`. */
  operation?: string;
  /** True when the value belongs to a Secret: `desired`/`live` are replaced by fingerprints. */
  redacted?: boolean;
  /** With a base revision: who this difference comes from (see `Origin`). */
  origin?: Origin;
}

export interface IgnoredField extends ObjectRef {
  /** JSON pointer of the hidden field; `` when the rule hid the whole finding. */
  path: string;
  /** Type of the finding the hidden field (or whole finding) belonged to. */
  type?: FindingType;
  /**
   * What hid it: an ignore-file rule (`#<index>` and its description), or an engine
   * setting (`Flux kustomize.toolkit.fluxcd.io/ssa: Ignore (in Git)`, an Argo CD
   * Application's `ignoreDifferences` entry ...).
   */
  rule: string;
  /** Set when an engine setting hid it rather than the ignore file. */
  engine?: 'argocd' | 'flux';
}

/**
 * A value compared across regions: the value itself when short, otherwise its SHA-256
 * (`sha256:<hex>`) so long ConfigMap values still compare. Neither key: the field is not set.
 */
export interface SkewValue {
  value?: unknown;
  sha256?: string;
}

/**
 * A region's skew digest (built by core/compare/skew-digest.ts, read by core/report/skew.ts).
 * A field is recorded in one of two ways: where the live value is Git's, only a fingerprint
 * of (object, path, Git's value), which is all another region needs to tell "same Git value,
 * same live value"; where it differs, both values, which skew shows.
 */
export interface SkewDigest {
  /**
   * Fingerprints of the fields whose live value equals Git's, sorted and concatenated:
   * 8 base64url characters each (see `skewFingerprint`).
   */
  same: string;
  /** The fields whose live value differs from Git's, ordered by object then path. */
  differs: SkewDigestField[];
}

/** A field of a region's `skewDigest` whose live value differs from Git's. */
export interface SkewDigestField extends ObjectRef {
  /** JSON pointer, as in findings. */
  path: string;
  /** Git's value. */
  desired: SkewValue;
  /** The live value. */
  live: SkewValue;
}

/** A field whose live values differ between regions where Git gives it the same value. */
export interface SkewEntry extends ObjectRef {
  /** JSON pointer, as in findings. */
  path: string;
  /** Git's value, the same in every region listed under `live`. */
  desired: SkewValue;
  /** Each distinct live value with the regions that run it, most regions first. */
  live: Array<SkewValue & { regions: string[] }>;
}

/** Counts per finding type for one region. */
export function countFindings(region: RegionReport): Record<FindingType, number> {
  const counts: Record<FindingType, number> = { missing: 0, changed: 0, extra: 0 };
  for (const f of region.findings) counts[f.type]++;
  return counts;
}

/** Overall verdict: error beats drift beats in-sync. Exit codes follow `kubectl diff`. */
export function reportExitCode(report: DriftReport): 0 | 1 | 2 {
  if (report.regions.some((r) => r.status === 'error')) return 2;
  if (report.regions.some((r) => r.status === 'drift')) return 1;
  return 0;
}
