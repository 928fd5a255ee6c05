import {
  GITHUB_COMMENT_LIMIT,
  commentMarker,
  commentSize,
  renderCommentParts,
} from '../report/markdown-comment';
import type { DriftReport, RegionStatus } from '../report/model';
import { driftEntries, type DriftEntry } from './drift-entries';
import { issueMarker, issueState, renderIssueState, type IssueScope } from './issue-state';

/** What one drift issue should show after this run. */
export interface IssueContent {
  scope: IssueScope;
  status: RegionStatus;
  entries: DriftEntry[];
  /** Part 1 is the issue body; parts 2..N are continuation comments on the issue. */
  parts: string[];
}

export interface IssueContentOptions {
  /** URL prefix for links to overlay files, e.g. `https://github.com/o/r/blob/<sha>/`. */
  fileUrlBase?: string | undefined;
  /**
   * Trusted Markdown saying where every field is. Must not change between runs of an
   * unchanged state (a link to the workflow, not to one run), or every run would edit the
   * issue.
   */
  fullReportNote?: string;
}

/**
 * The issue for one scope: the same report as the pull request comment (same renderer,
 * same splitting on object boundaries under GitHub's 65,536-character limit, no Secret
 * value or fingerprint), restricted to the scope's region when there is one. Part 1,
 * the body, starts with the issue's marker and ends with its hidden state; the other
 * parts keep the comment markers (`key=K part=N`) by which their comments are found.
 *
 * Like the comment, the text holds nothing run-specific, so an unchanged state renders
 * byte-identical parts and the caller writes nothing.
 */
export function renderIssueContent(
  report: DriftReport,
  scope: IssueScope,
  options: IssueContentOptions = {},
): IssueContent {
  const regions = scope.region
    ? report.regions.filter((r) => r.name === scope.region)
    : report.regions;
  // One region's issue shows no skew between regions.
  const { skew: _skew, ...unskewed } = report;
  const scoped: DriftReport = scope.region ? { ...unskewed, regions } : report;
  const status: RegionStatus = regions.some((r) => r.status === 'error')
    ? 'error'
    : regions.some((r) => r.status === 'drift')
      ? 'drift'
      : 'in-sync';
  const entries = driftEntries(regions);

  const marker = issueMarker(scope);
  // The state line is written after packing, when the part count is known; reserve room
  // for its largest form (a part count of 99) and for the longer marker.
  const reserve =
    commentSize(renderIssueState(issueState(status, 99, entries))) +
    Math.max(0, commentSize(marker) - commentSize(commentMarker(scope.key, 1))) +
    8;
  const parts = renderCommentParts(scoped, {
    key: scope.key,
    maxChars: GITHUB_COMMENT_LIMIT - reserve,
    fileUrlBase: options.fileUrlBase,
    fullReportNote: options.fullReportNote,
  });
  const first = parts[0].replace(/^<!-- mr-drift:comment [^\n]*-->/, marker);
  const state = renderIssueState(issueState(status, parts.length, entries));
  parts[0] = `${first.replace(/\n*$/, '')}\n\n${state}\n`;
  return { scope, status, entries, parts };
}
