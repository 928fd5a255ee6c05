import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';

/**
 * The private kubeconfig file of one Action run: written under RUNNER_TEMP with mode
 * 0600, removed at the end of the main step and again by the `post:` step (in case the
 * main step was cancelled). Kept apart from decoding so the post step bundle stays small.
 */

/** State key under which the main step tells the post step which file to remove. */
export const KUBECONFIG_STATE = 'kubeconfig-path';

/** Prefix of the temporary folders this Action creates; the post step only removes these. */
export const KUBECONFIG_DIR_PREFIX = 'mr-drift-kubeconfig-';

/** Writes the kubeconfig to a new private folder under `tempRoot`; returns the file path. */
export function writeKubeconfigFile(text: string, tempRoot: string): string {
  mkdirSync(tempRoot, { recursive: true });
  const dir = mkdtempSync(join(tempRoot, KUBECONFIG_DIR_PREFIX));
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  return file;
}

/**
 * Removes a kubeconfig written by writeKubeconfigFile, with its folder. Refuses paths it
 * did not create (outside `tempRoot` or not in one of its folders), since the path comes
 * back through the runner's saved state.
 */
export function removeKubeconfigFile(file: string, tempRoot: string): boolean {
  const dir = dirname(resolve(file));
  const root = resolve(tempRoot);
  if (!dir.startsWith(root + sep) || !basename(dir).startsWith(KUBECONFIG_DIR_PREFIX)) return false;
  if (basename(file) !== 'kubeconfig') return false;
  rmSync(dir, { recursive: true, force: true });
  return true;
}
