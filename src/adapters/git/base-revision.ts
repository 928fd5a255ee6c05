/**
 * The pull request's base revision as files: resolves a ref in the Git repository that
 * holds `--path`, and writes that commit's whole tree into a temporary folder (overlays
 * refer to `../../base`, and kustomizations may reach anywhere in the repository).
 *
 * The tree is written through a temporary index file (`git read-tree` + `git
 * checkout-index`): nothing in the repository changes (no worktree to register and later
 * prune, no index or HEAD touched), and files come out as a checkout writes them (unlike
 * `git archive`, which drops `export-ignore` paths).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BaseUnavailable } from '../../core/errors';
import { removeOnExit } from '../interrupt';
import { git } from './run-git';

/** A base commit whose tree is on disk until `dispose`. */
export interface BaseTree {
  /** Full commit id. */
  revision: string;
  /** Where `path` (as given to the check) lies inside the written tree. */
  path: string;
  /** Root of the written tree (for rewriting messages that quote it). */
  root: string;
  /** Removes the folder; safe to call twice. */
  dispose: () => Promise<void>;
}

async function existingDir(path: string): Promise<string> {
  const full = resolve(path);
  try {
    return (await stat(full)).isDirectory() ? full : dirname(full);
  } catch {
    return dirname(full);
  }
}

/**
 * Resolves `ref` to a commit in the repository holding `path` and writes its tree to a
 * temporary folder. Throws BaseUnavailable when there is no repository, no git, or the
 * commit is not in the checkout (a shallow clone, a base branch never fetched).
 */
export async function checkoutBase(
  path: string,
  ref: string,
  tempParent: string = tmpdir(),
): Promise<BaseTree> {
  // A ref is never an option: refuse anything git could read as one.
  if (ref === '' || ref.startsWith('-') || /[\s\0]/.test(ref)) {
    throw new BaseUnavailable(
      `base revision ${JSON.stringify(ref)} is not a Git ref or commit`,
      (say) => `Pass a branch, tag or commit SHA, e.g. ${say.setting('base', 'origin/main')}.`,
    );
  }
  const cwd = await existingDir(path);
  const top = await git(['rev-parse', '--show-toplevel'], cwd);
  if (top.missing) {
    throw new BaseUnavailable(
      'git was not found on PATH, so the base revision cannot be read',
      'Install git, or leave out the base revision.',
    );
  }
  if (!top.ok) {
    throw new BaseUnavailable(
      `${path} is not inside a Git repository, so the base revision ${ref} cannot be read`,
      'Run the check in a clone of the repository, or leave out the base revision.',
    );
  }
  const repo = top.stdout.trim();
  const resolved = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repo);
  if (!resolved.ok) {
    throw new BaseUnavailable(
      `base revision ${ref} is not in this checkout`,
      `Fetch it first (git fetch origin ${ref}); in GitHub Actions, check out with actions/checkout and fetch-depth: 0, or fetch the base commit in a step before mr-drift.`,
    );
  }
  const revision = resolved.stdout.trim();
  // Where --path lies in the repository (through symlinks, as git sees the files). The
  // check has made sure it exists.
  const relPath = relative(realpathSync(repo), realpathSync(resolve(path)));
  if (relPath.startsWith('..') || isAbsolute(relPath)) {
    throw new BaseUnavailable(
      `${path} is outside the Git repository ${repo}`,
      (say) => `Point ${say.option('path')} inside the repository to compare with a base revision.`,
    );
  }

  const root = await mkdtemp(join(tempParent, 'mr-drift-base-'));
  const guard = removeOnExit(root);
  const dispose = async () => {
    await rm(root, { recursive: true, force: true });
    guard.release();
  };
  try {
    const tree = join(root, 'tree');
    const env = { ...process.env, GIT_INDEX_FILE: join(root, 'index') };
    const read = await git(['read-tree', revision], repo, env);
    const write = read.ok
      ? await git(['checkout-index', '--all', '--force', `--prefix=${tree}/`], repo, env)
      : read;
    if (!write.ok) {
      throw new BaseUnavailable(
        `cannot write the files of base revision ${ref} (${revision.slice(0, 12)}): ${
          write.stderr.trim().split('\n')[0] ?? 'git failed'
        }`,
        'Check that the clone is complete (not a partial or sparse clone missing those files).',
      );
    }
    return { revision, path: join(tree, relPath), root: tree, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
