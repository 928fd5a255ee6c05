import { stringify } from 'yaml';
import { codeBlock, escapeInline, fileLink, inlineCode } from './markdown-escape';
import {
  countFindings,
  type Creator,
  type DriftReport,
  type FieldDiff,
  type Finding,
  type RegionReport,
  type SkewEntry,
  type SkewValue,
} from './model';
import { RISK_REASONS } from './risks';
import { comparedWithBase } from './origin';
import {
  ORIGIN_TABLE_HEADER,
  baseWarning,
  originLegend,
  originObjects,
  originSummary,
  originTableCells,
  prVerdict,
} from './markdown-origin';

/**
 * The pieces a Markdown drift report is made of, rendered separately so that the comment
 * splitter can pack them into parts on object boundaries. Every piece is final Markdown;
 * untrusted text inside has already been escaped (see markdown-escape.ts).
 */
export interface ReportBlocks {
  /** Title line, per-region table, legend. */
  head: string;
  /** One entry per region that has something to show (drift, error, notes). */
  regions: RegionBlocks[];
  /** Mode, overlays root, revision, tool version; empty when not wanted. */
  foot: string;
}

export interface RegionBlocks {
  name: string;
  /** Inner HTML of the `<summary>` line, e.g. `<b>us-east</b> · drift: 3 objects`. */
  summary: string;
  /** Whether the section starts expanded. */
  open: boolean;
  /** Error and warnings, shown before the objects. */
  notes: string[];
  /** Each drifted object, as an ordered list of renderings from most to least detailed. */
  objects: ObjectRenderings[];
  /** What ignore rules hid, after the objects. */
  trailer: string[];
}

/** The same object rendered at decreasing detail; the splitter takes the first that fits. */
export type ObjectRenderings = [string, ...string[]];

/** Limits that keep one object's block a reasonable size. */
export interface DetailLimits {
  /** Characters of one value shown in a diff block before it is cut. */
  maxValueChars: number;
  /** Fields of one object shown before the rest are counted only. */
  maxFields: number;
  /**
   * Rows of the skew table (it sits in the head, which the first comment part must hold);
   * default 10. The JSON report always has every entry.
   */
  maxSkew?: number;
}

/** Detail for the comment: one object must fit comfortably in a 65,536-character comment. */
export const COMMENT_LIMITS: DetailLimits = { maxValueChars: 1_000, maxFields: 40, maxSkew: 10 };
/** Detail for the job summary and `--output markdown`: nearly everything. */
export const FULL_LIMITS: DetailLimits = { maxValueChars: 20_000, maxFields: 1_000, maxSkew: 100 };
/** Fallback when even the normal detail of one object does not fit. */
const TIGHT_LIMITS: DetailLimits = { maxValueChars: 120, maxFields: 10 };

export interface BlockOptions {
  /** URL prefix for files at the checked revision, e.g. `https://github.com/o/r/blob/<sha>/`. */
  fileUrlBase?: string;
  /** Title of the report; default `mr-drift`. */
  title?: string;
  /** Detail limits for objects; default FULL_LIMITS. */
  limits?: DetailLimits;
  /**
   * Include run-specific details (check time, revision, tool version) in the footer.
   * The PR comment leaves them out so that an unchanged result gives a byte-identical
   * body and no API write.
   */
  runDetails?: boolean;
  /** Sections with at most this many objects start expanded; default 5. */
  openUpTo?: number;
  /**
   * Show the keyed fingerprints of Secret values (default true). They are made with a key
   * of one run, so they only compare within one report; the comment leaves them out to
   * stay byte-identical across runs.
   */
  secretFingerprints?: boolean;
}

const STATUS_CELL: Record<RegionReport['status'], string> = {
  'in-sync': '✅ in sync',
  drift: '⚠️ drift',
  error: '❌ error',
};

/** Renders a report into blocks; pure and deterministic for a given report and options. */
export function renderReportBlocks(report: DriftReport, options: BlockOptions = {}): ReportBlocks {
  const limits = options.limits ?? FULL_LIMITS;
  return {
    head: renderHead(report, options.title ?? 'mr-drift', limits.maxSkew ?? 10),
    regions: report.regions
      .map((r) => renderRegion(r, limits, options))
      .filter((r): r is RegionBlocks => r !== undefined),
    foot: renderFoot(report, options.runDetails ?? false),
  };
}

