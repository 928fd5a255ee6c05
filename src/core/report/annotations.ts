import { objectName } from './markdown-values';
import type { DriftReport, Finding } from './model';
import { count } from '../text/plural';

/**
 * Check-run annotations for a report: one per region and overlay file with drift, one
 * per region that could not be checked. GitHub shows only about 10 annotations of each
 * level per step, so they come most important first (risky changes, then objects
 * missing from the cluster, then the most drifted objects) and the last one says how
 * many more there are. Messages are plain text and never contain field values.
 */
export interface Annotation {
  level: 'error' | 'warning';
  title: string;
  message: string;
  /** Repo-relative file the annotation points at (the overlay file), when known. */
  file?: string;
}

/** GitHub displays at most this many annotations of one level per step. */
export const ANNOTATIONS_PER_LEVEL = 10;

interface Group {
  region: string;
  file?: string;
  findings: Finding[];
}

/** Plans the annotations for a report, in the order they should be emitted. */
export function planAnnotations(
  report: DriftReport,
  perLevel: number = ANNOTATIONS_PER_LEVEL,
): Annotation[] {
  const errors: Annotation[] = report.regions
    .filter((r) => r.status === 'error')
    .map((r) => ({
      level: 'error',
      title: `mr-drift: could not check ${r.name}`,
      message: errorSummary(r.error ?? 'unknown error'),
    }));

  const groups = new Map<string, Group>();
  for (const r of report.regions) {
    for (const f of r.findings) {
      // The pull request's own change is the PR's diff, not news, unless it is risky.
      if (f.origin === 'pr' && !isRisky(f)) continue;
      const key = `${r.name}\u0000${f.source ?? ''}`;
      let g = groups.get(key);
      if (!g) {
        g = { region: r.name, ...(f.source ? { file: f.source } : {}), findings: [] };
        groups.set(key, g);
      }
      g.findings.push(f);
    }
  }
  const ordered = [...groups.values()].sort(
    (a, b) =>
      importance(b) - importance(a) ||
      a.region.localeCompare(b.region) ||
      (a.file ?? '').localeCompare(b.file ?? ''),
  );
  const warnings: Annotation[] = ordered.map((g) => ({
    level: 'warning',
    title: `mr-drift: ${g.findings.some(isRisky) ? 'risky ' : ''}drift in ${g.region}`,
    message: describeGroup(g),
    ...(g.file ? { file: g.file } : {}),
  }));

  return [
    ...cap(errors, perLevel, 'regions could not be checked'),
    ...cap(warnings, perLevel, 'overlay files have drift'),
  ];
}

/** Risky findings weigh most, then objects missing from the cluster, then field counts. */
function importance(g: Group): number {
  let score = 0;
  for (const f of g.findings) {
    score += (f.risks?.length ?? 0) * 1_000_000;
    score += f.type === 'missing' ? 1_000 : f.type === 'extra' ? 100 : 10;
    score += f.fields.length;
  }
  return score;
}

function isRisky(f: Finding): boolean {
  return (f.risks?.length ?? 0) > 0;
}

function describeGroup(g: Group): string {
  const n = g.findings.length;
  // Risky objects first, so the five named are the ones a reviewer must not miss.
  const ordered = [...g.findings].sort((a, b) => Number(isRisky(b)) - Number(isRisky(a)));
  const shown = ordered.slice(0, 5).map((f) => {
    const what =
      f.type === 'changed'
        ? `changed: ${f.fields.length === 1 ? f.fields[0].path : `${f.fields.length} fields`}`
        : f.type === 'missing'
          ? 'missing from the cluster'
          : 'not in Git';
    const risk = f.risks && f.risks.length > 0 ? `; risk: ${f.risks.join(', ')}` : '';
    return `${f.kind} ${objectName(f)} (${what}${risk})`;
  });
  const more = n > shown.length ? `; and ${n - shown.length} more` : '';
  const from = g.file ? 'from this overlay ' : '';
  return `${count(n, 'object')} ${from}differ${n === 1 ? 's' : ''} in ${g.region}: ${shown.join('; ')}${more}. See the job summary for the diffs.`;
}

function cap(list: Annotation[], max: number, what: string): Annotation[] {
  if (list.length <= max) return list;
  const kept = list.slice(0, max - 1);
  const rest = list.length - kept.length;
  kept.push({
    level: list[0].level,
    title: `mr-drift: ${rest} more`,
    message: `${rest} more ${what}; GitHub shows only ${max} annotations per level, so see the job summary.`,
  });
  return kept;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/**
 * A region error for an annotation: what went wrong (the first line) and what to do (the
 * `hint:` line, when there is one); the lines between (a tool's output) stay in the summary.
 */
function errorSummary(text: string): string {
  const hint = text.split('\n').find((l) => l.startsWith('hint: '));
  return hint ? `${firstLine(text)}\n${firstLine(hint)}` : firstLine(text);
}
