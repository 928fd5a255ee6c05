import {
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ForeignFilesError, HandEditedFilesError } from '../../core/errors';
import { RECORD_FILE } from '../../core/plan/plan-tree';
import type { TreeDiff } from './tree-diff';

export interface WriteOptions {
  /** Overwrite or remove generated files that were edited by hand. */
  force: boolean;
  /** The output folder as the user named it, for messages; default `outDir`. */
  displayDir?: string;
}

/**
 * Applies a TreeDiff to the output folder, as close to all-or-nothing as a file system
 * allows: every new content is first written to a temporary file beside its target (the
 * step that can fail: disk full, permissions), and only when all of them exist are they
 * renamed into place and dropped files removed. A failure while staging removes the
 * temporary files and folders it made, leaving the previous tree untouched. The record
 * is renamed last, so an interrupted run is still recognised as ours next time.
 */
export function writeTree(outDir: string, diff: TreeDiff, options: WriteOptions): void {
  const shown = options.displayDir ?? outDir;
  if (diff.foreign.length > 0) throw new ForeignFilesError(diff.foreign, shown);
  if (diff.handEdited.length > 0 && !options.force)
    throw new HandEditedFilesError(diff.handEdited, shown);

  const writes = diff.changes.filter((c) => c.kind !== 'removed');
  // Record last: see above.
  writes.sort((a, b) => Number(a.path === RECORD_FILE) - Number(b.path === RECORD_FILE));
  const staged: { temp: string; target: string }[] = [];
  const createdDirs: string[] = [];
  const knownDirs = new Set<string>();
  try {
    for (const change of writes) {
      const target = join(outDir, change.path);
      const parent = dirname(target);
      if (!knownDirs.has(parent)) {
        makeDirs(parent, createdDirs);
        knownDirs.add(parent);
      }
      const temp = `${target}.mr-drift-tmp-${process.pid}`;
      writeFileSync(temp, change.after ?? '', { flag: 'wx' });
      staged.push({ temp, target });
    }
  } catch (err) {
    for (const s of staged) safely(() => unlinkSync(s.temp));
    for (const d of createdDirs.reverse()) safely(() => rmdirSync(d));
    throw err;
  }

  for (const s of staged) renameSync(s.temp, s.target);
  for (const change of diff.changes) {
    if (change.kind !== 'removed') continue;
    const target = join(outDir, change.path);
    unlinkSync(target);
    removeEmptyParents(dirname(target), outDir);
  }
}

/** mkdir -p that remembers which folders it created, outermost first. */
function makeDirs(dir: string, created: string[]): void {
  if (existsSync(dir)) return;
  makeDirs(dirname(dir), created);
  mkdirSync(dir);
  created.push(dir);
}

/** Removes folders left empty by a dropped region, never the output root itself. */
function removeEmptyParents(dir: string, root: string): void {
  let d = dir;
  while (relative(root, d) !== '' && !relative(root, d).startsWith('..')) {
    if (readdirSync(d).length > 0) return;
    rmdirSync(d);
    d = dirname(d);
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // best effort while undoing a failed run
  }
}
