/**
 * Reading a report whose findings carry an `origin` (a check with a base revision): which
 * parts of a finding the pull request makes, which are drift already in the cluster, and
 * the counts the text, Markdown and Action outputs show. Findings without an origin (no
 * base, or the base could not be rendered for that region) count as drift, as they always
 * did: nothing is excused without proof that Git changes it.
 */
import type { DriftReport, Finding, RegionReport } from './model';

/** True when the report was made with a usable base revision (origins were computed). */
export function comparedWithBase(report: DriftReport): boolean {
  const base = report.source.base;
  return base !== undefined && base.revision !== undefined && base.warning === undefined;
}

/** True for a finding that is real drift: not only the pull request's own change. */
export function isDriftFinding(f: Finding): boolean {
  return f.origin !== 'pr';
}

/**
 * The part of a finding that the pull request makes: its `pr` and `both` fields (or the
 * whole object when the PR adds or removes it). Undefined when the PR has no part in it.
 */
export function prPart(f: Finding): Finding | undefined {
  if (f.type !== 'changed' || f.fields.length === 0) return f.origin === 'pr' ? f : undefined;
  const fields = f.fields.filter((d) => d.origin === 'pr' || d.origin === 'both');
  return fields.length > 0 ? { ...f, fields } : undefined;
}

/**
 * The part of a finding that is drift already in the cluster: its `drift` and `both`
 * fields (fields without an origin included). Undefined when the finding is the PR's only.
 */
export function driftPart(f: Finding): Finding | undefined {
  if (f.type !== 'changed' || f.fields.length === 0) return isDriftFinding(f) ? f : undefined;
  const fields = f.fields.filter((d) => d.origin !== 'pr');
  return fields.length > 0 ? { ...f, fields } : undefined;
}

/** True when the pull request overwrites at least one change made in the cluster. */
export function overwritesDrift(f: Finding): boolean {
  return f.fields.some((d) => d.origin === 'both');
}

/** Objects per part of a region: changed by the PR, drifted, and both at one field. */
export interface OriginCounts {
  pr: number;
  drift: number;
  both: number;
}

/** Counts objects (not fields): one object may count under `pr` and `drift` both. */
export function countOrigins(region: RegionReport): OriginCounts {
  const counts: OriginCounts = { pr: 0, drift: 0, both: 0 };
  for (const f of region.findings) {
    if (prPart(f)) counts.pr++;
    if (driftPart(f)) counts.drift++;
    if (overwritesDrift(f)) counts.both++;
  }
  return counts;
}

/** Regions in which the pull request changes something (in report order). */
export function regionsChangedByPr(report: DriftReport): string[] {
  return report.regions
    .filter((r) => r.status !== 'error' && r.findings.some((f) => prPart(f) !== undefined))
    .map((r) => r.name);
}

/** One of the two parts of a region's findings: the pull request's, or drift. */
export interface OriginSection {
  part: 'pr' | 'drift';
  /** The findings restricted to this part's fields (see `prPart`, `driftPart`). */
  findings: Finding[];
}

/**
 * A region's findings split into "this PR will change" and "drift already in the cluster"
 * when they carry origins; undefined for a region checked without a base (one list, as
 * before). A finding with fields of both kinds appears in both parts with its own fields.
 */
export function originSections(region: RegionReport): OriginSection[] | undefined {
  if (!region.findings.some((f) => f.origin !== undefined)) return undefined;
  const pick = (fn: (f: Finding) => Finding | undefined) =>
    region.findings.map(fn).filter((f): f is Finding => f !== undefined);
  return [
    { part: 'pr', findings: pick(prPart) },
    { part: 'drift', findings: pick(driftPart) },
  ];
}