/** One-line verdict, e.g. `drift in 1 of 3 regions`. */
export function verdictLine(report: DriftReport): string {
  const total = report.regions.length;
  const drift = report.regions.filter((r) => r.status === 'drift').length;
  const errors = report.regions.filter((r) => r.status === 'error').length;
  const regions = (n: number) => `${n} region${n === 1 ? '' : 's'}`;
  if (total === 0) return 'no regions were checked';
  const parts: string[] = [];
  if (errors > 0) parts.push(`${regions(errors)} could not be checked`);
  // With a base revision, the pull request's own changes are named apart from drift.
  const pr = prVerdict(report);
  if (pr) parts.push(pr);
  if (drift > 0) parts.push(`drift in ${drift} of ${regions(total)}`);
  else if (pr) parts.push('no drift');
  if (parts.length === 0) return total === 1 ? 'in sync' : `all ${regions(total)} in sync`;
  return parts.join(', ');
}

function renderHead(report: DriftReport, title: string, maxSkew: number): string {
  const withBase = comparedWithBase(report);
  const rows = report.regions.map((r) => {
    const risky = riskyCount(r);
    const flag = risky > 0 ? ` · 🚩 ${risky} risky` : '';
    if (r.status === 'error') {
      return `| ${escapeInline(r.name)} | ${STATUS_CELL.error}${flag} | – | – | – | – |`;
    }
    const c = countFindings(r);
    const objects = r.objects === undefined ? '–' : String(r.objects);
    if (withBase) {
      // In sync with the base, yet holding the PR's changes: "no drift", not "in sync".
      const status =
        r.status === 'in-sync' && r.findings.length > 0 ? '✅ no drift' : STATUS_CELL[r.status];
      return `| ${escapeInline(r.name)} | ${status}${flag} | ${objects} | ${originTableCells(r)} |`;
    }
    return `| ${escapeInline(r.name)} | ${STATUS_CELL[r.status]}${flag} | ${objects} | ${c.missing} | ${c.changed} | ${c.extra} |`;
  });
  let table =
    report.regions.length === 0
      ? '_No regions were checked._'
      : [
          withBase
            ? ORIGIN_TABLE_HEADER
            : '| Region | Status | Objects | Missing | Changed | Extra |\n| --- | --- | ---: | ---: | ---: | ---: |',
          ...rows,
        ].join('\n');
  const anyFindings = report.regions.some((r) => r.findings.length > 0);
  const legend = !anyFindings
    ? ''
    : withBase
      ? `\n\n${originLegend(report)}`
      : '\n\nIn the diffs, `-` is the value in Git and `+` the value in the cluster.';
  const warning = baseWarning(report);
  if (warning) table += `\n\n${warning}`;
  const skew =
    report.skew && report.skew.length > 0 ? `\n\n${renderSkew(report.skew, maxSkew)}` : '';
  return `### ${escapeInline(title)}: ${verdictLine(report)}\n\n${table}${skew}${legend}`;
}

function riskyCount(r: RegionReport): number {
  return r.findings.filter((f) => f.risks && f.risks.length > 0).length;
}

/** Longest value shown in a skew table cell. */
const MAX_SKEW_VALUE = 120;

function skewCell(v: SkewValue): string {
  if (v.sha256 !== undefined) return `(long value, sha256 ${inlineCode(v.sha256.slice(0, 12))})`;
  if (!('value' in v) || v.value === undefined) return '(not set)';
  const text = typeof v.value === 'string' ? v.value : JSON.stringify(v.value);
  return inlineCode(cut(text, MAX_SKEW_VALUE));
}

