/**
 * The Markdown of a report checked against a pull request's base revision: the region
 * table's counting cells and legend, and per region "This PR will change" (diffs read
 * `live-merge`: what the merge applies, with the hand changes it overwrites called out)
 * apart from "Drift already in the cluster" (diffs read `git-live`, as without a base).
 */
import { count } from '../text/plural';
import { escapeInline, inlineCode } from './markdown-escape';
import type { DetailLimits } from './markdown-limits';
import {
  renderObjectAtAllDetails,
  type ObjectOptions,
  type ObjectRenderings,
} from './markdown-object';
import { cut } from './markdown-values';
import type { DriftReport, RegionReport } from './model';
import { comparedWithBase, countOrigins, originSections, regionsChangedByPr } from './origin';

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
  return `> ⚠️ ${escapeInline(cut(w, 1_000))}`;
}

/** Verdict words for a report with a base: the PR's changes are not counted as drift. */
export function prVerdict(report: DriftReport): string | undefined {
  if (!comparedWithBase(report)) return undefined;
  const n = regionsChangedByPr(report).length;
  if (n === 0) return undefined;
  return `this PR changes ${n} of ${count(report.regions.length, 'region')}`;
}

/** The section summary of a region with origins, e.g. `this PR: 2 objects · drift: 1 object`. */
export function originSummary(region: RegionReport): string | undefined {
  if (!originSections(region)) return undefined;
  const o = countOrigins(region);
  const parts = [`this PR: ${count(o.pr, 'object')}`, `drift: ${count(o.drift, 'object')}`];
  if (o.both > 0) parts.push(`⚠️ overwrites drift: ${count(o.both, 'object')}`);
  return parts.join(' · ');
}

/**
 * A region's objects as the two parts, each led by its heading (glued to the part's first
 * object, so a comment split never leaves a heading alone at the end of a part). Undefined
 * when the region's findings carry no origin.
 */
export function originObjects(
  region: RegionReport,
  limits: DetailLimits,
  options: ObjectOptions,
): ObjectRenderings[] | undefined {
  const sections = originSections(region);
  if (!sections) return undefined;
  const [pr, drift] = sections;
  const prObjects = pr.findings.map((f) =>
    renderObjectAtAllDetails(f, limits, options, 'live-merge'),
  );
  const driftObjects = drift.findings.map((f) =>
    renderObjectAtAllDetails(f, limits, options, 'git-live'),
  );
  const prHeading = `**This PR will change** (${count(pr.findings.length, 'object')}) · \`-\` in the cluster now, \`+\` after the merge`;
  const driftHeading = `**Drift already in the cluster** (${count(drift.findings.length, 'object')}) · \`-\` Git, \`+\` the cluster`;
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

/** Prefixes the first object's renderings with `text`. */
function glue(text: string, objects: ObjectRenderings[]): ObjectRenderings[] {
  const [first, ...rest] = objects;
  return [first.map((r) => `${text}${r}`) as ObjectRenderings, ...rest];
}
