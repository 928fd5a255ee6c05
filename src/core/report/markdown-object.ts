/**
 * One drifted object in Markdown: its heading, who changed it, and its fields as a diff
 * block. The same renderer serves both readings of a diff:
 * - `git-live` (drift): `-` the value in Git, `+` the value in the cluster;
 * - `live-merge` (a pull request's own change): `-` the value in the cluster now, `+` the
 *   value after the merge, so the diff reads like the pull request itself.
 */
import { plural } from '../text/plural';
import { codeBlock, escapeInline, fileLink, inlineCode } from './markdown-escape';
import { TIGHT_LIMITS, type DetailLimits } from './markdown-limits';
import {
  atTime,
  byManagerInDiff,
  cut,
  formatValue,
  managerAt,
  objectName,
} from './markdown-values';
import type { Creator, FieldDiff, Finding } from './model';
import { RISK_REASONS } from './risks';

/** Which two values a diff block shows, see the module comment. */
export type DiffSides = 'git-live' | 'live-merge';

/** The same object rendered at decreasing detail; the splitter takes the first that fits. */
export type ObjectRenderings = [string, ...string[]];

/** What an object's rendering depends on besides its limits. */
export interface ObjectOptions {
  /** URL prefix for files at the checked revision, e.g. `https://github.com/o/r/blob/<sha>/`. */
  fileUrlBase?: string | undefined;
  /**
   * Show the keyed fingerprints of Secret values (default true). They are made with a key
   * of one run, so they only compare within one report; the comment leaves them out to
   * stay byte-identical across runs.
   */
  secretFingerprints?: boolean | undefined;
}

interface SideWords {
  /** The field of a FieldDiff shown after `-`, and the one after `+`. */
  before: 'desired' | 'live';
  after: 'desired' | 'live';
  /** Note on a field that only the `+` side has, and on one only the `-` side has. */
  added: string;
  removed: string;
  /** The `-` line of a Secret value shown without its fingerprint. */
  secretBefore: string;
  /** What the object heading says of each finding type. */
  types: Record<Finding['type'], string>;
}

const SIDES: Record<DiffSides, SideWords> = {
  'git-live': {
    before: 'desired',
    after: 'live',
    added: ' added in the cluster',
    removed: ' removed from the cluster',
    secretBefore: '(Secret value, not shown)',
    types: {
      missing: 'missing from the cluster',
      changed: 'changed in the cluster',
      extra: 'in the cluster but not in Git',
    },
  },
  'live-merge': {
    before: 'live',
    after: 'desired',
    added: ' added by this PR',
    removed: ' removed by this PR',
    secretBefore: '(Secret value in the cluster, not shown)',
    types: {
      missing: 'added by this PR (not in the cluster yet)',
      changed: 'changed by this PR',
      extra: 'removed by this PR (still in the cluster: a prune candidate)',
    },
  },
};

/** Kind, name, API version, what happened to it, its file, and its risks. */
export function objectHeading(f: Finding, options: ObjectOptions, sides: DiffSides): string {
  const parts = [
    `**${escapeInline(f.kind)}** ${inlineCode(objectName(f))} (${escapeInline(f.apiVersion)})`,
    SIDES[sides].types[f.type],
  ];
  if (f.notPrunedBy) parts.push(`a sync does not prune it: ${escapeInline(f.notPrunedBy)}`);
  if (f.replacedBy) parts.push(`a sync replaces it: ${escapeInline(f.replacedBy)}`);
  if (f.source) parts.push(`from ${fileLink(f.source, options.fileUrlBase)}`);
  let heading = parts.join(' · ');
  if (f.risks && f.risks.length > 0) {
    heading += `\n\n${f.risks
      .map((r) => `🚩 **Risk** ${inlineCode(r)}: ${escapeInline(RISK_REASONS[r])}`)
      .join('<br>\n')}`;
  }
  return heading;
}

/** An object at its normal detail, at tight detail, and as its heading only. */
export function renderObjectAtAllDetails(
  f: Finding,
  limits: DetailLimits,
  options: ObjectOptions,
  sides: DiffSides,
): ObjectRenderings {
  return [
    renderObject(f, limits, options, sides),
    renderObject(f, TIGHT_LIMITS, options, sides),
    `${objectHeading(f, options, sides)}\n\n_Details of this object are too large for one comment; see the full report._`,
  ];
}

