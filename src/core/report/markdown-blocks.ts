/**
 * The pieces a Markdown drift report is made of, rendered separately so that the comment
 * splitter can pack them into parts on object boundaries. Every piece is final Markdown;
 * untrusted text inside has already been escaped (see markdown-escape.ts).
 */
import { count, plural } from '../text/plural';
import { codeBlock, escapeInline, inlineCode } from './markdown-escape';
import { STATUS_CELL, renderFoot, renderHead, riskyCount } from './markdown-head';
import { FULL_LIMITS, type DetailLimits } from './markdown-limits';
import {
  renderObjectAtAllDetails,
  type ObjectOptions,
  type ObjectRenderings,
} from './markdown-object';
import { originObjects, originSummary } from './markdown-origin';
import { cut, listWithMore, objectName } from './markdown-values';
import type { DriftReport, RegionReport } from './model';

export interface ReportBlocks {
  /** Title line, per-region table, legend. */
  head: string;
  /** One entry per region that has something to show (drift, error, notes). */
  regions: RegionBlocks[];
  /** Mode, overlays root, revision, tool version; empty when not wanted. */
  foot: string;
}

export interface RegionBlocks {
  name: string;
  /** Inner HTML of the `<summary>` line, e.g. `<b>us-east</b> · drift: 3 objects`. */
  summary: string;
  /** Whether the section starts expanded. */
  open: boolean;
  /** Error and warnings, shown before the objects. */
  notes: string[];
  /** Each drifted object, as an ordered list of renderings from most to least detailed. */
  objects: ObjectRenderings[];
  /** What ignore rules hid, after the objects. */
  trailer: string[];
}

export interface BlockOptions extends ObjectOptions {
  /** Title of the report; default `mr-drift`. */
  title?: string | undefined;
  /** Detail limits for objects; default FULL_LIMITS. */
  limits?: DetailLimits | undefined;
  /**
   * Include run-specific details (check time, revision, tool version) in the footer.
   * The PR comment leaves them out so that an unchanged result gives a byte-identical
   * body and no API write.
   */
  runDetails?: boolean | undefined;
  /** Sections with at most this many objects start expanded; default 5. */
  openUpTo?: number | undefined;
}

/** Renders a report into blocks; pure and deterministic for a given report and options. */
export function renderReportBlocks(report: DriftReport, options: BlockOptions = {}): ReportBlocks {
  const limits = options.limits ?? FULL_LIMITS;
  return {
    head: renderHead(report, options.title ?? 'mr-drift', limits.maxSkew ?? 10),
    regions: report.regions
      .map((r) => renderRegion(r, limits, options))
      .filter((r): r is RegionBlocks => r !== undefined),
    foot: renderFoot(report, options.runDetails ?? false),
  };
}

/** Region notes are bounded so that each fits in one comment whatever the cluster says. */
const MAX_NOTE_CHARS = 4_000;
const MAX_LIST_ITEMS = 30;

function renderRegion(
  region: RegionReport,
  limits: DetailLimits,
  options: BlockOptions,
): RegionBlocks | undefined {
  const notes: string[] = [];
  if (region.status === 'error') {
    notes.push(
      `**Could not check this region** (it is not reported as in sync):\n\n${codeBlock(
        cut(region.error ?? 'unknown error', MAX_NOTE_CHARS).split('\n'),
        'text',
      )}`,
    );
  }
  if (region.warnings && region.warnings.length > 0) {
    notes.push(
      listWithMore(region.warnings, MAX_LIST_ITEMS, (w) => `- ⚠️ ${escapeInline(cut(w, 500))}`),
    );
  }
  const trailer: string[] = [];
  if (region.ignored && region.ignored.length > 0) {
    const n = region.ignored.length;
    const items = listWithMore(
      region.ignored,
      MAX_LIST_ITEMS,
      (i) =>
        `- ${escapeInline(cut(i.kind, 100))} ${inlineCode(cut(objectName(i), 300))} ${
          i.path === '' ? '(whole object)' : inlineCode(cut(i.path, 300))
        }: ${escapeInline(cut(i.rule, 200))}`,
    );
    trailer.push(
      `<details><summary>${n} ${plural(n, 'field')} hidden by ignore rules and engine settings</summary>\n\n${items}\n\n</details>`,
    );
  }
  if (region.findings.length === 0 && notes.length === 0 && trailer.length === 0) return undefined;

  // With a base revision: "This PR will change" apart from "Drift already in the cluster".
  const objects =
    originObjects(region, limits, options) ??
    region.findings.map((f) => renderObjectAtAllDetails(f, limits, options, 'git-live'));
  const n = region.findings.length;
  const risky = riskyCount(region);
  const riskyNote = risky > 0 ? `, ${risky} risky` : '';
  const byOrigin = region.status === 'error' ? undefined : originSummary(region);
  const what =
    region.status === 'error'
      ? 'error'
      : byOrigin
        ? `${byOrigin}${riskyNote}`
        : n > 0
          ? `drift: ${count(n, 'object')}${riskyNote}`
          : STATUS_CELL[region.status].replace(/^\S+ /, '');
  return {
    name: region.name,
    summary: `<b>${escapeInline(region.name)}</b> · ${what}`,
    open: n <= (options.openUpTo ?? 5),
    notes,
    objects,
    trailer,
  };
}
