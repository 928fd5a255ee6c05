import { relative } from 'node:path';

/**
 * A path as messages and reports show it: relative to the working directory when it lies
 * inside it (`.` for the directory itself), else as given.
 */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}
