import { describe, expect, it } from 'vitest';
import { compareEntries, driftEntries } from '../../src/core/issue/drift-entries';
import { renderIssueContent, type IssueContent } from '../../src/core/issue/issue-body';
import {
  issueMarker,
  issueState,
  type IssueScope,
  parseIssueMarker,
  parseIssueState,
  renderIssueState,
} from '../../src/core/issue/issue-state';
import {
  planIssueSync,
  type ExistingIssue,
  type IssueAction,
  type IssueSettings,
} from '../../src/core/issue/plan-issue-sync';
import { commentSize, parseCommentMarker } from '../../src/core/report/markdown-comment';
import type { DriftReport } from '../../src/core/report/model';
import { bigRegion, changed, field, region, report } from '../support/reports';

// The pure decisions behind the drift issue: what it tracks, how its body remembers it,
// and what to do given the issue as found and the new report.

const SETTINGS: IssueSettings = {
  title: 'mr-drift: drift between Git and the clusters',
  labels: ['mr-drift', 'ops'],
  assignees: ['octocat'],
};
const RUN = { runUrl: 'https://github.com/alfred/gitops/actions/runs/42' };

const inSync = report([region('us-east'), region('eu-west')]);
const apiDrift = report([
  region('us-east', [changed('api', [field('/spec/replicas', 3, 5)])]),
  region('eu-west'),
]);
const apiDriftOtherValue = report([
  region('us-east', [changed('api', [field('/spec/replicas', 3, 7)])]),
  region('eu-west'),
]);
const twoObjects = report([
  region('us-east', [changed('api', [field('/spec/replicas', 3, 5)])]),
  region('eu-west', [changed('worker', [field('/spec/replicas', 2, 0)])]),
]);
const unreachable = report([
  region('us-east', [], { status: 'error', error: 'connection refused' }),
  region('eu-west'),
]);

const content = (r: DriftReport, scope: IssueScope = { key: 'default' }) =>
  renderIssueContent(r, scope);

/** The issue as GitHub would hold it after mr-drift wrote `c` (or as someone left it). */
function issue(c: IssueContent, extra: Partial<ExistingIssue> = {}): ExistingIssue {
  return {
    number: 7,
    state: 'open',
    locked: false,
    body: c.parts[0],
    labels: ['mr-drift', 'ops'],
    ...extra,
  };
}

const kinds = (actions: IssueAction[]) => actions.map((a) => a.kind);
const comments = (actions: IssueAction[]) =>
  actions.flatMap((a) => (a.kind === 'comment' ? [a.body] : []));

describe('drift entries', () => {
  it('lists each drifted object with its type, and each region that could not be checked', () => {
    expect(driftEntries(twoObjects.regions)).toEqual([
      'eu-west|apps|Deployment|alfred|worker|changed',
      'us-east|apps|Deployment|alfred|api|changed',
    ]);
    expect(driftEntries(unreachable.regions)).toEqual(['us-east|!error']);
    expect(driftEntries(inSync.regions)).toEqual([]);
  });

  it('leaves out what the pull request itself changes', () => {
    const r = region('us-east', [
      changed('api', [field('/spec/replicas', 3, 5)], { origin: 'pr' }),
      changed('worker', [field('/spec/replicas', 3, 5)], { origin: 'both' }),
    ]);
    expect(driftEntries([r])).toEqual(['us-east|apps|Deployment|alfred|worker|changed']);
  });

  it('tells what came and went', () => {
    expect(compareEntries(['a', 'b'], ['b', 'c'])).toEqual({ added: ['c'], removed: ['a'] });
  });
});

