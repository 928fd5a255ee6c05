import { createHash } from 'node:crypto';
import { COMMENT_KEY_PATTERN } from '../report/markdown-comment';
import type { RegionStatus } from '../report/model';
import type { DriftEntry } from './drift-entries';

/**
 * How mr-drift recognises its drift issue and remembers what it last reported, inside
 * the issue body itself (no other storage survives between scheduled runs):
 *
 * - the first line is a hidden marker, `<!-- mr-drift:issue key=K -->` (with
 *   ` region=R` when there is one issue per region), like the pull request comment's;
 * - the last line is a hidden state: the status, how many parts the report took, and
 *   the tracked entries (or, when there are too many to keep, only their count and
 *   digest).
 *
 * Neither holds anything the visible report does not show (object names, regions).
 */

/** Which drift issue: one per comment key, or one per region and key. */
export interface IssueScope {
  key: string;
  region?: string;
}

export interface IssueState {
  status: RegionStatus;
  /** Parts the report took: 1 is the body alone, N adds N-1 continuation comments. */
  parts: number;
  count: number;
  /** SHA-256 of the entries (first 16 hex digits), to tell whether the set changed. */
  digest: string;
  /** The entries, when they fit (see MAX_STATE_CHARS). */
  entries?: DriftEntry[];
}

const MARKER = /^<!-- mr-drift:issue key=([A-Za-z0-9._-]{1,64})(?: region=([a-z0-9-]{1,63}))? -->/;
const STATE = /<!-- mr-drift:issue-state (\{[^\n]*\}) -->\s*$/;
/** Past this, the entries are not stored, only their count and digest. */
const MAX_STATE_CHARS = 12_000;

export function issueMarker(scope: IssueScope): string {
  if (!COMMENT_KEY_PATTERN.test(scope.key)) {
    throw new Error(`invalid issue key ${JSON.stringify(scope.key)}`);
  }
  if (scope.region !== undefined && !/^[a-z0-9-]{1,63}$/.test(scope.region)) {
    throw new Error(`invalid region ${JSON.stringify(scope.region)}`);
  }
  return `<!-- mr-drift:issue key=${scope.key}${scope.region ? ` region=${scope.region}` : ''} -->`;
}

/** The scope in the marker at the start of an issue body; undefined for other issues. */
export function parseIssueMarker(body: string): IssueScope | undefined {
  const m = MARKER.exec(body);
  if (!m) return undefined;
  return m[2] ? { key: m[1], region: m[2] } : { key: m[1] };
}

export function sameScope(a: IssueScope, b: IssueScope): boolean {
  return a.key === b.key && (a.region ?? '') === (b.region ?? '');
}

export function digestEntries(entries: readonly DriftEntry[]): string {
  return createHash('sha256').update(entries.join('\n')).digest('hex').slice(0, 16);
}

/** The state for these entries. */
export function issueState(
  status: RegionStatus,
  parts: number,
  entries: readonly DriftEntry[],
): IssueState {
  const state: IssueState = {
    status,
    parts,
    count: entries.length,
    digest: digestEntries(entries),
  };
  if (JSON.stringify(entries).length <= MAX_STATE_CHARS) state.entries = [...entries];
  return state;
}

/**
 * The hidden state line. `<`, `>` and `&` are written as JSON escapes so that no value can
 * end the HTML comment (a ClusterRole may be named `a-->b`).
 */
export function renderIssueState(state: IssueState): string {
  const json = JSON.stringify(state).replace(
    /[<>&]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `<!-- mr-drift:issue-state ${json} -->`;
}

/** Reads the state line at the end of a body; undefined when missing or unreadable. */
export function parseIssueState(body: string): IssueState | undefined {
  const m = STATE.exec(body.replace(/\r\n/g, '\n'));
  if (!m) return undefined;
  try {
    const s = JSON.parse(m[1]) as Partial<IssueState>;
    if (
      (s.status !== 'in-sync' && s.status !== 'drift' && s.status !== 'error') ||
      typeof s.parts !== 'number' ||
      typeof s.count !== 'number' ||
      typeof s.digest !== 'string'
    ) {
      return undefined;
    }
    const entries =
      Array.isArray(s.entries) && s.entries.every((e) => typeof e === 'string')
        ? s.entries
        : undefined;
    return {
      status: s.status,
      parts: s.parts,
      count: s.count,
      digest: s.digest,
      ...(entries ? { entries } : {}),
    };
  } catch {
    return undefined;
  }
}
