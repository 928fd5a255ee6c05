/**
 * What the benchmarks share: command-line flags, medians, and a bundle of the current
 * source built the way scripts/build.mjs builds dist/cli.js (split into chunks, so each
 * command loads only its own modules), not dist/ itself, which may be stale.
 */
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** `--name <value>` from the command line, or the fallback. */
export function stringArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** `--name <number>` from the command line, or the fallback. */
export function numberArg(name: string, fallback: number): number {
  return Number(stringArg(name, String(fallback)));
}

/** The median; the mean of the two middle values for an even count. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Bundles `entry` (a path from the repository root) into `<outdir>/<name>.js`, split like
 * dist/cli.js, and returns that path. `external` stays an import (e.g. esbuild itself).
 */
export async function bundleLikeDist(
  entry: string,
  outdir: string,
  name = 'cli',
  external: string[] = [],
): Promise<string> {
  // Loaded here, not at the top: check-phases bundles this module into its probe, which
  // runs from a temporary folder where esbuild cannot be found (and is never needed).
  const { build } = await import('esbuild');
  await build({
    entryPoints: { [name]: join(root, entry) },
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    external,
    // Some bundled dependencies are CommonJS and call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __req } from 'node:module'; const require = __req(import.meta.url);",
    },
  });
  return join(outdir, `${name}.js`);
}
