/**
 * The Markdown of a report checked against a pull request's base revision: per region,
 * "This PR will change" (what the merge applies, with the hand changes it overwrites
 * called out) apart from "Drift already in the cluster". markdown-blocks.ts calls in here
 * for regions whose findings carry origins; everything else renders as before.
 *
 * In the PR part, diffs read like the pull request itself: `-` the value in the cluster
 * now, `+` the value after the merge. The drift part keeps the report's usual `-` Git,
 * `+` cluster.
 */
import { codeBlock, escapeInline, inlineCode } from './markdown-escape';
import {
  formatTime,
  formatValue,
  type BlockOptions,
  type DetailLimits,
  type ObjectRenderings,
} from './markdown-blocks';
import type { DriftReport, FieldDiff, Finding, RegionReport } from './model';
import { comparedWithBase, countOrigins, originSections, regionsChangedByPr } from './origin';

/** Fallback detail when an object does not fit (as markdown-blocks' tight limits). */
const TIGHT: DetailLimits = { maxValueChars: 120, maxFields: 10 };

/** Table header for a report with a base: objects per part instead of per finding type. */
export const ORIGIN_TABLE_HEADER = [
  '| Region | Status | Objects | This PR changes | Drift | PR overwrites drift |',
  '| --- | --- | ---: | ---: | ---: | ---: |',
].join('\n');

/** The counting cells of a region's row (after Region, Status and Objects). */
export function originTableCells(region: RegionReport): string {
  const o = countOrigins(region);
  return `${o.pr} | ${o.drift} | ${o.both > 0 ? `⚠️ ${o.both}` : '0'}`;
}

/** What the legend says when the report has a base. */
export function originLegend(report: DriftReport): string {
  const short = report.source.base?.revision?.slice(0, 12) ?? '';
  return [
    `Compared with the pull request's base ${inlineCode(short)}: **This PR changes** counts objects the merge will change, **Drift** objects that already differ from Git in the cluster, **PR overwrites drift** objects where the pull request changes a field that was also changed in the cluster (the merge overwrites that change).`,
    '',
    'In "This PR will change", `-` is the value in the cluster now and `+` the value after the merge. In "Drift already in the cluster", `-` is the value in Git and `+` the value in the cluster.',
  ].join('\n');
}

/** A note when a base was asked for but could not be used (e.g. a shallow clone). */
export function baseWarning(report: DriftReport): string | undefined {
  const w = report.source.base?.warning;
  if (!w) return undefined;
  return `> ⚠️ ${escapeInline(w.length > 1_000 ? `${w.slice(0, 1_000)}… (cut)` : w)}`;
}

/** Verdict words for a report with a base: the PR's changes are not counted as drift. */
export function prVerdict(report: DriftReport): string | undefined {
  if (!comparedWithBase(report)) return undefined;
  const n = regionsChangedByPr(report).length;
  if (n === 0) return undefined;
  return `this PR changes ${n} of ${report.regions.length} region${report.regions.length === 1 ? '' : 's'}`;
}

/** The section summary of a region with origins, e.g. `this PR: 2 objects · drift: 1 object`. */
export function originSummary(region: RegionReport): string | undefined {
  if (!originSections(region)) return undefined;
  const o = countOrigins(region);
  const objects = (n: number) => `${n} object${n === 1 ? '' : 's'}`;
  const parts = [`this PR: ${objects(o.pr)}`, `drift: ${objects(o.drift)}`];
  if (o.both > 0) parts.push(`⚠️ overwrites drift: ${objects(o.both)}`);
  return parts.join(' · ');
}

/** What markdown-blocks lends: its rendering of a drifted object, and its object heading. */
export interface OriginRenderers {
  /** The usual renderings of an object (used for the drift part). */
  drift: (f: Finding) => ObjectRenderings;
  /** The usual heading of an object (name, kind, file link, risks) with `what` as its type text. */
  heading: (f: Finding, what: string) => string;
}

/**
 * A region's objects as the two parts, each led by its heading (glued to the part's first
 * object, so a comment split never leaves a heading alone at the end of a part). Undefined
 * when the region's findings carry no origin.
 */
