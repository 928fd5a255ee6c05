import { renderReportBlocks } from './markdown-blocks';
import { FULL_LIMITS, type DetailLimits } from './markdown-limits';
import { packReport } from './markdown-pack';
import type { DriftReport } from './model';

export { verdictLine } from './markdown-head';

/** Options of the full Markdown report (job summary, `mr-drift check --output markdown`). */
export interface MarkdownReportOptions {
  /** URL prefix for links to overlay files, e.g. `https://github.com/o/r/blob/<sha>/`. */
  fileUrlBase?: string | undefined;
  /** Report title; default `mr-drift`. */
  title?: string;
  /** Largest size of the document; default unlimited. Past it, objects are summarised. */
  maxSize?: number;
  /** How `maxSize` is measured: UTF-16 code units (default) or UTF-8 bytes. */
  sizeUnit?: 'chars' | 'utf8-bytes';
  /** Per-object detail; default: values up to 20,000 characters, up to 1,000 fields. */
  limits?: DetailLimits;
  /** Include check time, revision and tool version; default true. */
  runDetails?: boolean;
  /** Trusted Markdown saying where the complete report is, shown if something is cut. */
  fullReportNote?: string | undefined;
}

const utf8 = new TextEncoder();

/** Measures text the way a limit is expressed. */
export function measureText(text: string, unit: 'chars' | 'utf8-bytes' = 'chars'): number {
  return unit === 'chars' ? text.length : utf8.encode(text).length;
}

/**
 * Renders a whole drift report as one GitHub-flavoured Markdown document: a per-region
 * table, then per region a collapsible section with each drifted object as a diff block,
 * who changed each field and when, and a link to the overlay file it comes from. Every
 * name and value from manifests or clusters is escaped (see markdown-escape.ts).
 */
export function renderMarkdownReport(
  report: DriftReport,
  options: MarkdownReportOptions = {},
): string {
  const blocks = renderReportBlocks(report, {
    fileUrlBase: options.fileUrlBase,
    title: options.title,
    limits: options.limits ?? FULL_LIMITS,
    runDetails: options.runDetails ?? true,
  });
  const unit = options.sizeUnit ?? 'chars';
  const [doc] = packReport(blocks, {
    budget: options.maxSize ?? Number.MAX_SAFE_INTEGER,
    measure: (t) => measureText(t, unit),
    maxParts: 1,
    fullReportNote: options.fullReportNote,
  });
  return doc;
}