describe('issue marker and state', () => {
  it('round-trips the marker, with and without a region', () => {
    expect(parseIssueMarker(`${issueMarker({ key: 'prod' })}\nbody`)).toEqual({ key: 'prod' });
    expect(parseIssueMarker(issueMarker({ key: 'default', region: 'us-east' }))).toEqual({
      key: 'default',
      region: 'us-east',
    });
    expect(parseIssueMarker('Someone wrote <!-- mr-drift:issue key=default --> later')).toBe(
      undefined,
    );
    expect(() => issueMarker({ key: 'a -->' })).toThrow('invalid issue key');
  });

  it('keeps the state at the end of the body, even for names that could end a comment', () => {
    const state = issueState('drift', 2, ['us-east||ClusterRole||a-->b<c>&d|extra']);
    const line = renderIssueState(state);
    expect(line).not.toMatch(/-->.*-->/);
    expect(line.indexOf('-->')).toBe(line.length - 3);
    expect(parseIssueState(`marker\nreport\n\n${line}\n`)).toEqual(state);
    // GitHub's web editor stores CRLF; an edited or missing state is unknown, not an error.
    expect(parseIssueState(`marker\r\nreport\r\n\r\n${line}\r\n`)).toEqual(state);
    expect(parseIssueState('marker\nreport\n')).toBeUndefined();
    expect(parseIssueState(`${line.replace('"drift"', '"maybe"')}`)).toBeUndefined();
  });

  it('stores only a count and a digest when the entries are too many to keep', () => {
    const many = driftEntries([bigRegion('us-east', 400, 10)].map((r) => r));
    const state = issueState('drift', 1, many);
    expect(state.count).toBe(400);
    expect(state.entries).toBeUndefined();
    expect(state.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(issueState('drift', 1, many.slice(1)).digest).not.toBe(state.digest);
  });
});

describe('issue content', () => {
  it('is the comment report with the issue marker first and the state last', () => {
    const c = content(apiDrift);
    expect(c.status).toBe('drift');
    expect(c.parts).toHaveLength(1);
    expect(c.parts[0].startsWith('<!-- mr-drift:issue key=default -->\n')).toBe(true);
    expect(c.parts[0]).toContain('drift in 1 of 2 regions');
    expect(parseIssueState(c.parts[0])).toMatchObject({ status: 'drift', parts: 1, count: 1 });
    // Same report, same bytes: an unchanged state needs no write.
    expect(content(apiDrift).parts).toEqual(c.parts);
  });

  it('per region: only that region, with its own marker and status', () => {
    const east = content(twoObjects, { key: 'default', region: 'us-east' });
    expect(east.parts[0].startsWith('<!-- mr-drift:issue key=default region=us-east -->')).toBe(
      true,
    );
    expect(east.parts[0]).toContain('us-east');
    expect(east.parts[0]).not.toContain('eu-west');
    expect(east.entries).toEqual(['us-east|apps|Deployment|alfred|api|changed']);
    const west = content(unreachable, { key: 'default', region: 'eu-west' });
    expect(west.status).toBe('in-sync');
  });

  it('a region that cannot be checked is an error, not in sync', () => {
    const c = content(unreachable);
    expect(c.status).toBe('error');
    expect(c.parts[0]).toContain('connection refused');
  });

  it('splits a long report like the comment: body plus continuation comments under the limit', () => {
    const big = report([bigRegion('us-east', 300, 400)]);
    const c = content(big);
    expect(c.parts.length).toBeGreaterThan(1);
    for (const part of c.parts) expect(commentSize(part)).toBeLessThanOrEqual(65_536);
    expect(parseIssueMarker(c.parts[0])).toEqual({ key: 'default' });
    expect(parseIssueState(c.parts[0])?.parts).toBe(c.parts.length);
    c.parts.slice(1).forEach((p, i) => {
      expect(parseCommentMarker(p)).toEqual({ key: 'default', part: i + 2 });
    });
    // Every object is in one of the parts.
    const all = c.parts.join('\n');
    for (let i = 0; i < 300; i++) {
      expect(all).toContain(`us-east-api-${String(i).padStart(4, '0')}`);
    }
  });
});

describe('planIssueSync', () => {
  it('no issue and in sync: nothing at all', () => {
    expect(planIssueSync(undefined, content(inSync), SETTINGS)).toEqual({
      outcome: 'none',
      actions: [],
      notes: [],
    });
  });

  it('no issue and drift: one create with the title, labels and assignees', () => {
    const plan = planIssueSync(undefined, content(apiDrift), SETTINGS, RUN);
    expect(plan.outcome).toBe('created');
    expect(plan.actions).toEqual([
      {
        kind: 'create',
        title: SETTINGS.title,
        body: content(apiDrift).parts[0],
        labels: ['mr-drift', 'ops'],
        assignees: ['octocat'],
      },
    ]);
  });

  it('no issue and a region that cannot be checked: the issue opens for it', () => {
    expect(planIssueSync(undefined, content(unreachable), SETTINGS).outcome).toBe('created');
  });

  it('open, same report: no write at all', () => {
    const c = content(apiDrift);
    expect(planIssueSync(issue(c), c, SETTINGS)).toEqual({
      outcome: 'unchanged',
      actions: [],
      notes: [],
    });
    // Line endings as the web editor stores them do not count as a change.
    const crlf = issue(c, { body: c.parts[0].replace(/\n/g, '\r\n') });
    expect(planIssueSync(crlf, c, SETTINGS).actions).toEqual([]);
  });

  it('open, same objects with other values: the body is edited, nobody is notified', () => {
    const plan = planIssueSync(issue(content(apiDrift)), content(apiDriftOtherValue), SETTINGS);
    expect(plan.outcome).toBe('updated');
    expect(plan.actions).toEqual([{ kind: 'edit', body: content(apiDriftOtherValue).parts[0] }]);
  });

  it('open, the set of drifted objects changed: body edited, then one comment naming the news', () => {
    const plan = planIssueSync(issue(content(apiDrift)), content(twoObjects), SETTINGS, RUN);
    expect(kinds(plan.actions)).toEqual(['edit', 'comment']);
    const [note] = comments(plan.actions);
    expect(note).toContain(
      'the drift changed ([run](https://github.com/alfred/gitops/actions/runs/42))',
    );
    expect(note).toContain('**New** (1):');
    expect(note).toContain(
      '<code>eu-west</code>: <code>Deployment.apps alfred/worker</code> (changed)',
    );
    expect(note).not.toContain('**Gone**');
  });

  it('open, a region became unreachable: that is news too, and the issue stays open', () => {
    const plan = planIssueSync(issue(content(apiDrift)), content(unreachable), SETTINGS);
    expect(plan.outcome).toBe('updated');
    const [note] = comments(plan.actions);
    expect(note).toContain('<code>us-east</code>: could not be checked');
    expect(note).toContain('**Gone** (1):');
    expect(plan.actions.some((a) => a.kind === 'edit' && a.state === 'closed')).toBe(false);
  });

  it('open and in sync again: a comment, then closed as completed with the in-sync body', () => {
    const plan = planIssueSync(issue(content(twoObjects)), content(inSync), SETTINGS, RUN);
    expect(plan.outcome).toBe('closed');
    expect(kinds(plan.actions)).toEqual(['comment', 'edit']);
    expect(comments(plan.actions)[0]).toContain('every region is in sync again');
    expect(comments(plan.actions)[0]).toContain('**Gone** (2):');
    expect(plan.actions[1]).toEqual({
      kind: 'edit',
      body: content(inSync).parts[0],
      state: 'closed',
      stateReason: 'completed',
    });
  });

  it('closed by mr-drift and drift is back: reopened, labels put back, "drift is back"', () => {
    const closed = issue(content(inSync), { state: 'closed', labels: ['ops'] });
    const plan = planIssueSync(closed, content(apiDrift), SETTINGS, RUN);
    expect(plan.outcome).toBe('reopened');
    expect(kinds(plan.actions)).toEqual(['edit', 'add-labels', 'comment']);
    expect(plan.actions[0]).toEqual({
      kind: 'edit',
      body: content(apiDrift).parts[0],
      state: 'open',
      stateReason: 'reopened',
    });
    expect(plan.actions[1]).toEqual({ kind: 'add-labels', labels: ['mr-drift'] });
    expect(comments(plan.actions)[0]).toContain('drift is back');
  });

  it('closed by a person while drift remained: reopened, saying so and how to stop it', () => {
    const closedByHand = issue(content(apiDrift), { state: 'closed' });
    const plan = planIssueSync(closedByHand, content(apiDrift), SETTINGS);
    expect(plan.outcome).toBe('reopened');
    expect(kinds(plan.actions)).toEqual(['edit', 'comment']);
    const [note] = comments(plan.actions);
    expect(note).toContain('closed while the clusters still differed from Git');
    expect(note).toContain('.mr-drift-ignore.yaml');
    // Nothing changed since: the note lists what is still drifting.
    expect(note).toContain('**Now** (1):');
    const meanwhile = planIssueSync(closedByHand, content(twoObjects), SETTINGS);
    expect(comments(meanwhile.actions)[0]).toContain('**New** (1):');
  });

  it('closed and in sync: nothing, and a person’s close during drift is recorded quietly', () => {
    const c = content(inSync);
    expect(planIssueSync(issue(c, { state: 'closed' }), c, SETTINGS).actions).toEqual([]);
    const closedDuringDrift = issue(content(apiDrift), { state: 'closed' });
    const plan = planIssueSync(closedDuringDrift, c, SETTINGS);
    expect(plan.actions).toEqual([{ kind: 'edit', body: c.parts[0] }]);
    // Recorded: the next time drift appears, it is "back", not "still there".
    const after = issue(c, { state: 'closed' });
    expect(comments(planIssueSync(after, content(apiDrift), SETTINGS).actions)[0]).toContain(
      'drift is back',
    );
  });

  it('a locked issue is edited and closed, never commented on', () => {
    const locked = issue(content(apiDrift), { locked: true });
    const changed = planIssueSync(locked, content(twoObjects), SETTINGS);
    expect(kinds(changed.actions)).toEqual(['edit']);
    expect(changed.notes).toEqual(['issue #7 is locked: no comment, the body says it all']);
    const resolved = planIssueSync(locked, content(inSync), SETTINGS);
    expect(kinds(resolved.actions)).toEqual(['edit']);
    expect(resolved.outcome).toBe('closed');
  });

  it('a body edited by hand (state gone): restored, without a change comment', () => {
    const edited = issue(content(apiDrift), {
      body: `${content(apiDrift).parts[0].split('\n')[0]}\nnotes`,
    });
    const plan = planIssueSync(edited, content(twoObjects), SETTINGS);
    expect(kinds(plan.actions)).toEqual(['edit', 'continuations']);
  });

  it('continuation comments: synced when the report takes or took several parts, skipped otherwise', () => {
    const big = content(report([bigRegion('us-east', 300, 400)]));
    const grown = planIssueSync(issue(content(apiDrift)), big, SETTINGS);
    expect(grown.actions.find((a) => a.kind === 'continuations')).toEqual({
      kind: 'continuations',
      parts: big.parts.slice(1),
    });
    const shrunk = planIssueSync(issue(big), content(apiDrift), SETTINGS);
    expect(shrunk.actions.find((a) => a.kind === 'continuations')).toEqual({
      kind: 'continuations',
      parts: [],
    });
    const created = planIssueSync(undefined, big, SETTINGS);
    expect(kinds(created.actions)).toEqual(['create', 'continuations']);
  });

  it('too many entries to store: the change comment gives counts, not lists', () => {
    const many = content(report([bigRegion('us-east', 400, 10)]));
    const more = content(report([bigRegion('us-east', 401, 10)]));
    const plan = planIssueSync(issue(many), more, SETTINGS);
    const [note] = comments(plan.actions);
    expect(note).toContain('Now 401 items');
  });
});