export function originObjects(
  region: RegionReport,
  limits: DetailLimits,
  options: BlockOptions,
  render: OriginRenderers,
): ObjectRenderings[] | undefined {
  const sections = originSections(region);
  if (!sections) return undefined;
  const [pr, drift] = sections;
  const heading = (f: Finding) => render.heading(f, PR_TYPE_TEXT[f.type]);
  const prObjects = pr.findings.map((f) => renderPrObjectAtAllDetails(f, limits, options, heading));
  const driftObjects = drift.findings.map(render.drift);
  const prHeading = `**This PR will change** ${count(pr.findings.length)} · \`-\` in the cluster now, \`+\` after the merge`;
  const driftHeading = `**Drift already in the cluster** ${count(drift.findings.length)} · \`-\` Git, \`+\` the cluster`;
  const out: ObjectRenderings[] = [];
  let pending = '';
  if (prObjects.length === 0) pending = `**This PR will change**: nothing in this region.\n\n`;
  else out.push(...glue(`${prHeading}\n\n`, prObjects));
  if (driftObjects.length > 0) out.push(...glue(`${pending}${driftHeading}\n\n`, driftObjects));
  else if (out.length > 0) {
    // The last PR object carries the line, so it never stands alone in a comment part.
    const last = out.length - 1;
    out[last] = out[last].map(
      (r) => `${r}\n\n**Drift already in the cluster**: none.`,
    ) as ObjectRenderings;
  }
  return out;
}

function count(n: number): string {
  return `(${n} object${n === 1 ? '' : 's'})`;
}

/** Prefixes the first object's renderings with `text`. */
function glue(text: string, objects: ObjectRenderings[]): ObjectRenderings[] {
  const [first, ...rest] = objects;
  return [first.map((r) => `${text}${r}`) as ObjectRenderings, ...rest];
}

const PR_TYPE_TEXT: Record<Finding['type'], string> = {
  missing: 'added by this PR (not in the cluster yet)',
  changed: 'changed by this PR',
  extra: 'removed by this PR (still in the cluster: a prune candidate)',
};

type Heading = (f: Finding) => string;

function renderPrObjectAtAllDetails(
  f: Finding,
  limits: DetailLimits,
  options: BlockOptions,
  heading: Heading,
): ObjectRenderings {
  return [
    renderPrObject(f, limits, options, heading),
    renderPrObject(f, TIGHT, options, heading),
    `${heading(f)}\n\n_Details of this object are too large for one comment; see the full report._`,
  ];
}

function renderPrObject(
  f: Finding,
  limits: DetailLimits,
  options: BlockOptions,
  heading: Heading,
): string {
  const out = [heading(f)];
  const overwritten = f.fields.filter((d) => d.origin === 'both');
  if (overwritten.length > 0) {
    // The line a reviewer must not miss: merging silently undoes someone's change.
    const items = overwritten.slice(0, 10).map((d) => {
      const who = d.manager ? ` by ${inlineCode(d.manager)}` : '';
      const when = d.time ? ` at ${escapeInline(formatTime(d.time))}` : '';
      return `${inlineCode(d.path.length > 300 ? `${d.path.slice(0, 300)}…` : d.path)} (changed in the cluster${who}${when})`;
    });
    const more = overwritten.length > 10 ? `; and ${overwritten.length - 10} more` : '';
    out.push(`⚠️ **Merging overwrites a change made in the cluster:** ${items.join('; ')}${more}.`);
  }
  if (f.fields.length > 0) {
    const shown = f.fields.slice(0, limits.maxFields);
    const lines = shown.flatMap((d) =>
      prFieldLines(d, limits.maxValueChars, options.secretFingerprints ?? true),
    );
    const hidden = f.fields.length - shown.length;
    if (hidden > 0) lines.push(`@@ … ${hidden} more field${hidden === 1 ? '' : 's'} @@`);
    out.push(codeBlock(lines, 'diff'));
  }
  return out.join('\n\n');
}

/** One field of the PR part: cluster value (`-`), then the value the merge sets (`+`). */
function prFieldLines(d: FieldDiff, maxValueChars: number, fingerprints: boolean): string[] {
  let note = '';
  if (d.live === undefined && d.desired !== undefined) note = ' added by this PR';
  else if (d.desired === undefined && d.live !== undefined) note = ' removed by this PR';
  if (d.origin === 'both') note += ' (overwrites a change made in the cluster)';
  const path = d.path.length > 500 ? `${d.path.slice(0, 500)}… (cut)` : d.path;
  const lines = [`@@ ${path} @@${note}`];
  if (d.redacted && !fingerprints) {
    if (d.live !== undefined) lines.push('- (Secret value in the cluster, not shown)');
    if (d.desired !== undefined) {
      lines.push(`+ (${d.live !== undefined ? 'a different ' : ''}Secret value, not shown)`);
    }
    return lines;
  }
  if (d.live !== undefined) {
    lines.push(...formatValue(d.live, d.redacted, maxValueChars).map((l) => `- ${l}`));
  }
  if (d.desired !== undefined) {
    lines.push(...formatValue(d.desired, d.redacted, maxValueChars).map((l) => `+ ${l}`));
  }
  return lines;
}