/** The skew table: one row per field, the live values with their regions in one cell. */
function renderSkew(skew: SkewEntry[], max: number): string {
  const n = skew.length;
  const rows = skew.slice(0, max).map((e) => {
    const live = e.live
      .map((g) => `${skewCell(g)} in ${g.regions.map((r) => escapeInline(r)).join(', ')}`)
      .join('<br>');
    return `| ${escapeInline(e.kind)} ${inlineCode(objectName(e))} | ${inlineCode(cut(e.path, 300))} | ${skewCell(e.desired)} | ${live} |`;
  });
  const more =
    n > max
      ? `\n\n_… and ${n - max} more skewed field${n - max === 1 ? '' : 's'} in the JSON report._`
      : '';
  return (
    [
      `**Skew between regions:** ${n} field${n === 1 ? '' : 's'} where Git has one value but the regions run different ones.`,
      '',
      '| Object | Field | Git | Live |',
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n') + more
  );
}

function renderFoot(report: DriftReport, runDetails: boolean): string {
  const mode =
    report.mode === 'server-side'
      ? 'server-side (apply dry-run: the API server fills in defaults)'
      : 'read-only (normalised comparison, no write verbs)';
  const lines = [`Mode: ${mode}. Desired state from ${inlineCode(report.source.path)}.`];
  if (runDetails) {
    const revision = report.source.revision ? ` at ${inlineCode(report.source.revision)}` : '';
    lines.push(
      `Checked ${escapeInline(formatTime(report.generatedAt))}${revision} by ${escapeInline(
        `${report.tool.name} ${report.tool.version}`,
      )}.`,
    );
  }
  return lines.join('\n');
}

function renderRegion(
  region: RegionReport,
  limits: DetailLimits,
  options: BlockOptions,
): RegionBlocks | undefined {
  const notes: string[] = [];
  if (region.status === 'error') {
    notes.push(
      `**Could not check this region** (it is not reported as in sync):\n\n${codeBlock(
        cut(region.error ?? 'unknown error', MAX_NOTE_CHARS).split('\n'),
        'text',
      )}`,
    );
  }
  if (region.warnings && region.warnings.length > 0) {
    notes.push(
      listWithMore(region.warnings, MAX_LIST_ITEMS, (w) => `- ⚠️ ${escapeInline(cut(w, 500))}`),
    );
  }
  const trailer: string[] = [];
  if (region.ignored && region.ignored.length > 0) {
    const n = region.ignored.length;
    const items = listWithMore(
      region.ignored,
      MAX_LIST_ITEMS,
      (i) =>
        `- ${escapeInline(cut(i.kind, 100))} ${inlineCode(cut(objectName(i), 300))} ${
          i.path === '' ? '(whole object)' : inlineCode(cut(i.path, 300))
        }: ${escapeInline(cut(i.rule, 200))}`,
    );
    trailer.push(
      `<details><summary>${n} field${n === 1 ? '' : 's'} hidden by ignore rules</summary>\n\n${items}\n\n</details>`,
    );
  }
  if (region.findings.length === 0 && notes.length === 0 && trailer.length === 0) return undefined;

  // With a base revision: "This PR will change" apart from "Drift already in the cluster".
  const objects =
    originObjects(region, limits, options, {
      drift: (f) => renderObjectAtAllDetails(f, limits, options),
      heading: (f, what) => objectHeading(f, options, what),
    }) ?? region.findings.map((f) => renderObjectAtAllDetails(f, limits, options));
  const n = region.findings.length;
  const risky = riskyCount(region);
  const byOrigin = region.status === 'error' ? undefined : originSummary(region);
  const what =
    region.status === 'error'
      ? 'error'
      : byOrigin
        ? `${byOrigin}${risky > 0 ? `, ${risky} risky` : ''}`
        : n > 0
          ? `drift: ${n} object${n === 1 ? '' : 's'}${risky > 0 ? `, ${risky} risky` : ''}`
          : STATUS_CELL[region.status].replace(/^\S+ /, '');
  return {
    name: region.name,
    summary: `<b>${escapeInline(region.name)}</b> · ${what}`,
    open: n <= (options.openUpTo ?? 5),
    notes,
    objects,
    trailer,
  };
}

function renderObjectAtAllDetails(
  f: Finding,
  limits: DetailLimits,
  options: BlockOptions,
): ObjectRenderings {
  return [
    renderObject(f, limits, options),
    renderObject(f, TIGHT_LIMITS, options),
    `${objectHeading(f, options)}\n\n_Details of this object are too large for one comment; see the full report._`,
  ];
}

/** Region notes are bounded so that each fits in one comment whatever the cluster says. */
const MAX_NOTE_CHARS = 4_000;
const MAX_LIST_ITEMS = 30;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (cut)` : text;
}

function listWithMore<T>(items: T[], max: number, line: (item: T) => string): string {
  const lines = items.slice(0, max).map(line);
  if (items.length > max) lines.push(`- … and ${items.length - max} more (see the JSON report)`);
  return lines.join('\n');
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectName(ref: { namespace?: string; name: string }): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

const TYPE_TEXT: Record<Finding['type'], string> = {
  missing: 'missing from the cluster',
  changed: 'changed in the cluster',
  extra: 'in the cluster but not in Git',
};

function objectHeading(f: Finding, options: BlockOptions, what = TYPE_TEXT[f.type]): string {
  const parts = [
    `**${escapeInline(f.kind)}** ${inlineCode(objectName(f))} (${escapeInline(f.apiVersion)})`,
    what,
  ];
  if (f.source) parts.push(`from ${fileLink(f.source, options.fileUrlBase)}`);
  let heading = parts.join(' · ');
  if (f.risks && f.risks.length > 0) {
    heading += `\n\n${f.risks
      .map((r) => `🚩 **Risk** ${inlineCode(r)}: ${escapeInline(RISK_REASONS[r])}`)
      .join('<br>\n')}`;
  }
  return heading;
}

function renderObject(f: Finding, limits: DetailLimits, options: BlockOptions): string {
  const out = [objectHeading(f, options)];
  const who = f.createdBy ? madeBy(f.createdBy) : whoAndWhen(f.fields);
  if (who) out.push(who);
  if (f.fields.length > 0) {
    const shown = f.fields.slice(0, limits.maxFields);
    const lines = shown.flatMap((d) =>
      fieldDiffLines(d, limits.maxValueChars, options.secretFingerprints ?? true),
    );
    const hidden = f.fields.length - shown.length;
    if (hidden > 0) lines.push(`@@ … ${hidden} more field${hidden === 1 ? '' : 's'} @@`);
    out.push(codeBlock(lines, 'diff'));
  }
  return out.join('\n\n');
}

/** "Changed by kubectl-edit at …" for each distinct manager/time of the object's fields. */
function whoAndWhen(fields: FieldDiff[]): string | undefined {
  const seen = new Set<string>();
  const items: string[] = [];
  for (const d of fields) {
    if (!d.manager) continue;
    const key = `${d.manager}\u0000${d.time ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(managerAt(d.manager, d.time));
  }
  if (items.length === 0) return undefined;
  return `Changed by ${items.join('; ')}`;
}

