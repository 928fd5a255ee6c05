/**
 * The top and bottom of a Markdown report: the title with its verdict, the region table,
 * the skew table and the legend (the head, which the first comment part always holds),
 * and the foot with the mode and run details.
 */
import { count, plural } from '../text/plural';
import { escapeInline, inlineCode } from './markdown-escape';
import {
  ORIGIN_TABLE_HEADER,
  baseWarning,
  originLegend,
  originTableCells,
  prVerdict,
} from './markdown-origin';
import { cut, formatTime, objectName } from './markdown-values';
import {
  countFindings,
  type DriftReport,
  type RegionReport,
  type SkewEntry,
  type SkewValue,
} from './model';
import { comparedWithBase } from './origin';

/** A region's status as the region table shows it. */
export const STATUS_CELL: Record<RegionReport['status'], string> = {
  'in-sync': '✅ in sync',
  drift: '⚠️ drift',
  error: '❌ error',
};

/** One-line verdict, e.g. `drift in 1 of 3 regions`. */
export function verdictLine(report: DriftReport): string {
  const total = report.regions.length;
  const drift = report.regions.filter((r) => r.status === 'drift').length;
  const errors = report.regions.filter((r) => r.status === 'error').length;
  if (total === 0) return 'no regions were checked';
  const parts: string[] = [];
  if (errors > 0) parts.push(`${count(errors, 'region')} could not be checked`);
  // With a base revision, the pull request's own changes are named apart from drift.
  const pr = prVerdict(report);
  if (pr) parts.push(pr);
  if (drift > 0) parts.push(`drift in ${drift} of ${count(total, 'region')}`);
  else if (pr) parts.push('no drift');
  if (parts.length === 0) return total === 1 ? 'in sync' : `all ${count(total, 'region')} in sync`;
  return parts.join(', ');
}

/** Objects of a region that carry a risk. */
export function riskyCount(r: RegionReport): number {
  return r.findings.filter((f) => f.risks && f.risks.length > 0).length;
}

/** Title and verdict, the region table, a base warning, the skew table and the legend. */
export function renderHead(report: DriftReport, title: string, maxSkew: number): string {
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
      ? `\n\n_… and ${n - max} more skewed ${plural(n - max, 'field')} in the JSON report._`
      : '';
  return (
    [
      `**Skew between regions:** ${count(n, 'field')} where Git has one value but the regions run different ones.`,
      '',
      '| Object | Field | Git | Live |',
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n') + more
  );
}

/** The mode and the desired state's path; with run details, when, at which revision, by what. */
export function renderFoot(report: DriftReport, runDetails: boolean): string {
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
