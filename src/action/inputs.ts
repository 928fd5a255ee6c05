import { UsageError } from '../core/errors';
import { COMMENT_KEY_PATTERN, DEFAULT_COMMENT_KEY } from '../core/report/markdown-comment';
import type { ComparisonMode } from '../core/report/model';
import { count } from '../core/text/plural';
import {
  COUNT_EXPECTED,
  readCount,
  readSeconds,
  SECONDS_EXPECTED,
} from '../core/text/option-number';
import { DEFAULT_PARALLEL_REGIONS } from '../pipeline/check-options';
import { RENDER_TIMEOUT_MS } from '../adapters/kustomize';

/** The Action's inputs, parsed and checked (see action.yml for their documentation). */
export interface ActionInputs {
  path: string;
  regions?: string[];
  /** Raw `kubeconfig` input (secret); undefined when not given. */
  kubeconfig?: string;
  contexts?: Record<string, string>;
  mode: ComparisonMode;
  failOnDrift: boolean;
  /** Also fail when the pull request's own changes (origin `pr`) are the only differences. */
  failOnPrChanges: boolean;
  /** Base revision to tell the PR's changes from drift; default the event's base SHA. */
  baseRef?: string;
  comment: boolean;
  commentKey: string;
  githubToken?: string;
  ignoreFile?: string;
  fieldManager?: string;
  /** Seconds to wait for a cluster to connect or answer a request (default 30). */
  requestTimeout: number;
  /** Seconds one kustomize build may take (default 120). */
  renderTimeout: number;
  parallelRegions: number;
  /** Aggregate mode: report files or folders to combine instead of checking clusters. */
  aggregate?: string[];
  /** Where to write the JSON report; default under RUNNER_TEMP. */
  reportFile?: string;
  /**
   * The drift issue: `auto` keeps it on `schedule` and `workflow_dispatch` events, `true`
   * on every event but pull requests, `false` never.
   */
  issue: 'auto' | 'true' | 'false';
  /** One issue per comment key, or one per region (and key). */
  issuePer: 'key' | 'region';
  /** Title given to a new issue; default by scope (see drift-issue.ts). */
  issueTitle?: string;
  /** Labels of the issue; the first also narrows the search for it. */
  issueLabels: string[];
  /** Logins assigned to a new issue. */
  issueAssignees: string[];
}

/** Label the drift issue gets when the workflow names none. */
export const DEFAULT_ISSUE_LABEL = 'mr-drift';

/** Every input name the Action reads; a unit test keeps this in step with action.yml. */
export const INPUT_NAMES = [
  'path',
  'regions',
  'kubeconfig',
  'contexts',
  'mode',
  'fail-on-drift',
  'fail-on-pr-changes',
  'base-ref',
  'comment',
  'comment-key',
  'github-token',
  'ignore-file',
  'field-manager',
  'request-timeout',
  'render-timeout',
  'parallel-regions',
  'aggregate',
  'report-file',
  'issue',
  'issue-per',
  'issue-title',
  'issue-labels',
  'issue-assignees',
] as const;

/** Every output name the Action sets; a unit test keeps this in step with action.yml. */
export const OUTPUT_NAMES = [
  'drift',
  'regions-with-drift',
  'regions-with-errors',
  'pr-changes',
  'regions-with-pr-changes',
  'report',
  'comment-url',
  'issue-number',
  'issue-url',
] as const;

/**
 * Parses the inputs; collects every problem and fails once, naming each input and what
 * it expects. Never quotes the `kubeconfig` or `github-token` values.
 */
