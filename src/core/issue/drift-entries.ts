import type { Finding, RegionReport } from '../report/model';

/**
 * What a drift issue tracks, one entry per line of news: each object with drift in a
 * region (with its finding type, so an object deleted by hand is news even if it had
 * drifted before), and each region that could not be checked. The issue comments when
 * this set changes, not when a value inside an object changes, so watchers hear about new
 * drift and not about every re-run.
 *
 * Entries are plain strings, `region|group|Kind|namespace|name|type` or `region|!error`,
 * sorted, so that two sets compare as arrays and can be stored in the issue body.
 */
export type DriftEntry = string;

const ERROR = '!error';

/** The sorted entries of these regions. Differences the pull request itself makes are not drift. */
export function driftEntries(regions: readonly RegionReport[]): DriftEntry[] {
  const out = new Set<string>();
  for (const region of regions) {
    if (region.status === 'error') {
      out.add(`${region.name}|${ERROR}`);
      continue;
    }
    for (const f of region.findings) {
      if (f.origin === 'pr') continue;
      out.add(entryOf(region.name, f));
    }
  }
  return [...out].sort();
}

function entryOf(region: string, f: Finding): DriftEntry {
  const group = f.apiVersion.includes('/') ? f.apiVersion.split('/')[0] : '';
  return [region, group, f.kind, f.namespace ?? '', f.name, f.type].join('|');
}

/** An entry, taken apart for display. */
export type ParsedEntry =
  | { region: string; error: true }
  | {
      region: string;
      error: false;
      group: string;
      kind: string;
      namespace: string;
      name: string;
      type: string;
    };

export function parseEntry(entry: DriftEntry): ParsedEntry {
  const [region = '', group = '', kind = '', namespace = '', name = '', type = ''] =
    entry.split('|');
  if (group === ERROR) return { region, error: true };
  return { region, error: false, group, kind, namespace, name, type };
}

/** What changed between two sets of entries (both sorted or not). */
export function compareEntries(
  before: readonly DriftEntry[],
  after: readonly DriftEntry[],
): { added: DriftEntry[]; removed: DriftEntry[] } {
  const was = new Set(before);
  const now = new Set(after);
  return {
    added: after.filter((e) => !was.has(e)).sort(),
    removed: before.filter((e) => !now.has(e)).sort(),
  };
}
