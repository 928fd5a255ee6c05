import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds a folder shipped with mr-drift (`templates`, `schema`) both when running from
 * source (tsx, vitest: the repo root) and from the bundle (dist/cli.js, dist/index.js:
 * the build copies the folders next to the bundle).
 */
export function assetDir(name: 'templates' | 'schema'): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`mr-drift is installed without its ${name}/ folder`);
    dir = parent;
  }
}
