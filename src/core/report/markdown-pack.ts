import type { ReportBlocks } from './markdown-blocks';
import { count, plural } from '../text/plural';

/**
 * Packs report blocks into one or more Markdown documents ("parts"), each at most
 * `budget` long, cutting only between objects (never inside one). A region whose objects
 * spill over closes its `<details>` at the end of one part and reopens it, marked
 * "continued", at the start of the next. When `maxParts` is reached, the last part ends
 * with a note counting what was left out instead.
 */
export interface PackOptions {
  /** Largest size of one part, as measured by `measure`. */
  budget: number;
  /** Size function: UTF-16 length for comments, UTF-8 bytes for the job summary. */
  measure?: (text: string) => number;
  /** Most parts to produce; the rest is summarised. */
  maxParts: number;
  /** Text at the very top of a part (e.g. the hidden marker), given part number and count. */
  partPrefix?: (part: number, parts: number) => string;
  /** Trusted Markdown saying where the full report is; shown when something is cut or split. */
  fullReportNote?: string | undefined;
}

/** Placeholder for the part count, which is only known after packing. */
const COUNT = '\u0000parts\u0000';
const SEPARATOR = '\n\n';

interface Item {
  region: number;
  renderings: readonly string[];
  /** True for a drifted object (counted in the truncation note). */
  isObject: boolean;
}

/** Packs the blocks; returns at least one part. */
export function packReport(blocks: ReportBlocks, options: PackOptions): string[] {
  const measure = options.measure ?? ((s: string) => s.length);
  const prefix = options.partPrefix ?? (() => '');
  const fullNote = options.fullReportNote ?? '';

  // Worst-case size of the fixed text a part may carry besides its items.
  const reserve =
    measure(prefix(99, 99)) +
    measure(continuationLine(99)) +
    measure(truncationNote(999_999, 999, fullNote)) +
    measure(blocks.foot) +
    measure(splitNote(99, fullNote)) +
    64;
  const room = options.budget - reserve;
  if (room < 2_000) throw new Error(`packReport: budget ${options.budget} is too small`);

  const items: Item[] = [];
  blocks.regions.forEach((r, region) => {
    for (const n of r.notes) items.push({ region, renderings: [n], isObject: false });
    for (const o of r.objects) items.push({ region, renderings: o, isObject: true });
    for (const t of r.trailer) items.push({ region, renderings: [t], isObject: false });
  });

  const parts: string[] = [];
  let body = blocks.head;
  let openRegion: number | undefined;
  let truncated: { objects: number; regions: number } | undefined;

  const openTag = (region: number, continued: boolean) => {
    const r = blocks.regions[region];
    return `<details${r.open && !continued ? ' open' : ''}><summary>${r.summary}${
      continued ? ' (continued)' : ''
    }</summary>`;
  };
  const closeTag = '</details>';
  const fits = (text: string) => measure(text) + measure(SEPARATOR + closeTag) <= room;

  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const regionChange = openRegion !== item.region;
    // A rendering too large even for a part of its own is degraded right here rather than
    // after an almost empty part.
    const fitsAlone = fits(openTag(item.region, true) + SEPARATOR + item.renderings[0]);
    const placed = tryPlace(
      body,
      item,
      regionChange,
      openRegion,
      openTag,
      closeTag,
      fits,
      fitsAlone,
    );
    if (placed !== undefined) {
      body = placed;
      openRegion = item.region;
      continue;
    }
    // Does not fit here: close this part and start the next one.
    if (parts.length + 1 >= options.maxParts) {
      const rest = items.slice(i);
      truncated = {
        objects: rest.filter((x) => x.isObject).length,
        regions: new Set(rest.filter((x) => x.isObject).map((x) => x.region)).size,
      };
      break;
    }
    if (openRegion !== undefined) body += SEPARATOR + closeTag;
    parts.push(body);
    const continued = openRegion === item.region;
    body = openTag(item.region, continued);
    openRegion = item.region;
    // An empty part takes the least detailed rendering that fits (the last always does).
    const rendering =
      item.renderings.find((r) => fits(body + SEPARATOR + r)) ?? item.renderings.at(-1)!;
    body += SEPARATOR + rendering;
  }
  if (openRegion !== undefined) body += SEPARATOR + closeTag;
  if (truncated) body += truncationNote(truncated.objects, truncated.regions, fullNote);
  parts.push(body);

  const total = parts.length;
  return parts.map((p, idx) => {
    let text = prefix(idx + 1, total) + p;
    if (idx + 1 < total) text += continuationLine(idx + 2);
    else {
      if (blocks.foot) text += SEPARATOR + blocks.foot;
      if (!truncated && total > 1) text += splitNote(total, fullNote);
      else if (!truncated && fullNote) text += `${SEPARATOR}${fullNote}`;
    }
    return text.split(COUNT).join(String(total)) + '\n';
  });
}

function tryPlace(
  body: string,
  item: Item,
  regionChange: boolean,
  openRegion: number | undefined,
  openTag: (region: number, continued: boolean) => string,
  closeTag: string,
  fits: (text: string) => boolean,
  fitsAlone: boolean,
): string | undefined {
  let start = body;
  if (regionChange) {
    if (openRegion !== undefined) start += SEPARATOR + closeTag;
    start += SEPARATOR + openTag(item.region, false);
  }
  // When the full rendering would fit in a fresh part, prefer moving it there over
  // showing it with less detail; otherwise take the most detailed rendering that fits here.
  const candidates = fitsAlone ? item.renderings.slice(0, 1) : item.renderings;
  for (const r of candidates) {
    const candidate = start + SEPARATOR + r;
    if (fits(candidate)) return candidate;
  }
  return undefined;
}

function continuationLine(next: number): string {
  return `${SEPARATOR}_Continued in the next comment (part ${next} of ${COUNT})._`;
}

function splitNote(total: number, fullNote: string): string {
  return `${SEPARATOR}_This report was split into ${total} comments on object boundaries.${
    fullNote ? ` ${fullNote}` : ''
  }_`;
}

function truncationNote(objects: number, regions: number, fullNote: string): string {
  const what =
    objects === 0
      ? 'Some region notes are not shown here'
      : `${objects} more drifted ${plural(objects, 'object')} in ${count(regions, 'region')} not shown here`;
  return `${SEPARATOR}**${what}** (the report is too long).${fullNote ? ` ${fullNote}` : ''}`;
}
