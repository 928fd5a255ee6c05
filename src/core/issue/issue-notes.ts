import { inlineCode } from '../report/markdown-escape';
import { compareEntries, parseEntry, type DriftEntry } from './drift-entries';

/**
 * The short comments a drift issue gets. Each notifies the issue's watchers, so there is
 * one only for news: drift appearing or going (closing, reopening), or the set of
 * drifted objects changing. Object names come from clusters and are escaped.
 */

/** Longest list of objects in one comment; the rest are counted. */
const MAX_LISTED = 25;

export interface NoteContext {
  /** Link to this run, e.g. `https://github.com/o/r/actions/runs/1`. */
  runUrl?: string;
}

function checkedBy(ctx: NoteContext): string {
  return ctx.runUrl ? ` ([run](${ctx.runUrl}))` : '';
}

/** One entry as a list item: `us-east: <code>Deployment alfred/api</code> (changed)`. */
export function describeEntry(entry: DriftEntry): string {
  const e = parseEntry(entry);
  if (e.error) return `${inlineCode(e.region)}: could not be checked`;
  const kind = e.group ? `${e.kind}.${e.group}` : e.kind;
  const name = e.namespace ? `${e.namespace}/${e.name}` : e.name;
  const what = e.type === 'extra' ? 'not in Git' : e.type === 'missing' ? 'missing' : 'changed';
  return `${inlineCode(e.region)}: ${inlineCode(`${kind} ${name}`)} (${what})`;
}

function list(title: string, entries: readonly DriftEntry[]): string {
  if (entries.length === 0) return '';
  const shown = entries.slice(0, MAX_LISTED).map((e) => `- ${describeEntry(e)}`);
  const more = entries.length - shown.length;
  if (more > 0) shown.push(`- … and ${more} more (see the report above)`);
  return `\n\n**${title}** (${entries.length}):\n\n${shown.join('\n')}`;
}

/**
 * What changed since the last report. `before` undefined: the previous set is unknown
 * (the issue body was edited, or held too many entries to store), so only counts.
 */
export function changeNote(
  before: readonly DriftEntry[] | undefined,
  after: readonly DriftEntry[],
  ctx: NoteContext,
): string {
  const head = `### mr-drift: the drift changed${checkedBy(ctx)}`;
  if (!before) {
    return `${head}\n\nNow ${after.length} item${after.length === 1 ? '' : 's'}: the issue body has the updated report.\n`;
  }
  const { added, removed } = compareEntries(before, after);
  return `${head}${list('New', added)}${list('Gone', removed)}\n\nThe issue body has the updated report.\n`;
}

/** Posted when every region is in sync again, just before closing. */
export function resolvedNote(before: readonly DriftEntry[] | undefined, ctx: NoteContext): string {
  return `### ✅ mr-drift: every region is in sync again${checkedBy(ctx)}${list('Gone', before ?? [])}\n\nClosing this issue. It reopens if drift comes back.\n`;
}

/** Posted when reopening: drift came back after mr-drift closed the issue. */
export function returnedNote(after: readonly DriftEntry[], ctx: NoteContext): string {
  return `### ⚠️ mr-drift: drift is back${checkedBy(ctx)}${list('Now', after)}\n\nReopening this issue; the body has the report.\n`;
}

/**
 * Posted when reopening an issue someone closed while drift remained: closing the issue
 * does not change the clusters. Says how to stop the tracking for good.
 */
export function stillDriftingNote(
  before: readonly DriftEntry[] | undefined,
  after: readonly DriftEntry[],
  ctx: NoteContext,
): string {
  const changes = before ? compareEntries(before, after) : undefined;
  const lists =
    changes && changes.added.length + changes.removed.length > 0
      ? `${list('New', changes.added)}${list('Gone', changes.removed)}`
      : list('Now', after);
  return `### ⚠️ mr-drift: reopened, the drift is still there${checkedBy(ctx)}\n\nThis issue was closed while the clusters still differed from Git. It stays open until they match: fix the cluster (or Git), or tell mr-drift to ignore the difference in \`.mr-drift-ignore.yaml\`.${lists}\n`;
}
