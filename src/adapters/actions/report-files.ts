import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ReportFileError } from '../../core/errors';
import type { ReportFile } from '../../core/report/aggregate';

/**
 * Reads the report files named by the `aggregate` input: files as given, folders searched
 * recursively for `*.json` (the layout `actions/download-artifact` leaves: one folder per
 * artifact). Files come back sorted by path so the combined report is stable.
 */
export function readReportFiles(paths: string[], cwd: string): ReportFile[] {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) {
      missing.push(p);
      continue;
    }
    if (statSync(abs).isDirectory()) for (const f of listJson(abs)) files.add(f);
    else files.add(abs);
  }
  if (missing.length > 0) {
    throw new ReportFileError(
      missing.map((m) => ({ file: m, message: 'does not exist' })),
      'Download the per-region report artifacts first (actions/download-artifact) and pass their folder.',
    );
  }
  return [...files].sort().map((abs) => ({
    file: relative(cwd, abs) || abs,
    text: readFileSync(abs, 'utf8'),
  }));
}

function listJson(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listJson(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}