export function readInputs(getInput: (name: (typeof INPUT_NAMES)[number]) => string): ActionInputs {
  const problems: string[] = [];
  const optional = (name: (typeof INPUT_NAMES)[number]) => getInput(name).trim() || undefined;

  const bool = (name: (typeof INPUT_NAMES)[number], fallback: boolean): boolean => {
    const value = getInput(name).trim();
    if (value === '') return fallback;
    if (['true', 'True', 'TRUE'].includes(value)) return true;
    if (['false', 'False', 'FALSE'].includes(value)) return false;
    problems.push(`input ${name}: expected true or false, got ${JSON.stringify(value)}`);
    return fallback;
  };

  const mode = optional('mode') ?? 'server-side';
  if (mode !== 'server-side' && mode !== 'read-only') {
    problems.push(`input mode: expected server-side or read-only, got ${JSON.stringify(mode)}`);
  }

  const regions = list(getInput('regions'));
  for (const r of regions) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(r)) {
      problems.push(
        `input regions: ${JSON.stringify(r)} is not a valid region name (lowercase letters, digits, -)`,
      );
    }
  }

  let contexts: Record<string, string> | undefined;
  const contextItems = list(getInput('contexts'));
  if (contextItems.length > 0) {
    contexts = {};
    for (const item of contextItems) {
      const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(item);
      if (!m) {
        problems.push(`input contexts: ${JSON.stringify(item)} is not region=context`);
        continue;
      }
      if (m[1] in contexts) problems.push(`input contexts: region ${m[1]} is given twice`);
      contexts[m[1]] = m[2]!;
    }
  }

  const commentKey = optional('comment-key') ?? DEFAULT_COMMENT_KEY;
  if (!COMMENT_KEY_PATTERN.test(commentKey)) {
    problems.push('input comment-key: use 1 to 64 letters, digits, dots, dashes or underscores');
  }

  /** An optional number input: its default when empty, else `read` of it or a problem. */
  const numberInput = (
    name: 'request-timeout' | 'render-timeout' | 'parallel-regions',
    fallback: number,
    read: (text: string) => number | undefined,
    expected: string,
  ): number => {
    const text = optional(name);
    if (text === undefined) return fallback;
    const n = read(text);
    if (n === undefined) problems.push(`input ${name}: ${expected}, got ${JSON.stringify(text)}`);
    return n ?? fallback;
  };
  const requestTimeout = numberInput('request-timeout', 30, readSeconds, SECONDS_EXPECTED);
  const renderTimeout = numberInput(
    'render-timeout',
    RENDER_TIMEOUT_MS / 1000,
    readSeconds,
    SECONDS_EXPECTED,
  );
  const parallelRegions = numberInput(
    'parallel-regions',
    DEFAULT_PARALLEL_REGIONS,
    readCount,
    COUNT_EXPECTED,
  );

  const issue = optional('issue') ?? 'auto';
  if (issue !== 'auto' && issue !== 'true' && issue !== 'false') {
    problems.push(`input issue: expected auto, true or false, got ${JSON.stringify(issue)}`);
  }
  const issuePer = optional('issue-per') ?? 'key';
  if (issuePer !== 'key' && issuePer !== 'region') {
    problems.push(`input issue-per: expected key or region, got ${JSON.stringify(issuePer)}`);
  }
  const issueTitle = optional('issue-title');
  if (issueTitle !== undefined && issueTitle.length > 200) {
    problems.push('input issue-title: at most 200 characters (GitHub allows 256 with the region)');
  }
  const labels = list(getInput('issue-labels'));
  for (const l of labels) {
    if (l.length > 50)
      problems.push(`input issue-labels: ${JSON.stringify(l)} is longer than 50 characters`);
  }
  const assignees = list(getInput('issue-assignees')).map((a) => a.replace(/^@/, ''));
  for (const a of assignees) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/.test(a)) {
      problems.push(`input issue-assignees: ${JSON.stringify(a)} is not a GitHub login`);
    }
  }

  const aggregate = list(getInput('aggregate'));
  const ignoreFile = optional('ignore-file');
  const fieldManager = optional('field-manager');
  const reportFile = optional('report-file');
  const baseRef = optional('base-ref');
  const inputs: ActionInputs = {
    path: optional('path') ?? 'overlays',
    mode: mode as ComparisonMode,
    failOnDrift: bool('fail-on-drift', true),
    failOnPrChanges: bool('fail-on-pr-changes', false),
    comment: bool('comment', true),
    commentKey,
    requestTimeout,
    renderTimeout,
    parallelRegions,
    issue: issue as ActionInputs['issue'],
    issuePer: issuePer as ActionInputs['issuePer'],
    issueLabels: labels.length > 0 ? [...new Set(labels)] : [DEFAULT_ISSUE_LABEL],
    issueAssignees: [...new Set(assignees)],
    ...(issueTitle !== undefined ? { issueTitle } : {}),
    ...(regions.length > 0 ? { regions } : {}),
    ...(contexts ? { contexts } : {}),
    ...(optional('kubeconfig') ? { kubeconfig: getInput('kubeconfig') } : {}),
    ...(optional('github-token') ? { githubToken: getInput('github-token').trim() } : {}),
    ...(ignoreFile ? { ignoreFile } : {}),
    ...(fieldManager ? { fieldManager } : {}),
    ...(aggregate.length > 0 ? { aggregate } : {}),
    ...(reportFile ? { reportFile } : {}),
    ...(baseRef ? { baseRef } : {}),
  };
  if (inputs.baseRef !== undefined && !/^[^\s-][^\s]*$/.test(inputs.baseRef)) {
    problems.push(
      `input base-ref: ${JSON.stringify(inputs.baseRef)} is not a branch, tag or commit SHA`,
    );
  }
  if (inputs.aggregate && inputs.baseRef) {
    problems.push(
      'input base-ref: aggregate mode combines reports whose differences were already classified by the region jobs; set base-ref on those steps instead',
    );
  }
  if (inputs.aggregate && inputs.kubeconfig) {
    problems.push(
      'input aggregate: combines existing reports and reads no cluster; remove the kubeconfig input from that step',
    );
  }
  if (problems.length > 0) {
    throw new UsageError(
      `${count(problems.length, 'problem')} with the Action's inputs:\n${problems
        .map((p) => `  ${p}`)
        .join('\n')}`,
      'See the inputs in action.yml or docs/action.md.',
    );
  }
  return inputs;
}

/** Splits a list input on commas and newlines, dropping blanks. */
function list(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
