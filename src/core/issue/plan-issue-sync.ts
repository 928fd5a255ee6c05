import type { IssueContent } from './issue-body';
import {
  changeNote,
  resolvedNote,
  returnedNote,
  stillDriftingNote,
  type NoteContext,
} from './issue-notes';
import { digestEntries, parseIssueState } from './issue-state';

/** The drift issue as found on GitHub (by its marker). */
export interface ExistingIssue {
  number: number;
  state: 'open' | 'closed';
  /** A locked conversation: mr-drift still edits and closes it, but does not comment. */
  locked: boolean;
  body: string;
  labels: string[];
}

/** From the Action's inputs: used when the issue is created (labels also on reopening). */
export interface IssueSettings {
  title: string;
  labels: string[];
  assignees: string[];
}

/** One GitHub write, in the order to perform them. */
export type IssueAction =
  | { kind: 'create'; title: string; body: string; labels: string[]; assignees: string[] }
  | {
      kind: 'edit';
      body?: string;
      state?: 'open' | 'closed';
      stateReason?: 'completed' | 'reopened';
    }
  | { kind: 'add-labels'; labels: string[] }
  /** Make the issue's continuation comments exactly these (parts 2..N; none removes them). */
  | { kind: 'continuations'; parts: string[] }
  | { kind: 'comment'; body: string };

export type IssueOutcome = 'none' | 'created' | 'updated' | 'unchanged' | 'closed' | 'reopened';

export interface IssuePlan {
  outcome: IssueOutcome;
  actions: IssueAction[];
  /** Why something usual was not done (for the log). */
  notes: string[];
}

/**
 * Decides what to do with the drift issue of one scope, given the issue as it is (or
 * none) and what it should show now. Pure: the caller performs the actions in order.
 *
 * | issue      | now            | actions                                                      |
 * | ---------- | -------------- | ------------------------------------------------------------ |
 * | none       | in sync        | nothing                                                      |
 * | none       | drift or error | create it (title, labels, assignees), continuation comments  |
 * | open       | drift or error | edit the body if it differs; comment only if the set changed |
 * | open       | in sync        | comment "in sync again", close as completed                  |
 * | closed     | drift or error | reopen with the new body, re-add labels, comment why         |
 * | closed     | in sync        | nothing, unless drift remained when it was closed: record    |
 * |            |                | the in-sync report silently                                  |
 *
 * A region that could not be checked counts as "drift or error": the issue stays open
 * and says so; it is never closed as in sync. "The set changed" compares the tracked
 * entries (objects with drift, regions with errors) with those stored in the body; when
 * the body no longer carries them (edited by hand), no change comment is made.
 */
export function planIssueSync(
  existing: ExistingIssue | undefined,
  content: IssueContent,
  settings: IssueSettings,
  ctx: NoteContext = {},
): IssuePlan {
  const drifting = content.status !== 'in-sync';
  const [body, ...continuations] = content.parts;
  const notes: string[] = [];

  if (!existing) {
    if (!drifting) return { outcome: 'none', actions: [], notes };
    const actions: IssueAction[] = [
      {
        kind: 'create',
        title: settings.title,
        body,
        labels: settings.labels,
        assignees: settings.assignees,
      },
    ];
    if (continuations.length > 0) actions.push({ kind: 'continuations', parts: continuations });
    return { outcome: 'created', actions, notes };
  }

  const previous = parseIssueState(existing.body);
  const bodyChanged = !sameBody(existing.body, body);
  // Continuation comments exist only when a report took several parts; skip listing the
  // comments when it took one before and takes one now.
  const continuationSync: IssueAction[] =
    continuations.length > 0 || (previous?.parts ?? 2) > 1
      ? [{ kind: 'continuations', parts: continuations }]
      : [];
  const comment = (text: string): IssueAction[] => {
    if (!existing.locked) return [{ kind: 'comment', body: text }];
    notes.push(`issue #${existing.number} is locked: no comment, the body says it all`);
    return [];
  };

  if (existing.state === 'open') {
    if (!drifting) {
      return {
        outcome: 'closed',
        actions: [
          ...comment(resolvedNote(previous?.entries, ctx)),
          {
            kind: 'edit',
            ...(bodyChanged ? { body } : {}),
            state: 'closed',
            stateReason: 'completed',
          },
          ...continuationSync,
        ],
        notes,
      };
    }
    const setChanged = previous !== undefined && previous.digest !== digestEntries(content.entries);
    const actions: IssueAction[] = [
      ...(bodyChanged ? [{ kind: 'edit' as const, body }] : []),
      ...continuationSync,
      ...(setChanged ? comment(changeNote(previous.entries, content.entries, ctx)) : []),
    ];
    return { outcome: actions.length > 0 ? 'updated' : 'unchanged', actions, notes };
  }

  // Closed.
  if (!drifting) {
    if (previous?.status === 'in-sync' || !bodyChanged) {
      return { outcome: 'unchanged', actions: [], notes };
    }
    // Closed by someone while drift remained, and now it is gone: record it, quietly.
    return { outcome: 'updated', actions: [{ kind: 'edit', body }, ...continuationSync], notes };
  }
  const missingLabels = settings.labels.filter(
    (l) => !existing.labels.some((have) => have.toLowerCase() === l.toLowerCase()),
  );
  const why =
    previous?.status === 'drift' || previous?.status === 'error'
      ? stillDriftingNote(previous.entries, content.entries, ctx)
      : returnedNote(content.entries, ctx);
  return {
    outcome: 'reopened',
    actions: [
      { kind: 'edit', body, state: 'open', stateReason: 'reopened' },
      ...(missingLabels.length > 0 ? [{ kind: 'add-labels' as const, labels: missingLabels }] : []),
      ...continuationSync,
      ...comment(why),
    ],
    notes,
  };
}

/** Bodies compare equal regardless of line-ending style and trailing whitespace. */
function sameBody(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trimEnd();
  return norm(a) === norm(b);
}