/** The heading, who changed the object (or whose change the merge overwrites), the diff. */
export function renderObject(
  f: Finding,
  limits: DetailLimits,
  options: ObjectOptions,
  sides: DiffSides,
): string {
  const out = [objectHeading(f, options, sides)];
  const who = sides === 'git-live' ? whoChanged(f) : overwrittenChanges(f.fields);
  if (who) out.push(who);
  if (f.fields.length > 0) {
    const shown = f.fields.slice(0, limits.maxFields);
    const lines = shown.flatMap((d) =>
      fieldDiffLines(d, limits.maxValueChars, options.secretFingerprints ?? true, sides),
    );
    const hidden = f.fields.length - shown.length;
    if (hidden > 0) lines.push(`@@ … ${hidden} more ${plural(hidden, 'field')} @@`);
    out.push(codeBlock(lines, 'diff'));
  }
  return out.join('\n\n');
}

/** "Made by …" for an object nobody put in Git, else "Changed by …" per manager and time. */
function whoChanged(f: Finding): string | undefined {
  if (f.createdBy) return madeBy(f.createdBy);
  const seen = new Set<string>();
  const items: string[] = [];
  for (const d of f.fields) {
    if (!d.manager) continue;
    const key = `${d.manager}\u0000${d.time ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(managerAt(d.manager, d.time));
  }
  if (items.length === 0) return undefined;
  return `Changed by ${items.join('; ')}`;
}

function madeBy(c: Creator): string {
  return `Made by ${managerAt(c.manager, c.time)}`;
}

/** The line a reviewer must not miss: merging silently undoes someone's change. */
function overwrittenChanges(fields: FieldDiff[]): string | undefined {
  const overwritten = fields.filter((d) => d.origin === 'both');
  if (overwritten.length === 0) return undefined;
  const items = overwritten.slice(0, 10).map((d) => {
    const who = d.manager ? ` by ${inlineCode(d.manager)}` : '';
    return `${inlineCode(d.path.length > 300 ? `${d.path.slice(0, 300)}…` : d.path)} (changed in the cluster${who}${atTime(d.time)})`;
  });
  const more = overwritten.length > 10 ? `; and ${overwritten.length - 10} more` : '';
  return `⚠️ **Merging overwrites a change made in the cluster:** ${items.join('; ')}${more}.`;
}

/** One field as diff lines: `@@ path @@` with a note, then the `-` and `+` values. */
export function fieldDiffLines(
  d: FieldDiff,
  maxValueChars: number,
  fingerprints: boolean,
  sides: DiffSides,
): string[] {
  const words = SIDES[sides];
  const path = cut(d.path, 500);
  if (sides === 'git-live' && d.origin === 'both') {
    // Drift the PR also changes: its values sit in "This PR will change", beside the warning.
    return [
      `@@ ${path} @@ changed in the cluster${byManagerInDiff(d.manager, d.time)}; this PR changes it too (see above)`,
    ];
  }
  const before = d[words.before];
  const after = d[words.after];
  let note = '';
  if (before === undefined && after !== undefined) note = words.added;
  else if (after === undefined && before !== undefined) note = words.removed;
  if (sides === 'git-live') note += byManagerInDiff(d.manager, d.time);
  else if (d.origin === 'both') note += ' (overwrites a change made in the cluster)';
  const lines = [`@@ ${path} @@${note}`];
  if (d.redacted && !fingerprints) {
    if (before !== undefined) lines.push(`- ${words.secretBefore}`);
    if (after !== undefined) {
      lines.push(`+ (${before !== undefined ? 'a different ' : ''}Secret value, not shown)`);
    }
    return lines;
  }
  if (before !== undefined) {
    lines.push(...formatValue(before, d.redacted, maxValueChars).map((l) => `- ${l}`));
  }
  if (after !== undefined) {
    lines.push(...formatValue(after, d.redacted, maxValueChars).map((l) => `+ ${l}`));
  }
  return lines;
}
