import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { recordedReport } from './fixtures/build-report';
import { reportSchemaValidator } from '../support/report-schema';

const schema = JSON.parse(
  readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
) as object;

/** A report as plain JSON, to break on purpose. */
interface Mutable {
  extra?: number;
  schemaVersion: number;
  regions: Array<{
    status: string;
    findings: Array<{ type: string; kind?: string; fields: unknown[] }>;
  }>;
}

describe('schema/report.schema.json', () => {
  it.each(['server-side', 'read-only'] as const)(
    'accepts a report built from recorded cluster objects (%s)',
    (mode) => {
      const validate = reportSchemaValidator();
      const report = recordedReport(mode, [
        { index: 1, description: 'owner label', jsonPointers: ['/metadata/labels/owner'] },
      ]);
      // The report really exercises every part of the schema.
      expect(report.regions.map((r) => r.status)).toEqual(['drift', 'in-sync', 'error']);
      expect(report.regions[0].ignored?.length).toBeGreaterThan(0);
      expect(report.regions[0].findings.map((f) => f.type).sort()).toEqual([
        'changed',
        'changed',
        'changed',
        'changed',
        'extra',
        'missing',
      ]);
      const ok = validate(JSON.parse(JSON.stringify(report)));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    },
  );

  it('documents every property it allows', () => {
    const walk = (node: unknown, at: string, out: string[]) => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [k, v] of Object.entries(n.properties)) {
          const p = v as Record<string, unknown>;
          if (!p.description && !p.$ref && !('const' in p)) out.push(`${at}.${k}`);
          walk(p, `${at}.${k}`, out);
        }
      }
      for (const [k, v] of Object.entries(n)) if (k !== 'properties') walk(v, `${at}/${k}`, out);
    };
    const undocumented: string[] = [];
    walk(schema, '#', undocumented);
    expect(undocumented).toEqual([]);
  });

  it('rejects unknown properties, bad statuses and finding types', () => {
    const validate = reportSchemaValidator();
    const base = JSON.parse(JSON.stringify(recordedReport('read-only'))) as Mutable;
    const cases: Array<(r: Mutable) => void> = [
      (r) => (r.extra = 1),
      (r) => (r.regions[0].status = 'ok'),
      (r) => (r.regions[0].findings[0].type = 'added'),
      (r) => (r.regions[0].findings[0].fields = [{ path: '/a', unknown: true }]),
      (r) => delete r.regions[0].findings[0].kind,
      (r) => (r.schemaVersion = 2),
    ];
    for (const mutate of cases) {
      const copy = structuredClone(base);
      mutate(copy);
      expect(validate(copy)).toBe(false);
    }
  });
});
