import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readHeader } from '../../core/plan/generated-header';
import { RECORD_FILE, type PlannedFile } from '../../core/plan/plan-tree';

export type ChangeKind = 'added' | 'changed' | 'removed';

/** One file that a run would add, change or remove. */
export interface TreeChange {
  path: string;
  kind: ChangeKind;
  /** `base`, `gitops`, `record` or a region name. */
  group: string;
  /** Current content (changed, removed). */
  before?: string;
  /** New content (added, changed). */
  after?: string;
}

/** The difference between the planned tree and what is on disk. */
export interface TreeDiff {
  changes: TreeChange[];
  unchanged: number;
  /** Generated files edited by hand since (would be overwritten or removed). */
  handEdited: string[];
  /** Planned paths taken by files mr-drift did not generate. */
  foreign: string[];
}

/**
 * Compares the plan with the output folder. A file counts as mr-drift's when the record
 * of the last run lists it or it carries the generated header; only such files are ever
 * changed or removed. Reads only.
 */
export function diffTree(outDir: string, plan: readonly PlannedFile[]): TreeDiff {
  const recorded = readRecord(outDir);
  const planned = new Set(plan.map((f) => f.path));
  const diff: TreeDiff = { changes: [], unchanged: 0, handEdited: [], foreign: [] };

  for (const file of plan) {
    const current = readIfExists(join(outDir, file.path));
    if (current === undefined) {
      diff.changes.push({ path: file.path, kind: 'added', group: file.group, after: file.content });
      continue;
    }
    if (current === file.content) {
      diff.unchanged++;
      continue;
    }
    const header = readHeader(current);
    const ours = file.path === RECORD_FILE || recorded.has(file.path) || header !== 'none';
    if (!ours) {
      diff.foreign.push(file.path);
      continue;
    }
    if (file.path !== RECORD_FILE && header !== 'intact') diff.handEdited.push(file.path);
    diff.changes.push({
      path: file.path,
      kind: 'changed',
      group: file.group,
      before: current,
      after: file.content,
    });
  }

  for (const path of [...recorded].sort()) {
    if (planned.has(path)) continue;
    const current = readIfExists(join(outDir, path));
    if (current === undefined) continue;
    if (readHeader(current) !== 'intact') diff.handEdited.push(path);
    diff.changes.push({ path, kind: 'removed', group: groupOf(path), before: current });
  }

  diff.changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  diff.handEdited.sort();
  diff.foreign.sort();
  return diff;
}

/** Paths listed in the output folder's record; empty when there is none yet. */
export function readRecord(outDir: string): Set<string> {
  const text = readIfExists(join(outDir, RECORD_FILE));
  if (text === undefined) return new Set();
  try {
    const parsed = JSON.parse(text) as { files?: unknown };
    if (Array.isArray(parsed.files)) {
      // Never trust a path in the record to leave the output folder.
      return new Set(
        parsed.files.filter(
          (f): f is string =>
            typeof f === 'string' && !f.startsWith('/') && !f.split('/').includes('..'),
        ),
      );
    }
  } catch {
    // A damaged record only means we know less: files with the header still count.
  }
  return new Set();
}

/** Summary group of a path: region folders by region, the rest by part of the tree. */
export function groupOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'regions' && parts.length > 2) return parts[1];
  if (parts[0] === 'flux' && parts.length > 2) return parts[1];
  if (parts[0] === 'base') return 'base';
  if (path === RECORD_FILE) return 'record';
  return 'gitops';
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    // One system call instead of a stat and a read: most planned files usually exist.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