/** "Made by kubectl-create at …" for an object nobody put in Git. */
function madeBy(c: Creator): string {
  return `Made by ${managerAt(c.manager, c.time)}`;
}

/** `kubectl-edit` at 2026-11-26 10:00:00 UTC (the time when known). */
function managerAt(manager: string, time: string | undefined): string {
  return `${inlineCode(manager)}${time ? ` at ${escapeInline(formatTime(time))}` : ''}`;
}

function fieldDiffLines(d: FieldDiff, maxValueChars: number, fingerprints: boolean): string[] {
  if (d.origin === 'both') {
    // Drift the PR also changes: its values sit in "This PR will change", beside the warning.
    const who = d.manager
      ? ` by ${cut(d.manager, 128)}${d.time ? ` at ${formatTime(cut(d.time, 64))}` : ''}`
      : '';
    return [
      `@@ ${cut(d.path, 500)} @@ changed in the cluster${who}; this PR changes it too (see above)`,
    ];
  }
  let note = '';
  if (d.desired === undefined && d.live !== undefined) note = ' added in the cluster';
  else if (d.live === undefined && d.desired !== undefined) note = ' removed from the cluster';
  if (d.manager) {
    note += ` by ${cut(d.manager, 128)}${d.time ? ` at ${formatTime(cut(d.time, 64))}` : ''}`;
  }
  const lines = [`@@ ${cut(d.path, 500)} @@${note}`];
  if (d.redacted && !fingerprints) {
    if (d.desired !== undefined) lines.push('- (Secret value, not shown)');
    if (d.live !== undefined) {
      lines.push(`+ (${d.desired !== undefined ? 'a different ' : ''}Secret value, not shown)`);
    }
    return lines;
  }
  if (d.desired !== undefined) {
    lines.push(...formatValue(d.desired, d.redacted, maxValueChars).map((l) => `- ${l}`));
  }
  if (d.live !== undefined) {
    lines.push(...formatValue(d.live, d.redacted, maxValueChars).map((l) => `+ ${l}`));
  }
  return lines;
}

/**
 * A value as the lines of a diff side. Strings print bare unless they would read as
 * another type; structures print as YAML, the way the manifest shows them.
 */
export function formatValue(value: unknown, redacted: boolean | undefined, max: number): string[] {
  if (redacted) return [`(secret value; fingerprint ${String(value)})`];
  let text: string;
  if (typeof value === 'string') {
    text = looksAmbiguous(value) ? JSON.stringify(value) : value;
  } else if (value === null || typeof value !== 'object') {
    text = JSON.stringify(value) ?? String(value);
  } else {
    text = stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
  }
  if (text.length > max) {
    const rest = text.length - max;
    text = `${text.slice(0, max)}… (${rest} more character${rest === 1 ? '' : 's'})`;
  }
  return text.split('\n');
}

function looksAmbiguous(s: string): boolean {
  return (
    s === '' ||
    s !== s.trim() ||
    /^(?:true|false|null|~|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/i.test(s) ||
    s.startsWith('"')
  );
}

/** `2026-11-26T09:10:03Z` -> `2026-11-26 09:10:03 UTC`; anything else unchanged. */
export function formatTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}
