import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DriftReport } from '../../core/report/model';

/**
 * Writes the JSON report whole or not at all: into a temporary file beside it, then a
 * rename, so a reader never sees half a report. `createFolder` makes the folder first
 * (the Action's default path); otherwise it must exist. Returns the absolute path.
 */
export function writeReportFile(
  report: DriftReport,
  file: string,
  options: { createFolder?: boolean } = {},
): string {
  const abs = resolve(file);
  if (options.createFolder) mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, abs);
  return abs;
}
