import { renderReportBlocks } from './markdown-blocks';
import { COMMENT_LIMITS } from './markdown-limits';
import { codeBlock, escapeInline } from './markdown-escape';
import { packReport } from './markdown-pack';
import type { DriftReport } from './model';

/** GitHub rejects issue comment bodies longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Marker key used when the workflow does not choose one. */
export const DEFAULT_COMMENT_KEY = 'default';

/** Allowed marker keys: they end up inside an HTML comment, so no `-->` or spaces. */
export const COMMENT_KEY_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const MARKER = /^<!-- mr-drift:comment key=([A-Za-z0-9._-]{1,64}) part=(\d{1,4}) -->/;

export interface CommentOptions {
  /** Tells apart reports of different workflows on one pull request; default `default`. */
  key?: string;
  /** URL prefix for links to overlay files, e.g. `https://github.com/o/r/blob/<sha>/`. */
  fileUrlBase?: string | undefined;
  /** Report title; default `mr-drift`. */
  title?: string;
  /** Largest comment body; default GitHub's limit, 65,536 characters. */
  maxChars?: number;
  /** Most comments one report may take; past it the last part summarises. Default 10. */
  maxParts?: number;
  /** Trusted Markdown saying where the full report is (job summary, artifact). */
  fullReportNote?: string | undefined;
}

/** The hidden first line that identifies part `part` of the comment with this key. */
export function commentMarker(key: string, part: number): string {
  if (!COMMENT_KEY_PATTERN.test(key)) throw new Error(`invalid comment key ${JSON.stringify(key)}`);
  return `<!-- mr-drift:comment key=${key} part=${part} -->`;
}

/** Reads the marker at the start of a comment body; undefined for other comments. */
export function parseCommentMarker(body: string): { key: string; part: number } | undefined {
  const m = MARKER.exec(body);
  if (!m) return undefined;
  const part = Number(m[2]);
  return part >= 1 ? { key: m[1], part } : undefined;
}

/**
 * Size of a body as GitHub may count it. Line breaks are counted twice because text can
 * be stored with CRLF line endings; the margin costs little and removes the doubt.
 */
export function commentSize(body: string): number {
  let newlines = 0;
  for (let i = 0; i < body.length; i++) if (body.charCodeAt(i) === 10) newlines++;
  return body.length + newlines;
}

/**
 * Renders the pull request comment(s) for a report: usually one body; a long report is
 * split on object boundaries into "part N of M" bodies, each under GitHub's limit, and
 * past `maxParts` the last part says how much was left out and where the full report is.
 *
 * The body holds nothing run-specific (no time, run id, revision or per-run Secret
 * fingerprints), so re-checking an unchanged state yields byte-identical bodies and the
 * caller can skip the API write.
 */
export function renderCommentParts(report: DriftReport, options: CommentOptions = {}): string[] {
  const key = options.key ?? DEFAULT_COMMENT_KEY;
  const blocks = renderReportBlocks(report, {
    fileUrlBase: options.fileUrlBase,
    title: options.title,
    limits: COMMENT_LIMITS,
    runDetails: false,
    secretFingerprints: false,
  });
  const title = escapeInline(options.title ?? 'mr-drift');
  return packReport(blocks, {
    budget: options.maxChars ?? GITHUB_COMMENT_LIMIT,
    measure: commentSize,
    maxParts: options.maxParts ?? 10,
    fullReportNote: options.fullReportNote,
    partPrefix: (part, parts) => {
      const marker = commentMarker(key, part);
      if (parts === 1) return `${marker}\n`;
      if (part === 1) return `${marker}\n_Part 1 of ${parts}._\n\n`;
      return `${marker}\n### ${title}: drift report, part ${part} of ${parts}\n\n`;
    },
  });
}

/**
 * The comment body when no report could be made at all (overlays do not render, bad
 * ignore file ...): it replaces the previous report, which would otherwise stay on the
 * pull request looking current.
 */
export function renderFailureComment(message: string, options: CommentOptions = {}): string {
  const key = options.key ?? DEFAULT_COMMENT_KEY;
  const title = escapeInline(options.title ?? 'mr-drift');
  const text = message.length > 8_000 ? `${message.slice(0, 8_000)}… (cut)` : message;
  const note = options.fullReportNote ? `\n\n${options.fullReportNote}` : '';
  return `${commentMarker(key, 1)}\n### ${title}: the drift check could not run\n\n${codeBlock(text.split('\n'), 'text')}${note}\n`;
}
