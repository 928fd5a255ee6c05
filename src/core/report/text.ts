/**
 * The drift report as plain text for a terminal (`mr-drift check`, the default output).
 * Pure: colours come in as a style object, so the CLI decides about TTY and NO_COLOR.
 */
import { count } from '../text/plural';
import {
  countFindings,
  type DriftReport,
  type FieldDiff,
  type Finding,
  type RegionReport,
  type SkewEntry,
  type SkewValue,
} from './model';
import { RISK_REASONS } from './risks';
import { comparedWithBase, countOrigins, originSections, regionsChangedByPr } from './origin';

/** Colour functions; identity functions give plain text. */
export interface TextStyle {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const same = (s: string) => s;
/** No colour at all. */
export const PLAIN_STYLE: TextStyle = {
  bold: same,
  dim: same,
  red: same,
  green: same,
  yellow: same,
  cyan: same,
};

/** Longest value shown inline; the JSON report always has the whole value. */
const MAX_VALUE = 160;

function formatValue(v: unknown): string {
  if (v === undefined) return '(unset)';
  const text = JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function objectLine(f: Pick<Finding, 'apiVersion' | 'kind' | 'namespace' | 'name'>): string {
  return `${f.apiVersion} ${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}`;
}

/** "kubectl-set, Update, 2026-…" from what managedFields says of a field or an object. */
function whoText(w: { manager?: string; operation?: string; time?: string }): string {
  return [w.manager, w.operation, w.time].filter(Boolean).join(', ');
}

function fieldLine(d: FieldDiff, style: TextStyle): string {
  const who = whoText(d);
  if (d.origin === 'both') {
    // Its values are in the PR part, next to the warning; here it only counts as drift.
    return `      ${d.path}: changed in the cluster${who ? ` (${who})` : ''}; ${style.bold('this PR changes it too')} (see above)`;
  }
  const values = `${style.green(formatValue(d.desired))} -> ${style.red(formatValue(d.live))}`;
  return `      ${d.path}: ${values}${who ? style.dim(`  (${who})`) : ''}${d.redacted ? style.dim('  [secret value: fingerprints only]') : ''}`;
}

function regionLines(r: RegionReport, style: TextStyle): string[] {
  const lines: string[] = [];
  const c = countFindings(r);
  const objects = r.objects !== undefined ? `${count(r.objects, 'object')}` : '';
  if (r.status === 'error') {
    lines.push(
      `${style.bold(r.name)}  ${style.red('error')}${r.context ? style.dim(`  (context ${r.context})`) : ''}`,
    );
    for (const l of (r.error ?? 'unknown error').split('\n')) lines.push(`  ${l}`);
  } else if (r.status === 'in-sync') {
    lines.push(
      // With a base, an in-sync region may still hold the PR's own changes: it has no drift.
      `${style.bold(r.name)}  ${style.green(r.findings.length > 0 ? 'no drift' : 'in sync')}${objects ? style.dim(`  (${objects})`) : ''}`,
    );
  } else {
    const risky = r.findings.filter((f) => f.risks && f.risks.length > 0).length;
    const parts = [
      `${c.missing} missing`,
      `${c.changed} changed`,
      `${c.extra} extra`,
      ...(risky > 0 ? [`${risky} risky`] : []),
    ].join(', ');
    lines.push(
      `${style.bold(r.name)}  ${style.yellow('drift')}  ${style.dim(`(${objects ? `${objects}; ` : ''}${parts})`)}`,
    );
  }
  const sections = originSections(r);
  if (sections) {
    const o = countOrigins(r);
    lines.push(
      style.dim(
        `  this PR changes ${count(o.pr, 'object')}; ${count(o.drift, 'object')} drifted${o.both > 0 ? `; the merge overwrites hand changes in ${count(o.both, 'object')}` : ''}`,
      ),
    );
  }
  for (const section of sections ?? [{ part: 'drift' as const, findings: r.findings }]) {
    if (sections) {
      lines.push(
        section.part === 'pr'
          ? style.bold('  this PR will change  (cluster now -> after the merge):')
          : style.bold('  drift already in the cluster  (git -> live):'),
      );
      if (section.findings.length === 0) lines.push(style.dim('    nothing'));
    }
    if (section.part === 'pr') {
      for (const f of section.findings) lines.push(...prFindingLines(f, style));
      continue;
    }
    for (const f of section.findings) {
      const risks = (f.risks ?? []).map((id) => style.red(`      risk ${id}: ${RISK_REASONS[id]}`));
      if (f.type === 'missing') {
        lines.push(
          `  ${style.red('-')} ${objectLine(f)}  ${style.red('missing')}${f.source ? style.dim(`  (from ${f.source})`) : ''}`,
        );
        lines.push(...risks);
      } else if (f.type === 'extra') {
        const made = f.createdBy ? `; made by ${whoText(f.createdBy)}` : '';
        const fate = f.notPrunedBy
          ? `not in Git; a sync does not prune it: ${f.notPrunedBy}`
          : 'not in Git: prune candidate';
        lines.push(
          `  ${style.yellow('+')} ${objectLine(f)}  ${style.yellow('extra')}${style.dim(`  (${fate}${made})`)}`,
        );
        lines.push(...risks);
      } else {
        const notes = [
          ...(f.source ? [`from ${f.source}`] : []),
          ...(f.replacedBy ? [`a sync replaces it: ${f.replacedBy}`] : []),
        ];
        lines.push(
          `  ${style.cyan('~')} ${objectLine(f)}  ${style.cyan('changed')}${notes.length > 0 ? style.dim(`  (${notes.join('; ')})`) : ''}`,
        );
        lines.push(...risks);
        lines.push(style.dim('      path: git -> live  (who changed it, when)'));
        for (const d of f.fields) lines.push(fieldLine(d, style));
      }
    }
  }
  if (r.ignored && r.ignored.length > 0) {
    const byRule = new Map<string, number>();
    for (const i of r.ignored) byRule.set(i.rule, (byRule.get(i.rule) ?? 0) + 1);
    for (const [rule, n] of byRule)
      lines.push(
        style.dim(
          `  ignored: ${count(n, 'difference')} hidden by ${rule.startsWith('#') ? `rule ${rule}` : rule}`,
        ),
      );
  }
  for (const w of r.warnings ?? []) lines.push(style.yellow(`  warning: ${w}`));
  return lines;
}

/** A finding's PR part: what the merge changes, cluster value first, hand changes it overwrites. */
function prFindingLines(f: Finding, style: TextStyle): string[] {
  const from = f.source ? style.dim(`  (from ${f.source})`) : '';
  const risks = (f.risks ?? []).map((id) => style.red(`      risk ${id}: ${RISK_REASONS[id]}`));
  if (f.type === 'missing')
    return [
      `  ${style.green('+')} ${objectLine(f)}  ${style.green('added by this PR')}${from}`,
      ...risks,
    ];
  if (f.type === 'extra') {
    return [
      `  ${style.red('-')} ${objectLine(f)}  ${style.red('removed by this PR')}${style.dim('  (still in the cluster: prune candidate)')}`,
      ...risks,
    ];
  }
  const lines = [
    `  ${style.cyan('~')} ${objectLine(f)}  ${style.cyan('changed by this PR')}${from}`,
    ...risks,
  ];
  for (const d of f.fields) {
    const values = `${style.red(formatValue(d.live))} -> ${style.green(formatValue(d.desired))}`;
    const secret = d.redacted ? style.dim('  [secret value: fingerprints only]') : '';
    if (d.origin === 'both') {
      const who = whoText(d);
      lines.push(
        `      ${d.path}: ${values}${secret}  ${style.yellow(`OVERWRITES a change made in the cluster${who ? ` (${who})` : ''}`)}`,
      );
    } else lines.push(`      ${d.path}: ${values}${secret}`);
  }
  return lines;
}

function skewValueText(v: SkewValue): string {
  if (v.sha256 !== undefined) return `(long value, sha256 ${v.sha256.slice(0, 12)})`;
  return formatValue('value' in v ? v.value : undefined);
}

/** The skew section: each field, Git's value, then each live value with its regions. */
function skewLines(skew: SkewEntry[], style: TextStyle): string[] {
  const lines = [
    style.bold(
      `skew between regions: ${count(skew.length, 'field')} where Git has one value and the clusters do not`,
    ),
  ];
  for (const e of skew) {
    lines.push(`  ${objectLine(e)}  ${e.path}`);
    lines.push(style.dim(`      git: ${skewValueText(e.desired)}`));
    for (const g of e.live) {
      const text = `      ${skewValueText(g)}  in ${g.regions.join(', ')}`;
      lines.push(g === e.live[0] ? text : style.yellow(text));
    }
  }
  return lines;
}

/** Renders the whole report; ends with a one-line summary and a newline. */
export function renderText(report: DriftReport, style: TextStyle = PLAIN_STYLE): string {
  const lines: string[] = [
    style.dim(
      `mr-drift ${report.tool.version}: ${report.mode} check of ${report.source.path}${report.source.revision ? ` at ${report.source.revision}` : ''}`,
    ),
    '',
  ];
  for (const r of report.regions) lines.push(...regionLines(r, style), '');
  if (report.skew && report.skew.length > 0) lines.push(...skewLines(report.skew, style), '');
  const n = (s: RegionReport['status']) => report.regions.filter((r) => r.status === s).length;
  const changedByPr = comparedWithBase(report)
    ? `; this PR changes ${count(regionsChangedByPr(report).length, 'region')} (compared with base ${report.source.base!.revision!.slice(0, 12)})`
    : '';
  lines.push(
    `${count(report.regions.length, 'region')}: ${n('in-sync')} in sync, ${n('drift')} with drift, ${n('error')} with errors${changedByPr}.`,
  );
  if (report.source.base?.warning)
    lines.push(style.yellow(`warning: ${report.source.base.warning}`));
  return `${lines.join('\n')}\n`;
}
