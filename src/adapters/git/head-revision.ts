import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { git } from './run-git';

/**
 * The commit checked out in the repository holding `path` (`git rev-parse HEAD`), or
 * undefined when there is no repository or no git: the revision is only for the report.
 */
export async function headRevision(path: string): Promise<string | undefined> {
  let cwd = process.cwd();
  try {
    const full = resolve(path);
    cwd = statSync(full).isDirectory() ? full : dirname(full);
  } catch {
    // The path is checked (and reported) elsewhere; the revision is optional.
  }
  const head = await git(['rev-parse', 'HEAD'], cwd, process.env, 5_000);
  return head.ok ? head.stdout.trim() || undefined : undefined;
}
